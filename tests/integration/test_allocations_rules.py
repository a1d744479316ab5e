"""Allocation rules through the services, on the real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cashloop.audit.models import AuditEntry
from cashloop.audit.services import SYSTEM_CLI
from cashloop.ledger.models import Allocation, Customer, Invoice, Payment
from cashloop.ledger.services.allocations import (
    AllocationLine,
    AppliedBeforeReceived,
    CurrencyMismatch,
    CustomerMismatch,
    OverAllocation,
    allocate,
    auto_allocate,
    delete_allocation,
)
from cashloop.ledger.services.invoices import create_invoice
from cashloop.ledger.services.payments import create_payment, delete_payment

D = date(2024, 3, 1)
A = SYSTEM_CLI
_seq = itertools.count()


@pytest.fixture
def customer(company):
    return Customer.objects.create(company=company, code="C001", name="华东客户", currency="CNY")


@pytest.fixture
def other_customer(company):
    return Customer.objects.create(company=company, code="C002", name="Other", currency="CNY")


def invoice(company, amount, due=D, currency="CNY", customer="C001", issue=None):
    number = f"INV-{next(_seq)}"
    inv, _ = create_invoice(A, company, number=number, customer_code=customer,
                            issue_date=issue or due - timedelta(days=30), due_date=due,
                            amount_minor=amount, currency=currency)
    return inv


def payment(company, amount, received=D, currency="CNY", customer="C001", **kw):
    return create_payment(A, company, reference=f"PAY-{next(_seq)}", customer_code=customer,
                          received_date=received, amount_minor=amount, currency=currency, **kw)


def fresh(inv: Invoice) -> Invoice:
    return Invoice.objects.get(pk=inv.pk)


def test_partial_allocation_leaves_invoice_open(company, customer):
    inv = invoice(company, 10_000)
    pay = payment(company, 4_000)
    allocate(A, company, [AllocationLine(inv.number, 4_000)], payment_reference=pay.reference)
    inv = fresh(inv)
    assert (inv.paid_minor, inv.settled_date) == (4_000, None)


def test_several_payments_settle_one_invoice_on_the_last_applied_date(company, customer):
    inv = invoice(company, 10_000)
    first = payment(company, 6_000, received=D)
    second = payment(company, 4_000, received=D + timedelta(days=5))
    allocate(A, company, [AllocationLine(inv.number, 4_000)], payment_reference=second.reference)
    allocate(A, company, [AllocationLine(inv.number, 6_000)], payment_reference=first.reference)
    inv = fresh(inv)
    assert (inv.paid_minor, inv.settled_date) == (10_000, D + timedelta(days=5))


def test_one_payment_over_several_invoices(company, customer):
    a, b = invoice(company, 3_000), invoice(company, 5_000)
    pay = payment(company, 7_000, allocations=[AllocationLine(a.number, 3_000),
                                               AllocationLine(b.number, 4_000)])
    assert fresh(a).settled_date == D
    assert (fresh(b).paid_minor, fresh(b).settled_date) == (4_000, None)
    assert Allocation.objects.filter(payment=pay).count() == 2


def test_allocating_more_than_the_payment_has_left_is_refused(company, customer):
    a, b = invoice(company, 5_000), invoice(company, 5_000)
    pay = payment(company, 6_000, allocations=[AllocationLine(a.number, 5_000)])
    with pytest.raises(OverAllocation, match="left to allocate"):
        allocate(A, company, [AllocationLine(b.number, 1_001)], payment_reference=pay.reference)
    assert fresh(b).paid_minor == 0


def test_allocating_more_than_the_invoice_has_open_is_refused(company, customer):
    inv = invoice(company, 5_000)
    pay = payment(company, 9_000)
    with pytest.raises(OverAllocation, match="open"):
        allocate(A, company, [AllocationLine(inv.number, 3_000), AllocationLine(inv.number, 2_001)],
                 payment_reference=pay.reference)
    assert not Allocation.objects.exists()


def test_currency_mismatch_is_refused(company, customer):
    inv = invoice(company, 5_000, currency="USD")
    pay = payment(company, 5_000, currency="CNY")
    with pytest.raises(CurrencyMismatch):
        allocate(A, company, [AllocationLine(inv.number, 1_000)], payment_reference=pay.reference)


def test_other_customers_invoice_needs_the_explicit_flag(company, customer, other_customer):
    inv = invoice(company, 5_000, customer="C002")
    pay = payment(company, 5_000)
    with pytest.raises(CustomerMismatch):
        allocate(A, company, [AllocationLine(inv.number, 1_000)], payment_reference=pay.reference)
    allocate(A, company, [AllocationLine(inv.number, 1_000)], payment_reference=pay.reference,
             allow_other_customer=True)
    assert fresh(inv).paid_minor == 1_000


def test_applying_before_the_payment_was_received_is_refused(company, customer):
    inv = invoice(company, 5_000)
    pay = payment(company, 5_000, received=D)
    with pytest.raises(AppliedBeforeReceived):
        allocate(A, company, [AllocationLine(inv.number, 1_000, D - timedelta(days=1))],
                 payment_reference=pay.reference)


def test_auto_allocate_pays_oldest_due_first(company, customer):
    late = invoice(company, 3_000, due=D + timedelta(days=20))
    early = invoice(company, 2_000, due=D - timedelta(days=10))
    invoice(company, 1_000, due=D, currency="USD")
    pay = payment(company, 4_000)
    made = auto_allocate(A, company, pay.reference)
    assert [(a.invoice.number, a.amount_minor) for a in made] == [(early.number, 2_000),
                                                                    (late.number, 2_000)]
    assert fresh(early).settled_date == D and fresh(late).paid_minor == 2_000


def test_deleting_a_payment_removes_its_allocations_and_reopens_invoices(company, customer):
    inv = invoice(company, 5_000)
    pay = payment(company, 5_000, auto_allocate=True)
    assert fresh(inv).settled_date == D
    delete_payment(A, company, pay.reference)
    assert (fresh(inv).paid_minor, fresh(inv).settled_date) == (0, None)
    assert not Payment.objects.filter(pk=pay.pk).exists()
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions[-3:] == ["allocation.delete", "invoice.settlement", "payment.delete"]


def test_allocation_and_settlement_are_audited_with_before_and_after(company, customer):
    inv = invoice(company, 5_000)
    pay = payment(company, 5_000)
    made = allocate(A, company, [AllocationLine(inv.number, 5_000)], payment_reference=pay.reference)
    entry = AuditEntry.objects.get(action="allocation.create")
    assert entry.after == {"invoice": inv.number, "payment": pay.reference, "credit_note": None,
                           "amount_minor": 5_000, "currency": "CNY", "applied_date": D.isoformat()}
    settlement = AuditEntry.objects.get(action="invoice.settlement")
    assert settlement.before == {"paid_minor": 0, "settled_date": None, "currency": "CNY"}
    assert settlement.after == {"paid_minor": 5_000, "settled_date": D.isoformat(), "currency": "CNY"}
    delete_allocation(A, company, made[0].pk)
    assert AuditEntry.objects.get(action="allocation.delete").before["amount_minor"] == 5_000


operations = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(0, 40), st.integers(1, 4_000)),
        st.tuples(st.just("remove"), st.integers(0, 30), st.just(0)),
    ),
    min_size=1, max_size=12,
)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(amount=st.integers(1, 10_000), ops=operations)
def test_settled_date_matches_a_direct_computation_after_any_adds_and_removes(
        company, customer, amount, ops):
    inv = invoice(company, amount)
    pay = payment(company, 10**9, received=D)
    for kind, n, minor in ops:
        current = list(Allocation.objects.filter(invoice=inv).order_by("id"))
        line = [AllocationLine(inv.number, minor, D + timedelta(days=n))]
        if kind == "remove":
            if current:
                delete_allocation(A, company, current[n % len(current)].pk)
        elif minor > amount - sum(a.amount_minor for a in current):
            with pytest.raises(OverAllocation):
                allocate(A, company, line, payment_reference=pay.reference)
        else:
            allocate(A, company, line, payment_reference=pay.reference)
        rows = list(Allocation.objects.filter(invoice=inv).values_list("applied_date", "amount_minor"))
        expected = None
        for day in sorted({d for d, _ in rows}):
            if sum(m for d, m in rows if d <= day) >= amount:
                expected = day
                break
        got = fresh(inv)
        assert (got.paid_minor, got.settled_date) == (sum(m for _, m in rows), expected)
