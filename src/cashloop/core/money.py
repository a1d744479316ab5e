"""Exact money: integer minor units with an ISO 4217 currency code.

Invariant: an amount is never a float. Decimal is used for rates and intermediate values only;
values go back to minor units through `round_minor`, which applies ROUND_HALF_UP (四舍五入),
named once here, never the ambient decimal context. Splits (`allocate`) always add back to the
total, by largest remainder with ties to the earliest part.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from cashloop.core.problems import Problem, gettext_noop

ROUNDING = ROUND_HALF_UP

# ISO 4217 minor-unit exponents that differ from 2; every other well-formed code uses 2.
_EXPONENTS: dict[str, int] = {
    "BHD": 3, "BIF": 0, "CLF": 4, "CLP": 0, "DJF": 0, "GNF": 0, "IQD": 3, "ISK": 0, "JOD": 3,
    "JPY": 0, "KMF": 0, "KRW": 0, "KWD": 3, "LYD": 3, "OMR": 3, "PYG": 0, "RWF": 0, "TND": 3,
    "UGX": 0, "UYI": 0, "UYW": 4, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
}
_CODE = re.compile(r"^[A-Z]{3}$")
_SIGNS = "¥￥$€£₩₹"
_CURRENCY_WORDS = ("RMB", "CNY", "USD", "EUR", "元")


class CurrencyMismatch(ValueError):
    """Adding or comparing amounts of two currencies is a bug, not a conversion."""


def is_currency_code(code: str) -> bool:
    return bool(_CODE.match(code))


def exponent(currency: str) -> int:
    """Number of decimals of a currency's minor unit (CNY 2, JPY 0, KWD 3)."""
    if not is_currency_code(currency):
        raise ValueError(f"not an ISO 4217 currency code: {currency!r}")
    return _EXPONENTS.get(currency, 2)


def round_minor(value: Decimal | int, currency: str, rounding: str = ROUNDING) -> int:
    """A major-unit Decimal value rounded to integer minor units of `currency`."""
    if isinstance(value, float):
        raise TypeError("money is never a float")
    scaled = Decimal(value).scaleb(exponent(currency))
    return int(scaled.quantize(Decimal(1), rounding=rounding))


def round_scaled(value_minor: Decimal, rounding: str = ROUNDING) -> int:
    """A Decimal already in minor units rounded to an integer number of minor units."""
    return int(value_minor.quantize(Decimal(1), rounding=rounding))


@dataclass(frozen=True, slots=True, order=False)
class Money:
    minor: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.minor, bool) or not isinstance(self.minor, int):
            raise TypeError(f"Money.minor must be int, got {type(self.minor).__name__}")
        exponent(self.currency)

    @classmethod
    def of(cls, major: Decimal | int | str, currency: str) -> Money:
        """Money from a major-unit amount, rounded half up to the currency's minor unit."""
        if isinstance(major, float):
            raise TypeError("money is never a float")
        return cls(round_minor(Decimal(major), currency), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def parse(cls, text: str, currency: str) -> Money | Problem:
        """Money from text as ERPs write it, or a Problem saying why it cannot be read."""
        value = parse_amount(text)
        if isinstance(value, Problem):
            return value
        return cls(round_minor(value, currency), currency)

    @property
    def amount(self) -> Decimal:
        return Decimal(self.minor).scaleb(-exponent(self.currency))

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency} cannot be combined")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.minor < other.minor

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.minor <= other.minor

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.minor > other.minor

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.minor >= other.minor

    def times(self, factor: Decimal | int) -> Money:
        """Money scaled by an exact factor (a rate or ratio), rounded once."""
        if isinstance(factor, float):
            raise TypeError("rates are Decimal, never float")
        return Money(round_scaled(Decimal(self.minor) * Decimal(factor)), self.currency)

    def __str__(self) -> str:
        return f"{format_minor(self.minor, self.currency)} {self.currency}"

    def to_json(self) -> dict[str, str]:
        return {"amount": format_minor(self.minor, self.currency), "currency": self.currency}


def format_minor(minor: int, currency: str) -> str:
    """Plain decimal text with the currency's decimals, as JSON carries amounts: '-1234.50'."""
    exp = exponent(currency)
    sign = "-" if minor < 0 else ""
    digits = str(abs(minor)).rjust(exp + 1, "0")
    if exp == 0:
        return f"{sign}{digits}"
    return f"{sign}{digits[:-exp]}.{digits[-exp:]}"


def format_grouped(minor: int, currency: str) -> str:
    """Text with thousands separators for people: '1,234,567.89'."""
    plain = format_minor(minor, currency)
    sign = "-" if plain.startswith("-") else ""
    whole, _, frac = plain.lstrip("-").partition(".")
    grouped = f"{int(whole):,}"
    return f"{sign}{grouped}.{frac}" if frac else f"{sign}{grouped}"


_AMOUNT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def parse_amount(text: str) -> Decimal | Problem:
    """A Decimal from text with thousands separators, currency signs, (negatives) or trailing minus."""
    raw = text
    s = text.strip().replace("\u00a0", "").replace(" ", "")
    for word in _CURRENCY_WORDS:
        s = s.replace(word, "")
    for sign in _SIGNS:
        s = s.replace(sign, "")
    negative = False
    if (s.startswith("(") and s.endswith(")")) or (s.startswith("（") and s.endswith("）")):
        negative, s = True, s[1:-1]
    if s.endswith("-") and len(s) > 1:
        negative, s = True, s[:-1]
    s = s.replace(",", "").replace("，", "")
    for sign in _SIGNS:
        s = s.replace(sign, "")
    if s.startswith("-") and negative:
        return _bad_amount(raw)
    if not s or not _AMOUNT.match(s):
        return _bad_amount(raw)
    try:
        value = Decimal(s)
    except InvalidOperation:
        return _bad_amount(raw)
    return -value if negative else value


def _bad_amount(raw: str) -> Problem:
    return Problem(
        source="", field=None, code="amount.unreadable",
        message=gettext_noop("cannot read amount {value}"), params=(("value", raw),),
    )


def allocate(total: int, weights: Sequence[int | Decimal]) -> list[int]:
    """Split `total` minor units in proportion to `weights`; the parts always sum to `total`.

    Largest remainder: each part gets the floor of its share, then the leftover units go one by one
    to the largest remainders, ties to the earliest part. Negative totals split like their absolute
    value, negated.
    """
    if not weights:
        raise ValueError("cannot split over no parts")
    if any(isinstance(w, float) for w in weights):
        raise TypeError("weights are int or Decimal, never float")
    ws = [Decimal(w) for w in weights]
    if any(w < 0 for w in ws):
        raise ValueError("weights must not be negative")
    weight_sum = sum(ws, Decimal(0))
    if weight_sum == 0:
        raise ValueError("weights must not all be zero")
    if total < 0:
        return [-p for p in allocate(-total, weights)]
    exact = [Decimal(total) * w / weight_sum for w in ws]
    parts = [int(e) for e in exact]  # floor: exact ≥ 0
    leftover = total - sum(parts)
    order = sorted(range(len(ws)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[:leftover]:
        parts[i] += 1
    return parts
