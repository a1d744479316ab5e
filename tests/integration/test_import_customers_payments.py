"""Importing customers (contacts, sales reps, terms, audited credit changes) and payments."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cashloop.audit.models import AuditEntry
from cashloop.audit.services import SYSTEM_CLI
from cashloop.imports.services.run import ImportOptions, import_bytes, import_path
from cashloop.ledger.models import Allocation, Contact, Customer, Invoice, Payment

FILES = Path(__file__).resolve().parents[1] / "files"
AS_OF = date(2024, 12, 31)

pytestmark = pytest.mark.django_db


def run(data: bytes, kind: str, **options):
    return import_bytes(data, "t.csv", ImportOptions(kind=kind, **options), SYSTEM_CLI, AS_OF)


def run_file(name: str, kind: str):
    return import_path(FILES / name, ImportOptions(kind=kind), SYSTEM_CLI, AS_OF)


def test_customers_with_chinese_headers_get_contact_rep_terms_and_limit(company):
    result = run_file("customers_chinese.csv", "customers")
    assert (result.status, result.created, result.problems) == ("saved", 2, [])
    kh1 = Customer.objects.get(code="KH001")
    assert (kh1.name, kh1.country, kh1.currency, kh1.tier) == ("华东机械有限公司", "CN", "CNY", "A")
    assert kh1.credit_limit_minor == 50_000_000
    assert kh1.sales_rep.name == "王伟" and kh1.payment_terms.net_days == 30
    contact = Contact.objects.get(customer=kh1, is_primary=True)
    assert (contact.email, contact.language) == ("ap@huadong.cn", "zh-hans")
    kh2 = Customer.objects.get(code="KH002")
    assert kh2.payment_terms.end_of_month and kh2.credit_limit_minor == 2_000_000
    assert run_file("customers_chinese.csv", "customers").status == "unchanged"


def test_customer_credit_limit_and_tier_changes_are_audited(company):
    run(b"code,credit_limit,tier\nC1,1000,B\n", "customers")
    result = run(b"code,credit_limit,tier\nC1,2000,A\n", "customers")
    assert result.updated == 1
    entry = AuditEntry.objects.get(action="customer.import_update")
    assert entry.before == {"credit_limit_minor": 100000, "tier": "B"}
    assert entry.after == {"credit_limit_minor": 200000, "tier": "A"}


def test_unreadable_payment_terms_reject_the_row(company):
    result = run(b"code,payment_terms\nC1,whenever\n", "customers")
    assert result.status == "rejected" and result.problems[0].field == "payment_terms"
    assert not Customer.objects.filter(code="C1").exists()


def test_payments_allocate_up_to_the_open_amount(company):
    run_file("invoices_gbk_chinese.csv", "invoices")
    result = run_file("payments.csv", "payments")
    assert (result.status, result.created) == ("saved", 3)
    invoice = Invoice.objects.get(number="FP-0001")
    assert (invoice.paid_minor, invoice.settled_date) == (123450, date(2024, 4, 2))
    assert sorted(Allocation.objects.filter(invoice=invoice).values_list("amount_minor", flat=True)
                  ) == [23450, 100000]
    assert Payment.objects.get(reference="R-3").allocations.count() == 0
    assert run_file("payments.csv", "payments").status == "unchanged"


def test_payment_for_an_unknown_invoice_is_an_error_for_that_row(company):
    data = b"reference,customer,date,amount,invoice\nR-9,C1,2024-01-01,5,NOPE\n"
    result = run(data, "payments")
    assert result.status == "rejected"
    assert (result.problems[0].code, result.problems[0].line) == ("invoice.unknown", 2)
    assert not Payment.objects.exists()


def test_changed_payment_is_reallocated_and_audited(company):
    run(b"number,customer,issue_date,amount\nI1,C1,2024-01-01,100\n", "invoices")
    run(b"reference,customer,date,amount,invoice\nR1,C1,2024-01-05,100,I1\n", "payments")
    assert Invoice.objects.get(number="I1").settled_date == date(2024, 1, 5)
    result = run(b"reference,customer,date,amount,invoice\nR1,C1,2024-01-05,60,I1\n", "payments")
    assert result.updated == 1
    invoice = Invoice.objects.get(number="I1")
    assert (invoice.paid_minor, invoice.settled_date) == (6000, None)
    assert AuditEntry.objects.filter(action="payment.import_update").exists()
