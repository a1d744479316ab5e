"""The job page: confirming an import opens it; it polls its status fragment with htmx every
second until the job ends, then shows the import's counts and problems; only users of the
job's company see it, and a sales rep only their own jobs."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from cashloop.accounts.services import add_user
from cashloop.jobs import backends
from cashloop.jobs.models import Job, JobStatus
from cashloop.ledger.models import Invoice
from cashloop.ledger.services.companies import ensure_company
from tests.integration.jobs_support import (
    finished,
    get_while_company_table_locked,
    reads_take_no_table_locks,
)

FILES = Path(__file__).resolve().parents[1] / "files"
POLL = 'hx-trigger="every 1s"'


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch, settings, db):
    monkeypatch.setenv("CASHLOOP_DATA_DIR", str(tmp_path))
    settings.CASHLOOP_QUEUE_URL = "thread://"
    reads_take_no_table_locks()


def login(username: str, role: str, company, language: str = "en", **extra) -> Client:
    add_user(username, role, company, password="pw-123456", **extra)
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    assert client.login(username=username, password="pw-123456")
    return client


def upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (FILES / name).read_bytes(), content_type="text/csv")


def confirmed_job(client: Client, name: str, **form) -> Job:
    """Preview `name` on the import page, confirm it, and follow the page to its finished job."""
    preview = client.post("/import/preview/", {"kind": "invoices", "file": upload(name), **form},
                          HTTP_HX_REQUEST="true")
    assert preview.status_code == 200
    confirm = client.post("/import/confirm/", {"kind": "invoices", "token": preview.context["token"],
                                               **form}, HTTP_HX_REQUEST="true")
    assert confirm.status_code == 200, confirm.content
    job = Job.objects.get()
    assert confirm["HX-Redirect"] == f"/jobs/{job.pk}/"
    return finished(job)


def stored_job(company, user, status: str, **fields) -> Job:
    """A job row as a backend would leave it (no backend runs it)."""
    return Job.objects.create(company=company, kind="import", created_by=user, status=status,
                              parameters={"file_name": "x.csv"}, **fields)


@pytest.mark.django_db(transaction=True)
def test_confirming_an_import_opens_its_job_page_with_the_counts(company):
    client = login("clerk", "collector", company)
    job = confirmed_job(client, "invoices_gbk_chinese.csv")
    assert job.status == JobStatus.DONE
    assert Invoice.objects.filter(company=company).count() == 3 == job.result["created"]
    page = client.get(f"/jobs/{job.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "invoices_gbk_chinese.csv" in html and "Done." in html and "3 of 3 rows" in html
    cards = [page.context["result"][k] for k in ("rows", "created", "updated", "unchanged",
                                                 "rejected")]
    assert cards == [3, 3, 0, 0, 0]
    assert POLL not in html and "Saved." in html  # a finished job is not polled


@pytest.mark.django_db(transaction=True)
def test_confirm_without_htmx_redirects_to_the_job_page(company):
    client = login("clerk", "collector", company)
    preview = client.post("/import/preview/", {"kind": "invoices",
                                               "file": upload("invoices_gbk_chinese.csv")})
    confirm = client.post("/import/confirm/", {"kind": "invoices", "token": preview.context["token"]})
    job = Job.objects.get()
    assert confirm.status_code == 302 and confirm["Location"] == f"/jobs/{job.pk}/"
    assert finished(job).status == JobStatus.DONE  # no job may outlive its test's database


@pytest.mark.django_db(transaction=True)
def test_rejected_import_job_shows_its_problems_translated_and_saves_nothing(company):
    client = login("clerk", "collector", company, language="zh-hans")
    job = confirmed_job(client, "invoices_malformed.csv")
    assert job.status == JobStatus.FAILED
    html = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "无法识别金额 abc" in html and "cannot read amount" not in html
    assert "导入被拒绝：未保存任何数据" in html  # the job's error, in the reader's language
    assert Invoice.objects.filter(company=company).count() == 0


@pytest.mark.django_db(transaction=True)
def test_skip_bad_job_page_links_the_rejected_rows(company):
    client = login("clerk", "collector", company)
    job = confirmed_job(client, "invoices_malformed.csv", skip_bad="1")
    assert job.status == JobStatus.DONE and job.result["status"] == "partial"
    html = client.get(f"/jobs/{job.pk}/").content.decode()
    link = f"/jobs/{job.pk}/files/rejected/"
    assert link in html
    rejected = client.get(link)
    assert rejected.status_code == 200 and b"cannot read amount abc" in rejected.content
    assert client.get(f"/jobs/{job.pk}/files/input/").status_code == 404  # never served back


@pytest.mark.django_db
def test_status_fragment_polls_while_the_job_runs_and_stops_when_it_ends(company):
    client = login("fiona", "finance_manager", company)
    user = get_user_model().objects.get(username="fiona")
    job = stored_job(company, user, JobStatus.QUEUED)
    fragment = client.get(f"/jobs/{job.pk}/status/", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.startswith('<div id="job-status"')
    assert POLL in fragment and f'hx-get="/jobs/{job.pk}/status/"' in fragment
    assert 'hx-swap="outerHTML"' in fragment and "Waiting in the queue" in fragment

    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
    backend = backends.current()
    backend.report_progress(job.pk, 5000, 12000)  # as the import reports it while reading
    try:
        fragment = client.get(f"/jobs/{job.pk}/status/").content.decode()
    finally:
        backend.forget(job.pk)
    assert POLL in fragment and "5,000 of 12,000 rows" in fragment
    assert '<progress value="5000" max="12000">' in fragment

    Job.objects.filter(pk=job.pk).update(status=JobStatus.DONE, progress_done=12000,
                                         progress_total=12000, result={"status": "saved",
                                                                       "rows": 12000})
    fragment = client.get(f"/jobs/{job.pk}/status/").content.decode()
    assert POLL not in fragment and "hx-get" not in fragment
    assert "12,000 of 12,000 rows" in fragment and "Done." in fragment


@pytest.mark.django_db
def test_job_page_is_for_users_of_its_company_and_a_sales_rep_sees_only_their_own(company):
    fiona = login("fiona", "finance_manager", company)
    owner = get_user_model().objects.get(username="fiona")
    job = stored_job(company, owner, JobStatus.DONE, result={"status": "saved", "rows": 1})
    assert fiona.get(f"/jobs/{job.pk}/").status_code == 200
    assert login("aude", "auditor", company).get(f"/jobs/{job.pk}/").status_code == 200
    assert login("colin", "collector", company).get(f"/jobs/{job.pk}/").status_code == 200

    sam = login("sam", "sales_rep", company, sales_rep_name="Sam")
    assert sam.get(f"/jobs/{job.pk}/").status_code == 404
    assert sam.get(f"/jobs/{job.pk}/status/").status_code == 404
    own = stored_job(company, get_user_model().objects.get(username="sam"), JobStatus.QUEUED)
    assert sam.get(f"/jobs/{own.pk}/").status_code == 200

    other, _ = ensure_company("BETA", "Beta 贸易", "CNY")
    outsider = login("otto", "finance_manager", other)  # an admin is a superuser: every company
    assert outsider.get(f"/jobs/{job.pk}/").status_code == 404  # no role in the job's company
    assert outsider.get(f"/jobs/{job.pk}/?company=BETA").status_code == 404
    assert outsider.get(f"/jobs/{job.pk}/status/").status_code == 404
    assert outsider.get(f"/jobs/{job.pk}/files/rejected/").status_code == 404
    # A user of both companies sees the job whichever company the other pages show.
    add_user("fiona", "finance_manager", other)
    assert fiona.get(f"/jobs/{job.pk}/?company=BETA").status_code == 200

    anonymous = Client()
    response = anonymous.get(f"/jobs/{job.pk}/")
    assert response.status_code == 302 and "/login" in response["Location"]
    assert fiona.get("/jobs/999999/").status_code == 404


@pytest.mark.django_db
def test_import_page_lists_the_users_pending_import_jobs_with_a_link(company):
    fiona = login("fiona", "finance_manager", company)
    sam = login("sam", "sales_rep", company, sales_rep_name="Sam")
    owner = get_user_model().objects.get(username="fiona")
    running = stored_job(company, owner, JobStatus.RUNNING)
    stored_job(company, owner, JobStatus.DONE, result={"status": "saved"})
    html = fiona.get("/import/").content.decode()
    assert html.count('class="pending-job"') == 1 and f'href="/jobs/{running.pk}/"' in html
    assert "Running…" in html and "No imports yet." not in html
    assert 'class="pending-job"' not in sam.get("/import/").content.decode()  # not his job


@pytest.mark.django_db(transaction=True)
def test_status_fragment_answers_while_a_bulk_import_locks_the_company_table(company):
    """A first bulk load on PostgreSQL drops its tables' foreign keys, which locks the
    company table against readers until it commits: the polled fragment must not read it."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the lock is taken by PostgreSQL bulk loads only")
    client = login("fiona", "finance_manager", company)
    job = stored_job(company, get_user_model().objects.get(username="fiona"), JobStatus.RUNNING)
    fragment = get_while_company_table_locked(lambda: client.get(f"/jobs/{job.pk}/status/"))
    assert fragment.status_code == 200 and POLL in fragment.content.decode()


@pytest.mark.django_db
def test_a_job_that_failed_before_reading_a_row_shows_its_reason_and_no_progress(company):
    client = login("fiona", "finance_manager", company, language="zh-hans")
    job = stored_job(company, get_user_model().objects.get(username="fiona"), JobStatus.FAILED,
                     error="the uploaded file is no longer there; upload it again")
    fragment = client.get(f"/jobs/{job.pk}/status/").content.decode()
    assert "失败: 上传的文件已不存在，请重新上传" in fragment and "<progress" not in fragment
    assert POLL not in fragment
