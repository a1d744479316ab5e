"""Reading customers: the filtered, sorted, paged list with open and overdue balances, and one
customer's page (open items, payments, contacts, contracts, disputes, aging, days late).

Balances are as of today over open invoices only (`settled_date IS NULL`; open = amount − paid;
overdue when due_date < as_of), so the partial index on open invoices does the work. A row's figures
are in the customer's currency (the company's base currency when the customer has none); open
invoices in another currency are listed on the customer page but never added to these sums.
The list takes a fixed number of queries whatever the page size: sorted by code or name, the page's
customers are read first and one grouped query sums their open invoices; sorted by a balance, one
grouped query over customers joined to their open invoices is ordered and limited in SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    Case,
    F,
    IntegerField,
    Max,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)

from cashloop.accounts.access import customer_scope
from cashloop.ledger.models import (
    Company,
    Contract,
    Customer,
    Invoice,
    SalesRep,
)
from cashloop.ledger.queries.hints import (
    INVOICES,
    OPEN_BY_CUSTOMER,
    count_with_index,
    rows_with_index,
)

SORTS = ("code", "name", "open_balance", "overdue", "credit_use")
SORT_CHOICES = (*SORTS, *(f"-{s}" for s in SORTS))
MAX_LIMIT = 500
OPEN_ITEMS_SHOWN = 200
PAYMENTS_SHOWN = 100


@dataclass(frozen=True)
class CustomerFilters:
    search: str = ""  # part of code, name or tax id
    sales_rep: str = ""  # sales rep name
    department: str = ""
    tier: str = ""
    currency: str = ""
    country: str = ""
    has_overdue: bool | None = None
    sort: str = "code"  # one of SORT_CHOICES; '-' for descending
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class CustomerRow:
    code: str
    name: str
    tax_id: str
    industry: str
    country: str
    currency: str  # the row's money: the customer's currency or the company's base currency
    sales_rep: str | None
    department: str
    tier: str
    payment_terms: str | None
    credit_limit_minor: int | None
    open_minor: int
    overdue_minor: int

    @property
    def credit_use_pct(self) -> Decimal | None:
        """Open balance as a percent of the credit limit; None without a (positive) limit."""
        if not self.credit_limit_minor:
            return None
        ratio = Decimal(self.open_minor) * 100 / Decimal(self.credit_limit_minor)
        return ratio.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class CustomerPage:
    as_of: date
    count: int
    rows: list[CustomerRow]
    filters: CustomerFilters


def _clean(text: str) -> str:
    return text.replace("\x00", "").strip()


def _row_currency(company: Company) -> Case:
    return Case(When(currency="", then=Value(company.base_currency)), default=F("currency"))


def filtered_customers(company: Company, user: Any, filters: CustomerFilters, as_of: date) -> QuerySet:
    """The customers the user may see that match the filters (no balances, no order)."""
    rows = (Customer.objects.filter(company=company).filter(customer_scope(user, company))
            .annotate(row_currency=_row_currency(company)))
    if search := _clean(filters.search)[:200]:
        rows = rows.filter(Q(code__icontains=search) | Q(name__icontains=search)
                           | Q(tax_id__icontains=search))
    if rep := _clean(filters.sales_rep):
        rows = rows.filter(sales_rep__name=rep)
    for name in ("department", "tier", "country"):
        if value := _clean(getattr(filters, name)):
            rows = rows.filter(**{name: value})
    if currency := _clean(filters.currency).upper():
        rows = rows.filter(row_currency=currency)
    if filters.has_overdue is not None:
        # Overdue in any currency; an IN over the open-invoice index, not a per-customer EXISTS.
        overdue = Invoice.objects.filter(
            company=company, settled_date__isnull=True, due_date__lt=as_of).values("customer_id")
        rows = rows.filter(pk__in=overdue) if filters.has_overdue else rows.exclude(pk__in=overdue)
    return rows


def _row(customer: Customer, currency: str, open_minor: int, overdue_minor: int) -> CustomerRow:
    return CustomerRow(
        code=customer.code, name=customer.name, tax_id=customer.tax_id, industry=customer.industry,
        country=customer.country, currency=currency,
        sales_rep=customer.sales_rep.name if customer.sales_rep else None,
        department=customer.department, tier=customer.tier,
        payment_terms=customer.payment_terms.code if customer.payment_terms else None,
        credit_limit_minor=customer.credit_limit_minor,
        open_minor=open_minor, overdue_minor=overdue_minor,
    )


def _open_amount() -> Any:
    return F("amount_minor") - F("paid_minor")


def open_balances(company: Company, customer_ids: Sequence[int], as_of: date
                  ) -> dict[tuple[int, str], tuple[int, int]]:
    """(customer id, currency) → (open, overdue) minor units, in one grouped query."""
    if not customer_ids:
        return {}
    grouped = (
        Invoice.objects.filter(company=company, customer_id__in=list(customer_ids),
                               settled_date__isnull=True)
        .values("customer_id", "currency")
        .annotate(
            open_minor=Sum(_open_amount()),
            overdue_minor=Sum(Case(When(due_date__lt=as_of, then=_open_amount()),
                                   default=Value(0), output_field=IntegerField())),
        )
        .order_by()
    )
    return {(g["customer_id"], g["currency"]): (g["open_minor"] or 0, g["overdue_minor"] or 0)
            for g in grouped}


def customer_page(company: Company, user: Any, filters: CustomerFilters, as_of: date) -> CustomerPage:
    """One page of the customer list with each row's open and overdue balance as of `as_of`."""
    limit = max(1, min(int(filters.limit), MAX_LIMIT))
    offset = max(0, min(int(filters.offset), 10**9))
    sort = filters.sort if filters.sort in SORT_CHOICES else "code"
    descending, key = sort.startswith("-"), sort.lstrip("-")
    base = filtered_customers(company, user, filters, as_of)
    count = base.count()
    if key in ("code", "name"):
        order = [f"-{key}" if descending else key, "code", "pk"]
        ids = list(base.order_by(*order).values_list("pk", flat=True)[offset:offset + limit])
    else:
        narrowed = bool(customer_scope(user, company)) or _has_filters(filters)
        ids = _ids_by_balance(company, base, key, descending, as_of, offset, limit, count, narrowed,
                              filters.has_overdue)
    customers = Customer.objects.select_related("sales_rep", "payment_terms").in_bulk(ids)
    balances = open_balances(company, ids, as_of)
    rows = []
    for pk in ids:
        c = customers[pk]
        currency = c.currency or company.base_currency
        rows.append(_row(c, currency, *balances.get((pk, currency), (0, 0))))
    return CustomerPage(as_of=as_of, count=count, rows=rows, filters=filters)


def _has_filters(filters: CustomerFilters) -> bool:
    """Filters on customer fields (has_overdue is applied to the grouped invoices instead)."""
    return any(_clean(getattr(filters, name)) for name in (
        "search", "sales_rep", "department", "tier", "currency", "country",
    ))


def _ids_by_balance(company: Company, base: QuerySet, key: str, descending: bool, as_of: date,
                    offset: int, limit: int, count: int, narrowed: bool,
                    has_overdue: bool | None = None) -> list[int]:
    """Page of customer ids ordered by a balance: one grouped query over open invoices only.

    The "head" is the customers with a positive sort key, ordered and limited in SQL; the others
    (nothing open in their currency, nothing overdue, or no credit limit) form the "tail", ordered
    by code, after the head when descending and before it when ascending. The tail and the head's
    size are read only when the page reaches them.
    """
    amount = F("amount_minor") - F("paid_minor")
    in_currency = Q(currency=F("customer__currency")) | (
        Q(customer__currency="") & Q(currency=company.base_currency))
    head = Invoice.objects.filter(company=company, settled_date__isnull=True)
    if narrowed:
        head = head.filter(customer_id__in=base.values("pk"))
    if key == "credit_use":
        head = head.filter(customer__credit_limit_minor__gt=0)
    # One sum only (the sort key's), so the grouped rows stay small enough to hash in memory.
    counted = in_currency & Q(due_date__lt=as_of) if key == "overdue" else in_currency
    head = head.values("customer_id").annotate(amount=Sum(amount, filter=counted))
    if has_overdue is not None:  # overdue in any currency, as in filtered_customers
        head = head.annotate(any_overdue=Sum(amount, filter=Q(due_date__lt=as_of)))
        head = head.filter(any_overdue__gt=0) if has_overdue else head.filter(any_overdue__isnull=True)
    column = "amount"
    if key == "credit_use":
        column = "use_bp"
        head = head.annotate(use_bp=F("amount") * 10000 / Max("customer__credit_limit_minor"))
    # A positive amount puts a customer in the head; with credit_use, a tiny use that rounds to
    # 0 basis points still ranks above customers with nothing open.
    head = head.filter(amount__gt=0).order_by(
        F(column).desc() if descending else F(column).asc(), "customer_id")
    tail = base.exclude(pk__in=head.values("customer_id")).order_by(
        Case(When(credit_limit_minor__gt=0, then=Value(0)), default=Value(1)) if key == "credit_use"
        else Value(0), "code", "pk").values_list("pk")
    def head_ids(start: int, stop: int) -> list[int]:
        return [row[0] for row in rows_with_index(head.values_list("customer_id")[start:stop],
                                                  INVOICES, OPEN_BY_CUSTOMER)]

    def tail_ids(start: int, stop: int) -> list[int]:
        return [row[0] for row in rows_with_index(tail[start:stop], INVOICES, OPEN_BY_CUSTOMER)]

    if descending:
        ids = head_ids(offset, offset + limit)
        if len(ids) < limit:
            in_head = (offset + len(ids) if ids or offset == 0
                       else count_with_index(head, INVOICES, OPEN_BY_CUSTOMER))
            start = max(0, offset - in_head)
            ids += tail_ids(start, start + limit - len(ids))
        return ids
    # Ascending: the tail first. A full page of it needs no count of the head; a short one ends
    # the tail, so where the head starts is known without counting unless the page is past it.
    ids = tail_ids(offset, offset + limit)
    if len(ids) < limit:
        in_tail = (offset + len(ids) if ids or offset == 0
                   else count - count_with_index(head, INVOICES, OPEN_BY_CUSTOMER))
        start = max(0, offset - in_tail)
        ids += head_ids(start, start + limit - len(ids))
    return ids


def filter_choices(company: Company, user: Any) -> dict[str, list[str]]:
    """Values offered in the list's filter menus (sales reps, departments, tiers, ...)."""
    visible = Customer.objects.filter(company=company).filter(customer_scope(user, company))
    names = ("department", "tier", "country", "currency")
    combinations = list(visible.order_by().values_list(*names).distinct())
    out: dict[str, list[str]] = {
        name: sorted({combo[k] for combo in combinations if combo[k]})
        for k, name in enumerate(names)
    }
    reps = SalesRep.objects.filter(company=company)
    if scope := customer_scope(user, company, "customers__"):
        reps = reps.filter(scope)
    out["sales_rep"] = list(reps.order_by("name").values_list("name", flat=True).distinct())
    return out


# ---- one customer ---------------------------------------------------------------------------

def contracts_for(company: Company, user: Any, customer_code: str = "", limit: int = 100,
                  offset: int = 0) -> tuple[int, list[Contract]]:
    """Contracts the user may see, optionally of one customer, with the total count."""
    rows = (Contract.objects.filter(company=company)
            .filter(customer_scope(user, company, "customer__")))
    if code := _clean(customer_code):
        rows = rows.filter(customer__code=code)
    count = rows.count()
    page = list(rows.select_related("customer", "payment_terms")
                .order_by("number", "pk")[offset:offset + limit])
    return count, page
