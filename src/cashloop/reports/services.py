"""Aging and collection metrics for a company: load the small aggregates, call the core.

Shared by the CLI (user=None: the operator sees everything), the API and the pages (the user's
customer scope applies). A constant number of queries per report, whatever the data size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from cashloop.core import aging, metrics
from cashloop.core.fx import RateTable
from cashloop.core.money import is_currency_code
from cashloop.core.problems import Invalid, Problem, gettext_noop
from cashloop.ledger.models import Company
from cashloop.reports import flows, queries
from cashloop.reports.queries import User


def parse_buckets(text: str | None) -> aging.Buckets:
    """Buckets from '30,60,90' (the default when empty), or Invalid (code aging.bad_buckets)."""
    if not text:
        return aging.DEFAULT_BUCKETS
    parsed = aging.Buckets.parse(text)
    if isinstance(parsed, Problem):
        raise Invalid(parsed.text(), (parsed,))
    return parsed


def reporting_currency(company: Company, currency: str | None) -> str:
    code = (currency or company.base_currency).strip().upper()
    if not is_currency_code(code):
        raise Invalid(gettext_noop("{value} is not an ISO 4217 currency code"), value=repr(currency))
    return code


def check_by(by: str | None) -> str | None:
    if by in (None, ""):
        return None
    if by not in aging.BY_KEYS:
        raise Invalid(gettext_noop("--by must be one of {keys}, not {value}"),
                      keys=", ".join(aging.BY_KEYS), value=repr(by))
    return by


def aging_report(company: Company, as_of: date, buckets: aging.Buckets = aging.DEFAULT_BUCKETS,
                 by: str | None = None, currency: str | None = None,
                 user: User = None) -> aging.AgingReport:
    """Aging as of a date in the reporting currency (default: the company's base currency)."""
    return _aging_with_lines(company, as_of, buckets, by, currency, user)[0]


def _aging_with_lines(company: Company, as_of: date, buckets: aging.Buckets, by: str | None,
                      currency: str | None, user: User,
                      ) -> tuple[aging.AgingReport, list[aging.OpenAmount], RateTable]:
    by = check_by(by)
    code = reporting_currency(company, currency)
    edges = buckets.due_date_edges(as_of)
    lines = queries.open_amounts_by_bucket(company, as_of, edges, by, user)
    rates = _rates_for({line.currency for line in lines}, code, as_of)
    return aging.build_report(as_of, buckets, lines, code, rates, by), lines, rates


def aging_largest_customers(company: Company, as_of: date, buckets: aging.Buckets,
                            currency: str | None, limit: int, user: User = None,
                            ) -> tuple[aging.AgingReport, int]:
    """Aging with rows for the `limit` customers owing most (largest total first, then by code),
    and how many more customers have open items — without building a row for every customer."""
    code = reporting_currency(company, currency)
    report, lines, rates = _aging_with_lines(company, as_of, buckets, None, code, user)
    weights = {cur: rates.rate_on(cur, code, as_of) for cur in {line.currency for line in lines}
               if cur != code}
    ids, count = queries.customers_by_open_amount(company, as_of, weights, limit, user)
    rows: tuple[aging.AgingRow, ...] = ()
    if ids:
        edges = buckets.due_date_edges(as_of)
        found = queries.open_amounts_by_bucket(company, as_of, edges, "customer", user, ids)
        rows = aging.build_report(as_of, buckets, found, code, rates, "customer").rows
    ordered = tuple(sorted(rows, key=lambda row: -row.total_minor))
    return replace(report, by="customer", rows=ordered), max(0, count - len(ordered))


def _rates_for(currencies: set[str], code: str, as_of: date) -> RateTable:
    if currencies <= {code}:
        return RateTable(())
    return queries.rate_table(currencies | {code}, as_of)


def collection_metrics(company: Company, as_of: date, period_days: int = 90,
                       currency: str | None = None, user: User = None,
                       trend_months: int = metrics.TREND_MONTHS,
                       open_lines: Sequence[aging.OpenAmount] | None = None,
                       ) -> metrics.CollectionMetrics:
    """DSO, CEI, turnover and overdue rates as of a date over `period_days`, with a monthly trend.

    `open_lines`: the open amounts as of `as_of` by bucket (bucket 0 not yet due) of an aging
    report the caller has already read, so that they are not read twice.
    """
    if period_days < 1 or period_days > 3660:
        raise Invalid(gettext_noop("period days must be between 1 and 3660, not {value}"),
                      value=period_days)
    code = reporting_currency(company, currency)
    start = as_of - timedelta(days=period_days)
    dates = sorted({start, *metrics.trend_dates(as_of, trend_months), as_of})
    history = flows.receivables_history(company, dates, user, open_lines)
    currencies = set(history.daily_sales) | set(history.not_yet_due) | set(history.overdue)
    currencies |= {cur for by_cur in history.ar_at.values() for cur in by_cur}
    rates = _rates_for(currencies, code, as_of)
    return metrics.compute_metrics(
        as_of=as_of, period_days=period_days, currency=code,
        not_yet_due=history.not_yet_due, overdue=history.overdue, open_count=history.open_count,
        overdue_count=history.overdue_count, ar_at=history.ar_at,
        sales=metrics.SalesHistory(history.daily_sales),
        rates=rates, trend_months=trend_months,
    )


def top_overdue_customers(company: Company, as_of: date, currency: str | None = None,
                          limit: int = 10, user: User = None) -> list[dict[str, object]]:
    """The customers with the most overdue open receivables, in the reporting currency."""
    code = reporting_currency(company, currency)
    rows = queries.top_overdue_customers(company, as_of, limit, user)
    rates = _rates_for({r[2] for r in rows}, code, as_of)
    totals: dict[str, dict[str, object]] = {}
    for customer, name, cur, minor in rows:
        entry = totals.setdefault(customer, {"code": customer, "name": name, "overdue_minor": 0})
        converted = minor if cur == code else rates.convert_minor(minor, cur, code, as_of)
        entry["overdue_minor"] = int(entry["overdue_minor"]) + converted  # type: ignore[call-overload]
    ranked = sorted(totals.values(), key=lambda e: (-int(e["overdue_minor"]), str(e["code"])))  # type: ignore[call-overload]
    return ranked[:limit]


# ---- the same reports for pages and the API, cached under the ledger version (reports.cache) ----

def cached_aging_report(company: Company, as_of: date,
                        buckets: aging.Buckets = aging.DEFAULT_BUCKETS, by: str | None = None,
                        currency: str | None = None, user: User = None) -> aging.AgingReport:
    from cashloop.reports.cache import cached

    # The key names the reporting currency itself, so that "default" and the base currency spelt
    # out (the dashboard and the aging page) share one result.
    code = reporting_currency(company, currency)
    return cached("aging", company, as_of, (buckets.limits, check_by(by), code), user,
                  lambda: aging_report(company, as_of, buckets, by, code, user))


def cached_collection_metrics(company: Company, as_of: date, period_days: int = 90,
                              currency: str | None = None, user: User = None,
                              ) -> metrics.CollectionMetrics:
    from cashloop.reports.cache import cached

    code = reporting_currency(company, currency)
    return cached("metrics", company, as_of, (period_days, code), user,
                  lambda: collection_metrics(company, as_of, period_days, code, user))


@dataclass(frozen=True)
class Dashboard:
    aging: aging.AgingReport
    metrics: metrics.CollectionMetrics
    top_overdue: list[dict[str, object]]


def dashboard(company: Company, as_of: date, currency: str | None = None, user: User = None,
              ) -> Dashboard:
    """The dashboard's three reports; the metrics reuse the aging's open amounts (one read)."""
    code = reporting_currency(company, currency)
    report, lines, _rates = _aging_with_lines(company, as_of, aging.DEFAULT_BUCKETS, None, code,
                                              user)
    return Dashboard(report, collection_metrics(company, as_of, currency=code, user=user,
                                                open_lines=lines),
                     top_overdue_customers(company, as_of, code, user=user))


def cached_dashboard(company: Company, as_of: date, currency: str | None = None,
                     user: User = None) -> Dashboard:
    from cashloop.reports.cache import cached

    code = reporting_currency(company, currency)
    return cached("dashboard", company, as_of, (code,), user,
                  lambda: dashboard(company, as_of, code, user))
