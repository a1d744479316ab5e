"""Creating and changing invoices and their instalments; one transaction and audit entry each.

Rules: the customer must exist in the company (and be in the user's scope); the amount is
positive; the currency is an ISO 4217 code; without a due date, the contract's or customer's
terms give one (core.terms, rolled on the company's business calendar) and may split the invoice
into instalments; a due date before the issue date is kept with a warning (ERP exports have
them); the amount may not drop below what is already allocated, and the currency may not change
once money is allocated. Instalments always add up to the invoice amount (core.money.allocate).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db import transaction

from cashloop.accounts.access import require_write
from cashloop.audit.services import Actor, changed_fields, record
from cashloop.core.business_calendar import calendar_for
from cashloop.core.money import allocate, format_grouped
from cashloop.core.problems import NotFound, Problem, Refusal, gettext_noop
from cashloop.core.terms import PaymentTerms, due_date_for, instalment_schedule, parse_terms
from cashloop.ledger.models import Company, Contract, Invoice, InvoiceInstalment
from cashloop.ledger.models import PaymentTerms as StoredTerms
from cashloop.ledger.queries.documents import customers_in_scope, invoices_in_scope
from cashloop.ledger.services.checks import (
    check_amount,
    check_currency,
    check_date,
    check_text,
    create_once,
    invalid,
)

DEFAULT_NET_DAYS = 30
AUDITED = ("issue_date", "due_date", "amount_minor", "currency", "description", "contract")


class DuplicateNumber(Refusal):
    code = "invoice.duplicate"


class CurrencyLocked(Refusal):
    code = "invoice.currency_locked"


class AmountBelowAllocated(Refusal):
    code = "invoice.amount_below_allocated"


def core_terms(stored: StoredTerms | None) -> PaymentTerms:
    """The core terms of stored terms: their canonical text, else their structured fields; net 30."""
    if stored is None:
        return PaymentTerms(net_days=DEFAULT_NET_DAYS)
    parsed = parse_terms(stored.spec)
    if isinstance(parsed, PaymentTerms):
        return parsed
    return PaymentTerms(net_days=stored.net_days, end_of_month=stored.end_of_month,
                        roll_to_business_day=stored.roll_to_business_day)


def _due_warning(issue_date: date, due_date: date) -> tuple[Problem, ...]:
    if due_date >= issue_date:
        return ()
    return (Problem(source="request", field="due_date", code="due_date.before_issue",
                    message="due date {due} is before issue date {issue}",
                    params=(("due", due_date.isoformat()), ("issue", issue_date.isoformat())),
                    severity="warning"),)


def _snapshot(invoice: Invoice) -> dict[str, Any]:
    return {name: getattr(invoice, "contract_id" if name == "contract" else name) for name in AUDITED}


@transaction.atomic
def create_invoice(
    actor: Actor, company: Company, *, number: str, customer_code: str, issue_date: date,
    amount_minor: int, currency: str, due_date: date | None = None, description: str = "",
    contract_number: str | None = None,
) -> tuple[Invoice, tuple[Problem, ...]]:
    """A new invoice and any warnings (due before issue)."""
    require_write(actor.user, company)
    number = check_text("number", number, 64, required=True)
    check_date("issue_date", issue_date)
    check_amount("amount", amount_minor)
    check_currency("currency", currency)
    description = check_text("description", description, 500)
    customer = customers_in_scope(actor.user, company).select_related("payment_terms").filter(
        code=customer_code).first()
    if customer is None:
        raise NotFound(gettext_noop("no customer {code}"), code=customer_code)
    contract = None
    if contract_number:
        contract = Contract.objects.select_related("payment_terms").filter(
            company=company, customer=customer, number=contract_number).first()
        if contract is None:
            raise NotFound(gettext_noop("no contract {contract} for customer {code}"),
                           contract=contract_number, code=customer_code)
    terms = core_terms((contract.payment_terms if contract else None) or customer.payment_terms)
    calendar = calendar_for(company.calendar_country)
    schedule = []
    if due_date is None:
        due_date = due_date_for(terms, issue_date, calendar)
        if terms.instalments:
            schedule = instalment_schedule(terms, issue_date, amount_minor, calendar)
    check_date("due_date", due_date)
    invoice = create_once(
        Invoice, DuplicateNumber, gettext_noop("invoice {number} already exists"),
        {"company": company, "number": number}, {"number": number}, customer=customer, issue_date=issue_date,
        due_date=due_date, amount_minor=amount_minor, currency=currency,
        description=description, contract=contract,
    )
    record(actor, company, "invoice.create", invoice, None, _snapshot(invoice))
    if schedule and all(part > 0 for _, part in schedule):
        made = InvoiceInstalment.objects.bulk_create(
            InvoiceInstalment(invoice=invoice, sequence=n, due_date=d, amount_minor=part)
            for n, (d, part) in enumerate(schedule, start=1))
        record(actor, company, "invoice.instalments", invoice, None,
               {"instalments": [[i.due_date.isoformat(), i.amount_minor] for i in made]})
    return invoice, _due_warning(issue_date, due_date)


@transaction.atomic
def update_invoice(actor: Actor, company: Company, number: str, **changes: Any
                   ) -> tuple[Invoice, tuple[Problem, ...]]:
    """Change issue_date, due_date, amount_minor, currency or description of an invoice."""
    require_write(actor.user, company)
    unknown = set(changes) - {"issue_date", "due_date", "amount_minor", "currency", "description"}
    if unknown:
        raise TypeError(f"cannot change {sorted(unknown)}")
    invoice = invoices_in_scope(actor.user, company).select_for_update(of=("self",)).filter(
        number=number).first()
    if invoice is None:
        raise NotFound(gettext_noop("no invoice {number}"), number=number)
    before = _snapshot(invoice)
    for name in ("issue_date", "due_date"):
        if changes.get(name) is not None:
            setattr(invoice, name, check_date(name, changes[name]))
    if changes.get("description") is not None:
        invoice.description = check_text("description", changes["description"], 500)
    if changes.get("currency") is not None and changes["currency"] != invoice.currency:
        check_currency("currency", changes["currency"])
        if invoice.allocations.exists():
            raise CurrencyLocked(gettext_noop("invoice {number} has allocations; its currency cannot "
                                              "change"), number=number)
        invoice.currency = changes["currency"]
    amount_changed = False
    if changes.get("amount_minor") is not None and changes["amount_minor"] != invoice.amount_minor:
        new_amount = check_amount("amount", changes["amount_minor"])
        if new_amount < invoice.paid_minor:
            raise AmountBelowAllocated(
                gettext_noop("invoice {number} already has {paid} {currency} allocated; its "
                             "amount cannot be lower"),
                (Problem("request", "amount", "amount.below_allocated",
                         gettext_noop("the amount is below what is allocated")),),
                number=number, paid=format_grouped(invoice.paid_minor, invoice.currency),
                currency=invoice.currency)
        invoice.amount_minor = new_amount
        amount_changed = True
    old, new = changed_fields(before, _snapshot(invoice))
    if not new:
        return invoice, ()
    invoice.save()
    record(actor, company, "invoice.update", invoice, old, new)
    if amount_changed:
        from cashloop.ledger.services.allocations import refresh_settlement  # it imports us

        refresh_settlement(actor, company, [invoice.pk])
        _rescale_instalments(invoice)
        invoice.refresh_from_db()
    return invoice, _due_warning(invoice.issue_date, invoice.due_date)


def _rescale_instalments(invoice: Invoice) -> None:
    instalments = list(invoice.instalments.order_by("sequence"))
    if not instalments:
        return
    amounts = allocate(invoice.amount_minor, [i.amount_minor for i in instalments])
    if any(a <= 0 for a in amounts):  # an instalment would vanish: split evenly instead
        amounts = allocate(invoice.amount_minor, [1] * len(instalments))
    for instalment, amount in zip(instalments, amounts, strict=True):
        instalment.amount_minor = amount
    InvoiceInstalment.objects.bulk_update(instalments, ["amount_minor"])


@transaction.atomic
def set_instalments(actor: Actor, company: Company, number: str, due_dates: Sequence[date],
                    weights: Sequence[int] | None = None) -> list[InvoiceInstalment]:
    """Replace an invoice's instalments: one per due date, amounts split by weight (even if none)."""
    require_write(actor.user, company)
    invoice = invoices_in_scope(actor.user, company).select_for_update(of=("self",)).filter(
        number=number).first()
    if invoice is None:
        raise NotFound(gettext_noop("no invoice {number}"), number=number)
    if not due_dates or len(due_dates) > invoice.amount_minor or len(due_dates) > 120:
        raise invalid("due_dates", "instalments.count",
                      gettext_noop("give between 1 and 120 instalment dates"))
    for d in due_dates:
        check_date("due_dates", d)
    weights = list(weights) if weights is not None else [1] * len(due_dates)
    if len(weights) != len(due_dates) or any(w <= 0 for w in weights):
        raise invalid("weights", "instalments.weights",
                      gettext_noop("give one positive weight per due date"))
    pairs = sorted(zip(due_dates, weights, strict=True), key=lambda p: p[0])
    amounts = allocate(invoice.amount_minor, [w for _, w in pairs])
    if any(a <= 0 for a in amounts):
        raise invalid("weights", "instalments.zero", gettext_noop("an instalment would be zero"))
    before = [(i.due_date, i.amount_minor) for i in invoice.instalments.all()]
    invoice.instalments.all().delete()
    created = InvoiceInstalment.objects.bulk_create(
        InvoiceInstalment(invoice=invoice, sequence=n, due_date=d, amount_minor=a)
        for n, ((d, _), a) in enumerate(zip(pairs, amounts, strict=True), start=1)
    )
    record(actor, company, "invoice.instalments", invoice,
           {"instalments": [[d.isoformat(), a] for d, a in before]},
           {"instalments": [[i.due_date.isoformat(), i.amount_minor] for i in created]})
    return created
