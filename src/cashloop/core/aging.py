"""Aging (账龄): open amounts as of a date, split into buckets of days overdue.

Rule (issue 7, point 5): an invoice is open on D if issued on or before D and not fully paid by
allocations dated on or before D; its days overdue are D − due date (due today = not yet due).
Buckets are "not yet due" (days ≤ 0), then ranges of days overdue ending at each limit, then the
open-ended "over N". The core turns buckets and an as-of date into due-date edges, so that SQL only
compares due dates with parameters (no date arithmetic in SQL), and builds the report from the
small per-currency aggregate the SQL returns.

Invariant: in every report and every row, the buckets add up exactly to the total. Amounts in other
currencies are converted per bucket sum per currency, rounded half up once (money.ROUNDING), and
the total is the sum of the converted buckets.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from cashloop.core.fx import MissingRate, RateTable
from cashloop.core.money import format_minor
from cashloop.core.problems import Problem, gettext_noop

BY_KEYS = ("customer", "sales_rep", "department", "currency")


@dataclass(frozen=True, slots=True)
class Bucket:
    """A range of days overdue: from_days None = not yet due (to 0); to_days None = open-ended."""

    label: str
    from_days: int | None
    to_days: int | None

    def to_json(self) -> dict[str, object]:
        return {"label": self.label, "from_days": self.from_days, "to_days": self.to_days}


@dataclass(frozen=True, slots=True)
class Buckets:
    """Ascending upper limits of days overdue: (30, 60, 90) → not yet due, 1-30, 31-60, 61-90, over 90."""

    limits: tuple[int, ...]

    def __post_init__(self) -> None:
        if not self.limits:
            raise ValueError("buckets need at least one limit")
        if any(not isinstance(n, int) or isinstance(n, bool) or n < 1 for n in self.limits):
            raise ValueError("bucket limits are whole numbers of days ≥ 1")
        if any(b <= a for a, b in zip(self.limits, self.limits[1:], strict=False)):
            raise ValueError("bucket limits must increase")

    @classmethod
    def parse(cls, text: str) -> Buckets | Problem:
        """Buckets from '30,60,90', or a Problem saying why not."""
        parts = [p.strip() for p in text.replace("，", ",").split(",") if p.strip()]
        try:
            limits = tuple(int(p) for p in parts)
            return cls(limits)
        except ValueError:
            return Problem(
                source="--buckets", field="buckets", code="aging.bad_buckets",
                message=gettext_noop(
                    "buckets must be increasing whole numbers of days, like 30,60,90: {value}"),
                params=(("value", text),),
            )

    @property
    def buckets(self) -> tuple[Bucket, ...]:
        out = [Bucket("not yet due", None, 0)]
        low = 1
        for limit in self.limits:
            out.append(Bucket(f"{low}-{limit}", low, limit))
            low = limit + 1
        out.append(Bucket(f"over {self.limits[-1]}", self.limits[-1] + 1, None))
        return tuple(out)

    def due_date_edges(self, as_of: date) -> tuple[date, ...]:
        """Due-date lower edges: bucket 0 is due ≥ edges[0]; bucket k is edges[k] ≤ due < edges[k-1].

        The last bucket is due < edges[-1]. Days overdue d = as_of − due, so d ≤ 0 ⇔ due ≥ as_of and
        d ≤ N ⇔ due ≥ as_of − N.
        """
        return (as_of, *(as_of - timedelta(days=n) for n in self.limits))

    def index_for_days(self, days_overdue: int) -> int:
        """The bucket of an invoice `days_overdue` days past due (≤ 0: not yet due)."""
        if days_overdue <= 0:
            return 0
        for i, limit in enumerate(self.limits, start=1):
            if days_overdue <= limit:
                return i
        return len(self.limits) + 1

    def index_for_due_date(self, due_date: date, edges: Sequence[date]) -> int:
        """The bucket of a due date, by the edges alone (what the SQL CASE does)."""
        return bucket_for_due_date(due_date, edges)


def bucket_for_due_date(due_date: date, edges: Sequence[date]) -> int:
    """The bucket of a due date given `Buckets.due_date_edges` (descending dates)."""
    for i, edge in enumerate(edges):
        if due_date >= edge:
            return i
    return len(edges)


DEFAULT_BUCKETS = Buckets((30, 60, 90))


@dataclass(frozen=True, slots=True)
class OpenAmount:
    """One line of the SQL aggregate: open minor units of one currency in one bucket (of one key)."""

    currency: str
    bucket: int
    amount_minor: int
    count: int = 0
    key: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class AgingRow:
    key: str | None
    name: str | None
    currency: str
    bucket_minor: tuple[int, ...]

    @property
    def total_minor(self) -> int:
        return sum(self.bucket_minor)


@dataclass(frozen=True, slots=True)
class AgingReport:
    as_of: date
    currency: str | None  # None only with by=currency when a rate to the reporting currency is missing
    buckets: tuple[Bucket, ...]
    bucket_minor: tuple[int, ...] | None
    by: str | None = None
    rows: tuple[AgingRow, ...] = ()
    counts: tuple[int, ...] = ()
    missing_rate: str | None = None

    @property
    def total_minor(self) -> int | None:
        return None if self.bucket_minor is None else sum(self.bucket_minor)

    def to_json(self) -> dict[str, object]:
        """The stable JSON contract of `cashloop aging --format json` and GET /api/reports/aging."""
        out: dict[str, object] = {
            "as_of": self.as_of.isoformat(),
            "currency": self.currency,
            "buckets": _buckets_json(self.buckets, self.bucket_minor, self.currency),
            "total": _amount(self.total_minor, self.currency),
        }
        if self.by is not None:
            out["by"] = self.by
            out["rows"] = [
                {
                    "key": row.key,
                    "name": row.name,
                    "currency": row.currency,
                    "buckets": _buckets_json(self.buckets, row.bucket_minor, row.currency),
                    "total": _amount(row.total_minor, row.currency),
                }
                for row in self.rows
            ]
        if self.missing_rate:
            out["missing_rate"] = self.missing_rate
        return out


def _amount(minor: int | None, currency: str | None) -> str | None:
    if minor is None or currency is None:
        return None
    return format_minor(minor, currency)


def _buckets_json(buckets: Sequence[Bucket], minor: Sequence[int] | None,
                  currency: str | None) -> list[dict[str, object]]:
    return [
        {**b.to_json(), "amount": _amount(None if minor is None else minor[i], currency)}
        for i, b in enumerate(buckets)
    ]


def _sum_by_currency(lines: Iterable[OpenAmount], n: int) -> dict[str, list[int]]:
    sums: dict[str, list[int]] = {}
    for line in lines:
        sums.setdefault(line.currency, [0] * n)[line.bucket] += line.amount_minor
    return sums


def _converted(sums: Mapping[str, Sequence[int]], currency: str, rates: RateTable, as_of: date,
               n: int) -> tuple[int, ...]:
    """Each bucket sum of each currency converted and rounded once, then added up."""
    out = [0] * n
    for cur, values in sums.items():
        for i, v in enumerate(values):
            out[i] += v if cur == currency else rates.convert_minor(v, cur, currency, as_of)
    return tuple(out)


def build_report(
    as_of: date,
    buckets: Buckets,
    lines: Sequence[OpenAmount],
    currency: str,
    rates: RateTable,
    by: str | None = None,
) -> AgingReport:
    """The aging report from the SQL aggregate, converted to `currency` at the rates on `as_of`.

    A missing rate raises fx.MissingRate, except with by=currency: each row keeps its own money, and
    the top level is left empty (currency None) with the missing pair named.
    """
    n = len(buckets.buckets)
    sums = _sum_by_currency(lines, n)
    counts = [0] * n
    for line in lines:
        counts[line.bucket] += line.count
    top: tuple[int, ...] | None
    report_currency: str | None = currency
    missing_rate = None
    try:
        top = _converted(sums, currency, rates, as_of, n)
    except MissingRate as exc:
        if by != "currency":
            raise
        top, report_currency, missing_rate = None, None, exc.message
    rows: list[AgingRow] = []
    if by == "currency":
        rows = [AgingRow(cur, cur, cur, tuple(values)) for cur, values in sorted(sums.items())]
    elif by is not None:
        groups: dict[str | None, list[OpenAmount]] = {}
        names: dict[str | None, str | None] = {}
        for line in lines:
            groups.setdefault(line.key, []).append(line)
            names.setdefault(line.key, line.name)
        for key in sorted(groups, key=lambda k: (k is None, k or "")):
            values = _converted(_sum_by_currency(groups[key], n), currency, rates, as_of, n)
            rows.append(AgingRow(key, names[key], currency, values))
    return AgingReport(
        as_of=as_of, currency=report_currency, buckets=buckets.buckets, bucket_minor=top, by=by,
        rows=tuple(rows), counts=tuple(counts), missing_rate=missing_rate,
    )


@dataclass(frozen=True, slots=True)
class InvoiceState:
    """One invoice and its allocations, for the direct (reference) computation."""

    currency: str
    amount_minor: int
    issue_date: date
    due_date: date
    allocations: tuple[tuple[date, int], ...] = ()
    key: str | None = None


def open_minor_as_of(invoice: InvoiceState, as_of: date) -> int:
    """Amount less allocations applied on or before `as_of`; 0 when not yet issued."""
    if invoice.issue_date > as_of:
        return 0
    return invoice.amount_minor - sum(a for d, a in invoice.allocations if d <= as_of)


def lines_from_invoices(invoices: Iterable[InvoiceState], as_of: date,
                        buckets: Buckets) -> list[OpenAmount]:
    """The aggregate computed directly, invoice by invoice: the reference the SQL must equal."""
    acc: dict[tuple[str | None, str, int], list[int]] = {}
    for inv in invoices:
        open_minor = open_minor_as_of(inv, as_of)
        if open_minor <= 0:
            continue
        index = buckets.index_for_days((as_of - inv.due_date).days)
        cell = acc.setdefault((inv.key, inv.currency, index), [0, 0])
        cell[0] += open_minor
        cell[1] += 1
    return [OpenAmount(cur, b, v[0], v[1], key, key) for (key, cur, b), v in sorted(
        acc.items(), key=lambda kv: (kv[0][0] or "", kv[0][1], kv[0][2]))]
