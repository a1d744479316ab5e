from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cashloop.core.money import (
    CurrencyMismatch,
    Money,
    allocate,
    exponent,
    format_grouped,
    format_minor,
    parse_amount,
    round_minor,
)
from cashloop.core.problems import Problem


def test_currency_exponents_follow_iso_4217():
    assert (exponent("CNY"), exponent("JPY"), exponent("KWD")) == (2, 0, 3)


def test_float_is_refused():
    with pytest.raises(TypeError):
        Money(1.5, "CNY")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money.of(1.5, "CNY")  # type: ignore[arg-type]


def test_rounding_is_half_up_not_bankers():
    assert round_minor(Decimal("0.125"), "CNY") == 13
    assert round_minor(Decimal("0.135"), "CNY") == 14
    assert round_minor(Decimal("-0.125"), "CNY") == -13
    assert round_minor(Decimal("2.5"), "JPY") == 3


def test_mixing_currencies_is_a_bug():
    with pytest.raises(CurrencyMismatch):
        Money(100, "CNY") + Money(100, "USD")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234.56", Decimal("1234.56")),
        ("¥1,234.5", Decimal("1234.5")),
        ("￥ 99", Decimal("99")),
        ("$-12.00", Decimal("-12.00")),
        ("(1,000.00)", Decimal("-1000.00")),
        ("€0.5", Decimal("0.5")),
        ("12.5-", Decimal("-12.5")),
        ("RMB 8", Decimal("8")),
    ],
)
def test_amounts_read_as_erps_write_them(text, expected):
    assert parse_amount(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "1.2.3", "--5", "12,3a"])
def test_unreadable_amount_is_a_problem(text):
    result = parse_amount(text)
    assert isinstance(result, Problem)
    assert result.code == "amount.unreadable"


def test_format_keeps_currency_decimals():
    assert format_minor(123450, "CNY") == "1234.50"
    assert format_minor(-5, "CNY") == "-0.05"
    assert format_minor(1234, "JPY") == "1234"
    assert format_minor(1, "KWD") == "0.001"
    assert format_grouped(123456789, "CNY") == "1,234,567.89"


def test_allocate_gives_remainders_to_largest_then_earliest():
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(-100, [1, 1, 1]) == [-34, -33, -33]
    assert allocate(10, [0, 1]) == [0, 10]


@given(
    total=st.integers(min_value=-10**12, max_value=10**12),
    weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=30).filter(
        lambda ws: sum(ws) > 0
    ),
)
def test_allocate_always_adds_back_to_the_total(total, weights):
    parts = allocate(total, weights)
    assert sum(parts) == total
    assert len(parts) == len(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact = Decimal(total) * weight / sum(weights)
        assert abs(Decimal(part) - exact) < 1


@given(st.integers(min_value=-10**15, max_value=10**15), st.sampled_from(["CNY", "JPY", "KWD"]))
def test_format_then_parse_round_trips(minor, currency):
    text = format_minor(minor, currency)
    assert Money.parse(text, currency) == Money(minor, currency)
