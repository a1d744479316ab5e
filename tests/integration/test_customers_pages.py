"""Customer pages: list with search/filters/sort/paging (htmx partial), customer page, edit form."""

import pytest
from django.test import Client, override_settings

from cashloop.accounts.services import add_user
from cashloop.audit.models import AuditEntry
from cashloop.ledger.models import Contact, Customer, Dispute, Invoice
from tests.integration.test_customers_queries import AS_OF, direct_balances, direct_open_as_of, make_book

pytestmark = pytest.mark.usefixtures("fixed_today")


@pytest.fixture
def fixed_today():
    with override_settings(CASHLOOP_TODAY=AS_OF.isoformat()):
        yield


def login(company, username: str, role: str, **kw) -> Client:
    add_user(username, role, company, password="pw-123456", **kw)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.login(username=username, password="pw-123456")
    return client


@pytest.fixture
def boss(company):
    return login(company, "boss", "admin")


def test_list_page_shows_grouped_balances_in_num_cells(company, boss):
    make_book(company)
    expected = direct_balances(company, AS_OF)
    html = boss.get("/customers/", {"sort": "-open_balance", "per": 25}).content.decode()
    top = max(expected, key=lambda c: (expected[c][0], c))
    open_minor = expected[top][0]
    assert f'<td class="num">{open_minor // 100:,}.{open_minor % 100:02d}</td>' in html
    assert "12 customers" in html and "2024-06-30" in html


def test_list_page_filters_and_pages(company, boss):
    make_book(company)
    html = boss.get("/customers/", {"q": "C03"}).content.decode()
    assert ">C03<" in html and ">C04<" not in html
    html = boss.get("/customers/", {"tier": "A", "per": 25}).content.decode()
    assert ">C00<" in html and ">C01<" not in html
    html = boss.get("/customers/", {"per": 25, "page": 1, "sales_rep": "Rep B"}).content.decode()
    assert ">C01<" in html and ">C00<" not in html
    assert "Page 1 of 1" in html


def test_htmx_request_gets_only_the_table(company, boss):
    make_book(company, customers=3)
    partial = boss.get("/customers/", {"q": "C0"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<table" in partial and "<html" not in partial


def test_list_page_query_count_is_constant(company, boss, django_assert_num_queries):
    make_book(company, customers=3)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        boss.get("/customers/", {"per": 200})
    Customer.objects.bulk_create([Customer(company=company, code=f"Z{i:03d}") for i in range(50)])
    with django_assert_num_queries(len(ctx.captured_queries)):
        html = boss.get("/customers/", {"per": 200}).content.decode()
    assert ">Z049<" in html


def test_customer_page_shows_open_items_aging_contacts_disputes(company, boss):
    c = make_book(company, customers=5)[4]
    Contact.objects.create(customer=c, name="刘洋", email="liu@example.cn", is_primary=True)
    inv = Invoice.objects.filter(customer=c, settled_date__isnull=True).first()
    Dispute.objects.create(company=company, invoice=inv, opened_date=AS_OF, reason="短货")
    html = boss.get("/customers/C04/").content.decode()
    for text in ("Open items", "Aging", "Payment history", "刘洋", "短货", inv.number, "Average days late",
                 'class="edit"'):
        assert text in html, text
    open_minor = direct_open_as_of(company, AS_OF)["C04"][0]
    assert f"{open_minor // 100:,}.{open_minor % 100:02d}" in html


def test_unknown_customer_page_is_404(company, boss):
    assert boss.get("/customers/NOPE/").status_code == 404


def test_create_and_edit_through_the_form_write_audit_entries(company, boss):
    r = boss.post("/customers/-/new/", {"code": "N1", "name": "新客户", "currency": "CNY",
                                        "credit_limit": "1,000.00", "country": "cn"})
    assert r.status_code == 302 and r["Location"] == "/customers/N1/"
    assert Customer.objects.get(code="N1").credit_limit_minor == 100000
    r = boss.post("/customers/N1/edit/", {"code": "N1", "name": "新客户", "currency": "CNY",
                                          "credit_limit": "2000", "country": "CN"})
    assert r.status_code == 302
    entry = AuditEntry.objects.get(action="customer.update")
    assert entry.before == {"credit_limit_minor": 100000} and entry.after == {"credit_limit_minor": 200000}
    assert entry.channel == "web" and entry.actor_name == "boss"


def test_form_refusal_is_shown_on_the_field(company, boss):
    r = boss.post("/customers/-/new/", {"code": "N2", "currency": "CNY", "credit_limit": "12.345"})
    assert r.status_code == 422
    assert "more decimals" in r.content.decode()
    assert not Customer.objects.filter(code="N2").exists()


def test_contact_added_from_the_customer_page(company, boss):
    Customer.objects.create(company=company, code="C1", currency="CNY")
    r = boss.post("/customers/C1/contacts/", {"name": "刘洋", "email": "liu@example.cn",
                                              "language": "zh-hans", "is_primary": "on"})
    assert r.status_code == 302
    contact = Contact.objects.get(customer__code="C1")
    assert contact.is_primary and contact.language == "zh-hans"
    r = boss.post("/customers/C1/contacts/", {"email": "nope"}, follow=True)
    assert "is not an email address" in r.content.decode()
    assert Contact.objects.count() == 1


def test_changing_currency_in_the_form_reads_the_limit_again(company, boss):
    Customer.objects.create(company=company, code="C1", currency="CNY", credit_limit_minor=100000)
    r = boss.post("/customers/C1/edit/", {"code": "C1", "currency": "JPY", "credit_limit": "1000.00"})
    assert r.status_code == 302
    c = Customer.objects.get(code="C1")
    assert (c.currency, c.credit_limit_minor) == ("JPY", 1000)
