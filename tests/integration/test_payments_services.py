"""Payments and credit notes: creation, reversal rights, credit-note allocation."""

from __future__ import annotations

from datetime import date

import pytest

from cashloop.accounts.services import add_user
from cashloop.audit.services import SYSTEM_CLI, Actor
from cashloop.core.problems import Forbidden
from cashloop.ledger.models import Customer, Invoice
from cashloop.ledger.services.allocations import AllocationLine, OverAllocation
from cashloop.ledger.services.credit_notes import create_credit_note
from cashloop.ledger.services.invoices import create_invoice
from cashloop.ledger.services.payments import DuplicateReference, create_payment, delete_payment

A = SYSTEM_CLI
D = date(2024, 5, 10)


@pytest.fixture
def invoice(company):
    Customer.objects.create(company=company, code="C001", name="客户一", currency="CNY")
    inv, _ = create_invoice(A, company, number="INV-1", customer_code="C001", issue_date=D,
                            amount_minor=10_000, currency="CNY")
    return inv


def pay(company, reference="P1", amount=10_000, actor=A, **kw):
    return create_payment(actor, company, reference=reference, customer_code="C001",
                          received_date=D, amount_minor=amount, currency="CNY", **kw)


def test_duplicate_reference_is_refused(company, invoice):
    pay(company)
    with pytest.raises(DuplicateReference):
        pay(company)


def test_payment_with_too_large_allocation_saves_nothing(company, invoice):
    with pytest.raises(OverAllocation):
        pay(company, amount=5_000, allocations=[AllocationLine(invoice.number, 6_000)])
    from cashloop.ledger.models import Payment

    assert not Payment.objects.exists()


def test_only_admins_and_finance_managers_may_reverse_a_payment(company, invoice):
    collector, _ = add_user("col", "collector", company)
    manager, _ = add_user("fm", "finance_manager", company)
    pay(company, actor=Actor(collector, "web"), auto_allocate=True)
    with pytest.raises(Forbidden):
        delete_payment(Actor(collector, "web"), company, "P1")
    delete_payment(Actor(manager, "web"), company, "P1")
    assert Invoice.objects.get(pk=invoice.pk).paid_minor == 0


def test_credit_note_settles_an_invoice_when_allocated(company, invoice):
    pay(company, amount=7_000, allocations=[AllocationLine(invoice.number, 7_000)])
    create_credit_note(A, company, number="CN-1", customer_code="C001", issue_date=date(2024, 6, 1),
                       amount_minor=3_000, currency="CNY", reason="返利",
                       allocations=[AllocationLine(invoice.number, 3_000)])
    inv = Invoice.objects.get(pk=invoice.pk)
    assert (inv.paid_minor, inv.settled_date) == (10_000, date(2024, 6, 1))
