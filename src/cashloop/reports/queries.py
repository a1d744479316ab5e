"""Set-based reads for aging and collection metrics: each returns a small aggregate for the core.

No date arithmetic happens in SQL: every date compared against (bucket edges, as-of dates) is a
parameter computed by the core, so one query runs on SQLite and PostgreSQL and can use the
invoice indexes (company + issue/settled/due date, and the partial index on open items).

Open on D ⇔ issue_date ≤ D AND (settled_date IS NULL OR settled_date > D), kept in step with the
allocations by ledger.services. Open amount as of D = amount − paid_minor + allocations applied
after D (paid_minor is all allocations to date); the correlated sum only runs for invoices with
some payment, and finds nothing for today's state.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    Func,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from cashloop.accounts.access import customer_scope
from cashloop.core.aging import OpenAmount
from cashloop.core.fx import Rate, RateTable
from cashloop.ledger.models import Allocation, Company, ExchangeRate, Invoice

User = AbstractBaseUser | AnonymousUser | None

# The --by keys: the grouped columns (key, name) reached from an invoice.
BY_COLUMNS: dict[str, tuple[str, str]] = {
    "customer": ("customer__code", "customer__name"),
    "sales_rep": ("customer__sales_rep__name", "customer__sales_rep__name"),
    "department": ("customer__department", "customer__department"),
}


def open_invoices(company: Company, as_of: date, user: User = None) -> list[QuerySet[Invoice]]:
    """Invoices open on `as_of` within what `user` may see, as two disjoint querysets.

    Never settled (the partial index of open items) and settled after `as_of` (the settled-date
    index): each part uses its own index, where one OR would make SQLite scan by issue date.
    """
    base = Invoice.objects.filter(company=company, issue_date__lte=as_of).filter(
        customer_scope(user, company, "customer__"))
    return [base.filter(settled_date__isnull=True), base.filter(settled_date__gt=as_of)]


def open_minor_expression(as_of: date) -> Case:
    """Open amount as of `as_of` of each invoice row, in its own minor units."""
    later = (
        Allocation.objects.filter(invoice=OuterRef("pk"), applied_date__gt=as_of)
        .order_by()
        .annotate(total=Func(F("amount_minor"), function="SUM"))
        .values("total")
    )
    return Case(
        When(paid_minor=0, then=F("amount_minor")),
        default=F("amount_minor") - F("paid_minor") + Coalesce(Subquery(later), Value(0)),
    )


def bucket_expression(edges: Sequence[date]) -> Case:
    """Bucket index from the due-date edges the core computed (see aging.Buckets.due_date_edges)."""
    return Case(
        *[When(due_date__gte=edge, then=Value(i)) for i, edge in enumerate(edges)],
        default=Value(len(edges)),
        output_field=IntegerField(),
    )


def open_amounts_by_bucket(
    company: Company, as_of: date, edges: Sequence[date], by: str | None = None, user: User = None,
) -> tuple[list[OpenAmount], date | None]:
    """Open amount and count per currency (and `by` key) and bucket, and the oldest open issue date."""
    key_cols = BY_COLUMNS.get(by or "", ())
    cells: dict[tuple, list] = {}
    first = None
    for part in open_invoices(company, as_of, user):
        grouped = (
            part.annotate(bucket=bucket_expression(edges), open_minor=open_minor_expression(as_of))
            .values("currency", "bucket", *dict.fromkeys(key_cols))
            .annotate(amount=Sum("open_minor"), count=Count("id"), first_issue=Min("issue_date"))
            .order_by()
        )
        for row in grouped:
            key = row[key_cols[0]] if key_cols else None
            name = row[key_cols[1]] if key_cols else None
            cell = cells.setdefault((key or None, row["currency"], row["bucket"]), [name, 0, 0])
            cell[1] += int(row["amount"] or 0)
            cell[2] += row["count"]
            if first is None or row["first_issue"] < first:
                first = row["first_issue"]
    lines = [
        OpenAmount(currency=cur, bucket=bucket, amount_minor=amount, count=count, key=key,
                   name=name or None)
        for (key, cur, bucket), (name, amount, count) in cells.items()
    ]
    return lines, first


def _first_on_or_after(column: str, dates: Sequence[date], start: int = 0) -> Case:
    """Index k of the first date with column ≤ dates[k] (k ≥ start), len(dates) when none."""
    return Case(
        *[When(**{f"{column}__lte": d}, then=Value(k)) for k, d in enumerate(dates) if k >= start],
        default=Value(len(dates)),
        output_field=IntegerField(),
    )


def _whole_company(rows: QuerySet, column: str, company: Company) -> QuerySet:
    """Rows of `company` when most of them are needed.

    On SQLite the filter is written `company_id + 0 = ?` so that the table is read in order rather
    than through a company index with a lookup per row (several times slower for most of a
    table); PostgreSQL keeps the plain filter, whose row estimate lets it hash-aggregate.
    """
    if connection.vendor == "sqlite":
        return rows.annotate(company_key=F(column) + 0).filter(company_key=company.pk)
    return rows.filter(**{column: company.pk})


@dataclass
class ReceivablesHistory:
    """AR by currency at each date, the split of AR at the last date, and credit sales by day."""

    ar_at: dict[date, dict[str, int]]
    not_yet_due: dict[str, int]
    overdue: dict[str, int]
    open_count: int
    overdue_count: int
    daily_sales: dict[str, dict[date, int]]


def receivables_history(company: Company, dates: Sequence[date], user: User = None,
                        ) -> ReceivablesHistory:
    """Everything the metrics need, for ascending `dates` whose last is the as-of date D.

    One pass over the company's invoices, grouped by currency, issue date, the first date on or
    after settlement and "due on or after D" (a few thousand groups), and one grouped query over
    the allocations made before settlement. An invoice counts in AR(x) from the first date on or
    after its issue date until the first on or after its settled date; an allocation before
    settlement reduces it from the first date on or after both its applied and issue dates.
    """
    n = len(dates)
    as_of, first_day = dates[-1], dates[0]
    issue_index = {}
    diffs: dict[str, list[int]] = {}
    history = ReceivablesHistory({d: {} for d in dates}, {}, {}, 0, 0, {})

    def add(cur: str, lo: int, hi: int, amount: int, due_later: bool) -> None:
        if lo >= hi:
            return
        diff = diffs.setdefault(cur, [0] * (n + 1))
        diff[lo] += amount
        diff[hi] -= amount
        if hi == n:  # open at D, the last date
            split = history.not_yet_due if due_later else history.overdue
            split[cur] = split.get(cur, 0) + amount

    invoices = (
        _whole_company(Invoice.objects.all(), "company_id", company)
        .filter(customer_scope(user, company, "customer__"))
        .annotate(until_k=Case(When(settled_date__isnull=True, then=Value(n)),
                               default=_first_on_or_after("settled_date", dates)),
                  due_later=Case(When(due_date__gte=as_of, then=Value(1)), default=Value(0),
                                 output_field=IntegerField()))
        .values("currency", "issue_date", "until_k", "due_later")
        .annotate(amount=Sum("amount_minor"), count=Count("id"))
        .order_by()
    )
    for row in invoices:
        cur, issued, amount = row["currency"], row["issue_date"], int(row["amount"])
        if issued > as_of:
            continue
        by_day = history.daily_sales.setdefault(cur, {})
        by_day[issued] = by_day.get(issued, 0) + amount
        if issued not in issue_index:
            issue_index[issued] = bisect_left(dates, issued)
        lo, hi = issue_index[issued], row["until_k"]
        add(cur, lo, hi, amount, bool(row["due_later"]))
        if lo < hi == n:
            history.open_count += row["count"]
            history.overdue_count += 0 if row["due_later"] else row["count"]
    partial = (
        _whole_company(Allocation.objects.all(), "invoice__company_id", company)
        .annotate(settled_key=Coalesce("invoice__settled_date", Value(date.max)))
        .filter(invoice__paid_minor__gt=0, applied_date__lte=as_of,
                settled_key__gt=first_day, applied_date__lt=F("settled_key"))
        .filter(customer_scope(user, company, "invoice__customer__"))
        .annotate(
            from_k=Case(
                *[When(Q(applied_date__lte=d) & Q(invoice__issue_date__lte=d), then=Value(k))
                  for k, d in enumerate(dates)],
                default=Value(n), output_field=IntegerField(),
            ),
            until_k=Case(When(invoice__settled_date__isnull=True, then=Value(n)),
                         default=_first_on_or_after("invoice__settled_date", dates)),
            due_later=Case(When(invoice__due_date__gte=as_of, then=Value(1)), default=Value(0),
                           output_field=IntegerField()),
        )
        .values("invoice__currency", "from_k", "until_k", "due_later")
        .annotate(amount=Sum("amount_minor"))
        .order_by()
    )
    for row in partial:
        add(row["invoice__currency"], row["from_k"], row["until_k"], -int(row["amount"]),
            bool(row["due_later"]))
    for cur, diff in diffs.items():
        running = 0
        for k, d in enumerate(dates):
            running += diff[k]
            if running:
                history.ar_at[d][cur] = running
    return history


def rate_table(currencies: set[str], until: date) -> RateTable:
    """Every stored rate between `currencies` dated on or before `until`, in one query."""
    codes = sorted(currencies)
    rows = ExchangeRate.objects.filter(
        from_currency__in=codes, to_currency__in=codes, rate_date__lte=until
    ).values_list("from_currency", "to_currency", "rate_date", "rate")
    return RateTable(Rate(f, t, d, r) for f, t, d, r in rows)


def top_overdue_customers(company: Company, as_of: date, limit: int = 10, user: User = None,
                          ) -> list[tuple[str, str, str, int]]:
    """(code, name, currency, overdue open minor) of the customers owing most past due, per currency.

    One query per currency present (a handful), each taking its top `limit`; then one query for the
    candidates' overdue amounts in every currency, so their totals are complete.
    """
    never, later = open_invoices(company, as_of, user)
    overdue = (
        (never | later).filter(due_date__lt=as_of).annotate(open_minor=open_minor_expression(as_of))
    )
    currencies = list(overdue.values_list("currency", flat=True).distinct().order_by())
    candidates: set[str] = set()
    for cur in currencies:
        top = (overdue.filter(currency=cur).values("customer__code")
               .annotate(amount=Sum("open_minor")).order_by("-amount")[:limit])
        candidates.update(row["customer__code"] for row in top)
    rows = (overdue.filter(customer__code__in=candidates)
            .values("customer__code", "customer__name", "currency")
            .annotate(amount=Sum("open_minor")).order_by())
    return [(r["customer__code"], r["customer__name"], r["currency"], int(r["amount"] or 0))
            for r in rows]
