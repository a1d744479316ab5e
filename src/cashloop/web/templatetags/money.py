"""Template filters for money and day counts, so pages never format amounts by hand.

`{{ invoice.amount_minor|money:invoice.currency }}` → '1,234,567.89' (the currency's decimals,
thousands separators); `{{ n|days }}` → '12 days' (translated). Missing values show as '—'.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.translation import ngettext

from cashloop.core.money import format_grouped, is_currency_code

register = template.Library()

MISSING = "—"


@register.filter
def money(minor: Any, currency: str | None = "CNY") -> str:
    """Integer minor units shown grouped with the currency's decimals."""
    if minor is None or minor == "":
        return MISSING
    code = (currency or "").upper()
    if not is_currency_code(code):
        return MISSING
    try:
        return format_grouped(int(minor), code)
    except (TypeError, ValueError):
        return MISSING


@register.filter
def money_code(minor: Any, currency: str | None = "CNY") -> str:
    """Like `money`, followed by the currency code: '1,234.50 CNY'."""
    text = money(minor, currency)
    return text if text == MISSING else f"{text} {(currency or '').upper()}"


@register.filter
def days(value: Any) -> str:
    """A number of days: '1 day', '12 days', '10.5 days'."""
    if value is None or value == "":
        return MISSING
    if isinstance(value, Decimal) and value != value.to_integral_value():
        return ngettext("%(n)s day", "%(n)s days", 2) % {"n": value}
    try:
        count = int(value)
    except (TypeError, ValueError):
        return MISSING
    return ngettext("%(n)s day", "%(n)s days", count) % {"n": count}


@register.filter
def percent(value: Any) -> str:
    """A Decimal percent such as 87.5 → '87.5 %'."""
    return MISSING if value is None else f"{value} %"
