"""Recording and removing payments (收款); one transaction and audit entry each.

A payment may come with allocations (or ask for oldest-first auto-allocation) in the same
transaction. Removing a payment (a reversal, e.g. a bounced transfer) is for admins and finance
managers only: its allocations go with it and their invoices are recomputed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db import transaction

from cashloop.accounts.access import require_role, require_write
from cashloop.accounts.models import Role
from cashloop.audit.services import Actor, record
from cashloop.core.problems import NotFound, Refusal, gettext_noop
from cashloop.ledger.models import Company, Payment
from cashloop.ledger.queries.documents import customers_in_scope
from cashloop.ledger.services.allocations import (
    AllocationLine,
    apply_lines,
    auto_lines,
    lock_payment,
    remove_allocations,
)
from cashloop.ledger.services.checks import (
    check_amount,
    check_currency,
    check_date,
    check_text,
    create_once,
)

REVERSE_ROLES = frozenset({Role.ADMIN, Role.FINANCE_MANAGER})


class DuplicateReference(Refusal):
    code = "payment.duplicate"


def _snapshot(payment: Payment) -> dict[str, Any]:
    return {"customer": payment.customer.code, "reference": payment.reference,
            "received_date": payment.received_date, "amount_minor": payment.amount_minor,
            "currency": payment.currency}


@transaction.atomic
def create_payment(
    actor: Actor, company: Company, *, reference: str, customer_code: str, received_date: date,
    amount_minor: int, currency: str, allocations: Sequence[AllocationLine] = (),
    auto_allocate: bool = False, allow_other_customer: bool = False,
) -> Payment:
    """A new payment, allocated as given (or oldest due first when `auto_allocate`)."""
    require_write(actor.user, company)
    reference = check_text("reference", reference, 100, required=True)
    check_date("received_date", received_date)
    check_amount("amount", amount_minor)
    check_currency("currency", currency)
    customer = customers_in_scope(actor.user, company).filter(code=customer_code).first()
    if customer is None:
        raise NotFound(gettext_noop("no customer {code}"), code=customer_code)
    payment = create_once(
        Payment, DuplicateReference, gettext_noop("payment {reference} already exists"),
        {"company": company, "reference": reference}, {"reference": reference}, customer=customer,
        received_date=received_date, amount_minor=amount_minor, currency=currency,
    )
    record(actor, company, "payment.create", payment, None, _snapshot(payment))
    payment = lock_payment(actor, company, reference)
    apply_lines(actor, company, payment, allocations, allow_other_customer)
    if auto_allocate:
        apply_lines(actor, company, payment, auto_lines(actor, company, payment))
    return payment


@transaction.atomic
def delete_payment(actor: Actor, company: Company, reference: str) -> None:
    """Reverse a payment: remove its allocations, recompute their invoices, delete it."""
    require_write(actor.user, company)
    require_role(actor.user, company, REVERSE_ROLES)
    payment = lock_payment(actor, company, reference)
    remove_allocations(actor, company, payment.allocations.select_related("invoice", "payment"))
    before = _snapshot(payment)
    record(actor, company, "payment.delete", payment, before, None)
    payment.delete()
