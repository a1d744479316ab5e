"""The customer page (客户详情): open items, own aging and payments as of a date, and lateness.

Open as of D follows the aging report's rule (issued on or before D and not fully paid by
allocations applied on or before D), through the same expressions, so a drill-down from the aging
report as of D shows exactly the items that made up that customer's figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Case, IntegerField, Prefetch, Q, Sum, Value, When

from cashloop.core import aging
from cashloop.ledger.models import (
    Allocation,
    Company,
    Contact,
    Contract,
    Customer,
    Dispute,
    Invoice,
    Payment,
)
from cashloop.reports.queries import open_invoices_by_scope, open_minor_expression

OPEN_ITEMS_SHOWN = 200
PAYMENTS_SHOWN = 100


@dataclass(frozen=True)
class AgingBucket:
    label: str
    from_days: int | None
    to_days: int | None
    amount_minor: int


@dataclass(frozen=True)
class CustomerAging:
    currency: str
    buckets: list[AgingBucket]

    @property
    def total_minor(self) -> int:
        return sum(b.amount_minor for b in self.buckets)


@dataclass(frozen=True)
class DaysLate:
    """Lateness of settled invoices: days late = max(0, settled_date − due_date).

    `average_days` is the plain mean over invoices; `weighted_days` weights each invoice by its
    amount (Σ amount × days late / Σ amount), so large late invoices count more.
    """

    invoice_count: int
    average_days: Decimal | None
    weighted_days: Decimal | None


@dataclass(frozen=True)
class OpenItem:
    number: str
    issue_date: date
    due_date: date
    currency: str
    amount_minor: int
    paid_minor: int  # allocations applied on or before the page's as-of date
    is_disputed: bool
    days_overdue: int  # as_of − due_date; ≤ 0 means not yet due

    @property
    def open_minor(self) -> int:
        return self.amount_minor - self.paid_minor


@dataclass
class CustomerDetail:
    customer: Customer
    as_of: date
    currency: str
    aging: list[CustomerAging]
    open_items: list[OpenItem]
    open_items_count: int
    payments: list[Payment]
    contacts: list[Contact]
    contracts: list[Contract]
    disputes: list[Dispute]
    days_late: DaysLate
    open_minor: int = 0
    overdue_minor: int = 0
    credit_limit_minor: int | None = None

    @property
    def credit_use_pct(self) -> Decimal | None:
        if not self.credit_limit_minor:
            return None
        ratio = Decimal(self.open_minor) * 100 / Decimal(self.credit_limit_minor)
        return ratio.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def customer_aging(company: Company, customer: Customer, as_of: date,
                   buckets: aging.Buckets = aging.DEFAULT_BUCKETS) -> list[CustomerAging]:
    """The customer's invoices open on `as_of` by aging bucket, per currency.

    The same rule as the aging report (issued by `as_of`, not fully paid by allocations applied by
    then), in one grouped query per part of the open set; edges come from `core.aging`.
    """
    edges = buckets.due_date_edges(as_of)
    amount = open_minor_expression(as_of)
    sums = {}
    for i in range(len(buckets.buckets)):
        cond = Q()
        if i < len(edges):
            cond &= Q(due_date__gte=edges[i])
        if i > 0:
            cond &= Q(due_date__lt=edges[i - 1])
        sums[f"b{i}"] = Sum(Case(When(cond, then=amount), default=Value(0),
                                 output_field=IntegerField()))
    totals: dict[str, list[int]] = {}
    mine = Invoice.objects.filter(company=company, customer=customer)
    for part in open_invoices_by_scope(mine, as_of):
        for g in part.values("currency").annotate(**sums).order_by("currency"):
            row = totals.setdefault(g["currency"], [0] * len(buckets.buckets))
            for i in range(len(row)):
                row[i] += int(g[f"b{i}"] or 0)
    return [
        CustomerAging(currency, [
            AgingBucket(b.label, b.from_days, b.to_days, row[i])
            for i, b in enumerate(buckets.buckets)
        ])
        for currency, row in sorted(totals.items())
    ]


def days_late(company: Company, customer: Customer, currency: str) -> DaysLate:
    """Average days late over the customer's settled invoices in `currency` (see DaysLate)."""
    settled = (Invoice.objects.filter(company=company, customer=customer, currency=currency,
                                      settled_date__isnull=False)
               .values_list("due_date", "settled_date", "amount_minor"))
    count = days_total = weighted_total = amount_total = 0
    # Date differences are taken here rather than in SQL, which differs between databases.
    for due, settled_on, amount in settled.iterator(chunk_size=5000):
        late = max(0, (settled_on - due).days)
        count += 1
        days_total += late
        weighted_total += late * amount
        amount_total += amount
    if not count:
        return DaysLate(0, None, None)
    tenth = Decimal("0.1")
    return DaysLate(
        count,
        (Decimal(days_total) / count).quantize(tenth, rounding=ROUND_HALF_UP),
        (Decimal(weighted_total) / amount_total).quantize(tenth, rounding=ROUND_HALF_UP),
    )


def customer_detail(company: Company, customer: Customer, as_of: date) -> CustomerDetail:
    """Everything the customer page shows; the customer was already looked up within scope."""
    currency = customer.currency or company.base_currency
    aging = customer_aging(company, customer, as_of)
    mine = next((a for a in aging if a.currency == currency), None)
    open_minor = mine.total_minor if mine else 0
    overdue_minor = sum(b.amount_minor for b in mine.buckets if b.from_days) if mine else 0
    mine = Invoice.objects.filter(company=company, customer=customer)
    open_rows = (mine.filter(issue_date__lte=as_of)
                 .filter(Q(settled_date__isnull=True) | Q(settled_date__gt=as_of))
                 .annotate(open_as_of=open_minor_expression(as_of))
                 .order_by("due_date", "number"))
    open_items = [
        OpenItem(number, issued, due, currency, amount, amount - open_as_of, disputed,
                 days_overdue=(as_of - due).days)
        for number, issued, due, currency, amount, open_as_of, disputed in open_rows.values_list(
            "number", "issue_date", "due_date", "currency", "amount_minor", "open_as_of",
            "is_disputed")[:OPEN_ITEMS_SHOWN]
    ]
    open_count = len(open_items) if len(open_items) < OPEN_ITEMS_SHOWN else open_rows.count()
    allocations = Allocation.objects.select_related("invoice").order_by("applied_date", "pk")
    payments = list(
        Payment.objects.filter(company=company, customer=customer, received_date__lte=as_of)
        .prefetch_related(Prefetch("allocations", queryset=allocations))
        .order_by("-received_date", "-pk")[:PAYMENTS_SHOWN]
    )
    return CustomerDetail(
        customer=customer, as_of=as_of, currency=currency, aging=aging,
        open_items=open_items, open_items_count=open_count, payments=payments,
        contacts=list(customer.contacts.order_by("-is_primary", "name", "pk")),
        contracts=list(customer.contracts.select_related("payment_terms").order_by("number")),
        disputes=list(Dispute.objects.filter(company=company, invoice__customer=customer)
                      .select_related("invoice").order_by("-opened_date", "-pk")),
        days_late=days_late(company, customer, currency),
        open_minor=open_minor, overdue_minor=overdue_minor,
        credit_limit_minor=customer.credit_limit_minor,
    )
