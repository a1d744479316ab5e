"""Dated exchange rates (汇率) and conversion of minor units between currencies.

A rate says one unit of `from_currency` costs `rate` units of `to_currency` from `rate_date` on.
The rate in force on a day is the latest one dated on or before it; when only the reverse pair is
known, its inverse is used. A missing rate is a refusal naming the pair and the day, never a
silent 1. Conversion respects both currencies' ISO 4217 exponents (JPY 0, CNY 2, KWD 3) and
rounds once, half up (四舍五入), after an exact product.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation, localcontext

from cashloop.core.money import exponent, is_currency_code, round_scaled
from cashloop.core.problems import Problem, Refusal, gettext_noop

# Precision of intermediate products and inverses: far above what any stored rate carries.
_PRECISION = 60
MAX_RATE_DECIMALS = 10  # the ExchangeRate column keeps 10 decimals
MAX_RATE_INTEGER_DIGITS = 14  # ... and 24 digits in all


@dataclass(frozen=True, slots=True)
class Rate:
    from_currency: str
    to_currency: str
    rate_date: date
    rate: Decimal

    def __post_init__(self) -> None:
        if not isinstance(self.rate, Decimal):
            raise TypeError(f"a rate is a Decimal, never {type(self.rate).__name__}")
        if self.rate <= 0:
            raise ValueError(f"a rate must be positive: {self.rate}")
        if not (is_currency_code(self.from_currency) and is_currency_code(self.to_currency)):
            raise ValueError(f"not ISO 4217 codes: {self.from_currency}/{self.to_currency}")

    def to_json(self) -> dict[str, str]:
        return {
            "from": self.from_currency, "to": self.to_currency,
            "date": self.rate_date.isoformat(), "rate": rate_text(self.rate),
        }


class MissingRate(Refusal):
    """No rate for a pair on or before a day: conversions that need it cannot go on."""

    code = "fx.missing_rate"
    http_status = 409

    def __init__(self, from_currency: str, to_currency: str, day: date) -> None:
        self.from_currency, self.to_currency, self.day = from_currency, to_currency, day
        problem = Problem(
            source=f"{from_currency}→{to_currency}", field="rate", code=self.code,
            message=gettext_noop("no {from}→{to} exchange rate on or before {date}"),
            params=(("from", from_currency), ("to", to_currency), ("date", day.isoformat())),
        )
        super().__init__(problem.text(), (problem,))


class RateTable:
    """Dated rates by pair, answering 'which rate on this day' without a database."""

    def __init__(self, rates: Iterable[Rate]) -> None:
        by_pair: dict[tuple[str, str], dict[date, Decimal]] = {}
        for r in rates:
            by_pair.setdefault((r.from_currency, r.to_currency), {})[r.rate_date] = r.rate
        self._dates: dict[tuple[str, str], list[date]] = {}
        self._rates: dict[tuple[str, str], list[Decimal]] = {}
        for pair, dated in by_pair.items():
            days = sorted(dated)
            self._dates[pair] = days
            self._rates[pair] = [dated[d] for d in days]

    def __len__(self) -> int:
        return sum(len(days) for days in self._dates.values())

    def pairs(self) -> set[tuple[str, str]]:
        return set(self._dates)

    def rate_on(self, from_currency: str, to_currency: str, day: date) -> Decimal:
        """Units of `to_currency` per unit of `from_currency` in force on `day`."""
        rate, inverse = self._lookup(from_currency, to_currency, day)
        if not inverse:
            return rate
        with localcontext() as ctx:
            ctx.prec = _PRECISION
            return Decimal(1) / rate

    def convert_minor(self, minor: int, from_currency: str, to_currency: str, day: date) -> int:
        """`minor` units of `from_currency` in minor units of `to_currency` at the rate on `day`."""
        rate, inverse = self._lookup(from_currency, to_currency, day)
        if not inverse:
            return convert_minor(minor, from_currency, to_currency, rate)
        # Dividing by the reverse rate keeps the value exact until the single rounding.
        with localcontext() as ctx:
            ctx.prec = _PRECISION
            scaled = Decimal(minor).scaleb(exponent(to_currency) - exponent(from_currency)) / rate
        return round_scaled(scaled)

    def _lookup(self, from_currency: str, to_currency: str, day: date) -> tuple[Decimal, bool]:
        """(rate, is it the reverse pair's); raises MissingRate."""
        f, t = from_currency.upper(), to_currency.upper()
        if f == t:
            return Decimal(1), False
        direct = self._latest((f, t), day)
        if direct is not None:
            return direct, False
        reverse = self._latest((t, f), day)
        if reverse is not None:
            return reverse, True
        raise MissingRate(f, t, day)

    def _latest(self, pair: tuple[str, str], day: date) -> Decimal | None:
        days = self._dates.get(pair)
        if not days:
            return None
        i = bisect_right(days, day)
        return self._rates[pair][i - 1] if i else None


def convert_minor(minor: int, from_currency: str, to_currency: str, rate: Decimal) -> int:
    """`minor` units of `from_currency` times `rate`, in minor units of `to_currency`, half up."""
    if isinstance(rate, float) or isinstance(minor, float):
        raise TypeError("money and rates are never float")
    shift = exponent(to_currency) - exponent(from_currency)
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        scaled = (Decimal(minor) * rate).scaleb(shift)
    return round_scaled(scaled)


def rate_text(rate: Decimal) -> str:
    """A rate as plain text without exponent or trailing zeros: '7.1234', '150'."""
    return format(rate.normalize(), "f")


# --- checking what users type ----------------------------------------------------------------

_RATE_TEXT = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)$")


def parse_rate(text: str) -> Decimal | Problem:
    """A positive rate from text ('7.1234', '1,350.25'), or a Problem; never a float."""
    cleaned = text.strip().replace(",", "").replace("，", "")
    if not _RATE_TEXT.match(cleaned):
        return _problem("rate", "fx.rate_unreadable", gettext_noop("cannot read rate {value}"),
                        (("value", text),))
    try:
        value = Decimal(cleaned)
    except InvalidOperation:  # pragma: no cover - the pattern admits only plain decimals
        return _problem("rate", "fx.rate_unreadable", gettext_noop("cannot read rate {value}"),
                        (("value", text),))
    problems = rate_problems(value)
    return problems[0] if problems else value


def rate_problems(rate: Decimal) -> tuple[Problem, ...]:
    """Why a rate cannot be stored: not positive, too many decimals or digits."""
    params = (("value", str(rate)),)
    if not rate.is_finite() or rate <= 0:
        return (_problem("rate", "fx.rate_not_positive",
                         gettext_noop("the rate must be greater than 0: {value}"), params),)
    exp = rate.normalize().as_tuple().exponent
    decimals = -exp if isinstance(exp, int) and exp < 0 else 0
    if decimals > MAX_RATE_DECIMALS:
        return (_problem("rate", "fx.rate_too_precise",
                         gettext_noop("the rate has more than {max} decimals: {value}"),
                         (*params, ("max", str(MAX_RATE_DECIMALS)))),)
    integer_digits = len(str(int(rate)))
    if integer_digits > MAX_RATE_INTEGER_DIGITS:
        return (_problem("rate", "fx.rate_too_large", gettext_noop("the rate is too large: {value}"),
                         params),)
    return ()


def currency_problems(from_currency: str, to_currency: str) -> tuple[Problem, ...]:
    """Why a currency pair cannot carry a rate: codes not ISO 4217, or the same currency twice."""
    problems = []
    for field, code in (("from_currency", from_currency), ("to_currency", to_currency)):
        if not is_currency_code(code):
            problems.append(_problem(field, "fx.currency_unknown",
                                     gettext_noop("{value} is not an ISO 4217 currency code"),
                                     (("value", code),)))
    if not problems and from_currency == to_currency:
        problems.append(_problem("to_currency", "fx.same_currency",
                                 gettext_noop("a rate needs two different currencies, got {value} twice"),
                                 (("value", from_currency),)))
    return tuple(problems)


# Column names accepted in rate files, English and Chinese, lower-cased.
RATE_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "from_currency": ("from_currency", "from", "currency", "币种", "源币种", "原币种", "原币"),
    "to_currency": ("to_currency", "to", "target_currency", "目标币种", "本位币", "兑换币种"),
    "rate_date": ("date", "rate_date", "日期", "汇率日期", "生效日期"),
    "rate": ("rate", "exchange_rate", "汇率"),
}
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


def parse_rate_date(text: str) -> date | Problem:
    """A date written year first: 2024-03-31, 2024/3/31, 2024.3.31, 2024年3月31日."""
    m = _DATE.match(text.strip())
    if m:
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            pass
    return _problem("rate_date", "date.unreadable",
                    gettext_noop("cannot read date {value} (write it year first: 2024-03-31)"),
                    (("value", text),))


def read_rate_rows(
    rows: Iterable[tuple[int, Mapping[str, str]]], source: str
) -> tuple[list[Rate], list[Problem]]:
    """Rates from rows keyed by field name (see RATE_COLUMNS), with problems at 'source:line'.

    The same pair and date twice with different rates is a problem naming both lines.
    """
    rates: list[Rate] = []
    problems: list[Problem] = []
    seen: dict[tuple[str, str, date], tuple[int, Decimal]] = {}
    for line, row in rows:
        where = f"{source}:{line}"
        f = (row.get("from_currency") or "").strip().upper()
        t = (row.get("to_currency") or "").strip().upper()
        row_problems = [p.at(where) for p in currency_problems(f, t)]
        day = parse_rate_date(row.get("rate_date") or "")
        if isinstance(day, Problem):
            row_problems.append(day.at(where))
        rate = parse_rate(row.get("rate") or "")
        if isinstance(rate, Problem):
            row_problems.append(rate.at(where))
        problems.extend(row_problems)
        if row_problems or isinstance(day, Problem) or isinstance(rate, Problem):
            continue
        key = (f, t, day)
        if key in seen:
            first_line, first_rate = seen[key]
            if first_rate != rate:
                problems.append(Problem(
                    source=where, field="rate", code="fx.duplicate_rate",
                    message=gettext_noop("{pair} on {date} is on line {first} with rate {first_rate} "
                                         "and here with {rate}"),
                    params=(("pair", f"{f}→{t}"), ("date", day.isoformat()), ("first", str(first_line)),
                            ("first_rate", rate_text(first_rate)), ("rate", rate_text(rate))),
                ))
            continue
        seen[key] = (line, rate)
        rates.append(Rate(f, t, day, rate))
    return rates, problems


def _problem(field: str, code: str, message: str, params: tuple[tuple[str, str], ...]) -> Problem:
    return Problem(source="", field=field, code=code, message=message, params=params)
