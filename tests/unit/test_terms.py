from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cashloop.core.business_calendar import calendar_for, end_of_month
from cashloop.core.problems import Problem
from cashloop.core.terms import (
    Instalment,
    PaymentTerms,
    discount_minor,
    due_date_for,
    format_terms,
    instalment_schedule,
    late_interest_minor,
    parse_terms,
)

CN = calendar_for("CN")
NET30 = PaymentTerms(net_days=30)
EOM30 = PaymentTerms(net_days=30, end_of_month=True)
TWO_TEN_NET_30 = PaymentTerms(net_days=30, discount_rate=Decimal("0.02"), discount_days=10)
issue_dates = st.dates(min_value=date(2005, 1, 1), max_value=date(2034, 12, 31))


@pytest.mark.parametrize("text", ["NET30", "Net 30", "N30", "n/30", "30", "30 days", "30天", "net 30 days"])
def test_net_30_spellings(text):
    assert parse_terms(text) == NET30


@pytest.mark.parametrize("text", ["月结30天", "EOM+30", "EOM 30", "end of month + 30", "Net 30 EOM"])
def test_end_of_month_spellings(text):
    assert parse_terms(text) == EOM30


@pytest.mark.parametrize("text", ["2/10 net 30", "2/10 N30", "2/10, n/30", "2/10，N/30", "2% 10 net 30"])
def test_early_payment_discount_spellings(text):
    assert parse_terms(text) == TWO_TEN_NET_30


def test_instalments_are_read_in_order():
    terms = parse_terms("50%/30 50%/60")
    assert isinstance(terms, PaymentTerms)
    assert terms.instalments == (Instalment(Decimal(50), 30), Instalment(Decimal(50), 60))
    assert terms.net_days == 60


def test_instalment_shares_not_adding_to_100_is_a_problem():
    problem = parse_terms("50%/30 40%/60")
    assert isinstance(problem, Problem)
    assert problem.code == "terms.instalments_not_100"
    assert "90" in problem.text()


@pytest.mark.parametrize(("text", "yearly"), [
    ("NET30 +interest 0.05%/day", Decimal("0.1825")),
    ("NET30 interest 18%/year", Decimal("0.18")),
    ("NET30 interest 1.5%/month", Decimal("0.18")),
    ("net 30 逾期利息 0.05%/日", Decimal("0.1825")),
])
def test_late_interest_is_stored_as_a_yearly_fraction(text, yearly):
    terms = parse_terms(text)
    assert isinstance(terms, PaymentTerms)
    assert terms.late_interest_rate == yearly


def test_roll_to_business_day_words():
    for text in ("NET30 roll", "net 30 遇节假日顺延", "NET 30, next business day"):
        terms = parse_terms(text)
        assert isinstance(terms, PaymentTerms) and terms.roll_to_business_day, text


@pytest.mark.parametrize("text", ["", "soon", "2/10", "NET", "50%/30 abc", "2/40 net 30"])
def test_unreadable_terms_are_problems_not_exceptions(text):
    problem = parse_terms(text)
    assert isinstance(problem, Problem)
    assert problem.field == "payment_terms"


def test_net_30_due_date():
    assert due_date_for(NET30, date(2024, 1, 31)) == date(2024, 3, 1)


def test_eom_30_counts_from_the_last_day_of_the_issue_month():
    assert due_date_for(EOM30, date(2024, 2, 3)) == date(2024, 3, 30)


def test_due_date_on_national_day_rolls_only_when_the_terms_say_so():
    rolled = PaymentTerms(net_days=30, roll_to_business_day=True)
    issue = date(2024, 9, 1)  # + 30 days = 2024-10-01, National Day
    assert due_date_for(NET30, issue, CN) == date(2024, 10, 1)
    assert due_date_for(rolled, issue, CN) == date(2024, 10, 8)
    assert due_date_for(rolled, issue) == date(2024, 10, 1)  # no calendar, no roll


def test_instalment_schedule_dates_and_amounts():
    terms = parse_terms("33.34%/0 33.33%/30 33.33%/60")
    assert terms == PaymentTerms(instalments=(
        Instalment(Decimal("33.34"), 0), Instalment(Decimal("33.33"), 30), Instalment(Decimal("33.33"), 60)))
    assert instalment_schedule(terms, date(2024, 1, 1), 100) == [
        (date(2024, 1, 1), 34), (date(2024, 1, 31), 33), (date(2024, 3, 1), 33)]
    assert due_date_for(terms, date(2024, 1, 1)) == date(2024, 3, 1)


def test_no_instalments_is_one_part():
    assert instalment_schedule(NET30, date(2024, 1, 1), 12_345) == [(date(2024, 1, 31), 12_345)]


def test_discount_on_the_last_discount_day_and_not_the_day_after():
    issue = date(2024, 3, 1)
    assert discount_minor(TWO_TEN_NET_30, issue, date(2024, 3, 11), 100_000) == 2_000
    assert discount_minor(TWO_TEN_NET_30, issue, date(2024, 3, 12), 100_000) == 0
    assert discount_minor(NET30, issue, issue, 100_000) == 0


def test_discount_rounds_half_up():
    assert discount_minor(TWO_TEN_NET_30, date(2024, 3, 1), date(2024, 3, 1), 25) == 1  # 0.5 → 1
    assert discount_minor(TWO_TEN_NET_30, date(2024, 3, 1), date(2024, 3, 1), 24) == 0  # 0.48 → 0


def test_late_interest_is_simple_interest_on_days_overdue():
    # 10,000.00 at 18.25 % a year for 10 days = 0.05 % a day × 10 = 50.00
    assert late_interest_minor(1_000_000, date(2024, 3, 1), date(2024, 3, 11), Decimal("0.1825")) == 5_000
    assert late_interest_minor(1_000_000, date(2024, 3, 1), date(2024, 3, 1), Decimal("0.1825")) == 0
    assert late_interest_minor(1_000_000, date(2024, 3, 1), date(2024, 2, 1), Decimal("0.1825")) == 0


def test_float_rates_are_refused():
    with pytest.raises(TypeError):
        late_interest_minor(100, date(2024, 1, 1), date(2024, 2, 1), 0.1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        PaymentTerms(discount_rate=0.02, discount_days=10)  # type: ignore[arg-type]


# --- properties ------------------------------------------------------------------------------

net_terms = st.builds(PaymentTerms, net_days=st.integers(0, 365), end_of_month=st.booleans(),
                      roll_to_business_day=st.booleans())


@given(net_terms, issue_dates)
def test_due_date_is_never_before_the_issue_date(terms, issue):
    assert due_date_for(terms, issue, CN) >= issue


@given(st.integers(0, 365), issue_dates)
def test_eom_due_date_is_n_days_after_the_month_end(n, issue):
    due = due_date_for(PaymentTerms(net_days=n, end_of_month=True), issue)
    assert due - timedelta(days=n) == end_of_month(issue)
    assert (due - timedelta(days=n) + timedelta(days=1)).day == 1


@given(st.integers(0, 365), issue_dates, st.sampled_from(["CN", "US", "DE"]))
def test_rolled_due_date_is_a_business_day_never_earlier(n, issue, country):
    cal = calendar_for(country)
    plain = due_date_for(PaymentTerms(net_days=n), issue, cal)
    rolled = due_date_for(PaymentTerms(net_days=n, roll_to_business_day=True), issue, cal)
    assert rolled >= plain and cal.is_business_day(rolled)


@st.composite
def instalment_terms(draw):
    count = draw(st.integers(1, 6))
    cuts = sorted(draw(st.lists(st.integers(1, 99), min_size=count - 1, max_size=count - 1, unique=True)))
    shares = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
    days = sorted(draw(st.lists(st.integers(0, 720), min_size=count, max_size=count)))
    parts = tuple(Instalment(Decimal(s), d) for s, d in zip(shares, days, strict=True))
    return PaymentTerms(instalments=parts, end_of_month=draw(st.booleans()),
                        roll_to_business_day=draw(st.booleans()))


@given(instalment_terms(), issue_dates, st.integers(-10**12, 10**12))
def test_instalment_schedule_adds_back_to_the_amount(terms, issue, amount):
    schedule = instalment_schedule(terms, issue, amount, CN)
    assert sum(part for _, part in schedule) == amount
    assert len(schedule) == len(terms.instalments)
    assert max(d for d, _ in schedule) == due_date_for(terms, issue, CN)


@st.composite
def any_terms(draw):
    base = draw(st.one_of(net_terms, instalment_terms()))
    discount = draw(st.one_of(st.none(), st.decimals("0.01", "20", places=2)))
    interest = draw(st.one_of(st.none(), st.decimals("0.0001", "50", places=4)))
    discount_days = draw(st.integers(0, base.net_days)) if discount is not None else None
    return PaymentTerms(
        net_days=base.net_days, end_of_month=base.end_of_month, instalments=base.instalments,
        roll_to_business_day=base.roll_to_business_day,
        discount_rate=discount.scaleb(-2) if discount is not None else None, discount_days=discount_days,
        late_interest_rate=interest.scaleb(-2) if interest is not None else None,
    )


@given(any_terms())
def test_format_then_parse_gives_the_same_terms(terms):
    assert parse_terms(format_terms(terms)) == terms


@given(st.integers(0, 10**12), st.integers(0, 60), issue_dates)
def test_discount_is_exact_at_the_boundary_day(amount, discount_days, issue):
    terms = PaymentTerms(net_days=60, discount_rate=Decimal("0.02"), discount_days=discount_days)
    last_day = issue + timedelta(days=discount_days)
    expected = (amount * 2 + 50) // 100  # 2 %, half up, in integers
    assert discount_minor(terms, issue, last_day, amount) == expected
    assert discount_minor(terms, issue, last_day + timedelta(days=1), amount) == 0
