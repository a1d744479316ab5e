import calendar
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.test import Client

from cashloop.accounts.services import add_user
from cashloop.core.problems import Invalid
from cashloop.reports import services
from tests.integration.test_reports_ledger import make_ledger

pytestmark = pytest.mark.django_db


def q(value):
    return None if value is None else str(Decimal(value).quantize(Decimal("0.01"), ROUND_HALF_UP))


def money(minor):
    return str(Decimal(minor).scaleb(-2).quantize(Decimal("0.01")))


def ar(records, day):
    return sum(max(r.open_as_of(day), 0) for r in records)


def sales(records, after, until):
    return sum(r.amount for r in records if after < r.issue <= until)


def countback(records, day, remaining):
    """Written from the issue's words: months back from D's month; whole months then a fraction."""
    if remaining == 0:
        return Decimal(0)
    first_issue = min(r.issue for r in records)
    days, end = Decimal(0), day
    while end >= first_issue.replace(day=1):
        start = end.replace(day=1)
        s = sales(records, start - timedelta(days=1), end)
        length = (end - start).days + 1
        if remaining >= s:
            days += length
            remaining -= s
            if remaining == 0:
                return days
        else:
            return days + Decimal(length) * remaining / s
        end = start - timedelta(days=1)
    return days


def month_end(day):
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


@pytest.mark.parametrize("as_of", [date(2024, 3, 15), date(2024, 12, 31), date(2025, 2, 28)])
@pytest.mark.parametrize("period", [30, 90])
def test_metrics_equal_an_independent_computation(company, as_of, period):
    records = make_ledger(company, seed=as_of.day + period, n=200)
    got = services.collection_metrics(company, as_of, period).to_json()
    start = as_of - timedelta(days=period)
    ar_d, ar_0 = ar(records, as_of), ar(records, start)
    overdue = sum(max(r.open_as_of(as_of), 0) for r in records if r.due < as_of)
    s = sales(records, start, as_of)
    nyd = ar_d - overdue
    assert got["inputs"]["ar"] == money(ar_d)
    assert got["inputs"]["overdue_ar"] == money(overdue)
    assert got["inputs"]["not_yet_due_ar"] == money(nyd)
    assert got["inputs"]["credit_sales"] == money(s)
    assert got["inputs"]["ar_start"] == money(ar_0)
    std = Decimal(ar_d) / s * period if s else None
    best = Decimal(nyd) / s * period if s else None
    assert got["dso_standard"] == q(std)
    assert got["best_possible_dso"] == q(best)
    assert got["average_days_delinquent"] == q(None if std is None else std - best)
    den = ar_0 + s - overdue
    assert got["cei"] == q(Decimal(ar_0 + s - ar_d) / den * 100 if den else None)
    turnover = Decimal(s) / (Decimal(ar_0 + ar_d) / 2) if ar_0 + ar_d else None
    assert got["ar_turnover"] == q(turnover)
    assert got["ar_turnover_days"] == q(period / turnover if turnover else None)
    assert got["overdue_rate_amount"] == q(Decimal(overdue) * 100 / ar_d if ar_d else None)
    open_count = sum(1 for r in records if r.open_as_of(as_of) > 0)
    overdue_count = sum(1 for r in records if r.open_as_of(as_of) > 0 and r.due < as_of)
    assert got["overdue_rate_count"] == q(Decimal(overdue_count) * 100 / open_count
                                          if open_count else None)
    assert got["dso_countback"] == q(countback(records, as_of, ar_d))
    trend = got["dso_trend"]
    assert len(trend) == 12 and trend[-1]["as_of"] == as_of.isoformat()
    for point in trend:
        day = date.fromisoformat(point["as_of"])
        assert day == as_of or day == month_end(day)
        a, sx = ar(records, day), sales(records, day - timedelta(days=period), day)
        assert point["ar"] == money(a), day
        assert point["credit_sales"] == money(sx)
        assert point["dso_standard"] == q(Decimal(a) / sx * period if sx else None)
        assert point["dso_countback"] == q(countback(records, day, a)), day


def test_metrics_of_an_empty_ledger_are_null_not_errors(company):
    got = services.collection_metrics(company, date(2024, 6, 30)).to_json()
    assert got["dso_standard"] is None and got["cei"] is None
    assert got["inputs"]["ar"] == "0.00"


def test_bad_period_is_invalid(company):
    with pytest.raises(Invalid):
        services.collection_metrics(company, date(2024, 6, 30), 0)


def test_metrics_query_count_is_constant(company):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for seed in (3, 4):  # the second run reads twice as many invoices
        make_ledger(company, seed=seed, n=300)
        with CaptureQueriesContext(connection) as captured:
            services.collection_metrics(company, date(2024, 6, 30))
        counts.append(len(captured.captured_queries))
    # sales, settlements, (invoices settled before issue), open now ×2, partial allocations ×2
    assert counts[0] == counts[1] <= 7


def test_metrics_api_matches_service(company):
    make_ledger(company, seed=21)
    add_user("boss", "admin", company, password="pw-secret")
    client = Client()
    assert client.login(username="boss", password="pw-secret")
    got = client.get("/api/reports/metrics", {"as_of": "2024-06-30", "period_days": 60})
    assert got.status_code == 200
    assert got.json() == services.collection_metrics(company, date(2024, 6, 30), 60).to_json()
    bad = client.get("/api/reports/metrics", {"period_days": 0})
    assert bad.status_code == 422
