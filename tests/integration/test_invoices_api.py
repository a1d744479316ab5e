"""The invoice, payment, allocation and dispute endpoints: shapes, errors, scope, roles, query counts."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client, override_settings

from cashloop.accounts.services import add_user, create_token
from cashloop.audit.models import AuditEntry
from cashloop.ledger.models import Customer, Invoice, SalesRep

BASE = "/api/ledger"
pytestmark = pytest.mark.django_db


def client_for(company, username, role):
    add_user(username, role, company)
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_token(username)}")


@pytest.fixture
def admin(company):
    return client_for(company, "boss", "admin")


@pytest.fixture
def customers(company):
    rep_user, _ = add_user("rep", "sales_rep", company)
    rep = SalesRep.objects.get(user=rep_user)
    mine = Customer.objects.create(company=company, code="C1", name="Mine", sales_rep=rep)
    other = Customer.objects.create(company=company, code="C2", name="Other")
    return mine, other


def post(client, url, body):
    return client.post(BASE + url, body, content_type="application/json")


def make_invoice(client, number="INV/2024/1", customer="C1", amount="1000.00", currency="CNY", **kw):
    body = {"number": number, "customer": customer, "issue_date": "2024-01-10",
            "due_date": "2024-02-09", "amount": amount, "currency": currency, **kw}
    return post(client, "/invoices", body)


@override_settings(CASHLOOP_TODAY="2024-03-10")
def test_create_and_read_invoice_with_amounts_as_strings(admin, customers):
    created = make_invoice(admin)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["amount"] == "1000.00" and body["currency"] == "CNY"
    assert body["status"] == "overdue" and body["days_overdue"] == 30
    got = admin.get(f"{BASE}/invoices/INV/2024/1").json()
    assert got["open_amount"] == "1000.00" and got["allocations"] == []


def test_due_date_before_issue_is_created_with_a_warning(admin, customers):
    body = make_invoice(admin, due_date="2024-01-01").json()
    assert [w["code"] for w in body["warnings"]] == ["due_date.before_issue"]


def test_bad_input_is_422_json_naming_the_field(admin, customers):
    bad_currency = make_invoice(admin, currency="cny")
    assert bad_currency.status_code == 422
    assert bad_currency.json()["code"] == "invalid"
    assert any("currency" in p["field"] for p in bad_currency.json()["problems"])
    too_precise = make_invoice(admin, amount="1.005")
    assert too_precise.status_code == 422
    assert too_precise.json()["problems"][0]["field"] == "amount"
    jpy = make_invoice(admin, number="J1", amount="10.5", currency="JPY")
    assert jpy.status_code == 422
    zero = make_invoice(admin, amount="0")
    assert zero.status_code == 422 and zero.json()["problems"][0]["field"] == "amount"
    far = make_invoice(admin, number="F1", issue_date="9999-12-31", due_date=None)
    assert far.status_code == 422


def test_over_allocation_is_409_with_code_message_problems(admin, customers):
    make_invoice(admin, amount="100.00")
    paid = post(admin, "/payments", {"reference": "P1", "customer": "C1",
                                     "received_date": "2024-02-01", "amount": "150.00",
                                     "currency": "CNY"})
    assert paid.status_code == 201 and paid.json()["unallocated_amount"] == "150.00"
    refused = post(admin, "/allocations", {"payment": "P1",
                                           "lines": [{"invoice": "INV/2024/1", "amount": "100.01"}]})
    assert refused.status_code == 409
    assert set(refused.json()) == {"code", "message", "problems"}
    assert refused.json()["code"] == "allocation.over"


def test_payment_with_allocations_settles_and_allocation_delete_reopens(admin, customers):
    make_invoice(admin, amount="100.00")
    make_invoice(admin, number="INV-2", amount="50.00")
    paid = post(admin, "/payments", {
        "reference": "P/1", "customer": "C1", "received_date": "2024-02-01", "amount": "120.00",
        "currency": "CNY", "allocations": [{"invoice": "INV/2024/1", "amount": "100.00"},
                                           {"invoice": "INV-2", "amount": "20.00"}]})
    assert paid.status_code == 201, paid.content
    assert paid.json()["allocated_amount"] == "120.00"
    assert admin.get(f"{BASE}/payments/P/1").json()["unallocated_amount"] == "0.00"
    inv = admin.get(f"{BASE}/invoices/INV/2024/1").json()
    assert inv["status"] == "settled" and inv["settled_date"] == "2024-02-01"
    listed = admin.get(f"{BASE}/allocations", {"payment": "P/1"}).json()
    assert listed["count"] == 2
    first = next(a for a in listed["items"] if a["invoice"] == "INV/2024/1")
    assert admin.delete(f"{BASE}/allocations/{first['id']}").status_code == 204
    assert admin.get(f"{BASE}/invoices/INV/2024/1").json()["open_amount"] == "100.00"


def test_patch_invoice_is_audited_and_refuses_amount_below_paid(admin, customers):
    make_invoice(admin, amount="100.00")
    post(admin, "/payments", {"reference": "P1", "customer": "C1", "received_date": "2024-02-01",
                              "amount": "60.00", "currency": "CNY", "auto_allocate": True})
    low = admin.patch(f"{BASE}/invoices/INV/2024/1", {"amount": "59.99"},
                      content_type="application/json")
    assert low.status_code == 409 and low.json()["code"] == "invoice.amount_below_allocated"
    ok = admin.patch(f"{BASE}/invoices/INV/2024/1", {"due_date": "2024-03-01"},
                     content_type="application/json")
    assert ok.status_code == 200 and ok.json()["due_date"] == "2024-03-01"
    assert AuditEntry.objects.filter(action="invoice.update", channel="api").exists()


def test_disputes_open_and_resolve(admin, customers):
    make_invoice(admin)
    opened = post(admin, "/invoices/INV/2024/1/disputes", {"reason": "价格不符", "amount": "10.00"})
    assert opened.status_code == 201, opened.content
    assert admin.get(f"{BASE}/invoices/INV/2024/1").json()["is_disputed"] is True
    resolved = post(admin, f"/disputes/{opened.json()['id']}/resolve", {"resolution": "ok"})
    assert resolved.status_code == 200 and resolved.json()["resolved_date"]
    assert admin.get(f"{BASE}/invoices/INV/2024/1").json()["is_disputed"] is False
    assert len(admin.get(f"{BASE}/invoices/INV/2024/1/disputes").json()) == 1


def test_sales_rep_sees_only_their_customers_documents(company, admin, customers):
    make_invoice(admin, number="MINE", customer="C1")
    make_invoice(admin, number="THEIRS", customer="C2")
    rep = Client(HTTP_AUTHORIZATION=f"Bearer {create_token('rep')}")
    listed = rep.get(f"{BASE}/invoices").json()
    assert [i["number"] for i in listed["items"]] == ["MINE"]
    assert rep.get(f"{BASE}/invoices/THEIRS").status_code == 404
    assert post(rep, "/invoices/THEIRS/disputes", {}).status_code == 404
    assert make_invoice(rep, number="NEW", customer="C2").status_code == 404


def test_auditor_reads_but_cannot_write(company, admin, customers):
    make_invoice(admin)
    auditor = client_for(company, "aud", "auditor")
    assert auditor.get(f"{BASE}/invoices").json()["count"] == 1
    refused = make_invoice(auditor, number="X")
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert post(auditor, "/invoices/INV/2024/1/disputes", {}).status_code == 403
    assert Invoice.objects.count() == 1


def test_only_managers_may_delete_payments(company, admin, customers):
    collector = client_for(company, "col", "collector")
    post(admin, "/payments", {"reference": "P1", "customer": "C1", "received_date": "2024-02-01",
                              "amount": "60.00", "currency": "CNY"})
    assert collector.delete(f"{BASE}/payments/P1").status_code == 403
    assert admin.delete(f"{BASE}/payments/P1").status_code == 204


def test_list_filters_sort_and_paging(admin, customers):
    for n, (amount, cur) in enumerate([("10.00", "CNY"), ("20.00", "USD"), ("30.00", "CNY")]):
        make_invoice(admin, number=f"N{n}", amount=amount, currency=cur)
    page = admin.get(f"{BASE}/invoices", {"currency": "CNY", "sort": "-amount", "limit": 1}).json()
    assert page["count"] == 2 and page["count_exact"] is True
    assert [i["number"] for i in page["items"]] == ["N2"]
    ranged = admin.get(f"{BASE}/invoices", {"amount_min": "15", "amount_max": "25"}).json()
    assert [i["number"] for i in ranged["items"]] == ["N1"]
    assert admin.get(f"{BASE}/invoices", {"status": "settled"}).json()["count"] == 0
    assert admin.get(f"{BASE}/invoices", {"sort": "nonsense"}).status_code == 422
    assert admin.get(f"{BASE}/invoices", {"limit": 100000}).status_code == 422


def test_list_endpoint_query_count_does_not_grow_with_rows(admin, customers,
                                                           django_assert_max_num_queries):
    make_invoice(admin, number="A1")
    with django_assert_max_num_queries(20) as few:
        admin.get(f"{BASE}/invoices")
    baseline = len(few.captured_queries)
    for n in range(15):
        make_invoice(admin, number=f"B{n}", customer="C2" if n % 2 else "C1")
    post(admin, "/payments", {"reference": "P1", "customer": "C1", "received_date": "2024-02-01",
                              "amount": "60.00", "currency": "CNY", "auto_allocate": True})
    for url in ("/invoices", "/payments", "/allocations", "/credit-notes"):
        with django_assert_max_num_queries(baseline) as many:
            assert admin.get(BASE + url).status_code == 200
    assert len(many.captured_queries) <= baseline


def test_unauthenticated_request_is_401_json(customers):
    response = Client().get(f"{BASE}/invoices")
    assert response.status_code == 401 and response.json()["code"] == "unauthorized"


def test_nul_characters_and_long_values_are_422_not_500(admin, customers):
    assert admin.get(f"{BASE}/invoices", {"customer": "a\x00b"}).status_code == 422
    assert make_invoice(admin, number="x" * 65).status_code == 422
    assert admin.get(f"{BASE}/invoices/" + "y" * 65).status_code == 422
    assert post(admin, "/allocations", {"lines": []}).status_code == 422
    both = post(admin, "/allocations", {"lines": [{"invoice": "I", "amount": "1"}]})
    assert both.status_code == 422


def test_date_filters_use_dates(admin, customers):
    make_invoice(admin, number="OLD", issue_date="2023-01-01", due_date="2023-02-01")
    make_invoice(admin, number="NEW")
    got = admin.get(f"{BASE}/invoices", {"issue_from": "2024-01-01"}).json()
    assert [i["number"] for i in got["items"]] == ["NEW"]
    assert admin.get(f"{BASE}/invoices", {"issue_from": "yesterday"}).status_code == 422
    assert date.fromisoformat(got["items"][0]["due_date"])
