"""Field checks shared by the ledger's services: each bad value is a refusal naming its field.

Also the one way documents with a natural key (invoice number, payment reference, credit note
number) are created: checked first for a clear message, and a concurrent insert of the same key is
turned into the same refusal instead of an IntegrityError.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction

from cashloop.core.money import exponent, is_currency_code
from cashloop.core.problems import Invalid, Problem, Refusal, gettext_noop

EARLIEST = date(1900, 1, 1)
LATEST = date(2199, 12, 31)
MAX_MINOR = 10**15  # far above any invoice, far below BIGINT; keeps arithmetic and SQL safe

ModelT = TypeVar("ModelT", bound=models.Model)


def invalid(at_field: str, code: str, message: str, **params: Any) -> Invalid:
    """An Invalid refusal naming the field, for adapters to show beside it."""
    problem = Problem(source="request", field=at_field, code=code, message=message,
                      params=tuple((k, str(v)) for k, v in params.items()))
    return Invalid(problem.text(), (problem,))


def parse_minor(text: str, currency: str, field: str) -> int:
    """Minor units of a plain amount string ('1234.50'), refusing more decimals than the currency has."""
    try:
        value = Decimal(text.strip().replace(",", ""))
        exp = exponent(currency)
    except (InvalidOperation, ValueError) as exc:
        raise invalid(field, "amount.unreadable", gettext_noop("cannot read amount {value}"),
                      value=text) from exc
    if not value.is_finite() or abs(value) > MAX_MINOR:
        raise invalid(field, "amount.unreadable", gettext_noop("cannot read amount {value}"),
                      value=text)
    scaled = value.scaleb(exp)
    if scaled != scaled.to_integral_value():
        raise invalid(field, "amount.decimals", gettext_noop("{currency} has {n} decimals"),
                      currency=currency, n=exp)
    return int(scaled)


def check_date(field: str, value: date) -> date:
    if not EARLIEST <= value <= LATEST:
        raise invalid(field, "date.out_of_range", gettext_noop("{field} must be between {low} and {high}"),
                      field=field, low=EARLIEST, high=LATEST)
    return value


def check_amount(field: str, minor: int) -> int:
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise TypeError("amounts are integer minor units")
    if minor <= 0:
        raise invalid(field, "amount.not_positive", gettext_noop("{field} must be more than zero"),
                      field=field)
    if minor > MAX_MINOR:
        raise invalid(field, "amount.too_large", gettext_noop("{field} is too large"), field=field)
    return minor


def check_currency(field: str, currency: str) -> str:
    if not is_currency_code(currency):
        raise invalid(field, "currency.unknown", gettext_noop("{value} is not an ISO 4217 currency code"),
                      value=currency)
    return currency


def check_text(field: str, value: str, max_length: int, required: bool = False) -> str:
    value = value.strip()
    if required and not value:
        raise invalid(field, "text.required", gettext_noop("{field} is required"), field=field)
    if len(value) > max_length or "\x00" in value:
        raise invalid(field, "text.invalid",
                      gettext_noop("{field} is too long or has invalid characters"),
                      field=field)
    return value


def create_once(model: type[ModelT], refusal: type[Refusal], message: str,
                key: dict[str, Any], message_params: dict[str, Any], **fields: Any) -> ModelT:
    """Create a row whose natural key (`key`) must be new; a duplicate is
    `refusal(message, **message_params)`, the message a template over those params."""
    manager = model._default_manager
    if manager.filter(**key).exists():
        raise refusal(message, **message_params)
    try:
        with transaction.atomic():
            return manager.create(**key, **fields)
    except IntegrityError as exc:  # a concurrent request created the same key
        raise refusal(message, **message_params) from exc
