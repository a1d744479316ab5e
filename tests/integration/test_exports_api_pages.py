"""GET /api/exports/{kind} and the list pages' export links: the CLI's bytes, the user's scope."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cashloop.accounts.services import add_user, create_token
from cashloop.audit.services import SYSTEM_CLI
from cashloop.exports import sheets
from cashloop.ledger.services.invoices import create_invoice
from tests.integration.exports_support import build_ledger, export_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(company, settings):
    settings.CASHLOOP_TODAY = "2026-11-25"
    return build_ledger(company)


def api(username: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_token(username)}", HTTP_ACCEPT_LANGUAGE="en")


def page(company, username: str = "fiona", role: str = "finance_manager") -> Client:
    add_user(username, role, company, password=f"{username}-pw-12345")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.login(username=username, password=f"{username}-pw-12345")
    return client


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def numbers(data: bytes, key: str = "number") -> set[str]:
    return {r[key] for r in csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))}


def test_api_export_is_the_clis_file_as_an_attachment(ledger, company):
    add_user("boss", "admin", company, password="boss-pw-12345")
    response = api("boss").get("/api/exports/invoices?company=ACME")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="invoices-ACME-2026-11-25.csv"'
    assert body(response) == export_bytes("invoices", company)
    workbook = api("boss").get("/api/exports/customers?format=xlsx")
    assert workbook.status_code == 200 and body(workbook).startswith(b"PK")
    assert workbook["Content-Disposition"] == 'attachment; filename="customers-ACME-2026-11-25.xlsx"'


def test_api_refuses_unknown_kind_company_and_format_as_json(ledger, company):
    add_user("boss", "admin", company, password="boss-pw-12345")
    client = api("boss")
    unknown = client.get("/api/exports/orders")
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
    assert "invoices, customers, payments" in unknown.json()["message"]
    assert client.get("/api/exports/invoices?company=NOPE").status_code == 404
    bad = client.get("/api/exports/invoices?format=pdf")
    assert bad.status_code == 422 and bad.json()["code"] == "invalid"
    assert Client().get("/api/exports/invoices").status_code == 401


def test_api_gives_a_sales_rep_only_their_customers_rows(ledger, company):
    response = api("sam").get("/api/exports/customers")
    assert numbers(body(response), "code") == {"KH001"}
    assert numbers(body(api("rita").get("/api/exports/invoices"))) == {"US-INV-1"}


def test_the_export_endpoint_is_in_the_openapi_schema(ledger, company):
    add_user("boss", "admin", company, password="boss-pw-12345")
    schema = api("boss").get("/api/openapi.json").json()
    operation = schema["paths"]["/api/exports/{kind}"]["get"]
    assert set(operation["responses"]["200"]["content"]) == {
        "text/csv; charset=utf-8",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def test_list_pages_link_to_exports_of_their_filters(ledger, company):
    client = page(company)
    customers = client.get("/customers/?tier=A&sort=-name&page=1").content.decode()
    assert 'href="/customers/-/export/?tier=A&amp;format=csv"' in customers
    assert 'href="/customers/-/export/?tier=A&amp;format=xlsx"' in customers
    assert "Export CSV" in customers and "Export Excel" in customers
    invoices = client.get("/invoices/?status=overdue&sort=amount").content.decode()
    assert 'href="/exports/invoices/?status=overdue&amp;format=csv"' in invoices
    everything = client.get("/invoices/").content.decode()
    assert 'href="/exports/invoices/?format=xlsx"' in everything
    assert "All invoices and credit notes you may see" in everything


def test_page_exports_apply_the_lists_filters(ledger, company):
    client = page(company)
    tier_a = client.get("/customers/-/export/?tier=A&format=csv")
    assert tier_a["Content-Disposition"] == 'attachment; filename="customers-ACME-2026-11-25.csv"'
    assert numbers(body(tier_a), "code") == {"KH001"}
    overdue = numbers(body(client.get("/exports/invoices/?status=overdue&format=csv")))
    assert overdue == {"INV-001", "INV-002", "INV-004", "INV-005", "INV-006", "INV-007",
                       "JP-INV-1"}  # open and due before 2026-11-25; no credit notes
    assert body(client.get("/exports/invoices/?format=csv")) == export_bytes("invoices", company)
    assert body(client.get("/customers/-/export/?format=csv")) == export_bytes("customers", company)


def test_page_exports_refuse_a_bad_format_and_send_bad_filters_back(ledger, company):
    client = page(company)
    assert client.get("/customers/-/export/?format=pdf").status_code == 404
    back = client.get("/exports/invoices/?issue_from=yesterday&format=csv")
    assert back.status_code == 302 and back["Location"] == "/invoices/?issue_from=yesterday"


def test_a_sales_reps_page_export_holds_only_their_customers(ledger, company):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.login(username="sam", password="sam-pw-12345")
    assert numbers(body(client.get("/exports/invoices/?format=csv"))) == {
        "INV-001", "INV-002", "INV-003", "CN-001"}


def test_the_invoices_sheet_reads_with_one_query_per_document_kind(ledger, company):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            rows = list(sheets.invoice_rows(company, None))
        assert rows
        return len(ctx.captured_queries)

    few = queries()
    for n in range(30):
        create_invoice(SYSTEM_CLI, company, number=f"MORE-{n:03}", customer_code="KH002",
                       issue_date=date(2026, 9, 1), amount_minor=1_000 + n, currency="CNY")
    assert queries() == few == 2
