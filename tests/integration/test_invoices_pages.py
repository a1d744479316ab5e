"""Invoice pages: list with filters and htmx paging, invoice page with write forms by role."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from cashloop.accounts.services import add_user
from cashloop.audit.services import SYSTEM_CLI
from cashloop.ledger.models import Allocation, Customer, Invoice, Payment
from cashloop.ledger.services.invoices import create_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoices(company):
    Customer.objects.create(company=company, code="C1", name="华东客户")
    made = []
    for n in range(3):
        inv, _ = create_invoice(SYSTEM_CLI, company, number=f"INV/2024/{n}", customer_code="C1",
                                issue_date=date(2024, 1, 1 + n), due_date=date(2024, 2, 1),
                                amount_minor=123_456_78 * (n + 1), currency="CNY")
        made.append(inv)
    return made


def login(company, username, role):
    add_user(username, role, company, password="pw-123456")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.login(username=username, password="pw-123456")
    return client


def test_list_page_shows_grouped_amounts_and_filters(company, invoices):
    client = login(company, "boss", "admin")
    page = client.get("/invoices/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "123,456.78" in html and 'class="num"' in html
    assert "3 invoices" in html
    narrowed = client.get("/invoices/", {"number": "INV/2024/1"}).content.decode()
    assert "1 invoice" in narrowed and "INV/2024/2" not in narrowed


def test_htmx_request_gets_only_the_table(company, invoices, django_assert_max_num_queries):
    client = login(company, "boss", "admin")
    with django_assert_max_num_queries(12):
        partial = client.get("/invoices/", {"sort": "-amount"}, HTTP_HX_REQUEST="true")
    html = partial.content.decode()
    assert html.lstrip().startswith('<div id="invoice-table">')
    assert html.index("INV/2024/2") < html.index("INV/2024/0")


def test_bad_filter_is_a_message_not_an_error(company, invoices):
    client = login(company, "boss", "admin")
    page = client.get("/invoices/", {"issue_from": "not a date", "amount_min": "1.005"})
    assert page.status_code == 200 and "not valid" in page.content.decode()


def test_invoice_with_slash_in_number_records_payment_and_dispute(company, invoices):
    client = login(company, "col", "collector")
    detail = client.get("/invoices/INV/2024/0/")
    assert detail.status_code == 200 and "Record a payment" in detail.content.decode()
    client.post("/invoices/INV/2024/0/record-payment/", {
        "reference": "BANK-1", "received_date": "2024-02-10", "amount": "200,000.00",
        "apply_amount": "123456.78"})
    inv = Invoice.objects.get(number="INV/2024/0")
    assert inv.settled_date == date(2024, 2, 10)
    client.post("/invoices/INV/2024/1/allocate/", {"payment": "BANK-1", "amount": "76543.22"})
    assert Invoice.objects.get(number="INV/2024/1").paid_minor == 76_543_22
    refused = client.post("/invoices/INV/2024/1/allocate/", {"payment": "BANK-1", "amount": "0.01"},
                          follow=True)
    assert "left to allocate" in refused.content.decode()
    client.post("/invoices/INV/2024/1/disputes/open/", {"reason": "short delivery"})
    assert Invoice.objects.get(number="INV/2024/1").is_disputed
    dispute = Invoice.objects.get(number="INV/2024/1").disputes.get()
    client.post(f"/invoices/INV/2024/1/disputes/{dispute.pk}/resolve/", {"resolution": "ok"})
    assert not Invoice.objects.get(number="INV/2024/1").is_disputed
    allocation = Allocation.objects.get(invoice__number="INV/2024/1")
    client.post(f"/invoices/INV/2024/1/allocations/{allocation.pk}/remove/")
    assert Invoice.objects.get(number="INV/2024/1").paid_minor == 0


def test_auditor_sees_no_forms_and_cannot_post(company, invoices):
    client = login(company, "aud", "auditor")
    html = client.get("/invoices/INV/2024/0/").content.decode()
    assert "Record a payment" not in html and "Open a dispute" not in html
    answer = client.post("/invoices/INV/2024/0/record-payment/", {
        "reference": "X", "received_date": "2024-02-10", "amount": "1.00"}, follow=True)
    assert "may read but not change" in answer.content.decode()
    assert not Payment.objects.exists()


def test_sales_rep_gets_404_for_other_customers_invoice(company, invoices):
    client = login(company, "rep", "sales_rep")
    assert client.get("/invoices/INV/2024/0/").status_code == 404
    assert "INV/2024/0" not in client.get("/invoices/").content.decode()


def test_pages_need_login(invoices):
    assert Client().get("/invoices/").status_code == 302
