"""The admin: every ledger table listed with formatted amounts, changes audited, auditors kept out."""

import pytest
from django.test import Client

from cashloop.accounts.services import add_user
from cashloop.audit.models import AuditEntry
from cashloop.ledger.models import Allocation, Contact, Customer, Dispute, Invoice, Payment
from tests.integration.test_customers_queries import AS_OF, make_book

LEDGER_TABLES = ("company", "salesrep", "paymentterms", "exchangerate", "customer", "contact",
                 "contract", "invoice", "creditnote", "payment", "allocation", "dispute")


@pytest.fixture
def admin_client(company):
    add_user("boss", "admin", company, password="pw-123456")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.login(username="boss", password="pw-123456")
    return client


def test_every_ledger_table_has_a_working_changelist(company, admin_client):
    book = make_book(company, customers=3)
    inv = Invoice.objects.filter(customer=book[2]).first()
    pay = Payment.objects.create(company=company, customer=book[2], reference="P1", received_date=AS_OF,
                                 amount_minor=123456, currency="CNY")
    Allocation.objects.create(company=company, invoice=inv, payment=pay, amount_minor=100, applied_date=AS_OF)
    Dispute.objects.create(company=company, invoice=inv, opened_date=AS_OF, amount_minor=5000)
    Contact.objects.create(customer=book[0], name="刘洋")
    for table in LEDGER_TABLES:
        r = admin_client.get(f"/admin/ledger/{table}/")
        assert r.status_code == 200, table
    assert "1,234.56" in admin_client.get("/admin/ledger/payment/").content.decode()
    assert admin_client.get("/admin/ledger/customer/", {"q": "C01"}).status_code == 200
    assert admin_client.get("/admin/audit/auditentry/").status_code == 200


def test_admin_change_is_audited(company, admin_client):
    c = Customer.objects.create(company=company, code="C1", currency="CNY", credit_limit_minor=100)
    r = admin_client.post(f"/admin/ledger/customer/{c.pk}/change/", {
        "company": company.pk, "code": "C1", "currency": "CNY", "credit_limit_minor": "900",
        "contacts-TOTAL_FORMS": "0", "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0", "contacts-MAX_NUM_FORMS": "1000"})
    assert r.status_code == 302, r.content.decode()[:3000]
    entry = AuditEntry.objects.get(action="customer.update")
    assert entry.before == {"credit_limit_minor": 100} and entry.after == {"credit_limit_minor": 900}
    assert entry.channel == "admin" and entry.actor_name == "boss"


def test_auditor_is_not_staff_and_cannot_use_the_admin(company):
    add_user("audrey", "auditor", company, password="pw-123456")
    client = Client()
    assert client.login(username="audrey", password="pw-123456")
    r = client.get("/admin/ledger/customer/")
    assert r.status_code == 302 and "/admin/login/" in r["Location"]


def test_payments_and_allocations_are_read_only_in_the_admin(company, admin_client):
    c = Customer.objects.create(company=company, code="C1", currency="CNY")
    pay = Payment.objects.create(company=company, customer=c, reference="P1", received_date=AS_OF,
                                 amount_minor=100, currency="CNY")
    assert admin_client.get("/admin/ledger/payment/add/").status_code == 403
    r = admin_client.post(f"/admin/ledger/payment/{pay.pk}/change/", {"amount_minor": "5"})
    assert r.status_code == 403
    pay.refresh_from_db()
    assert pay.amount_minor == 100


def test_contact_added_inline_is_audited(company, admin_client):
    c = Customer.objects.create(company=company, code="C1", currency="CNY")
    r = admin_client.post(f"/admin/ledger/customer/{c.pk}/change/", {
        "company": company.pk, "code": "C1", "currency": "CNY",
        "contacts-TOTAL_FORMS": "1", "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0", "contacts-MAX_NUM_FORMS": "1000",
        "contacts-0-name": "刘洋", "contacts-0-email": "liu@example.cn"})
    assert r.status_code == 302, r.content.decode()[:3000]
    entry = AuditEntry.objects.get(action="contact.create")
    assert entry.after["email"] == "liu@example.cn" and entry.company == company
