"""Disputes: opening flags the invoice; resolving the last open dispute clears the flag."""

from __future__ import annotations

from datetime import date

import pytest

from cashloop.audit.models import AuditEntry
from cashloop.audit.services import SYSTEM_CLI
from cashloop.core.problems import Invalid
from cashloop.ledger.models import Customer, Invoice
from cashloop.ledger.services.disputes import DisputeClosed, open_dispute, resolve_dispute
from cashloop.ledger.services.invoices import create_invoice

A = SYSTEM_CLI
D = date(2024, 5, 10)


@pytest.fixture
def invoice(company):
    Customer.objects.create(company=company, code="C001", name="客户一", currency="CNY")
    inv, _ = create_invoice(A, company, number="INV-9", customer_code="C001", issue_date=D,
                            amount_minor=10_000, currency="CNY")
    return inv


def disputed(inv) -> bool:
    return Invoice.objects.get(pk=inv.pk).is_disputed


def test_invoice_stays_disputed_until_its_last_open_dispute_is_resolved(company, invoice):
    first = open_dispute(A, company, invoice.number, D, "wrong price")
    second = open_dispute(A, company, invoice.number, D, "short delivery", amount_minor=2_000)
    assert disputed(invoice)
    resolve_dispute(A, company, first.pk, date(2024, 6, 1), "credit note issued")
    assert disputed(invoice)
    resolve_dispute(A, company, second.pk, date(2024, 6, 2))
    assert not disputed(invoice)
    flags = AuditEntry.objects.filter(action="invoice.dispute_flag").order_by("id")
    assert [e.after for e in flags] == [{"is_disputed": True}, {"is_disputed": False}]


def test_resolving_twice_or_before_opening_is_refused(company, invoice):
    dispute = open_dispute(A, company, invoice.number, D)
    with pytest.raises(Invalid):
        resolve_dispute(A, company, dispute.pk, date(2024, 5, 1))
    resolve_dispute(A, company, dispute.pk, D)
    with pytest.raises(DisputeClosed):
        resolve_dispute(A, company, dispute.pk, D)


def test_disputed_amount_cannot_exceed_the_invoice(company, invoice):
    with pytest.raises(Invalid):
        open_dispute(A, company, invoice.number, D, amount_minor=10_001)
