"""The jobs API: `POST /api/imports/{kind}` with `background=true` submits the import as the web
page does and answers 202 with the job; `GET /api/jobs/{id}` (the JSON of `cashloop jobs show`)
is polled until it is done; `GET /api/jobs` lists jobs as `cashloop jobs` does, paged like the
other lists. Who sees which job is the pages' rule; messages are in the request's language."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from typer.testing import CliRunner

from cashloop.accounts.services import add_user, create_token
from cashloop.audit.models import AuditEntry
from cashloop.imports.jobs import WAS_REJECTED
from cashloop.jobs.models import Job, JobStatus
from cashloop.jobs.services import job_detail_json, job_json
from cashloop.ledger.models import Invoice
from cashloop.ledger.services.companies import ensure_company
from tests.integration.jobs_support import (
    finished,
    get_while_company_table_locked,
    reads_take_no_table_locks,
)

FILES = Path(__file__).resolve().parents[1] / "files"
LIST_KEYS = {"id", "kind", "status", "progress_done", "progress_total", "created_at",
             "finished_at", "error", "result", "company"}
DETAIL_KEYS = LIST_KEYS | {"created_by", "started_at", "runner", "parameters"}


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch, settings, db):
    monkeypatch.setenv("CASHLOOP_DATA_DIR", str(tmp_path))
    settings.CASHLOOP_QUEUE_URL = "thread://"
    reads_take_no_table_locks()


def api(username: str, role: str, company, language: str = "en", scheme: str = "Bearer",
        **extra) -> Client:
    add_user(username, role, company, password="pw-123456", **extra)
    return Client(HTTP_AUTHORIZATION=f"{scheme} {create_token(username)}",
                  HTTP_ACCEPT_LANGUAGE=language)


def upload(name: str, content: bytes | None = None) -> SimpleUploadedFile:
    data = content if content is not None else (FILES / name).read_bytes()
    return SimpleUploadedFile(name, data, content_type="text/csv")


def submitted(client: Client, name: str, content: bytes | None = None, **form) -> dict:
    response = client.post("/api/imports/invoices", {"file": upload(name, content),
                                                     "background": "true", **form})
    assert response.status_code == 202, response.content
    return response.json()


def polled(client: Client, url: str, timeout: float = 60) -> dict:
    """GET the job's URL until it has ended, as a client would; then wait for its commit."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        if body["status"] in (JobStatus.DONE, JobStatus.FAILED):
            finished(Job.objects.get(pk=body["id"]))  # no job may outlive its test's database
            return client.get(url).json()
        time.sleep(0.05)
    raise AssertionError(f"{url} still {body['status']} after {timeout} s")


def stored_job(company, author, status: str = JobStatus.DONE, **fields) -> Job:
    return Job.objects.create(company=company, company_code=company.code, kind="import",
                              created_by=author, status=status, parameters={"file_name": "x.csv"},
                              **fields)


@pytest.mark.django_db(transaction=True)
def test_background_import_answers_202_and_polling_gives_the_imports_counts(company):
    client = api("fiona", "finance_manager", company)
    body = submitted(client, "invoices_gbk_chinese.csv")
    job = Job.objects.get()
    assert set(body) == DETAIL_KEYS | {"url"} and body["url"] == f"/api/jobs/{job.pk}"
    assert (body["id"], body["kind"], body["status"], body["company"], body["created_by"]) == (
        job.pk, "import", "queued", "ACME", "fiona")
    assert body["parameters"]["file_name"] == "invoices_gbk_chinese.csv"
    assert body["parameters"]["channel"] == "api" and body["result"] is None

    done = polled(client, body["url"])
    assert done["status"] == "done" and done["error"] is None
    result = done["result"]
    assert (result["status"], result["rows"], result["created"], result["updated"],
            result["rejected"]) == ("saved", 3, 3, 0, 0)
    assert (done["progress_done"], done["progress_total"]) == (3, 3)
    assert Invoice.objects.filter(company=company).count() == 3
    # The result is the synchronous import's answer: the CLI's JSON, problems and all.
    assert {"file", "kind", "company", "problems", "problems_total", "mapping", "batch"} <= set(result)
    assert [p["code"] for p in result["problems"]] == ["due.before_issue"]
    listed = client.get("/api/jobs").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == job.pk


@pytest.mark.django_db(transaction=True)
def test_background_import_changes_are_audited_as_the_apis(company):
    client = api("fiona", "finance_manager", company)
    header = b"number,customer,issue_date,due_date,amount\n"
    polled(client, submitted(client, "a.csv", header + b"B-1,C1,2024-01-10,2024-02-09,100.00\n")["url"])
    again = polled(client, submitted(client, "a.csv",
                                     header + b"B-1,C1,2024-01-10,2024-02-09,150.00\n")["url"])
    assert (again["result"]["status"], again["result"]["updated"]) == ("saved", 1)
    entry = AuditEntry.objects.filter(object_type="invoice").latest("at")
    assert (entry.channel, entry.actor_name) == ("api", "fiona")


@pytest.mark.django_db(transaction=True)
def test_background_rejected_file_fails_its_job_with_problems_in_the_readers_language(company):
    zh = api("fiona", "finance_manager", company, language="zh-hans")
    url = submitted(zh, "invoices_malformed.csv")["url"]
    failed = polled(zh, url)
    assert failed["status"] == "failed" and failed["error"] == "导入被拒绝：未保存任何数据"
    assert failed["result"]["status"] == "rejected" and Invoice.objects.count() == 0
    messages = {p["code"]: p["message"] for p in failed["result"]["problems"]}
    assert messages["amount.unreadable"] == "无法识别金额 abc"
    english = Client(HTTP_AUTHORIZATION=zh.defaults["HTTP_AUTHORIZATION"],
                     HTTP_ACCEPT_LANGUAGE="en").get(url).json()
    assert english["error"] == WAS_REJECTED
    assert {p["code"]: p["message"] for p in english["result"]["problems"]}[
        "amount.unreadable"] == "cannot read amount abc"

    from cashloop.config.cli import app

    cli = json.loads(CliRunner().invoke(app, ["jobs", "show", str(failed["id"]),
                                              "--format", "json"]).stdout)
    assert cli["error"] == WAS_REJECTED  # the CLI's JSON stays English
    assert set(cli) == DETAIL_KEYS


def test_without_background_the_import_answers_at_once_as_before(company):
    client = api("fiona", "finance_manager", company)
    response = client.post("/api/imports/invoices", {"file": upload("invoices_gbk_chinese.csv"),
                                                     "background": "false"})
    assert response.status_code == 200 and response.json()["created"] == 3
    assert not Job.objects.exists()


def test_bad_map_option_is_refused_before_any_job_in_the_readers_language(company):
    client = api("fiona", "finance_manager", company, language="zh-hans")
    response = client.post("/api/imports/invoices", {"file": upload("invoices_gbk_chinese.csv"),
                                                     "map": ["number"], "background": "true"})
    body = response.json()
    assert response.status_code == 422 and body["code"] == "invalid"
    assert body["message"] == body["problems"][0]["message"] != "--map number: write FIELD=COLUMN"
    assert body["problems"][0]["code"] == "map.malformed" and not Job.objects.exists()


def test_job_list_is_paged_filtered_and_in_the_shape_of_the_cli(company):
    client = api("fiona", "finance_manager", company)
    author = get_user_model().objects.get(username="fiona")
    jobs = [stored_job(company, author, JobStatus.FAILED if i % 3 == 0 else JobStatus.DONE)
            for i in range(7)]
    newest_first = [j.pk for j in reversed(jobs)]
    first = client.get("/api/jobs", {"limit": 3}).json()
    assert first["count"] == 7 and [i["id"] for i in first["items"]] == newest_first[:3]
    assert set(first["items"][0]) == LIST_KEYS == set(job_json(jobs[0])) | {"company"}
    last = client.get("/api/jobs", {"limit": 3, "offset": 6}).json()
    assert [i["id"] for i in last["items"]] == newest_first[6:]
    failed = client.get("/api/jobs", {"status": "failed"}).json()
    assert failed["count"] == 3 and {i["status"] for i in failed["items"]} == {"failed"}

    other, _ = ensure_company("BETA", "Beta 贸易", "CNY")
    add_user("fiona", "finance_manager", other)
    beta = stored_job(other, author)
    assert client.get("/api/jobs").json()["count"] == 8  # every company she has a role in
    only_beta = client.get("/api/jobs", {"company": "BETA"}).json()
    assert [(i["id"], i["company"]) for i in only_beta["items"]] == [(beta.pk, "BETA")]
    assert client.get("/api/jobs", {"company": "NOPE"}).status_code == 404
    assert client.get("/api/jobs", {"limit": 501}).status_code == 422
    assert client.get("/api/jobs", {"status": "lost"}).status_code == 422


def test_job_list_reads_a_fixed_number_of_queries(company):
    client = api("fiona", "finance_manager", company)
    author = get_user_model().objects.get(username="fiona")
    stored_job(company, author)
    client.get("/api/jobs")  # the token's first use is written once
    with CaptureQueriesContext(connection) as few:
        client.get("/api/jobs")
    for _ in range(20):
        stored_job(company, author, JobStatus.RUNNING)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get("/api/jobs").json()["items"]) == 21
    assert len(many) == len(few)


def test_jobs_api_follows_the_pages_access_rule_and_hides_other_jobs_as_404(company):
    fiona = api("fiona", "finance_manager", company)
    sam = api("sam", "sales_rep", company, language="zh-hans", sales_rep_name="Sam")
    User = get_user_model()
    hers = stored_job(company, User.objects.get(username="fiona"))
    his = stored_job(company, User.objects.get(username="sam"), JobStatus.QUEUED)
    assert fiona.get(f"/api/jobs/{hers.pk}").json()["created_by"] == "fiona"
    assert [i["id"] for i in sam.get("/api/jobs").json()["items"]] == [his.pk]
    hidden = sam.get(f"/api/jobs/{hers.pk}")
    assert hidden.status_code == 404
    assert hidden.json() == {"code": "not_found", "message": f"没有任务 {hers.pk}", "problems": []}
    assert sam.get(f"/api/jobs/{his.pk}").status_code == 200

    other, _ = ensure_company("BETA", "Beta 贸易", "CNY")
    outsider = api("otto", "finance_manager", other, scheme="Token")  # the other token header
    assert outsider.get("/api/jobs").json() == {"count": 0, "items": []}
    assert outsider.get(f"/api/jobs/{hers.pk}").status_code == 404
    assert api("root", "admin", other).get(f"/api/jobs/{hers.pk}").status_code == 200
    missing = fiona.get("/api/jobs/999999")
    assert missing.status_code == 404 and missing.json()["message"] == "no job 999999"
    assert fiona.get("/api/jobs/0").status_code == 422

    anonymous = Client()
    assert anonymous.get("/api/jobs").status_code == 401
    assert anonymous.get(f"/api/jobs/{hers.pk}").status_code == 401
    assert job_detail_json(hers)["company"] == "ACME"


@pytest.mark.django_db(transaction=True)
def test_polling_a_job_answers_while_a_bulk_import_locks_the_company_table(company):
    """A first bulk load on PostgreSQL drops its tables' foreign keys, which locks the
    company table against readers until it commits: polling the job must not read it."""
    if connection.vendor != "postgresql":
        pytest.skip("the lock is taken by PostgreSQL bulk loads only")
    client = api("fiona", "finance_manager", company)
    job = stored_job(company, get_user_model().objects.get(username="fiona"), JobStatus.RUNNING)
    response = get_while_company_table_locked(lambda: client.get(f"/api/jobs/{job.pk}"))
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["company"]) == ("running", "ACME")
