"""Writing customers (客户), their contacts and contracts (合同).

Each function is one transaction: check who may act (sales reps only on their own customers,
auditors never), validate every field into a clear refusal naming it, store, and audit the change
(who, when, before, after). Credit fields (credit limit, tier, payment terms, sales rep), amounts
and dates are always in the audit entry. The database constraints (unique customer code and
contract number per company) are checked first, so no IntegrityError reaches a user.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from cashloop.accounts.access import customer_scope, require_write
from cashloop.accounts.models import Role
from cashloop.accounts.services import role_of
from cashloop.audit.services import Actor, changed_fields, record
from cashloop.core.money import exponent, is_currency_code, parse_amount, round_minor
from cashloop.core.problems import Forbidden, Invalid, NotFound, Problem, gettext_noop
from cashloop.ledger.models import Company, Contact, Contract, Customer, PaymentTerms, SalesRep

CUSTOMER_FIELDS = (
    "code", "name", "tax_id", "industry", "country", "currency", "sales_rep", "department",
    "credit_limit_minor", "tier", "payment_terms",
)
CONTACT_FIELDS = ("name", "role", "email", "phone", "language", "is_primary")
CONTRACT_FIELDS = (
    "number", "start_date", "end_date", "payment_terms", "late_interest_rate", "description",
)
_TEXT_LIMITS = {
    "code": 64, "name": 200, "tax_id": 64, "industry": 100, "department": 100, "tier": 8,
    "role": 80, "number": 64, "description": 500, "email": 254,
}
_CONTACT_NAME_MAX = 120
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_PHONE = re.compile(r"^[0-9+()./\- ]{3,40}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")
_CODE = re.compile(r"^[^\s/\\?#%]+$")  # codes are URL path segments
RATE_MAX = Decimal(1)  # a yearly late interest rate above 100 % is a typo (5 means 5 %?)


def _invalid(field: str, message: str, value: Any = "", **params: Any) -> Invalid:
    """A refusal of one field; `message` is a template over field, value and `params`."""
    problem = Problem(source="request", field=field, code=f"{field}.invalid", message=message,
                      params=(("field", field), ("value", str(value)),
                              *((k, str(v)) for k, v in params.items())))
    return Invalid(problem.text(), (problem,))


def _text(field: str, value: Any, limit: int | None = None) -> str:
    """Stripped text, refused when too long or carrying control characters."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _invalid(field, gettext_noop("{field}: must be text"))
    text = value.strip()
    if any(ord(ch) < 32 for ch in text):
        raise _invalid(field, gettext_noop("{field}: must not contain control characters"))
    limit = limit or _TEXT_LIMITS.get(field, 200)
    if len(text) > limit:
        raise _invalid(field, gettext_noop("{field}: is longer than {limit} characters"), limit=limit)
    return text


def parse_minor(field: str, text: str | int | None, currency: str) -> int | None:
    """An amount typed by a person or sent as JSON ('500000.00') in minor units; None stays None."""
    if text is None or text == "":
        return None
    if isinstance(text, int) and not isinstance(text, bool):
        return text
    if not isinstance(text, str):
        raise _invalid(field, gettext_noop("{field}: must be an amount written as text, like '500000.00'"))
    value = parse_amount(text)
    if isinstance(value, Problem) or not value.is_finite():
        raise _invalid(field, gettext_noop("{field}: cannot read amount {value}"), text)
    if abs(value) >= Decimal(10) ** 15:
        raise _invalid(field, gettext_noop("{field}: is too large"))
    places = exponent(currency)
    if value != value.quantize(Decimal(1).scaleb(-places)):
        raise _invalid(field, gettext_noop("{field}: has more decimals than {currency} allows "
                                           "({places})"), currency=currency, places=places)
    return round_minor(value, currency)


def _currency(value: Any) -> str:
    text = _text("currency", value, 3).upper()
    if not is_currency_code(text):
        raise _invalid("currency", gettext_noop("{field}: {value!r} is not an ISO 4217 currency code"), text)
    return text


def _country(value: Any) -> str:
    text = _text("country", value, 2).upper()
    if text and not _COUNTRY.match(text):
        raise _invalid("country",
                       gettext_noop("{field}: {value!r} is not a two-letter ISO 3166 country code"), text)
    return text


def _sales_rep(company: Company, value: Any) -> SalesRep | None:
    if value is None or value == "":
        return None
    if isinstance(value, SalesRep):
        return value
    name = _text("sales_rep", value, 120)
    rep = SalesRep.objects.filter(company=company, name=name).first()
    if rep is None:
        raise _invalid("sales_rep", gettext_noop("{field}: no sales rep named {value!r}"), name)
    return rep


def _terms(company: Company, value: Any, field: str = "payment_terms") -> PaymentTerms | None:
    if value is None or value == "":
        return None
    if isinstance(value, PaymentTerms):
        return value
    code = _text(field, value, 64)
    terms = PaymentTerms.objects.filter(company=company, code=code).first()
    if terms is None:
        raise _invalid(field, gettext_noop("{field}: no payment terms with code {value!r}"), code)
    return terms


def _values(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in fields:
        value = getattr(obj, name)
        out[name] = str(value) if isinstance(value, PaymentTerms | SalesRep) else value
    return out


def customer_for(company: Company, code: str, user: Any = None, *, for_update: bool = False) -> Customer:
    """The customer with `code` the user may see; NotFound for unknown codes and others' customers."""
    if not isinstance(code, str) or "\x00" in code or len(code) > 64:
        raise NotFound(gettext_noop("no customer with code {code}"), code=repr(code))
    rows = Customer.objects.filter(company=company, code=code).filter(customer_scope(user, company))
    if for_update:
        rows = rows.select_for_update(of=("self",))
    customer = rows.select_related("sales_rep", "payment_terms").first()
    if customer is None:
        raise NotFound(gettext_noop("no customer with code {code}"), code=repr(code))
    return customer


def _check_rep_assignment(actor: Actor, company: Company, rep: SalesRep | None) -> None:
    """A sales rep keeps the customers they create or change: they cannot hand them to others."""
    if actor.user is None or role_of(actor.user, company) != Role.SALES_REP:
        return
    if rep is None or rep.user_id != actor.user.pk:
        raise Forbidden(gettext_noop("a sales rep may only assign customers to themselves"))


def _apply_customer(company: Company, customer: Customer, fields: Mapping[str, Any]) -> None:
    unknown = set(fields) - {*CUSTOMER_FIELDS, "credit_limit"}
    if unknown:
        raise _invalid(sorted(unknown)[0], gettext_noop("{field}: is not a customer field"))
    if "code" in fields:
        code = _text("code", fields["code"])
        if not code:
            raise _invalid("code", gettext_noop("{field}: is required"))
        if not _CODE.match(code):
            raise _invalid("code", gettext_noop("{field}: must not contain spaces, slashes, '?', '#' or '%'"))
        customer.code = code
    for name in ("name", "tax_id", "industry", "department", "tier"):
        if name in fields:
            setattr(customer, name, _text(name, fields[name]))
    if "tier" in fields:
        customer.tier = customer.tier.upper()
    if "country" in fields:
        customer.country = _country(fields["country"])
    old_currency = customer.currency or company.base_currency
    if "currency" in fields:
        customer.currency = _currency(fields["currency"]) if fields["currency"] else company.base_currency
    currency = customer.currency or company.base_currency
    if "sales_rep" in fields:
        customer.sales_rep = _sales_rep(company, fields["sales_rep"])
    if "payment_terms" in fields:
        customer.payment_terms = _terms(company, fields["payment_terms"])
    if "credit_limit" in fields or "credit_limit_minor" in fields:
        raw = fields.get("credit_limit", fields.get("credit_limit_minor"))
        limit = parse_minor("credit_limit", raw, currency)
        if limit is not None and limit < 0:
            raise _invalid("credit_limit", gettext_noop("{field}: must not be negative"))
        customer.credit_limit_minor = limit
    elif (customer.pk and currency != old_currency and customer.credit_limit_minor is not None
          and exponent(currency) != exponent(old_currency)):
        raise _invalid("credit_limit",
                       gettext_noop("{field}: give the credit limit again in the new currency"))


def _save(obj: Any, field: str, message: str) -> None:
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:  # a concurrent insert won the race for the same key
        raise _invalid(field, message) from exc


@transaction.atomic
def create_customer(actor: Actor, company: Company, fields: Mapping[str, Any]) -> Customer:
    require_write(actor.user, company)
    customer = Customer(company=company)
    if not fields.get("code"):
        raise _invalid("code", gettext_noop("{field}: is required"))
    _apply_customer(company, customer, {"currency": company.base_currency, **fields})
    if actor.user is not None and role_of(actor.user, company) == Role.SALES_REP \
            and not fields.get("sales_rep"):  # a rep's new customer is theirs unless named
        customer.sales_rep = SalesRep.objects.filter(company=company, user=actor.user).first()
    _check_rep_assignment(actor, company, customer.sales_rep)
    if Customer.objects.filter(company=company, code=customer.code).exists():
        raise _invalid("code",
                       gettext_noop("{field}: a customer with code {value!r} already exists"), customer.code)
    _save(customer, "code", gettext_noop("{field}: a customer with this code already exists"))
    record(actor, company, "customer.create", customer, None, _values(customer, CUSTOMER_FIELDS))
    return customer


@transaction.atomic
def update_customer(actor: Actor, company: Company, code: str, fields: Mapping[str, Any]) -> Customer:
    require_write(actor.user, company)
    customer = customer_for(company, code, actor.user, for_update=True)
    before = _values(customer, CUSTOMER_FIELDS)
    _apply_customer(company, customer, fields)
    if "sales_rep" in fields:
        _check_rep_assignment(actor, company, customer.sales_rep)
    if "code" in fields and customer.code != before["code"] and Customer.objects.filter(
            company=company, code=customer.code).exclude(pk=customer.pk).exists():
        raise _invalid("code",
                       gettext_noop("{field}: a customer with code {value!r} already exists"), customer.code)
    old, new = changed_fields(before, _values(customer, CUSTOMER_FIELDS))
    if not new:
        return customer
    _save(customer, "code", gettext_noop("{field}: a customer with this code already exists"))
    record(actor, company, "customer.update", customer, old, new)
    return customer


def _apply_contact(contact: Contact, fields: Mapping[str, Any]) -> None:
    unknown = set(fields) - set(CONTACT_FIELDS)
    if unknown:
        raise _invalid(sorted(unknown)[0], gettext_noop("{field}: is not a contact field"))
    if "name" in fields:
        contact.name = _text("name", fields["name"], _CONTACT_NAME_MAX)
    if "role" in fields:
        contact.role = _text("role", fields["role"])
    if "email" in fields:
        email = _text("email", fields["email"])
        if email:
            try:
                validate_email(email)
            except ValidationError as exc:
                raise _invalid("email",
                               gettext_noop("{field}: {value!r} is not an email address"), email) from exc
        contact.email = email
    if "phone" in fields:
        phone = _text("phone", fields["phone"], 40)
        if phone and not _PHONE.match(phone):
            raise _invalid("phone",
                           gettext_noop("{field}: {value!r} is not a phone number (digits, spaces, + - ( ) "
                                        ". /)"),
                           phone)
        contact.phone = phone
    if "language" in fields:
        language = _text("language", fields["language"], 10).lower().replace("_", "-")
        if language and not _LANGUAGE.match(language):
            raise _invalid("language",
                           gettext_noop("{field}: {value!r} is not a language code like 'zh-hans' or 'en'"),
                           language)
        contact.language = language
    if "is_primary" in fields:
        contact.is_primary = bool(fields["is_primary"])
    if not (contact.name or contact.email or contact.phone):
        raise _invalid("name", gettext_noop("{field}: a contact needs a name, an email or a phone number"))


def _one_primary(contact: Contact) -> None:
    if contact.is_primary:
        Contact.objects.filter(customer_id=contact.customer_id, is_primary=True).exclude(
            pk=contact.pk).update(is_primary=False)


@transaction.atomic
def add_contact(actor: Actor, company: Company, customer_code: str,
                fields: Mapping[str, Any]) -> Contact:
    require_write(actor.user, company)
    customer = customer_for(company, customer_code, actor.user, for_update=True)
    contact = Contact(customer=customer)
    _apply_contact(contact, fields)
    contact.save()
    _one_primary(contact)
    record(actor, company, "contact.create", contact, None,
           {"customer": customer.code, **_values(contact, CONTACT_FIELDS)})
    return contact


def contact_for(company: Company, contact_id: int, user: Any = None) -> Contact:
    contact = (Contact.objects.select_related("customer")
               .filter(pk=contact_id, customer__company=company)
               .filter(customer_scope(user, company, "customer__")).first()
               if 0 < contact_id < 2**63 else None)
    if contact is None:
        raise NotFound(gettext_noop("no contact with id {id}"), id=contact_id)
    return contact


@transaction.atomic
def update_contact(actor: Actor, company: Company, contact_id: int,
                   fields: Mapping[str, Any]) -> Contact:
    require_write(actor.user, company)
    contact = contact_for(company, contact_id, actor.user)
    before = _values(contact, CONTACT_FIELDS)
    _apply_contact(contact, fields)
    old, new = changed_fields(before, _values(contact, CONTACT_FIELDS))
    if new:
        contact.save()
        _one_primary(contact)
        record(actor, company, "contact.update", contact, old, new)
    return contact


def _rate(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, float):
        value = str(value)  # JSON numbers arrive as float; their text is what the user wrote
    try:
        rate = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise _invalid("late_interest_rate",
                       gettext_noop("{field}: {value!r} is not a number"), value) from exc
    if not rate.is_finite() or rate < 0 or rate > RATE_MAX:
        raise _invalid("late_interest_rate",
                       gettext_noop("{field}: must be a yearly fraction between 0 and 1 "
                                    "(0.05 = 5 % a year)"), value)
    if rate != rate.quantize(Decimal("0.000001")):
        raise _invalid("late_interest_rate", gettext_noop("{field}: has more than 6 decimals"))
    return rate.quantize(Decimal("0.000001"))


def _date(field: str, value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise _invalid(field, gettext_noop("{field}: {value!r} is not a date (YYYY-MM-DD)"), value) from exc


def _apply_contract(company: Company, contract: Contract, fields: Mapping[str, Any]) -> None:
    unknown = set(fields) - {*CONTRACT_FIELDS, "customer"}
    if unknown:
        raise _invalid(sorted(unknown)[0], gettext_noop("{field}: is not a contract field"))
    if "number" in fields:
        number = _text("number", fields["number"])
        if not number:
            raise _invalid("number", gettext_noop("{field}: is required"))
        contract.number = number
    for name in ("start_date", "end_date"):
        if name in fields:
            setattr(contract, name, _date(name, fields[name]))
    if "payment_terms" in fields:
        contract.payment_terms = _terms(company, fields["payment_terms"])
    if "late_interest_rate" in fields:
        contract.late_interest_rate = _rate(fields["late_interest_rate"])
    if "description" in fields:
        contract.description = _text("description", fields["description"])
    if contract.start_date and contract.end_date and contract.end_date < contract.start_date:
        raise _invalid("end_date", gettext_noop("{field}: is before the start date"))


def _contract_values(contract: Contract) -> dict[str, Any]:
    return {"customer": contract.customer.code, **_values(contract, CONTRACT_FIELDS)}


@transaction.atomic
def create_contract(actor: Actor, company: Company, customer_code: str,
                    fields: Mapping[str, Any]) -> Contract:
    require_write(actor.user, company)
    customer = customer_for(company, customer_code, actor.user)
    contract = Contract(company=company, customer=customer)
    if not fields.get("number"):
        raise _invalid("number", gettext_noop("{field}: is required"))
    _apply_contract(company, contract, fields)
    if Contract.objects.filter(company=company, number=contract.number).exists():
        raise _invalid("number",
                       gettext_noop("{field}: a contract numbered {value!r} already exists"), contract.number)
    _save(contract, "number",
          gettext_noop("{field}: a contract with this number already exists"))
    record(actor, company, "contract.create", contract, None, _contract_values(contract))
    return contract


def contract_for(company: Company, contract_id: int, user: Any = None) -> Contract:
    contract = (Contract.objects.select_related("customer", "payment_terms")
                .filter(pk=contract_id, company=company)
                .filter(customer_scope(user, company, "customer__")).first()
                if 0 < contract_id < 2**63 else None)
    if contract is None:
        raise NotFound(gettext_noop("no contract with id {id}"), id=contract_id)
    return contract


@transaction.atomic
def update_contract(actor: Actor, company: Company, contract_id: int,
                    fields: Mapping[str, Any]) -> Contract:
    require_write(actor.user, company)
    contract = contract_for(company, contract_id, actor.user)
    before = _contract_values(contract)
    _apply_contract(company, contract, fields)
    if contract.number != before["number"] and Contract.objects.filter(
            company=company, number=contract.number).exclude(pk=contract.pk).exists():
        raise _invalid("number",
                       gettext_noop("{field}: a contract numbered {value!r} already exists"), contract.number)
    old, new = changed_fields(before, _contract_values(contract))
    if new:
        _save(contract, "number",
              gettext_noop("{field}: a contract with this number already exists"))
        record(actor, company, "contract.update", contract, old, new)
    return contract
