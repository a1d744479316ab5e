"""Cell values: amounts to minor units, yes/no flags, currency codes, as ERPs write them.

Amounts: thousands separators, currency signs, (negative), decimal comma ("1.234,56", "12,5")
go through `money.parse_amount`; plain "1234.56" takes a fast path that gives the same result.
Rounding to the currency's minor unit is half up (money.ROUNDING).
"""

from __future__ import annotations

import re

from cashloop.core.money import exponent, is_currency_code, parse_amount, round_minor
from cashloop.core.problems import Problem

TRUE_WORDS = frozenset({"yes", "y", "true", "t", "1", "是", "有", "对", "x", "disputed", "争议"})
FALSE_WORDS = frozenset({"no", "n", "false", "f", "0", "否", "无", "不", "", "-", "none",
                         "not disputed", "undisputed", "无争议", "非争议", "正常"})
CURRENCY_ALIASES = {"RMB": "CNY", "¥": "CNY", "￥": "CNY", "元": "CNY", "人民币": "CNY",
                    "$": "USD", "US$": "USD", "美元": "USD", "€": "EUR", "欧元": "EUR",
                    "£": "GBP", "英镑": "GBP", "日元": "JPY", "港币": "HKD", "港元": "HKD",
                    "HK$": "HKD"}
_CODE_AROUND = re.compile(r"^[A-Z]{3}\s*(?=[-+(\d.])|(?<=[\d.)])\s*[A-Z]{3}$")
_SIMPLE = re.compile(r"^-?\d+(\.\d*)?$")
_DECIMAL_COMMA = re.compile(r"^[^.,]*\d,\d{1,2}$")
_EURO_GROUPS = re.compile(r"^[^,]*\d{1,3}(\.\d{3})+,\d+$")


def minor_units(text: str, currency: str, exp: int | None = None) -> int | None:
    """Integer minor units of `currency` for an amount written as text, or None if unreadable."""
    s = text.strip()
    if exp is None:
        exp = exponent(currency)
    whole, _, frac = s.partition(".")
    if whole.isdigit() and (not frac or frac.isdigit()) and len(frac) <= exp and whole.isascii():
        return int(whole + frac.ljust(exp, "0")) if exp else int(whole)
    if _SIMPLE.match(s):
        negative = s.startswith("-")
        whole, _, frac = s.lstrip("-").partition(".")
        if len(frac) <= exp:
            value = int(whole + frac.ljust(exp, "0")) if exp else int(whole)
            return -value if negative else value
    s = _CODE_AROUND.sub("", s.replace("'", ""))
    if _EURO_GROUPS.match(s) or _DECIMAL_COMMA.match(s):
        s = s.replace(".", "").replace(",", ".")
    value = parse_amount(s)
    if isinstance(value, Problem):
        return None
    return round_minor(value, currency)


def flag(text: str) -> bool | None:
    """True/False for yes/no, 是/否, true/false, Y/N, 1/0 (blank is False); None if unreadable."""
    key = text.strip().casefold()
    if key in TRUE_WORDS:
        return True
    if key in FALSE_WORDS:
        return False
    return None


def currency_code(text: str) -> str | None:
    """An ISO 4217 code from 'usd', 'RMB', '¥', '人民币'; None if not one."""
    s = text.strip()
    s = CURRENCY_ALIASES.get(s, CURRENCY_ALIASES.get(s.upper(), s.upper()))
    return s if is_currency_code(s) else None
