"""Collection metrics (回款指标) as of a date D over a period of P days.

Definitions (issue 7, point 6; AR(x) = open amount as of x, as in aging; credit sales = invoices
issued in (D − P, D], converted to the reporting currency):

- dso_standard (标准 DSO, 应收账款周转天数) = AR(D) / credit sales × P
- dso_countback (倒推法 DSO): walk back over calendar months from D's month (its 1st day to D); for
  a month with credit sales S and L days: if remaining AR ≥ S add L days and subtract S, else add
  L × remaining / S and stop. The walk stops when no AR remains; if the history of credit sales runs
  out first, the days counted so far are the result (None when there were no credit sales at all).
- best_possible_dso (最佳可能 DSO) = not-yet-due AR(D) / credit sales × P
- average_days_delinquent (平均逾期天数, ADD) = dso_standard − best_possible_dso
- cei (回款有效性指数) = (AR(D − P) + credit sales − AR(D)) / (AR(D − P) + credit sales − overdue AR(D)) × 100
- ar_turnover (应收账款周转率) = credit sales / ((AR(D − P) + AR(D)) / 2); ar_turnover_days = P / ar_turnover
- overdue_rate_amount / overdue_rate_count (逾期率), in percent: overdue AR(D) / AR(D) × 100 and
  overdue open invoices / open invoices × 100.

Every ratio is exact Decimal arithmetic on the reported (rounded) amounts, shown with two decimals
rounded half up; a zero denominator gives None, never an error.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, localcontext

from cashloop.core.fx import MissingRate, RateTable
from cashloop.core.money import ROUNDING, format_minor

TWO_PLACES = Decimal("0.01")
TREND_MONTHS = 12

def _div(numerator: Decimal | int, denominator: Decimal | int) -> Decimal | None:
    if denominator == 0:
        return None
    with localcontext() as ctx:
        ctx.prec = 40
        ctx.rounding = ROUNDING
        return Decimal(numerator) / Decimal(denominator)


def dso_standard(ar_minor: int, credit_sales_minor: int, period_days: int) -> Decimal | None:
    ratio = _div(ar_minor, credit_sales_minor)
    return None if ratio is None else ratio * period_days


def dso_countback(ar_minor: int, months: Sequence[tuple[int, int]]) -> Decimal | None:
    """Countback DSO from (days, credit sales) per month, newest month first."""
    remaining = Decimal(ar_minor)
    days = Decimal(0)
    if remaining <= 0:
        return Decimal(0)
    if not any(s for _, s in months):
        return None
    for length, sales in months:
        if remaining >= sales:
            days += length
            remaining -= sales
            if remaining == 0:
                break
        else:
            portion = _div(remaining * length, sales)
            days += portion if portion is not None else 0
            break
    return days


def month_spans(as_of: date, earliest: date) -> list[tuple[date, date]]:
    """(first day, last day) of each calendar month from as_of's back to earliest's, newest first.

    The newest month ends at as_of (counted from its 1st day to as_of).
    """
    spans = []
    end = as_of
    start = as_of.replace(day=1)
    floor = earliest.replace(day=1)
    while start >= floor:
        spans.append((start, end))
        end = start - timedelta(days=1)
        start = end.replace(day=1)
    return spans


def trend_dates(as_of: date, months: int = TREND_MONTHS) -> list[date]:
    """Month-end as-of dates of the last `months` months, oldest first; the newest is as_of itself."""
    out = [as_of]
    end = as_of.replace(day=1) - timedelta(days=1)
    for _ in range(months - 1):
        out.append(end)
        end = end.replace(day=1) - timedelta(days=1)
    return sorted(out)


def _days_in(start: date, end: date) -> int:
    return (end - start).days + 1


class SalesHistory:
    """Credit sales by currency and issue day: the small aggregate every window is cut from."""

    def __init__(self, daily: Mapping[str, Mapping[date, int]]) -> None:
        self.daily = daily
        self._days: dict[str, list[date]] = {}
        self._cumulative: dict[str, list[int]] = {}
        for cur, by_day in daily.items():
            days = sorted(by_day)
            running, sums = 0, []
            for d in days:
                running += by_day[d]
                sums.append(running)
            self._days[cur], self._cumulative[cur] = days, sums

    def _through(self, cur: str, day: date) -> int:
        i = bisect_right(self._days[cur], day)
        return self._cumulative[cur][i - 1] if i else 0

    def between(self, after: date, until: date) -> dict[str, int]:
        """Sales issued in (after, until], by currency."""
        return {cur: self._through(cur, until) - self._through(cur, after) for cur in self._days}

    @property
    def earliest(self) -> date | None:
        days = [d for by_day in self.daily.values() for d, v in by_day.items() if v]
        return min(days) if days else None


def convert_all(by_currency: Mapping[str, int], currency: str, day: date, rates: RateTable) -> int:
    """A per-currency mapping in the reporting currency: each converted and rounded once, then summed."""
    return sum(
        v if cur == currency else rates.convert_minor(v, cur, currency, day)
        for cur, v in by_currency.items() if v
    )


def countback_for(as_of: date, ar_minor: int, sales: SalesHistory, currency: str,
                  rates: RateTable) -> Decimal | None:
    earliest = sales.earliest
    if earliest is None or earliest > as_of:
        return dso_countback(ar_minor, [])
    months = []
    for start, end in month_spans(as_of, earliest):
        s = convert_all(sales.between(start - timedelta(days=1), end), currency, as_of, rates)
        months.append((_days_in(start, end), s))
    return dso_countback(ar_minor, months)


@dataclass(frozen=True, slots=True)
class TrendPoint:
    month: str
    as_of: date
    ar_minor: int | None
    credit_sales_minor: int | None
    dso_standard: Decimal | None
    dso_countback: Decimal | None


@dataclass(frozen=True, slots=True)
class CollectionMetrics:
    as_of: date
    period_days: int
    currency: str
    ar_minor: int
    overdue_minor: int
    not_yet_due_minor: int
    credit_sales_minor: int
    ar_start_minor: int
    open_count: int
    overdue_count: int
    dso_standard: Decimal | None
    dso_countback: Decimal | None
    best_possible_dso: Decimal | None
    average_days_delinquent: Decimal | None
    cei: Decimal | None
    ar_turnover: Decimal | None
    ar_turnover_days: Decimal | None
    overdue_rate_amount: Decimal | None
    overdue_rate_count: Decimal | None
    trend: tuple[TrendPoint, ...] = ()

    RATIOS = (
        "dso_standard", "dso_countback", "best_possible_dso", "average_days_delinquent", "cei",
        "ar_turnover", "ar_turnover_days", "overdue_rate_amount", "overdue_rate_count",
    )

    def to_json(self) -> dict[str, object]:
        """The stable JSON of `cashloop metrics --format json` and GET /api/reports/metrics."""
        cur = self.currency
        out: dict[str, object] = {
            "as_of": self.as_of.isoformat(),
            "period_days": self.period_days,
            "currency": cur,
        }
        for name in self.RATIOS:
            out[name] = two_places(getattr(self, name))
        out["units"] = {
            "dso_standard": "days", "dso_countback": "days", "best_possible_dso": "days",
            "average_days_delinquent": "days", "cei": "percent", "ar_turnover": "times",
            "ar_turnover_days": "days", "overdue_rate_amount": "percent",
            "overdue_rate_count": "percent",
        }
        out["inputs"] = {
            "ar": format_minor(self.ar_minor, cur),
            "overdue_ar": format_minor(self.overdue_minor, cur),
            "not_yet_due_ar": format_minor(self.not_yet_due_minor, cur),
            "credit_sales": format_minor(self.credit_sales_minor, cur),
            "ar_start": format_minor(self.ar_start_minor, cur),
            "ar_start_date": (self.as_of - timedelta(days=self.period_days)).isoformat(),
            "open_count": self.open_count,
            "overdue_count": self.overdue_count,
        }
        out["dso_trend"] = [
            {
                "month": p.month,
                "as_of": p.as_of.isoformat(),
                "ar": None if p.ar_minor is None else format_minor(p.ar_minor, cur),
                "credit_sales": (None if p.credit_sales_minor is None
                                 else format_minor(p.credit_sales_minor, cur)),
                "dso_standard": two_places(p.dso_standard),
                "dso_countback": two_places(p.dso_countback),
            }
            for p in self.trend
        ]
        return out


def two_places(value: Decimal | None) -> str | None:
    if value is None:
        return None
    return str(value.quantize(TWO_PLACES, rounding=ROUNDING))


def _minus(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return None if a is None or b is None else a - b


def _percent(part: int, whole: int) -> Decimal | None:
    ratio = _div(part, whole)
    return None if ratio is None else ratio * 100


def compute_metrics(
    as_of: date,
    period_days: int,
    currency: str,
    not_yet_due: Mapping[str, int],
    overdue: Mapping[str, int],
    open_count: int,
    overdue_count: int,
    ar_at: Mapping[date, Mapping[str, int]],
    sales: SalesHistory,
    rates: RateTable,
    trend_months: int = TREND_MONTHS,
) -> CollectionMetrics:
    """Every metric from the small aggregates: AR(D) split by due, AR at other dates, daily sales.

    `ar_at` holds AR by currency at D − P and at each trend date before D. Amounts are converted at
    the rate on or before the date they are measured for: the report's figures at D's rate, each
    trend point at its own date's rate (so a trend point equals the report as of that date).
    """
    if period_days < 1:
        raise ValueError("period_days must be ≥ 1")
    start = as_of - timedelta(days=period_days)
    nyd = convert_all(not_yet_due, currency, as_of, rates)
    od = convert_all(overdue, currency, as_of, rates)
    ar = nyd + od
    ar_start = convert_all(ar_at.get(start, {}), currency, as_of, rates)
    credit_sales = convert_all(sales.between(start, as_of), currency, as_of, rates)

    standard = dso_standard(ar, credit_sales, period_days)
    best = dso_standard(nyd, credit_sales, period_days)
    turnover = _div(2 * credit_sales, ar_start + ar)
    trend = []
    for day in trend_dates(as_of, trend_months):
        try:
            ar_x = ar if day == as_of else convert_all(ar_at.get(day, {}), currency, day, rates)
            sales_x = convert_all(sales.between(day - timedelta(days=period_days), day), currency,
                                  day, rates)
            countback = countback_for(day, ar_x, sales, currency, rates)
        except MissingRate:
            if day == as_of:
                raise
            # An older month without a rate yet has no trend point, rather than no report.
            trend.append(TrendPoint(f"{day.year:04d}-{day.month:02d}", day, None, None, None, None))
            continue
        trend.append(TrendPoint(
            month=f"{day.year:04d}-{day.month:02d}", as_of=day, ar_minor=ar_x,
            credit_sales_minor=sales_x,
            dso_standard=dso_standard(ar_x, sales_x, period_days),
            dso_countback=countback,
        ))
    return CollectionMetrics(
        as_of=as_of, period_days=period_days, currency=currency,
        ar_minor=ar, overdue_minor=od, not_yet_due_minor=nyd, credit_sales_minor=credit_sales,
        ar_start_minor=ar_start, open_count=open_count, overdue_count=overdue_count,
        dso_standard=standard,
        dso_countback=countback_for(as_of, ar, sales, currency, rates),
        best_possible_dso=best,
        average_days_delinquent=_minus(standard, best),
        cei=_percent(ar_start + credit_sales - ar, ar_start + credit_sales - od),
        ar_turnover=turnover,
        ar_turnover_days=None if not turnover else _div(period_days, turnover),
        overdue_rate_amount=_percent(od, ar),
        overdue_rate_count=_percent(overdue_count, open_count),
        trend=tuple(trend),
    )
