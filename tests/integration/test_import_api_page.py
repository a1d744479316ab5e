"""The import API (same JSON as the CLI) and the import page (preview, then confirm)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from cashloop.accounts.services import add_user, create_token
from cashloop.jobs.models import Job
from cashloop.ledger.models import Invoice
from tests.integration.jobs_support import finished, reads_take_no_table_locks

FILES = Path(__file__).resolve().parents[1] / "files"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CASHLOOP_DATA_DIR", str(tmp_path))


def api_client(company, role="finance_manager") -> Client:
    add_user(f"u_{role}", role, company, password="pw-123456")
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_token(f'u_{role}')}")


def upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (FILES / name).read_bytes(), content_type="text/csv")


def test_api_import_returns_the_cli_json_and_batches_are_listed(company):
    client = api_client(company)
    response = client.post("/api/imports/invoices", {
        "file": upload("invoices_utf8_bom.csv"), "map": ["number=invoice no"], "currency": "USD"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["created"], body["kind"], body["file"]) == (
        "saved", 3, "invoices", "invoices_utf8_bom.csv")
    assert body["mapping"]["number"] == "invoice no"
    listed = client.get("/api/imports/batches").json()
    assert listed[0]["id"] == body["batch"]
    one = client.get(f"/api/imports/batches/{body['batch']}").json()
    assert one["status"] == "saved" and one["problems"] == []


def test_api_rejected_file_is_422_with_problems_and_skip_bad_gives_rejected_rows(company):
    client = api_client(company)
    response = client.post("/api/imports/invoices", {"file": upload("invoices_malformed.csv")})
    assert response.status_code == 422
    assert {p["line"] for p in response.json()["problems"]} == {4, 5, 8, 9}
    assert Invoice.objects.count() == 0
    response = client.post("/api/imports/invoices", {"file": upload("invoices_malformed.csv"),
                                                     "skip_bad": "true"})
    body = response.json()
    assert response.status_code == 200 and body["status"] == "partial"
    rejected = client.get(f"/api/imports/batches/{body['batch']}/rejected.csv")
    assert rejected.status_code == 200
    assert b"cannot read amount abc" in b"".join(rejected.streaming_content)


def test_api_unknown_kind_is_404_and_auditor_may_not_import(company):
    client = api_client(company)
    assert client.post("/api/imports/widgets", {"file": upload("payments.csv")}).status_code == 404
    auditor = api_client(company, "auditor")
    response = auditor.post("/api/imports/invoices", {"file": upload("payments.csv")})
    assert response.status_code == 403
    assert auditor.get("/api/imports/batches").status_code == 200


@pytest.mark.django_db(transaction=True)  # the import job runs in a thread, on its own connection
def test_page_previews_with_detected_mapping_then_imports(company, settings):
    settings.CASHLOOP_QUEUE_URL = "thread://"
    reads_take_no_table_locks()
    add_user("clerk", "collector", company, password="pw-123456")
    client = Client()
    assert client.login(username="clerk", password="pw-123456")
    page = client.get("/import/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and b"Preview" in page.content
    preview = client.post("/import/preview/", {"kind": "invoices",
                                               "file": upload("invoices_gbk_chinese.csv")},
                          HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en")
    text = preview.content.decode()
    assert preview.status_code == 200
    assert "gbk" in text and "%Y年%m月%d日" in text and "FP-0001" in text
    assert "单据编号" in text and Invoice.objects.count() == 0
    token = preview.context["token"]
    done = client.post("/import/confirm/", {"kind": "invoices", "token": token},
                       HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en")
    job = Job.objects.get()
    assert done.status_code == 200 and done["HX-Redirect"] == f"/jobs/{job.pk}/"
    assert finished(job).result["created"] == 3
    assert Invoice.objects.count() == 3


def test_page_is_for_writers_only(company):
    add_user("reader", "auditor", company, password="pw-123456")
    client = Client()
    assert client.get("/import/").status_code == 302
    assert client.login(username="reader", password="pw-123456")
    assert client.get("/import/").status_code == 403


def test_api_odd_inputs_are_client_errors_never_500(company):
    client = api_client(company)
    assert client.get("/api/imports/batches/99999999999999999999999").status_code == 404
    assert client.get("/api/imports/batches/0").status_code == 404
    odd = client.post("/api/imports/invoices", {"file": upload("payments.csv"),
                                                "save_mapping": "x" * 300, "date_format": "%"})
    assert odd.status_code == 422 and odd.json()["problems"][0]["code"] == "mapping.name_too_long"
    odd = client.post("/api/imports/invoices", {"file": upload("payments.csv"), "encoding": "rot13"})
    assert odd.status_code == 422 and odd.json()["problems"][0]["code"] == "encoding.unknown"
    odd = client.post("/api/imports/invoices", {"file": upload("payments.csv"), "map": "oops"})
    assert odd.status_code == 422
