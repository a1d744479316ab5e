"""Helpers (no tests): random ledgers written with bulk_create, for the report tests to compare against."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from cashloop.ledger.models import Allocation, Customer, Invoice, Payment, SalesRep


@dataclass
class Record:
    customer: str
    rep: str | None
    department: str
    currency: str
    amount: int
    issue: date
    due: date
    allocations: list[tuple[date, int]]

    def open_as_of(self, day: date) -> int:
        if self.issue > day:
            return 0
        return self.amount - sum(a for d, a in self.allocations if d <= day)


def make_ledger(company, seed: int, n: int = 150, currencies=("CNY",),
                start: date = date(2023, 7, 1), days: int = 540) -> list[Record]:
    rng = random.Random(seed)
    reps = [SalesRep.objects.get_or_create(company=company, name=f"Rep {i}")[0] for i in range(2)]
    customers = [
        Customer.objects.get_or_create(
            company=company, code=f"C{i:03d}",
            defaults={"name": f"客户 {i}", "department": rng.choice(["", "华东", "华北"]),
                      "sales_rep": rng.choice([None, *reps])},
        )[0]
        for i in range(12)
    ]
    records, invoices = [], []
    for i in range(n):
        customer = rng.choice(customers)
        issue = start + timedelta(days=rng.randint(0, days))
        due = issue + timedelta(days=rng.choice([-2, 0, 15, 30, 45, 60]))
        amount = rng.randint(1, 5_000_000)
        allocations, left = [], amount
        for _ in range(rng.choice([0, 1, 1, 1, 2, 3])):
            if not left:
                break
            part = left if rng.random() < 0.5 else rng.randint(1, left)
            allocations.append((issue + timedelta(days=rng.randint(-5, 200)), part))
            left -= part
        allocations.sort()
        paid = amount - left
        record = Record(customer.code, customer.sales_rep.name if customer.sales_rep else None,
                        customer.department, rng.choice(currencies), amount, issue, due, allocations)
        records.append(record)
        invoices.append(Invoice(
            company=company, customer=customer, number=f"INV{seed}-{i:05d}", issue_date=issue,
            due_date=due, amount_minor=amount, currency=record.currency, paid_minor=paid,
            settled_date=allocations[-1][0] if paid == amount and allocations else None,
        ))
    Invoice.objects.bulk_create(invoices)
    payment = Payment.objects.create(company=company, customer=customers[0], reference=f"P{seed}",
                                     received_date=start, amount_minor=10**15, currency="CNY")
    saved = Invoice.objects.filter(company=company, number__startswith=f"INV{seed}-").order_by("number")
    Allocation.objects.bulk_create(
        Allocation(company=company, invoice=inv, payment=payment, amount_minor=a, applied_date=d)
        for inv, record in zip(saved, records, strict=True) for d, a in record.allocations
    )
    return records
