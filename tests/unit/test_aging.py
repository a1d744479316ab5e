from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cashloop.core.aging import (
    DEFAULT_BUCKETS,
    Buckets,
    InvoiceState,
    OpenAmount,
    build_report,
    lines_from_invoices,
)
from cashloop.core.fx import MissingRate, Rate, RateTable
from cashloop.core.problems import Problem

D = date(2024, 6, 30)
NO_RATES = RateTable(())
USD_CNY = RateTable([Rate("USD", "CNY", date(2024, 1, 1), Decimal("7.1234"))])


def test_default_buckets_are_the_contract_labels():
    assert [(b.label, b.from_days, b.to_days) for b in DEFAULT_BUCKETS.buckets] == [
        ("not yet due", None, 0), ("1-30", 1, 30), ("31-60", 31, 60), ("61-90", 61, 90),
        ("over 90", 91, None),
    ]


def test_due_today_is_not_yet_due_and_due_yesterday_is_one_day_overdue():
    edges = DEFAULT_BUCKETS.due_date_edges(D)
    assert DEFAULT_BUCKETS.index_for_due_date(D, edges) == 0
    assert DEFAULT_BUCKETS.index_for_due_date(D - timedelta(days=1), edges) == 1
    assert DEFAULT_BUCKETS.index_for_due_date(D - timedelta(days=30), edges) == 1
    assert DEFAULT_BUCKETS.index_for_due_date(D - timedelta(days=31), edges) == 2
    assert DEFAULT_BUCKETS.index_for_due_date(D - timedelta(days=91), edges) == 4


def test_bad_buckets_are_a_problem_not_an_exception():
    for text in ("30,x", "60,30", "0,30", "", "30,30"):
        assert isinstance(Buckets.parse(text), Problem)
    assert Buckets.parse("15, 45") == Buckets((15, 45))


limits_st = st.lists(st.integers(1, 400), min_size=1, max_size=6, unique=True).map(
    lambda xs: Buckets(tuple(sorted(xs)))
)
days_st = st.dates(date(2020, 1, 1), date(2026, 12, 31))


@given(limits_st, days_st, days_st)
def test_edges_agree_with_days_overdue_computed_directly(buckets, as_of, due):
    edges = buckets.due_date_edges(as_of)
    assert buckets.index_for_due_date(due, edges) == buckets.index_for_days((as_of - due).days)


@st.composite
def lines_st(draw):
    n = len(DEFAULT_BUCKETS.buckets)
    return [
        OpenAmount(currency=draw(st.sampled_from(["CNY", "USD"])), bucket=draw(st.integers(0, n - 1)),
                   amount_minor=draw(st.integers(1, 10**12)), count=1,
                   key=draw(st.sampled_from(["C1", "C2", None])))
        for _ in range(draw(st.integers(0, 12)))
    ]


@given(lines_st(), st.sampled_from([None, "customer", "currency"]))
def test_buckets_always_add_up_to_the_total(lines, by):
    report = build_report(D, DEFAULT_BUCKETS, lines, "CNY", USD_CNY, by)
    payload = report.to_json()
    assert sum(Decimal(b["amount"]) for b in payload["buckets"]) == Decimal(payload["total"])
    for row in payload.get("rows", []):
        assert sum(Decimal(b["amount"]) for b in row["buckets"]) == Decimal(row["total"])


def test_conversion_rounds_once_per_bucket_per_currency_half_up():
    lines = [OpenAmount("USD", 1, 5), OpenAmount("USD", 1, 2), OpenAmount("CNY", 1, 100)]
    rates = RateTable([Rate("USD", "CNY", date(2024, 1, 1), Decimal("1.5"))])
    report = build_report(D, DEFAULT_BUCKETS, lines, "CNY", rates)
    # USD 0.07 × 1.5 = 0.105 → 0.11 (half up), rounded once for the sum, not 0.08 + 0.03.
    assert report.bucket_minor == (0, 111, 0, 0, 0)
    assert report.to_json()["total"] == "1.11"


def test_missing_rate_names_pair_and_date():
    with pytest.raises(MissingRate) as err:
        build_report(D, DEFAULT_BUCKETS, [OpenAmount("EUR", 0, 100)], "CNY", USD_CNY)
    assert "EUR" in err.value.message and "CNY" in err.value.message
    assert "2024-06-30" in err.value.message


def test_by_currency_keeps_each_currency_in_its_own_money():
    lines = [OpenAmount("JPY", 0, 1000), OpenAmount("CNY", 2, 12345)]
    report = build_report(D, DEFAULT_BUCKETS, lines, "CNY", NO_RATES, "currency").to_json()
    assert report["currency"] is None and report["total"] is None and report["missing_rate"]
    assert [(r["key"], r["currency"], r["total"]) for r in report["rows"]] == [
        ("CNY", "CNY", "123.45"), ("JPY", "JPY", "1000")]


def test_json_contract_shape():
    report = build_report(D, DEFAULT_BUCKETS, [OpenAmount("CNY", 4, 12345, 1, "C1", "甲")], "CNY",
                          NO_RATES, "customer").to_json()
    assert report["as_of"] == "2024-06-30" and report["currency"] == "CNY"
    assert report["buckets"][0] == {"label": "not yet due", "from_days": None, "to_days": 0,
                                    "amount": "0.00"}
    assert report["buckets"][-1] == {"label": "over 90", "from_days": 91, "to_days": None,
                                     "amount": "123.45"}
    assert report["total"] == "123.45"
    assert report["rows"][0]["key"] == "C1" and report["rows"][0]["name"] == "甲"
    assert "rows" not in build_report(D, DEFAULT_BUCKETS, [], "CNY", NO_RATES).to_json()


@st.composite
def invoices_st(draw):
    out = []
    for _ in range(draw(st.integers(0, 15))):
        issue = draw(st.dates(date(2024, 1, 1), date(2024, 12, 31)))
        amount = draw(st.integers(1, 100_000))
        due = issue + timedelta(days=draw(st.integers(-5, 90)))
        allocations, left = [], amount
        for _ in range(draw(st.integers(0, 3))):
            if left == 0:
                break
            part = draw(st.integers(1, left))
            allocations.append((issue + timedelta(days=draw(st.integers(-3, 200))), part))
            left -= part
        out.append(InvoiceState(draw(st.sampled_from(["CNY", "USD"])), amount, issue, due,
                                tuple(allocations), draw(st.sampled_from(["A", "B"]))))
    return out


def _replay_via_schema(invoices, as_of, buckets):
    """What the SQL does: open ⇔ issued by D and not settled by D; amount − paid + later allocations."""
    edges = buckets.due_date_edges(as_of)
    acc = {}
    for inv in invoices:
        paid = sum(a for _, a in inv.allocations)
        settled = max(d for d, _ in inv.allocations) if paid == inv.amount_minor else None
        if inv.issue_date > as_of or (settled is not None and settled <= as_of):
            continue
        open_minor = inv.amount_minor - paid + sum(a for d, a in inv.allocations if d > as_of)
        k = (inv.key, inv.currency, buckets.index_for_due_date(inv.due_date, edges))
        acc[k] = acc.get(k, 0) + open_minor
    return {k: v for k, v in acc.items() if v}


@settings(max_examples=200)
@given(invoices_st(), st.dates(date(2023, 12, 1), date(2025, 6, 30)), limits_st)
def test_as_of_replay_equals_direct_computation(invoices, as_of, buckets):
    direct = {(x.key, x.currency, x.bucket): x.amount_minor
              for x in lines_from_invoices(invoices, as_of, buckets)}
    assert _replay_via_schema(invoices, as_of, buckets) == direct
