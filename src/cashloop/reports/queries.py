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

from collections.abc import Sequence
from datetime import date

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
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


def open_invoices(company: Company, as_of: date, user: User = None) -> QuerySet[Invoice]:
    """Invoices open on `as_of`, within what `user` may see."""
    return (
        Invoice.objects.filter(company=company, issue_date__lte=as_of)
        .filter(Q(settled_date__isnull=True) | Q(settled_date__gt=as_of))
        .filter(customer_scope(user, company, "customer__"))
    )


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
    grouped = (
        open_invoices(company, as_of, user)
        .annotate(bucket=bucket_expression(edges), open_minor=open_minor_expression(as_of))
        .values("currency", "bucket", *dict.fromkeys(key_cols))
        .annotate(amount=Sum("open_minor"), count=Count("id"), first_issue=Min("issue_date"))
        .order_by()
    )
    lines, first = [], None
    for row in grouped:
        key = row[key_cols[0]] if key_cols else None
        name = row[key_cols[1]] if key_cols else None
        lines.append(OpenAmount(
            currency=row["currency"], bucket=row["bucket"], amount_minor=int(row["amount"] or 0),
            count=row["count"], key=key or None, name=name or None,
        ))
        if first is None or row["first_issue"] < first:
            first = row["first_issue"]
    return lines, first


def _first_on_or_after(column: str, dates: Sequence[date], start: int) -> Case:
    """Index k of the first date with column ≤ dates[k] (k ≥ start), len(dates) when none."""
    return Case(
        *[When(**{f"{column}__lte": d}, then=Value(k)) for k, d in enumerate(dates) if k >= start],
        default=Value(len(dates)),
        output_field=IntegerField(),
    )


def ar_at_dates(company: Company, dates: Sequence[date], user: User = None,
                ) -> tuple[dict[date, dict[str, int]], date | None]:
    """AR (open amount) by currency at each of the ascending `dates`, in two grouped queries.

    An invoice counts at x from the first date on or after its issue date until the first on or
    after its settled date; an allocation before settlement reduces it from the first date on or
    after both its applied date and the issue date. Also returns the oldest issue date involved.
    """
    n = len(dates)
    first_day, last_day = dates[0], dates[-1]
    scope = customer_scope(user, company, "customer__")
    invoices = (
        Invoice.objects.filter(company=company, issue_date__lte=last_day)
        .filter(Q(settled_date__isnull=True) | Q(settled_date__gt=first_day))
        .filter(scope)
        .annotate(
            from_k=_first_on_or_after("issue_date", dates, 0),
            until_k=Case(When(settled_date__isnull=True, then=Value(n)),
                         default=_first_on_or_after("settled_date", dates, 1)),
        )
        .values("currency", "from_k", "until_k")
        .annotate(amount=Sum("amount_minor"), first_issue=Min("issue_date"))
        .order_by()
    )
    ar: dict[date, dict[str, int]] = {d: {} for d in dates}
    first: date | None = None
    for row in invoices:
        for k in range(row["from_k"], row["until_k"]):
            cell = ar[dates[k]]
            cell[row["currency"]] = cell.get(row["currency"], 0) + int(row["amount"])
        if first is None or row["first_issue"] < first:
            first = row["first_issue"]
    from_k = Case(
        *[When(Q(applied_date__lte=d) & Q(invoice__issue_date__lte=d), then=Value(k))
          for k, d in enumerate(dates)],
        default=Value(n), output_field=IntegerField(),
    )
    partial = (
        Allocation.objects.filter(company=company, applied_date__lte=last_day,
                                  invoice__issue_date__lte=last_day)
        .filter(Q(invoice__settled_date__isnull=True)
                | (Q(invoice__settled_date__gt=first_day)
                   & Q(applied_date__lt=F("invoice__settled_date"))))
        .filter(customer_scope(user, company, "invoice__customer__"))
        .annotate(
            from_k=from_k,
            until_k=Case(When(invoice__settled_date__isnull=True, then=Value(n)),
                         default=_first_on_or_after("invoice__settled_date", dates, 1)),
        )
        .values("invoice__currency", "from_k", "until_k")
        .annotate(amount=Sum("amount_minor"))
        .order_by()
    )
    for row in partial:
        for k in range(row["from_k"], row["until_k"]):
            cell = ar[dates[k]]
            cur = row["invoice__currency"]
            cell[cur] = cell.get(cur, 0) - int(row["amount"])
    return ar, first


def daily_credit_sales(company: Company, after: date, until: date, user: User = None,
                       ) -> dict[str, dict[date, int]]:
    """Invoiced amounts by currency and issue date for invoices issued in (after, until]."""
    rows = (
        Invoice.objects.filter(company=company, issue_date__gt=after, issue_date__lte=until)
        .filter(customer_scope(user, company, "customer__"))
        .values("currency", "issue_date")
        .annotate(amount=Sum("amount_minor"))
        .order_by()
    )
    out: dict[str, dict[date, int]] = {}
    for row in rows:
        out.setdefault(row["currency"], {})[row["issue_date"]] = int(row["amount"])
    return out


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
    overdue = (
        open_invoices(company, as_of, user).filter(due_date__lt=as_of)
        .annotate(open_minor=open_minor_expression(as_of))
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
