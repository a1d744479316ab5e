from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from cashloop.core.fx import RateTable
from cashloop.core.metrics import (
    SalesHistory,
    compute_metrics,
    dso_countback,
    dso_standard,
    month_spans,
    trend_dates,
)

NO_RATES = RateTable(())
D = date(2024, 3, 15)


def test_countback_walks_back_whole_months_then_a_fraction():
    # March (15 days so far) sold 100, February (29 days) 200, January (31 days) 300; AR 350:
    # 15 days for March (250 left), 29 for February (50 left), then 31 × 50/300 of January.
    months = [(15, 100), (29, 200), (31, 300)]
    assert dso_countback(350, months) == Decimal(15 + 29) + Decimal(31) * 50 / 300


def test_countback_of_no_receivables_is_zero_and_of_no_sales_is_none():
    assert dso_countback(0, [(31, 100)]) == 0
    assert dso_countback(100, []) is None
    assert dso_countback(100, [(31, 0), (30, 0)]) is None


def test_countback_month_without_sales_counts_its_days():
    assert dso_countback(50, [(15, 0), (29, 100)]) == Decimal(15) + Decimal(29) * 50 / 100


months_st = st.lists(st.tuples(st.integers(1, 31), st.integers(0, 10**9)), min_size=1, max_size=24)


@given(st.integers(0, 10**10), months_st)
def test_countback_is_bounded_by_the_days_walked(ar, months):
    days = dso_countback(ar, months)
    if days is None:
        assert ar > 0 and not any(s for _, s in months)
        return
    assert 0 <= days <= sum(length for length, _ in months)


@given(st.integers(0, 10**9), st.integers(0, 10**9), months_st)
def test_countback_grows_with_receivables(a, b, months):
    low, high = sorted((a, b))
    d_low, d_high = dso_countback(low, months), dso_countback(high, months)
    if d_low is not None and d_high is not None:
        assert d_low <= d_high


@given(months_st)
def test_countback_of_all_sales_outstanding_is_every_day(months):
    total = sum(s for _, s in months)
    if total:
        last_with_sales = max(i for i, (_, s) in enumerate(months) if s)
        assert dso_countback(total, months) == sum(n for n, _ in months[: last_with_sales + 1])


def test_standard_dso_and_zero_denominator():
    assert dso_standard(300, 900, 90) == 30
    assert dso_standard(300, 0, 90) is None


def test_month_spans_start_with_the_as_of_month_to_date():
    spans = month_spans(D, date(2024, 1, 20))
    assert spans == [(date(2024, 3, 1), D), (date(2024, 2, 1), date(2024, 2, 29)),
                     (date(2024, 1, 1), date(2024, 1, 31))]


def test_trend_has_twelve_month_ends_ending_at_as_of():
    days = trend_dates(D)
    assert len(days) == 12 and days[-1] == D
    assert days[0] == date(2023, 4, 30) and days[-2] == date(2024, 2, 29)


def _metrics(nyd, od, ar_start, daily, counts=(2, 1), period=90):
    start = D - timedelta(days=period)
    return compute_metrics(
        as_of=D, period_days=period, currency="CNY", not_yet_due={"CNY": nyd}, overdue={"CNY": od},
        open_count=counts[0], overdue_count=counts[1], ar_at={start: {"CNY": ar_start}},
        sales=SalesHistory({"CNY": daily}), rates=NO_RATES,
    )


def _q(value):
    return value.quantize(Decimal("1e-20"))


def test_metrics_follow_the_written_formulas():
    daily = {date(2024, 3, 1): 60_000, date(2024, 2, 10): 30_000, date(2023, 12, 1): 999}
    m = _metrics(nyd=40_000, od=20_000, ar_start=50_000, daily=daily)
    ar, sales, p = 60_000, 90_000, 90  # 2023-12-01 is outside (D − 90, D]
    assert m.credit_sales_minor == sales and m.ar_minor == ar
    assert m.dso_standard == Decimal(ar) / sales * p
    assert m.best_possible_dso == Decimal(40_000) / sales * p
    assert m.average_days_delinquent == m.dso_standard - m.best_possible_dso
    assert m.cei == Decimal(50_000 + sales - ar) / (50_000 + sales - 20_000) * 100
    assert _q(m.ar_turnover) == _q(Decimal(sales) / (Decimal(50_000 + ar) / 2))
    assert _q(m.ar_turnover_days) == _q(p / m.ar_turnover)
    assert m.overdue_rate_amount == Decimal(20_000) / ar * 100
    assert m.overdue_rate_count == 50
    out = m.to_json()
    assert out["dso_standard"] == "60.00" and out["cei"] == "66.67"
    assert out["overdue_rate_amount"] == "33.33"
    assert out["inputs"]["ar"] == "600.00" and out["inputs"]["ar_start"] == "500.00"
    assert out["dso_trend"][-1]["month"] == "2024-03"


def test_zero_denominators_give_null_never_an_error():
    out = _metrics(nyd=0, od=0, ar_start=0, daily={}, counts=(0, 0)).to_json()
    for key in ("dso_standard", "best_possible_dso", "average_days_delinquent", "cei",
                "ar_turnover", "ar_turnover_days", "overdue_rate_amount", "overdue_rate_count"):
        assert out[key] is None, key
    assert out["dso_countback"] == "0.00"


def test_two_decimals_round_half_up():
    m = _metrics(nyd=0, od=1, ar_start=0, daily={D: 8}, period=1)
    assert m.dso_standard == Decimal("0.125")
    assert m.to_json()["dso_standard"] == "0.13"
