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
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Coalesce

from cashloop.accounts.access import customer_scope
from cashloop.core.aging import OpenAmount, bucket_for_due_date
from cashloop.core.fx import Rate, RateTable
from cashloop.ledger.models import (
    Allocation,
    Company,
    Customer,
    ExchangeRate,
    Invoice,
    ReceivableDay,
)
from cashloop.ledger.queries.hints import INVOICES, OPEN_BY_CUSTOMER, rows_with_index

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
    return open_invoices_by_scope(Invoice.objects.filter(company=company).filter(
        customer_scope(user, company, "customer__")), as_of)


def open_invoices_by_scope(invoices: QuerySet[Invoice], as_of: date) -> list[QuerySet[Invoice]]:
    """`invoices` open on `as_of`, as two disjoint parts (never settled; settled after `as_of`)."""
    base = invoices.filter(issue_date__lte=as_of)
    return [base.filter(settled_date__isnull=True), base.filter(settled_date__gt=as_of)]


def allocations_after(company: Company, as_of: date) -> bool:
    """Whether any allocation of the company applies after `as_of` (from the daily flows: an
    allocation leaves AR on or after its applied date, and collected amounts are positive)."""
    return ReceivableDay.objects.filter(company_id=company.pk, day__gt=as_of,
                                        collected_minor__gt=0).exists()


def open_items(company: Company, as_of: date, user: User = None,
               ) -> tuple[list[QuerySet[Invoice]], Case | CombinedExpression]:
    """The invoices open on `as_of` (as open_invoices) and the expression of their open amount.

    With no allocation applied after `as_of` (as of today, usually) nothing is settled after it
    either, so only the never-settled part is read, and its open amount is the amount less what
    is paid to date, without a lookup per paid invoice.
    """
    parts = open_invoices(company, as_of, user)
    if allocations_after(company, as_of):
        return parts, open_minor_expression(as_of)
    return parts[:1], F("amount_minor") - F("paid_minor")


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


def bucket_conditions(edges: Sequence[date]) -> list[Q]:
    """One condition on the due date per bucket, from the edges the core computed
    (aging.Buckets.due_date_edges): bucket 0 is due ≥ edges[0], bucket k edges[k] ≤ due < edges[k-1],
    the last due < edges[-1]."""
    conditions = [Q(due_date__gte=edges[0])]
    conditions += [Q(due_date__lt=edges[k - 1], due_date__gte=edges[k]) for k in range(1, len(edges))]
    return [*conditions, Q(due_date__lt=edges[-1])]


def open_amounts_by_bucket(
    company: Company, as_of: date, edges: Sequence[date], by: str | None = None, user: User = None,
    customer_ids: Sequence[int] | None = None,
) -> list[OpenAmount]:
    """Open amount and count per currency (and `by` key) and bucket.

    One row per currency (and key) with a sum and a count per bucket: grouped by currency alone,
    SQLite aggregates in the order of the settlement index instead of sorting. By customer, the
    invoices are grouped by customer id from that index alone and the codes and names read once
    afterwards (a join per open invoice costs several times more). `customer_ids` limits the
    invoices to those customers.
    """
    by_customer = by == "customer"
    key_cols = ("who",) if by_customer else BY_COLUMNS.get(by or "", ())
    parts, open_minor = open_items(company, as_of, user)
    conditions = bucket_conditions(edges)
    sums = {f"amount_{k}": Sum(Case(When(cond, then=open_minor), default=None))
            for k, cond in enumerate(conditions)}
    counts = {f"count_{k}": Count(Case(When(cond, then=Value(1)), default=None))
              for k, cond in enumerate(conditions)}
    cells: dict[tuple, list] = {}
    if customer_ids is not None:
        parts = [part.filter(customer_id__in=customer_ids) for part in parts]
    for i, part in enumerate(parts):
        if not key_cols:
            # The never-settled part (parts[0]) streams in the order of the settlement index;
            # grouped by issue day too, the part settled after as_of makes SQLite's planner
            # take the issue-date index instead, three times slower.
            _add_by_due_date(part, open_minor, edges, cells,
                             ("currency", "issue_date", "due_date") if i == 0 else
                             ("currency", "due_date"))
            continue
        grouped = (
            part.annotate(who=F("customer_id") + 0)
            .values("currency", *dict.fromkeys(key_cols))
            .annotate(**sums, **counts)
            .order_by()
        )
        for row in grouped:
            key = row[key_cols[0]] if key_cols else None
            name = row[key_cols[1]] if key_cols and not by_customer else None
            for bucket in range(len(conditions)):
                count = row[f"count_{bucket}"]
                if not count:
                    continue
                cell = cells.setdefault((key or None, row["currency"], bucket), [name, 0, 0])
                cell[1] += int(row[f"amount_{bucket}"] or 0)
                cell[2] += count
    names: dict[object, tuple[str, str]] = {}
    if by_customer and cells:
        customers = Customer.objects.filter(company=company)
        if customer_ids is not None:
            customers = customers.filter(pk__in=customer_ids)
        names = {pk: (code, name) for pk, code, name in customers
                 .values_list("pk", "code", "name").iterator(chunk_size=10_000)}
    lines = []
    for (key, cur, bucket), (name, amount, count) in cells.items():
        if by_customer:
            key, name = names[key]
        lines.append(OpenAmount(currency=cur, bucket=bucket, amount_minor=amount, count=count,
                                key=key or None, name=name or None))
    return lines


def _add_by_due_date(invoices: QuerySet[Invoice], open_minor: Case | CombinedExpression,
                     edges: Sequence[date], cells: dict[tuple, list],
                     columns: tuple[str, ...]) -> None:
    """Open amounts per currency and bucket, from sums grouped by `columns` (currency and due
    date at least) put in buckets here: a few thousand groups, which cost SQLite a fraction of
    one CASE sum per bucket over every open invoice."""
    grouped = (invoices.values(*columns)
               .annotate(amount=Sum(open_minor), count=Count("pk")).order_by())
    for row in grouped:
        cell = cells.setdefault((None, row["currency"], bucket_for_due_date(row["due_date"], edges)),
                                [None, 0, 0])
        cell[1] += int(row["amount"] or 0)
        cell[2] += row["count"]


def customers_by_open_amount(company: Company, as_of: date, weights: dict[str, Decimal],
                             limit: int, user: User = None) -> tuple[list[int], int]:
    """Ids of the `limit` customers with the largest open amount as of `as_of`, and how many
    customers have open items.

    Amounts of each currency count at `weights[currency]` (its rate to the reporting currency;
    1 when absent). The weighted sum only ranks — SQLite multiplies in floating point — and the
    caller computes the shown amounts exactly. One query (an OR of the two open parts), so that
    a customer's never-settled and settled-later invoices are ranked together.
    """
    parts, open_minor = open_items(company, as_of, user)
    base = parts[0] if len(parts) == 1 else parts[0] | parts[1]
    weighted = Case(
        *[When(currency=cur, then=open_minor * Value(rate)) for cur, rate in sorted(weights.items())
          if rate != 1],
        default=open_minor, output_field=DecimalField(max_digits=38, decimal_places=12))
    # Never-settled invoices alone (as of today) are read in customer order from the open
    # invoices' index (ledger.queries.hints); the OR of the two parts of a past date cannot use
    # it, and groups by `customer_id + 0` so that SQLite does not read every invoice through the
    # (company, customer, due date) index instead.
    one_part = len(parts) == 1
    ranked = (base.annotate(who=F("customer_id") if one_part else F("customer_id") + 0)
              .values("who")
              .annotate(total=Sum(weighted), customers=Window(Count("who"))).order_by()
              .order_by("-total", "who").values_list("who", "customers")[:limit])
    rows = rows_with_index(ranked, INVOICES, OPEN_BY_CUSTOMER) if one_part else list(ranked)
    return [who for who, _n in rows], (rows[0][1] if rows else 0)


def _bisect_case(column: str, dates: Sequence[date]) -> Case:
    """Index of the first of ascending `dates` on or after the column's value (as bisect_left),
    len(dates) when none."""
    return Case(
        *[When(**{f"{column}__lte": d}, then=Value(k)) for k, d in enumerate(dates)],
        default=Value(len(dates)), output_field=IntegerField(),
    )


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

    An invoice counts in AR(x) when issued on or before x and not settled by x; AR at each date
    is a running sum of entries (issue days) less exits (settlement days), with the allocations
    made before settlement taken off while they apply. Four grouped reads, each from a covering
    index in the order of its GROUP BY (so SQLite aggregates while it scans, without sorting):

    1. credit sales by issue day and currency (`invoice_by_issue`): the entries, and the sales;
    2. settled amounts by settlement day and currency (`invoice_by_settlement`): the exits. An
       invoice settled before its issue day (a data quirk) never counts in AR: it leaves on its
       issue day instead (read separately, only when there is one);
    3. invoices open at D by currency and "due on or after D" (the split, and the counts);
    4. allocations applied before their invoice was settled, from the day they apply (on or
       after both the allocation and the invoice) until settlement. settled_date is the day of
       the last allocation (ledger.services), so a settled invoice has such allocations only
       when it has more than one: those invoices are found first from the allocation index.
    """
    n = len(dates)
    as_of = dates[-1]
    history = ReceivablesHistory({d: {} for d in dates}, {}, {}, 0, 0, {})
    diffs: dict[str, list[int]] = {}

    def diff(cur: str) -> list[int]:
        return diffs.setdefault(cur, [0] * (n + 1))

    invoices = Invoice.objects.filter(company=company).filter(
        customer_scope(user, company, "customer__"))
    sales = (invoices.filter(issue_date__lte=as_of).values("issue_date", "currency")
             .annotate(amount=Sum("amount_minor")).order_by().values_list("issue_date", "currency",
                                                                           "amount"))
    for issued, cur, amount in sales:
        by_day = history.daily_sales.setdefault(cur, {})
        by_day[issued] = by_day.get(issued, 0) + int(amount)
        diff(cur)[bisect_left(dates, issued)] += int(amount)
    exits = (
        invoices.filter(settled_date__lte=as_of).values("settled_date", "currency")
        .annotate(
            amount=Sum(Case(When(issue_date__lte=F("settled_date"), then=F("amount_minor")),
                            default=Value(0))),
            early=Count(Case(When(issue_date__gt=F("settled_date"), then=Value(1)))),
        )
        .order_by().values_list("settled_date", "currency", "amount", "early")
    )
    early_days = []
    for settled, cur, amount, early in exits:
        diff(cur)[bisect_left(dates, settled)] -= int(amount or 0)
        if early:
            early_days.append(settled)
    if early_days:
        quirks = (invoices.filter(settled_date__in=early_days, issue_date__gt=F("settled_date"),
                                  issue_date__lte=as_of)
                  .values("issue_date", "currency").annotate(amount=Sum("amount_minor"))
                  .order_by().values_list("issue_date", "currency", "amount"))
        for issued, cur, amount in quirks:
            diff(cur)[bisect_left(dates, issued)] -= int(amount)
    due_later = Case(When(due_date__gte=as_of, then=Value(1)), default=Value(0),
                     output_field=IntegerField())
    # Never settled, and settled after D: two ranges of the settlement index (one OR would make
    # SQLite read the issue-date index and the table).
    open_now = [
        row for part in open_invoices_by_scope(invoices, as_of)
        for row in part.annotate(due_later=due_later).values("currency", "due_later")
        .annotate(amount=Sum("amount_minor"), count=Count("id")).order_by()
        .values_list("currency", "due_later", "amount", "count")
    ]
    for cur, later, amount, count in open_now:
        split = history.not_yet_due if later else history.overdue
        split[cur] = split.get(cur, 0) + int(amount)
        history.open_count += count
        history.overdue_count += 0 if later else count
    for cur, from_k, until_k, later, amount in _partial_allocations(company, dates, user):
        if from_k >= until_k:
            continue
        d = diff(cur)
        d[from_k] -= int(amount)
        d[until_k] += int(amount)
        if until_k == n:
            split = history.not_yet_due if later else history.overdue
            split[cur] = split.get(cur, 0) - int(amount)
    for cur, d in diffs.items():
        running = 0
        for k, day in enumerate(dates):
            running += d[k]
            if running:
                history.ar_at[day][cur] = running
    return history


def _partial_allocations(company: Company, dates: Sequence[date], user: User
                         ) -> list[tuple[str, int, int, int, int]]:
    """(currency, from k, until k, due on or after D, amount) of allocations made before their
    invoice was settled and still applying on the first date: never-settled invoices with some
    payment, and settled invoices with more than one allocation."""
    n = len(dates)
    as_of, first_day = dates[-1], dates[0]
    several = (Allocation.objects.values("invoice_id").annotate(count=Count("*"))
               .filter(count__gt=1).order_by().values("invoice_id"))
    base = (Allocation.objects.filter(invoice__company=company, applied_date__lte=as_of)
            .filter(customer_scope(user, company, "invoice__customer__")))
    parts = [
        base.filter(invoice__settled_date__isnull=True, invoice__paid_minor__gt=0),
        base.filter(invoice__settled_date__gt=first_day, invoice_id__in=several,
                    applied_date__lt=F("invoice__settled_date")),
    ]
    out = []
    for part in parts:
        grouped = (
            part.annotate(
                from_k=Case(
                    *[When(Q(applied_date__lte=d) & Q(invoice__issue_date__lte=d), then=Value(k))
                      for k, d in enumerate(dates)],
                    default=Value(n), output_field=IntegerField(),
                ),
                until_k=Case(When(invoice__settled_date__isnull=True, then=Value(n)),
                             default=_bisect_case("invoice__settled_date", dates)),
                due_later=Case(When(invoice__due_date__gte=as_of, then=Value(1)),
                               default=Value(0), output_field=IntegerField()),
            )
            .values("invoice__currency", "from_k", "until_k", "due_later")
            .annotate(amount=Sum("amount_minor")).order_by()
            .values_list("invoice__currency", "from_k", "until_k", "due_later", "amount")
        )
        out.extend(grouped)
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

    The top `limit` customers of each currency, with their overdue amounts in every currency (the
    caller converts and ranks across currencies), and their names. Overdue open amounts are grouped
    by customer id from the settlement index (no join per invoice). When no invoice can be open
    through a later settlement (no allocation after `as_of`, as today) the database ranks each
    currency and returns only its top; otherwise every customer's sum is read and ranked here.
    """
    parts, open_minor = open_items(company, as_of, user)

    def overdue_by_customer(part: QuerySet[Invoice], **filters: object) -> QuerySet:
        # Grouped by `customer_id + 0`: grouping by the bare column lets SQLite prefer the
        # (company, customer, due date) index for its order and read the whole table through it.
        return (part.filter(due_date__lt=as_of, **filters)
                .annotate(open_minor=open_minor, who=F("customer_id") + 0)
                .values("who", "currency").annotate(amount=Sum("open_minor")).order_by())

    totals: dict[tuple[int, str], int] = {}
    if len(parts) == 1:
        candidates: set[int] = set()
        currencies = ReceivableDay.objects.filter(company_id=company.pk).values_list(
            "currency", flat=True).distinct()
        for cur in sorted(set(currencies)):
            top = overdue_by_customer(parts[0], currency=cur).order_by("-amount", "who")[:limit]
            candidates.update(who for who, _amount in top.values_list("who", "amount"))
        rows = (overdue_by_customer(parts[0], customer_id__in=sorted(candidates))
                .values_list("who", "currency", "amount") if candidates else [])
        for who, cur, amount in rows:
            totals[who, cur] = int(amount or 0)
    else:
        for part in parts:
            for who, cur, amount in overdue_by_customer(part).values_list("who", "currency", "amount"):
                totals[who, cur] = totals.get((who, cur), 0) + int(amount or 0)
        by_currency: dict[str, list[tuple[int, int]]] = {}
        for (who, cur), amount in totals.items():
            by_currency.setdefault(cur, []).append((-amount, who))
        candidates = {who for ranked in by_currency.values() for _amount, who in sorted(ranked)[:limit]}
    names = {pk: (code, name) for pk, code, name in
             Customer.objects.filter(pk__in=candidates).values_list("pk", "code", "name")}
    return [(*names[who], cur, amount) for (who, cur), amount in totals.items() if who in candidates]
