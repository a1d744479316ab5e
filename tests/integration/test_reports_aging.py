from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from cashloop.accounts.services import add_user
from cashloop.core.aging import DEFAULT_BUCKETS, Buckets
from cashloop.core.money import format_minor, round_minor
from cashloop.core.problems import Invalid
from cashloop.ledger.models import ExchangeRate
from cashloop.reports import services
from tests.integration.test_reports_ledger import make_ledger

pytestmark = pytest.mark.django_db

DATES = [date(2023, 6, 30), date(2023, 9, 15), date(2024, 1, 31), date(2024, 6, 30),
         date(2024, 12, 31), date(2025, 3, 1)]


def reference(records, as_of, buckets, key=None):
    """Direct definition: open amount = amount − allocations on or before D; bucket by days overdue."""
    out = {}
    for r in records:
        open_minor = r.open_as_of(as_of)
        if open_minor <= 0:
            continue
        k = (key(r) if key else None, r.currency, buckets.index_for_days((as_of - r.due).days))
        out[k] = out.get(k, 0) + open_minor
    return out


def sql_lines(report_lines):
    out = {}
    for x in report_lines:
        if x.amount_minor:
            k = (x.key, x.currency, x.bucket)
            out[k] = out.get(k, 0) + x.amount_minor
    return out


@pytest.mark.parametrize("as_of", DATES)
@pytest.mark.parametrize("buckets", [DEFAULT_BUCKETS, Buckets((7, 14, 45, 120, 365))])
def test_aging_sql_equals_direct_computation(company, as_of, buckets):
    from cashloop.reports import queries

    records = make_ledger(company, seed=as_of.toordinal() % 97, currencies=("CNY", "USD"))
    lines = queries.open_amounts_by_bucket(company, as_of, buckets.due_date_edges(as_of))
    assert sql_lines(lines) == reference(records, as_of, buckets)
    counts: dict[tuple, int] = {}
    for r in records:
        if r.open_as_of(as_of) > 0:
            k = (r.currency, buckets.index_for_days((as_of - r.due).days))
            counts[k] = counts.get(k, 0) + 1
    assert {(x.currency, x.bucket): x.count for x in lines if x.count} == counts
    by_customer = queries.open_amounts_by_bucket(
        company, as_of, buckets.due_date_edges(as_of), "customer")
    assert sql_lines(by_customer) == reference(records, as_of, buckets, key=lambda r: r.customer)


def test_report_converts_per_bucket_per_currency_and_adds_up(company):
    records = make_ledger(company, seed=5, currencies=("CNY", "USD", "JPY"))
    as_of = date(2024, 6, 30)
    ExchangeRate.objects.create(from_currency="USD", to_currency="CNY", rate_date=date(2024, 1, 1),
                                rate=Decimal("7.1"))
    ExchangeRate.objects.create(from_currency="USD", to_currency="CNY", rate_date=date(2024, 6, 1),
                                rate=Decimal("7.2345"))
    ExchangeRate.objects.create(from_currency="CNY", to_currency="JPY", rate_date=date(2024, 5, 1),
                                rate=Decimal("20"))
    ExchangeRate.objects.create(from_currency="USD", to_currency="CNY", rate_date=date(2024, 7, 1),
                                rate=Decimal("9"))
    report = services.aging_report(company, as_of).to_json()
    ref = reference(records, as_of, DEFAULT_BUCKETS)
    rates = {"CNY": Decimal(1), "USD": Decimal("7.2345"), "JPY": Decimal(1) / Decimal(20)}
    expected = []
    for i in range(5):
        total = 0
        for cur in ("CNY", "USD", "JPY"):
            minor = ref.get((None, cur, i), 0)
            major = Decimal(minor).scaleb(-(0 if cur == "JPY" else 2))
            total += round_minor(major * rates[cur], "CNY") if cur != "JPY" else round_minor(
                major / 20, "CNY")
        expected.append(format_minor(total, "CNY"))
    assert [b["amount"] for b in report["buckets"]] == expected
    assert sum(Decimal(x) for x in expected) == Decimal(report["total"])
    by_currency = services.aging_report(company, as_of, by="currency").to_json()
    assert {r["key"]: r["currency"] for r in by_currency["rows"]} == {
        c: c for c in ("CNY", "USD", "JPY") if any(k[1] == c for k in ref)}


def test_missing_rate_is_refused_with_pair_and_date(company):
    make_ledger(company, seed=7, currencies=("CNY", "EUR"))
    from cashloop.core.fx import MissingRate

    with pytest.raises(MissingRate) as err:
        services.aging_report(company, date(2024, 6, 30))
    assert "EUR" in err.value.message and "2024-06-30" in err.value.message


def test_bad_by_and_bad_buckets_are_invalid(company):
    with pytest.raises(Invalid):
        services.aging_report(company, date(2024, 6, 30), by="planet")
    with pytest.raises(Invalid):
        services.parse_buckets("60,30")


@pytest.mark.parametrize("n", [10, 200])
def test_aging_query_count_is_constant(company, django_assert_num_queries, n):
    make_ledger(company, seed=n, n=n, currencies=("CNY", "USD"))
    ExchangeRate.objects.create(from_currency="USD", to_currency="CNY", rate_date=date(2020, 1, 1),
                                rate=Decimal("7"))
    # later allocations (flows), never-settled and settled-later parts, names, rates
    with django_assert_num_queries(5):
        services.aging_report(company, date(2024, 6, 30), by="customer")


def test_sales_rep_sees_only_their_customers(company):
    records = make_ledger(company, seed=11)
    user, _ = add_user("rep.zero", "sales_rep", company, password="pw-secret",
                       sales_rep_name="Rep 0")
    as_of = date(2024, 6, 30)
    mine = [r for r in records if r.rep == "Rep 0"]
    report = services.aging_report(company, as_of, user=user)
    expected = sum(reference(mine, as_of, DEFAULT_BUCKETS).values())
    assert report.total_minor == expected
    client = Client()
    assert client.login(username="rep.zero", password="pw-secret")
    api = client.get("/api/reports/aging", {"as_of": "2024-06-30"})
    assert api.status_code == 200, api.content
    assert api.json()["total"] == format_minor(expected, "CNY")


def test_api_matches_cli_json_and_refusals_are_json(company):
    make_ledger(company, seed=13)
    add_user("boss", "admin", company, password="pw-secret")
    client = Client()
    assert client.login(username="boss", password="pw-secret")
    got = client.get("/api/reports/aging", {"as_of": "2024-06-30", "by": "sales_rep",
                                            "buckets": "30,60"})
    assert got.status_code == 200
    expected = services.aging_report(company, date(2024, 6, 30), Buckets((30, 60)), "sales_rep")
    assert got.json() == expected.to_json()
    bad = client.get("/api/reports/aging", {"buckets": "x"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid"
    assert client.get("/api/reports/aging", {"format": "csv", "as_of": "2024-06-30"}).status_code == 200
