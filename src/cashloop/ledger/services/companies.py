"""Creating companies and choosing the default one that commands use without --company."""

from __future__ import annotations

from django.db import transaction

from cashloop.core.money import is_currency_code
from cashloop.core.problems import Invalid, NotFound, gettext_noop
from cashloop.ledger.models import Company


def default_company() -> Company:
    company = Company.objects.filter(is_default=True).first() or Company.objects.order_by("id").first()
    if company is None:
        raise NotFound(gettext_noop("no company yet: run `cashloop init` or `cashloop demo` first"))
    return company


def company_by_code(code: str | None) -> Company:
    """The company with `code`, or the default company when no code is given."""
    if not code:
        return default_company()
    company = Company.objects.filter(code=code).first()
    if company is None:
        raise NotFound(gettext_noop("no company with code {code}"), code=repr(code))
    return company


@transaction.atomic
def ensure_company(
    code: str, name: str | None = None, base_currency: str = "CNY", make_default: bool = False
) -> tuple[Company, bool]:
    """The company with `code`, created when missing; made the default when asked or when alone."""
    base_currency = base_currency.upper()
    if not is_currency_code(base_currency):
        raise Invalid(gettext_noop("base currency {value} is not an ISO 4217 code"),
                      value=repr(base_currency))
    company, created = Company.objects.get_or_create(
        code=code, defaults={"name": name or code, "base_currency": base_currency}
    )
    if not created and name and company.name != name:
        company.name = name
        company.save(update_fields=["name"])
    if make_default or not Company.objects.filter(is_default=True).exists():
        set_default_company(company)
    return company, created


@transaction.atomic
def set_default_company(company: Company) -> None:
    Company.objects.filter(is_default=True).exclude(pk=company.pk).update(is_default=False)
    if not company.is_default:
        company.is_default = True
        company.save(update_fields=["is_default"])
