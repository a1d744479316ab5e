"""A row that states what the ledger already holds is `unchanged`, even when the ledger got there
another way (made in the app, due date from terms, payment split or allocated later): only its
digest is stored, nothing is re-allocated or audited."""

from __future__ import annotations

from datetime import date

import pytest

from cashloop.audit.models import AuditEntry
from cashloop.audit.services import SYSTEM_CLI
from cashloop.imports.services.run import ImportOptions, import_bytes
from cashloop.ledger.models import Allocation, Contact, Customer, Invoice, Payment, PaymentTerms
from cashloop.ledger.services.allocations import AllocationLine
from cashloop.ledger.services.customers import add_contact, create_customer
from cashloop.ledger.services.invoices import create_invoice
from cashloop.ledger.services.payments import create_payment

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 11, 25)


def run(data: bytes, kind: str):
    return import_bytes(data, "t.csv", ImportOptions(kind=kind), SYSTEM_CLI, AS_OF)


@pytest.fixture
def app_ledger(company):
    create_customer(SYSTEM_CLI, company, {"code": "C1", "name": "甲"})
    for number, amount in (("A", 100_000), ("B", 80_000)):
        create_invoice(SYSTEM_CLI, company, number=number, customer_code="C1",
                       issue_date=date(2026, 9, 1), amount_minor=amount, currency="CNY")
    create_payment(SYSTEM_CLI, company, reference="P1", customer_code="C1",
                   received_date=date(2026, 10, 1), amount_minor=150_000, currency="CNY",
                   allocations=[AllocationLine("A", 100_000), AllocationLine("B", 50_000)])
    return company


def test_an_invoice_made_in_the_app_restated_by_a_row_is_unchanged(app_ledger):
    audits = AuditEntry.objects.count()
    # The due date the app computed (30 days net), the paid part left to the payments.
    row = b"number,customer,issue_date,due_date,amount\nA,C1,2026-09-01,2026-10-01,1000.00\n"
    result = run(row, "invoices")
    assert (result.status, result.unchanged, result.updated) == ("unchanged", 1, 0)
    assert AuditEntry.objects.count() == audits
    invoice = Invoice.objects.get(number="A")
    assert (invoice.paid_minor, invoice.settled_date) == (100_000, date(2026, 10, 1))
    assert invoice.source_hash  # stored: the next import of the row takes the fast path
    changed = run(row.replace(b"1000.00", b"1000.01"), "invoices")
    assert (changed.status, changed.updated) == ("saved", 1)


def test_a_row_restating_an_imported_settlement_in_other_words_is_unchanged(company):
    run(b"number,customer,issue_date,amount,settled_date\nS1,C1,2026-09-01,500,2026-09-20\n",
        "invoices")
    restated = run(b"number,customer,issue_date,due_date,amount,settled_date,paid_amount\n"
                   b"S1,C1,2026-09-01,2026-10-01,500.00,2026-09-20,500.00\n", "invoices")
    assert restated.status == "unchanged"
    moved = run(b"number,customer,issue_date,due_date,amount,settled_date,paid_amount\n"
                b"S1,C1,2026-09-01,2026-10-01,500.00,2026-09-21,500.00\n", "invoices")
    assert moved.status == "saved"
    assert Payment.objects.get(reference="SETTLE-S1").received_date == date(2026, 9, 21)


def test_a_split_payment_restated_by_its_first_invoice_keeps_its_allocations(app_ledger):
    result = run(b"reference,customer,date,amount,currency,invoice\n"
                 b"P1,C1,2026-10-01,1500.00,CNY,A\n", "payments")
    assert (result.status, result.unchanged) == ("unchanged", 1)
    assert sorted(Allocation.objects.values_list("invoice__number", "amount_minor")) == [
        ("A", 100_000), ("B", 50_000)]
    assert not AuditEntry.objects.filter(action="payment.import_update").exists()
    # Naming the second invoice is a change: the payment is allocated again, to B alone.
    moved = run(b"reference,customer,date,amount,currency,invoice\n"
                b"P1,C1,2026-10-01,1500.00,CNY,B\n", "payments")
    assert moved.updated == 1
    assert list(Allocation.objects.values_list("invoice__number", "amount_minor")) == [
        ("B", 80_000)]


def test_terms_text_reading_as_the_customers_terms_keeps_them(company):
    standard = PaymentTerms.objects.create(company=company, code="STANDARD", spec="NET45",
                                           net_days=45)
    create_customer(SYSTEM_CLI, company, {"code": "C1", "payment_terms": "STANDARD"})
    assert run(b"code,payment_terms\nC1,NET45\n", "customers").status == "unchanged"
    assert Customer.objects.get(code="C1").payment_terms == standard
    assert not PaymentTerms.objects.filter(code="NET45").exists()
    other = run(b"code,payment_terms\nC1,NET60\n", "customers")
    assert other.status == "saved" and Customer.objects.get(code="C1").payment_terms.code == "NET60"


def test_the_primary_contact_an_import_writes_to_is_the_oldest(company):
    create_customer(SYSTEM_CLI, company, {"code": "C1"})
    first = add_contact(SYSTEM_CLI, company, "C1", {"email": "first@x.cn", "is_primary": True})
    later = Contact.objects.create(customer=first.customer, email="later@x.cn", is_primary=True)
    assert run(b"code,email\nC1,first@x.cn\n", "customers").status == "unchanged"
    later.refresh_from_db()
    assert later.email == "later@x.cn"
