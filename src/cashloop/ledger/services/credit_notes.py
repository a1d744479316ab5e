"""Credit notes (红字发票): created, optionally allocated to invoices, in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.db import transaction

from cashloop.accounts.access import require_write
from cashloop.audit.services import Actor, record
from cashloop.core.problems import NotFound, Refusal, gettext_noop
from cashloop.ledger.models import Company, CreditNote
from cashloop.ledger.queries.documents import customers_in_scope
from cashloop.ledger.services.allocations import AllocationLine, apply_lines, lock_credit_note
from cashloop.ledger.services.checks import (
    check_amount,
    check_currency,
    check_date,
    check_text,
    create_once,
)


class DuplicateCreditNote(Refusal):
    code = "credit_note.duplicate"


@transaction.atomic
def create_credit_note(
    actor: Actor, company: Company, *, number: str, customer_code: str, issue_date: date,
    amount_minor: int, currency: str, reason: str = "",
    allocations: Sequence[AllocationLine] = (),
) -> CreditNote:
    require_write(actor.user, company)
    number = check_text("number", number, 64, required=True)
    check_date("issue_date", issue_date)
    check_amount("amount", amount_minor)
    check_currency("currency", currency)
    reason = check_text("reason", reason, 500)
    customer = customers_in_scope(actor.user, company).filter(code=customer_code).first()
    if customer is None:
        raise NotFound(gettext_noop("no customer {code}"), code=customer_code)
    note = create_once(
        CreditNote, DuplicateCreditNote, gettext_noop("credit note {number} already exists"),
        {"company": company, "number": number}, {"number": number}, customer=customer, issue_date=issue_date,
        amount_minor=amount_minor, currency=currency, reason=reason,
    )
    record(actor, company, "credit_note.create", note, None, {
        "customer": customer.code, "issue_date": issue_date, "amount_minor": amount_minor,
        "currency": currency, "reason": reason})
    note = lock_credit_note(actor, company, number)
    apply_lines(actor, company, note, allocations)
    return note
