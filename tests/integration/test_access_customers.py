"""Who may see and change customers in pages: sales reps only their own, auditors read only."""

import pytest
from django.test import Client

from cashloop.accounts.services import add_user
from cashloop.audit.models import AuditEntry
from cashloop.ledger.models import Customer
from tests.integration.test_customers_queries import make_book


def login(company, username: str, role: str, **kw) -> Client:
    add_user(username, role, company, password="pw-123456", **kw)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.login(username=username, password="pw-123456")
    return client


@pytest.fixture
def book(company):
    return make_book(company, customers=4)


def test_sales_rep_list_and_pages_hold_only_their_customers(company, book):
    rep = login(company, "rep.a", "sales_rep", sales_rep_name="Rep A")
    html = rep.get("/customers/").content.decode()
    assert ">C00<" in html and ">C02<" in html
    assert ">C01<" not in html and ">C03<" not in html
    assert rep.get("/customers/C00/").status_code == 200
    assert rep.get("/customers/C01/").status_code == 404
    assert rep.get("/customers/C01/edit/").status_code == 404
    assert rep.post("/customers/C01/edit/", {"code": "C01", "currency": "CNY"}).status_code == 404


def test_sales_rep_filter_menus_name_only_what_they_see(company, book):
    rep = login(company, "rep.a", "sales_rep", sales_rep_name="Rep A")
    html = rep.get("/customers/").content.decode()
    assert '<option value="Rep A"' in html and '<option value="Rep B"' not in html


def test_auditor_sees_no_edit_controls_and_posts_are_refused(company, book):
    auditor = login(company, "audrey", "auditor")
    assert auditor.get("/customers/").status_code == 200
    page = auditor.get("/customers/C00/").content.decode()
    assert 'class="edit"' not in page and "/customers/-/new/" not in page
    assert auditor.get("/customers/C00/edit/").status_code == 403
    r = auditor.post("/customers/C00/edit/", {"code": "C00", "currency": "CNY", "credit_limit": "1"})
    assert r.status_code == 403
    assert auditor.post("/customers/-/new/", {"code": "X", "currency": "CNY"}).status_code == 403
    assert not Customer.objects.filter(code="X").exists()
    assert not AuditEntry.objects.exists()


def test_user_without_role_in_company_sees_nothing(company, book):
    from cashloop.ledger.models import Company

    other = Company.objects.create(code="OTHER", name="Other")
    stranger = login(other, "stranger", "admin")  # admin elsewhere is superuser: sees all
    assert stranger.get("/customers/C00/").status_code == 200
    add_user("plain", "collector", other, password="pw-123456")
    plain = Client()
    assert plain.login(username="plain", password="pw-123456")
    assert plain.get("/customers/C00/").status_code == 404


def test_pages_require_login(company, book):
    assert Client().get("/customers/")["Location"].startswith("/login/")
    assert Client().get("/audit/")["Location"].startswith("/login/")


def test_auditor_cannot_add_contacts_from_the_page(company, book):
    auditor = login(company, "audrey", "auditor")
    assert "contact-form" not in auditor.get("/customers/C00/").content.decode()
    assert auditor.post("/customers/C00/contacts/", {"name": "x"}).status_code == 403


def test_sales_rep_creates_a_customer_for_themselves_through_the_form(company, book):
    rep = login(company, "rep.a", "sales_rep", sales_rep_name="Rep A")
    r = rep.post("/customers/-/new/", {"code": "NEW1", "currency": "CNY", "sales_rep": ""})
    assert r.status_code == 302
    assert Customer.objects.get(code="NEW1").sales_rep.name == "Rep A"
    r = rep.post("/customers/-/new/", {"code": "NEW2", "currency": "CNY", "sales_rep": "Rep B"})
    assert r.status_code == 403
