"""The customers API: shapes, amounts as strings, clear JSON errors, scope and roles."""

from datetime import date

import pytest
from django.test import Client, override_settings

from cashloop.accounts.services import add_user, create_token
from cashloop.audit.models import AuditEntry
from cashloop.ledger.models import Customer, PaymentTerms, SalesRep
from tests.integration.test_customers_queries import AS_OF, direct_balances, make_book, make_invoice

pytestmark = pytest.mark.usefixtures("fixed_today")


@pytest.fixture
def fixed_today():
    with override_settings(CASHLOOP_TODAY=AS_OF.isoformat()):
        yield


def client_for(company, username: str, role: str, **kw) -> Client:
    add_user(username, role, company, **kw)
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_token(username)}")


@pytest.fixture
def admin(company):
    return client_for(company, "boss", "admin")


def test_create_then_get_customer_with_amounts_as_strings(company, admin):
    SalesRep.objects.create(company=company, name="王芳")
    PaymentTerms.objects.create(company=company, code="NET30", spec="net 30")
    r = admin.post("/api/ledger/customers", {
        "code": "C001", "name": "华东贸易", "currency": "CNY", "credit_limit": "500000.00",
        "country": "CN", "sales_rep": "王芳", "payment_terms": "NET30", "tier": "A"},
        content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["credit_limit"] == "500000.00" and body["currency"] == "CNY"
    assert body["open_balance"] == "0.00" and body["credit_use_pct"] == "0.0"
    assert body["aging"] == [] and body["average_days_late"] is None
    got = admin.get("/api/ledger/customers/C001").json()
    assert got["sales_rep"] == "王芳" and got["payment_terms"] == "NET30"
    assert AuditEntry.objects.filter(action="customer.create", channel="api",
                                     actor_name="boss").count() == 1


def test_list_has_count_items_and_balances_matching_direct_computation(company, admin):
    make_book(company)
    expected = direct_balances(company, AS_OF)
    r = admin.get("/api/ledger/customers", {"sort": "-overdue", "limit": 5, "offset": 0})
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 12 and len(body["items"]) == 5 and body["as_of"] == "2024-06-30"
    for item in body["items"]:
        open_, overdue = expected.get(item["code"], (0, 0))
        assert item["open_balance"] == f"{open_ // 100}.{open_ % 100:02d}"
        assert item["overdue_amount"] == f"{overdue // 100}.{overdue % 100:02d}"
    overdue_values = [int(i["overdue_amount"].replace(".", "")) for i in body["items"]]
    assert overdue_values == sorted(overdue_values, reverse=True)
    filtered = admin.get("/api/ledger/customers", {"q": "C0", "tier": "A", "has_overdue": "true"}).json()
    assert all(i["tier"] == "A" and i["overdue_amount"] != "0.00" for i in filtered["items"])


@pytest.mark.parametrize("sort", ["code", "-open_balance"])
def test_list_endpoint_query_count_is_constant(company, admin, django_assert_num_queries, sort):
    make_book(company, customers=3)
    admin.get("/api/ledger/customers")  # warm-up: token lookup and company caches are not the list
    baseline = _count_queries(lambda: admin.get("/api/ledger/customers", {"sort": sort}))
    make_book_extra = [Customer(company=company, code=f"Z{i:03d}") for i in range(40)]
    Customer.objects.bulk_create(make_book_extra)
    with django_assert_num_queries(baseline):
        r = admin.get("/api/ledger/customers", {"sort": sort, "limit": 100})
    assert r.json()["count"] == 43


def _count_queries(call) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        call()
    return len(ctx.captured_queries)


@pytest.mark.parametrize(("payload", "field"), [
    ({"code": "C2", "currency": "CN"}, "currency"),
    ({"code": "C2", "credit_limit": "12.345"}, "credit_limit"),
    ({"code": "C2", "credit_limit": "-1"}, "credit_limit"),
    ({"code": "C2", "country": "CHN"}, "country"),
    ({"code": "C2", "sales_rep": "nobody"}, "sales_rep"),
    ({"code": "C2", "name": "x" * 300}, "name"),
    ({"code": "C2", "currency": "ZZZ", "credit_limit": "1.5"}, None),
    ({"name": "no code"}, "code"),
    ({"code": "a/b"}, "code"),
])
def test_bad_input_is_422_json_naming_the_field(company, admin, payload, field):
    r = admin.post("/api/ledger/customers", payload, content_type="application/json")
    if field is None:  # a well-formed but unknown code is still ISO-shaped: accepted
        assert r.status_code == 201
        return
    assert r.status_code == 422, r.content
    body = r.json()
    assert body["code"] == "invalid"
    assert any(field in (p["field"] or "") for p in body["problems"]), body


def test_duplicate_code_is_422_not_500(company, admin):
    assert admin.post("/api/ledger/customers", {"code": "C1"}, content_type="application/json"
                      ).status_code == 201
    r = admin.post("/api/ledger/customers", {"code": "C1"}, content_type="application/json")
    assert r.status_code == 422 and r.json()["problems"][0]["code"] == "code.invalid"
    assert r.json()["message"] == "code：代码为 'C1' 的客户已存在"  # the default language, zh-hans


def test_unknown_code_is_404_json(company, admin):
    for r in (admin.get("/api/ledger/customers/NOPE"),
              admin.patch("/api/ledger/customers/NOPE", {"name": "x"}, content_type="application/json"),
              admin.get("/api/ledger/customers/NOPE/contacts"),
              admin.patch("/api/ledger/contacts/999999", {"name": "x"}, content_type="application/json"),
              admin.patch("/api/ledger/contracts/999999", {"number": "x"}, content_type="application/json")):
        assert r.status_code == 404, r.content
        assert r.json()["code"] == "not_found"


def test_patch_changes_credit_limit_and_null_clears_it(company, admin):
    Customer.objects.create(company=company, code="C1", currency="CNY", credit_limit_minor=100)
    r = admin.patch("/api/ledger/customers/C1", {"credit_limit": "2500.00"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["credit_limit"] == "2500.00"
    r = admin.patch("/api/ledger/customers/C1", {"credit_limit": None}, content_type="application/json")
    assert r.json()["credit_limit"] is None
    entries = AuditEntry.objects.filter(action="customer.update").order_by("id")
    assert [(e.before, e.after) for e in entries] == [
        ({"credit_limit_minor": 100}, {"credit_limit_minor": 250000}),
        ({"credit_limit_minor": 250000}, {"credit_limit_minor": None}),
    ]


def test_auditor_reads_but_every_write_is_403(company):
    make_book(company, customers=2)
    auditor = client_for(company, "audrey", "auditor")
    assert auditor.get("/api/ledger/customers").json()["count"] == 2
    writes = [
        auditor.post("/api/ledger/customers", {"code": "NEW"}, content_type="application/json"),
        auditor.patch("/api/ledger/customers/C00", {"credit_limit": "1.00"}, content_type="application/json"),
        auditor.post("/api/ledger/customers/C00/contacts", {"name": "x"}, content_type="application/json"),
        auditor.post("/api/ledger/contracts", {"customer": "C00", "number": "K1"},
                     content_type="application/json"),
    ]
    assert [w.status_code for w in writes] == [403] * 4
    assert all(w.json()["code"] == "forbidden" for w in writes)
    assert not AuditEntry.objects.exists()


def test_sales_rep_sees_only_their_customers_in_the_api(company):
    make_book(company, customers=4)
    rep = client_for(company, "rep.a", "sales_rep", sales_rep_name="Rep A")
    body = rep.get("/api/ledger/customers").json()
    assert [i["code"] for i in body["items"]] == ["C00", "C02"] and body["count"] == 2
    assert rep.get("/api/ledger/customers/C01").status_code == 404
    assert rep.get("/api/ledger/customers/C01/contacts").status_code == 404
    assert rep.patch("/api/ledger/customers/C01", {"tier": "C"},
                     content_type="application/json").status_code == 404
    assert rep.get("/api/ledger/customers/C00").status_code == 200


def test_contacts_and_contracts_round_trip(company, admin):
    Customer.objects.create(company=company, code="C1", currency="CNY")
    r = admin.post("/api/ledger/customers/C1/contacts", {
        "name": "刘洋", "email": "liu@example.cn", "phone": "+86 21 5555 0101", "language": "zh-hans",
        "is_primary": True}, content_type="application/json")
    assert r.status_code == 201, r.content
    contact_id = r.json()["id"]
    r = admin.patch(f"/api/ledger/contacts/{contact_id}", {"email": "bad"}, content_type="application/json")
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "email"
    r = admin.patch(f"/api/ledger/contacts/{contact_id}", {"language": "en"}, content_type="application/json")
    assert r.json()["language"] == "en"
    assert [c["name"] for c in admin.get("/api/ledger/customers/C1/contacts").json()] == ["刘洋"]

    r = admin.post("/api/ledger/contracts", {"customer": "C1", "number": "HT-1", "start_date": "2024-01-01",
                                             "late_interest_rate": "0.05"}, content_type="application/json")
    assert r.status_code == 201, r.content
    assert r.json()["late_interest_rate"] == "0.050000"
    contract_id = r.json()["id"]
    r = admin.patch(f"/api/ledger/contracts/{contract_id}", {"end_date": "2023-01-01"},
                    content_type="application/json")
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "end_date"
    r = admin.post("/api/ledger/contracts", {"customer": "C1", "number": "HT-2", "late_interest_rate": "7"},
                   content_type="application/json")
    assert r.status_code == 422
    listed = admin.get("/api/ledger/contracts", {"customer": "C1"}).json()
    assert listed["count"] == 1 and listed["items"][0]["number"] == "HT-1"


def test_customer_detail_has_aging_and_days_late(company, admin):
    c = Customer.objects.create(company=company, code="C1", currency="CNY")
    make_invoice(company, c, "OPEN", 12345, AS_OF.replace(day=1))
    make_invoice(company, c, "PAID", 100, date(2024, 1, 1), paid=100, settled=date(2024, 1, 11))
    body = admin.get("/api/ledger/customers/C1").json()
    assert body["open_balance"] == "123.45" and body["overdue_amount"] == "123.45"
    assert body["aging"][0]["buckets"][1] == {"label": "1-30", "from_days": 1, "to_days": 30,
                                              "amount": "123.45"}
    assert body["aging"][0]["total"] == "123.45"
    assert body["average_days_late"] == "10.0" and body["weighted_days_late"] == "10.0"


@pytest.mark.parametrize("query", [
    {"limit": "0"}, {"limit": "100000"}, {"offset": "-1"}, {"sort": "evil"}, {"has_overdue": "maybe"},
    {"offset": str(10**30)}, {"currency": "toolong"},
])
def test_bad_list_parameters_are_422(company, admin, query):
    r = admin.get("/api/ledger/customers", query)
    assert r.status_code == 422, r.content


def test_nul_characters_never_reach_the_database(company, admin):
    assert admin.get("/api/ledger/customers", {"q": "a\x00b"}).status_code == 422
    assert admin.get("/api/ledger/customers/a%00b").status_code == 404
    assert admin.post("/api/ledger/customers", {"code": "C\x00"},
                      content_type="application/json").status_code == 422
