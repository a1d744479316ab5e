"""Reading dated exchange rates: the rate table for conversions and the list for CLI and API."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from cashloop.core.fx import Rate, RateTable
from cashloop.ledger.models import ExchangeRate


def rate_table(currencies: set[str] | None = None, until: date | None = None) -> RateTable:
    """All rates between `currencies` (all when None) dated on or before `until`, in one query."""
    rows = ExchangeRate.objects.all()
    if currencies is not None:
        codes = sorted({c.upper() for c in currencies})
        rows = rows.filter(from_currency__in=codes, to_currency__in=codes)
    if until is not None:
        rows = rows.filter(rate_date__lte=until)
    return RateTable(
        Rate(f, t, d, r)
        for f, t, d, r in rows.values_list("from_currency", "to_currency", "rate_date", "rate")
    )


def rates(from_currency: str | None = None, to_currency: str | None = None) -> QuerySet[ExchangeRate]:
    """Stored rates, newest first within each pair, optionally of one source or target currency."""
    rows = ExchangeRate.objects.all()
    if from_currency:
        rows = rows.filter(from_currency=from_currency.strip().upper())
    if to_currency:
        rows = rows.filter(to_currency=to_currency.strip().upper())
    return rows.order_by("from_currency", "to_currency", "-rate_date")


def as_rate(row: ExchangeRate) -> Rate:
    return Rate(row.from_currency, row.to_currency, row.rate_date, row.rate)
