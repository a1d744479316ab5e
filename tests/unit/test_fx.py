from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cashloop.core.fx import (
    MissingRate,
    Rate,
    RateTable,
    convert_minor,
    parse_rate,
    rate_text,
    read_rate_rows,
)
from cashloop.core.problems import Problem, Refusal

TABLE = RateTable([
    Rate("USD", "CNY", date(2024, 3, 1), Decimal("7.10")),
    Rate("USD", "CNY", date(2024, 3, 29), Decimal("7.20")),
    Rate("CNY", "JPY", date(2024, 1, 2), Decimal("20")),
])


def test_same_currency_rate_is_one():
    assert TABLE.rate_on("EUR", "EUR", date(2000, 1, 1)) == 1
    assert TABLE.convert_minor(12_345, "EUR", "EUR", date(2000, 1, 1)) == 12_345


def test_latest_rate_on_or_before_the_day():
    assert TABLE.rate_on("USD", "CNY", date(2024, 3, 28)) == Decimal("7.10")
    assert TABLE.rate_on("USD", "CNY", date(2024, 3, 29)) == Decimal("7.20")
    assert TABLE.rate_on("usd", "cny", date(2024, 12, 31)) == Decimal("7.20")


def test_reverse_pair_is_inverted_with_full_precision():
    rate = TABLE.rate_on("CNY", "USD", date(2024, 3, 31))
    assert abs(rate * Decimal("7.2") - 1) < Decimal("1e-28")
    assert TABLE.rate_on("JPY", "CNY", date(2024, 3, 31)) == Decimal("0.05")


def test_missing_rate_is_a_refusal_naming_pair_and_date():
    with pytest.raises(MissingRate) as refusal:
        TABLE.rate_on("USD", "CNY", date(2024, 2, 29))
    assert isinstance(refusal.value, Refusal)
    assert refusal.value.code == "fx.missing_rate"
    assert refusal.value.message == "no USD→CNY exchange rate on or before 2024-02-29"
    with pytest.raises(MissingRate, match="EUR→CNY"):
        TABLE.convert_minor(100, "EUR", "CNY", date(2024, 3, 31))


def test_conversion_respects_exponents():
    # 100.00 USD at 7.2 = 720.00 CNY; 1,000 JPY at 0.05 = 50.00 CNY; 1.000 KWD at 3.25 = 3.25 USD
    assert TABLE.convert_minor(10_000, "USD", "CNY", date(2024, 3, 31)) == 72_000
    assert TABLE.convert_minor(1_000, "JPY", "CNY", date(2024, 3, 31)) == 5_000
    assert convert_minor(1_000, "KWD", "USD", Decimal("3.25")) == 325
    assert convert_minor(100, "CNY", "JPY", Decimal("20.5")) == 21  # 1.00 CNY → 20.5 JPY → 21


def test_conversion_rounds_half_up_once():
    assert convert_minor(1, "CNY", "USD", Decimal("0.5")) == 1  # 0.5 fen → 1 cent
    assert convert_minor(-1, "CNY", "USD", Decimal("0.5")) == -1
    assert convert_minor(1, "KWD", "JPY", Decimal("500")) == 1  # 0.001 KWD = 0.5 JPY
    assert convert_minor(1, "KWD", "JPY", Decimal("499")) == 0


def test_reverse_conversion_divides_exactly_before_rounding():
    table = RateTable([Rate("CNY", "USD", date(2024, 1, 1), Decimal("0.14"))])
    # 7.00 USD / 0.14 = 50.00 CNY exactly, not 49.99 from a truncated inverse
    assert table.convert_minor(700, "USD", "CNY", date(2024, 1, 1)) == 5_000


def test_float_is_refused():
    with pytest.raises(TypeError):
        convert_minor(100, "USD", "CNY", 7.1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Rate("USD", "CNY", date(2024, 1, 1), 7.1)  # type: ignore[arg-type]


def test_rate_json_is_strings():
    assert Rate("USD", "CNY", date(2024, 3, 31), Decimal("7.1234000000")).to_json() == {
        "from": "USD", "to": "CNY", "date": "2024-03-31", "rate": "7.1234"}
    assert rate_text(Decimal("150.0")) == "150"


@pytest.mark.parametrize(("text", "code"), [
    ("abc", "fx.rate_unreadable"), ("0", "fx.rate_not_positive"), ("-7", "fx.rate_not_positive"),
    ("7.12345678901", "fx.rate_too_precise"), ("1" * 15, "fx.rate_too_large"),
])
def test_bad_rate_text_is_a_problem(text, code):
    problem = parse_rate(text)
    assert isinstance(problem, Problem) and problem.code == code


def test_rate_rows_with_problems_name_line_and_field():
    rows = [
        (2, {"from_currency": "usd", "to_currency": "CNY", "rate_date": "2024/3/31", "rate": "7.1"}),
        (3, {"from_currency": "USD", "to_currency": "CNY", "rate_date": "2024-03-31", "rate": "7.2"}),
        (4, {"from_currency": "EUR", "to_currency": "CNY", "rate_date": "31.03.2024", "rate": "7.8"}),
    ]
    rates, problems = read_rate_rows(rows, "rates.csv")
    assert rates == [Rate("USD", "CNY", date(2024, 3, 31), Decimal("7.1"))]
    assert [(p.source, p.field, p.code) for p in problems] == [
        ("rates.csv:3", "rate", "fx.duplicate_rate"), ("rates.csv:4", "rate_date", "date.unreadable")]


@given(st.integers(-10**15, 10**15), st.decimals("0.0001", "10000", places=4),
       st.sampled_from(["CNY", "JPY", "KWD", "USD"]), st.sampled_from(["CNY", "JPY", "KWD", "USD"]))
def test_conversion_is_the_exact_value_rounded_half_up(minor, rate, source, target):
    exponents = {"CNY": 2, "JPY": 0, "KWD": 3, "USD": 2}
    shift = exponents[target] - exponents[source]
    # exact value in target minor units as a fraction n / d (rate has 4 decimals)
    n = minor * int(rate.scaleb(4)) * (10**shift if shift > 0 else 1)
    d = 10**4 * (10**-shift if shift < 0 else 1)
    sign = -1 if n < 0 else 1
    expected = sign * ((2 * abs(n) + d) // (2 * d))  # half up, away from zero
    assert convert_minor(minor, source, target, rate) == expected


@given(st.integers(1, 10**12), st.decimals("0.01", "1000", places=2))
def test_round_trip_through_the_reverse_rate_stays_within_a_unit(minor, rate):
    table = RateTable([Rate("USD", "CNY", date(2024, 1, 1), rate)])
    there = table.convert_minor(minor, "USD", "CNY", date(2024, 1, 1))
    back = table.convert_minor(there, "CNY", "USD", date(2024, 1, 1))
    assert abs(back - minor) <= 1 / rate / 2 + 1
