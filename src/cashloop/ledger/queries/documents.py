"""Reads of invoices, payments, allocations, credit notes and disputes, shared by page, API and CLI.

Every read starts from `*_in_scope`, so a sales rep only ever sees their own customers' documents.
The invoice list is one page query plus one capped count: with a million invoices an exact
COUNT(*) over the whole company costs more than the page itself, so the count stops at
COUNT_CAP and says whether it is exact. Days overdue are computed in Python for the page's rows
(no date arithmetic in SQL), as of the date the adapter passes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import F, Prefetch, Q, QuerySet, Sum

from cashloop.accounts.access import scoped
from cashloop.core.problems import NotFound, gettext_noop
from cashloop.ledger.models import (
    Allocation,
    Company,
    CreditNote,
    Customer,
    Dispute,
    Invoice,
    Payment,
)

User = AbstractBaseUser | AnonymousUser | None
COUNT_CAP = 10_000
MAX_LIMIT = 200
STATUSES = ("open", "overdue", "settled", "disputed")
SORTS = {
    "issue_date": ("issue_date", "id"), "-issue_date": ("-issue_date", "-id"),
    "due_date": ("due_date", "id"), "-due_date": ("-due_date", "-id"),
    "amount": ("amount_minor", "id"), "-amount": ("-amount_minor", "-id"),
    "number": ("number",), "-number": ("-number",),
    "customer": ("customer__code", "id"), "-customer": ("-customer__code", "-id"),
}
DEFAULT_SORT = "-issue_date"


def customers_in_scope(user: User, company: Company) -> QuerySet[Customer]:
    return scoped(Customer.objects.filter(company=company), user, company)


def invoices_in_scope(user: User, company: Company) -> QuerySet[Invoice]:
    return scoped(Invoice.objects.filter(company=company), user, company, prefix="customer__")


def payments_in_scope(user: User, company: Company) -> QuerySet[Payment]:
    return scoped(Payment.objects.filter(company=company), user, company, prefix="customer__")


def credit_notes_in_scope(user: User, company: Company) -> QuerySet[CreditNote]:
    return scoped(CreditNote.objects.filter(company=company), user, company, prefix="customer__")


def allocations_in_scope(user: User, company: Company) -> QuerySet[Allocation]:
    return scoped(Allocation.objects.filter(company=company), user, company,
                  prefix="invoice__customer__")


def disputes_in_scope(user: User, company: Company) -> QuerySet[Dispute]:
    return scoped(Dispute.objects.filter(company=company), user, company,
                  prefix="invoice__customer__")


def days_overdue(invoice: Invoice, as_of: date) -> int:
    """Days past due as of `as_of` while open (due today = 0); 0 once settled on or before as_of."""
    if invoice.settled_date is not None and invoice.settled_date <= as_of:
        return 0
    return max(0, (as_of - invoice.due_date).days)


def status_of(invoice: Invoice, as_of: date) -> str:
    """'settled', 'overdue' or 'open' as of `as_of` (disputes are shown beside it)."""
    if invoice.settled_date is not None:
        return "settled"
    return "overdue" if invoice.due_date < as_of else "open"


@dataclass(frozen=True)
class InvoiceFilters:
    customer: str | None = None  # customer code
    status: str | None = None  # one of STATUSES
    currency: str | None = None
    issue_from: date | None = None
    issue_to: date | None = None
    due_from: date | None = None
    due_to: date | None = None
    amount_min_minor: int | None = None
    amount_max_minor: int | None = None
    sales_rep: str | None = None  # sales rep name
    number: str | None = None  # prefix of the invoice number


def _filter(qs: QuerySet[Invoice], f: InvoiceFilters, as_of: date) -> QuerySet[Invoice]:
    q = Q()
    if f.customer:
        q &= Q(customer__code=f.customer)
    if f.status in ("open", "overdue"):
        q &= Q(settled_date__isnull=True)
        if f.status == "overdue":
            q &= Q(due_date__lt=as_of)
    elif f.status == "settled":
        q &= Q(settled_date__isnull=False)
    elif f.status == "disputed":
        q &= Q(is_disputed=True)
    if f.currency:
        q &= Q(currency=f.currency)
    if f.issue_from:
        q &= Q(issue_date__gte=f.issue_from)
    if f.issue_to:
        q &= Q(issue_date__lte=f.issue_to)
    if f.due_from:
        q &= Q(due_date__gte=f.due_from)
    if f.due_to:
        q &= Q(due_date__lte=f.due_to)
    if f.amount_min_minor is not None:
        q &= Q(amount_minor__gte=f.amount_min_minor)
    if f.amount_max_minor is not None:
        q &= Q(amount_minor__lte=f.amount_max_minor)
    if f.sales_rep:
        q &= Q(customer__sales_rep__name=f.sales_rep)
    if f.number:
        # The range lets the (company, number) unique index narrow the scan; LIKE alone cannot
        # use it on SQLite (case-insensitive LIKE) nor on PostgreSQL outside the C collation.
        q &= Q(number__gte=f.number, number__lt=f.number + "\U0010ffff", number__startswith=f.number)
    return qs.filter(q)


@dataclass(frozen=True)
class InvoicePage:
    count: int
    count_exact: bool  # False when more than COUNT_CAP invoices match
    items: list[Invoice] = field(default_factory=list)
    limit: int = 50
    offset: int = 0

    @property
    def has_next(self) -> bool:
        return len(self.items) == self.limit and (self.offset + self.limit < self.count
                                                   or not self.count_exact)


def filtered_invoices(user: User, company: Company, filters: InvoiceFilters,
                      as_of: date) -> QuerySet[Invoice]:
    """The invoices the user may see that match the filters (no order): the list and its export."""
    return _filter(invoices_in_scope(user, company), filters, as_of)


def invoice_page(user: User, company: Company, filters: InvoiceFilters, as_of: date,
                 sort: str = DEFAULT_SORT, limit: int = 50, offset: int = 0) -> InvoicePage:
    """One page of invoices (two queries whatever the page size) and a count capped at COUNT_CAP."""
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, offset)
    qs = filtered_invoices(user, company, filters, as_of)
    capped = qs.values("pk")[: COUNT_CAP + 1].count()
    items = list(
        qs.select_related("customer", "customer__sales_rep")
        .order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT]))[offset: offset + limit]
    )
    return InvoicePage(count=min(capped, COUNT_CAP), count_exact=capped <= COUNT_CAP,
                       items=items, limit=limit, offset=offset)


def invoice_by_number(user: User, company: Company, number: str) -> Invoice:
    invoice = (invoices_in_scope(user, company).select_related("customer", "customer__sales_rep")
               .filter(number=number).first())
    if invoice is None:
        raise NotFound(gettext_noop("no invoice {number}"), number=number)
    return invoice


def invoice_detail(user: User, company: Company, number: str) -> Invoice:
    """The invoice with its allocations (and their payment or credit note), instalments, disputes."""
    invoice = (
        invoices_in_scope(user, company)
        .select_related("customer", "customer__sales_rep", "contract")
        .prefetch_related(
            Prefetch("allocations", queryset=Allocation.objects.select_related("payment", "credit_note")
                     .order_by("applied_date", "id")),
            "instalments",
            Prefetch("disputes", queryset=Dispute.objects.order_by("-opened_date", "-id")),
        )
        .filter(number=number).first()
    )
    if invoice is None:
        raise NotFound(gettext_noop("no invoice {number}"), number=number)
    return invoice


def payment_by_reference(user: User, company: Company, reference: str) -> Payment:
    payment = payments_in_scope(user, company).select_related("customer").filter(
        reference=reference).first()
    if payment is None:
        raise NotFound(gettext_noop("no payment {reference}"), reference=reference)
    return payment


def with_allocated(qs: QuerySet) -> QuerySet:
    """Payments or credit notes annotated with `allocated_minor`, the sum of their allocations."""
    return qs.annotate(allocated_minor=Sum("allocations__amount_minor", default=0))


def payment_list(user: User, company: Company, customer: str | None = None,
                 unallocated_only: bool = False, limit: int = 50, offset: int = 0
                 ) -> tuple[int, list[Payment]]:
    qs = payments_in_scope(user, company)
    if customer:
        qs = qs.filter(customer__code=customer)
    qs = with_allocated(qs)
    if unallocated_only:
        qs = qs.filter(allocated_minor__lt=F("amount_minor"))
    limit = max(1, min(limit, MAX_LIMIT))
    count = qs.count()
    items = list(qs.select_related("customer").order_by("-received_date", "-id")[offset: offset + limit])
    return count, items


def credit_note_list(user: User, company: Company, customer: str | None = None,
                     limit: int = 50, offset: int = 0) -> tuple[int, list[CreditNote]]:
    qs = credit_notes_in_scope(user, company)
    if customer:
        qs = qs.filter(customer__code=customer)
    limit = max(1, min(limit, MAX_LIMIT))
    count = qs.count()
    items = list(with_allocated(qs).select_related("customer")
                 .order_by("-issue_date", "-id")[offset: offset + limit])
    return count, items


def allocation_list(user: User, company: Company, invoice: str | None = None,
                    payment: str | None = None, credit_note: str | None = None,
                    limit: int = 50, offset: int = 0) -> tuple[int, list[Allocation]]:
    qs = allocations_in_scope(user, company)
    if invoice:
        qs = qs.filter(invoice__number=invoice)
    if payment:
        qs = qs.filter(payment__reference=payment)
    if credit_note:
        qs = qs.filter(credit_note__number=credit_note)
    limit = max(1, min(limit, MAX_LIMIT))
    count = qs.count()
    items = list(qs.select_related("invoice", "payment", "credit_note")
                 .order_by("applied_date", "id")[offset: offset + limit])
    return count, items


def open_payments_of(user: User, company: Company, customer_id: int, currency: str) -> list[Payment]:
    """A customer's payments in `currency` with money not yet allocated, oldest first."""
    qs = with_allocated(payments_in_scope(user, company).filter(customer_id=customer_id,
                                                                 currency=currency))
    return list(qs.filter(allocated_minor__lt=F("amount_minor"))
                .order_by("received_date", "id")[:50])
