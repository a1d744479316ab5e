"""Service refusals are templates with params and a stable code: translated on pages and in API
error JSON, English in the CLI; problems of past import batches are shown translated too."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.test import Client
from django.utils import translation
from typer.testing import CliRunner

from cashloop.accounts.services import add_user, create_token
from cashloop.audit.services import SYSTEM_CLI
from cashloop.core.problems import NotFound, Refusal, gettext_noop
from cashloop.imports.services.batches import batch_json
from cashloop.imports.services.run import ImportOptions, import_bytes
from cashloop.ledger.models import Customer
from cashloop.ledger.services.allocations import OverAllocation
from cashloop.web.i18n import refusal_text

pytestmark = pytest.mark.django_db
BASE = "/api/ledger"


def api(company, language: str) -> Client:
    if not Customer.objects.filter(code="C1").exists():
        add_user("boss", "admin", company)
        Customer.objects.create(company=company, code="C1", name="甲公司")
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_token('boss')}",
                  HTTP_ACCEPT_LANGUAGE=language)


def post(client: Client, url: str, body: dict) -> object:
    return client.post(BASE + url, body, content_type="application/json")


def test_refusal_keeps_template_params_and_english_text():
    refusal = OverAllocation(gettext_noop("invoice {invoice} has only {open} {currency} open"),
                             invoice="I-1", open="10.00", currency="CNY")
    assert refusal.message == str(refusal) == "invoice I-1 has only 10.00 CNY open"
    assert refusal.params == (("invoice", "I-1"), ("open", "10.00"), ("currency", "CNY"))
    assert refusal.code == "allocation.over"
    with translation.override("zh-hans"):
        assert refusal_text(refusal) == "发票 I-1 仅剩 10.00 CNY 未收"
    with translation.override("en"):
        assert refusal_text(refusal) == "invoice I-1 has only 10.00 CNY open"
    # A message without params is taken as it is, braces and all; unknown text stays English.
    assert Refusal("odd {text}").message == "odd {text}"
    with translation.override("zh-hans"):
        assert refusal_text(Refusal("odd {text}")) == "odd {text}"
        assert refusal_text(NotFound(gettext_noop("no invoice {number}"), number="X")) == (
            "没有发票 X")


def test_api_errors_are_in_the_request_language_with_the_same_code(company):
    zh, en = api(company, "zh-hans"), api(company, "en")
    assert post(zh, "/invoices", {"number": "I-1", "customer": "C1", "issue_date": "2024-01-10",
                                  "amount": "100.00", "currency": "CNY"}).status_code == 201
    post(zh, "/payments", {"reference": "P1", "customer": "C1", "received_date": "2024-02-01",
                           "amount": "150.00", "currency": "CNY"})
    line = {"payment": "P1", "lines": [{"invoice": "I-1", "amount": "100.01"}]}
    chinese, english = post(zh, "/allocations", line), post(en, "/allocations", line)
    assert chinese.status_code == english.status_code == 409
    assert chinese.json()["code"] == english.json()["code"] == "allocation.over"
    assert chinese.json()["message"] == "发票 I-1 仅剩 100.00 CNY 未收"
    assert english.json()["message"] == "invoice I-1 has only 100.00 CNY open"
    assert chinese.json()["problems"][0]["message"] == "超过发票的未收金额"
    missing = zh.get(f"{BASE}/invoices/NOPE")
    assert missing.status_code == 404 and missing.json()["message"] == "没有发票 NOPE"
    duplicate = post(zh, "/payments", {"reference": "P1", "customer": "C1",
                                       "received_date": "2024-02-01", "amount": "1.00",
                                       "currency": "CNY"})
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "payment.duplicate")
    assert duplicate.json()["message"] == "收款 P1 已存在"


def test_customer_form_shows_the_service_refusal_in_chinese(company):
    add_user("fm", "finance_manager", company, password="pw-123456")
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert client.login(username="fm", password="pw-123456")
    page = client.post("/customers/-/new/", {"code": "C9", "currency": "CNY", "country": "C1"})
    html = page.content.decode()
    assert page.status_code == 422
    assert "country：&#x27;C1&#x27; 不是两位字母的 ISO 3166 国家代码" in html
    assert "is not a two-letter" not in html


def test_cli_json_keeps_refusals_english(company, tmp_path, monkeypatch):
    from cashloop.config.cli import app

    monkeypatch.setenv("CASHLOOP_DATA_DIR", str(tmp_path))
    path = tmp_path / "i.csv"
    path.write_bytes(b"number,customer,issue_date,amount\nI1,C1,2024-01-01,100\n")
    with translation.override("zh-hans"):
        out = CliRunner().invoke(app, ["import", "invoices", str(path), "--company", "NOPE",
                                       "--format", "json"])
    body = json.loads(out.stdout)
    assert [(p["code"], p["message"]) for p in body["problems"]] == [
        ("not_found", "no company with code 'NOPE'")]


def test_past_batch_problems_display_translated_and_stay_english_for_the_cli(company):
    result = import_bytes(b"reference,customer,date,amount,invoice\nR1,C1,2024-01-01,5,NOPE\n",
                          "p.csv", ImportOptions(kind="payments"), SYSTEM_CLI, date(2024, 12, 31))
    assert result.status == "rejected"
    client = api(company, "zh-hans")
    stored = client.get(f"/api/imports/batches/{result.batch}").json()["problems"]
    assert [(p["code"], p["column"], p["message"]) for p in stored] == [
        ("invoice.unknown", "invoice", "没有发票 NOPE")]
    from cashloop.imports.models import ImportBatch

    english = batch_json(ImportBatch.objects.get(pk=result.batch), with_problems=True)
    assert english["problems"][0]["message"] == "no invoice NOPE"
