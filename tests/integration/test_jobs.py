"""Jobs on the thread backend: a web import submitted as a job runs the import service in a
thread of this process, reports its progress, and stores its result or its failure."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from cashloop.accounts.services import add_user
from cashloop.audit.services import Actor
from cashloop.core.problems import Invalid
from cashloop.imports.jobs import EXPIRED, KIND, WAS_REJECTED, import_params
from cashloop.imports.models import ImportBatch
from cashloop.imports.services.run import ImportOptions, import_bytes
from cashloop.jobs import backends, registry
from cashloop.jobs.models import Job, JobFile, JobStatus
from cashloop.jobs.services import QUEUE_DOWN, execute, job_json, submit
from cashloop.ledger.models import Invoice
from tests.integration.jobs_support import finished, reads_take_no_table_locks

FILES = Path(__file__).resolve().parents[1] / "files"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch, settings, db):
    monkeypatch.setenv("CASHLOOP_DATA_DIR", str(tmp_path))
    settings.CASHLOOP_QUEUE_URL = "thread://"
    reads_take_no_table_locks()


@pytest.fixture
def clerk(company):
    add_user("clerk", "finance_manager", company, password="pw-123456")
    return get_user_model().objects.get(username="clerk")


def submit_import(name: str, user, company, data: bytes | None = None, **options) -> Job:
    content = data if data is not None else (FILES / name).read_bytes()
    params = import_params(ImportOptions(kind="invoices", company=company.code, **options), name,
                           "0" * 32)
    return submit(KIND, params, user, company, files={"input": (name, content)})


def test_import_job_saves_the_invoices_and_its_counts_are_theirs(company, clerk):
    job = finished(submit_import("invoices_gbk_chinese.csv", clerk, company))
    assert job.status == JobStatus.DONE and job.error == ""
    invoices = Invoice.objects.filter(company=company)
    assert sorted(invoices.values_list("number", flat=True)) == ["FP-0001", "FP-0002", "FP-0003"]
    assert job.result["status"] == "saved"
    assert job.result["created"] == invoices.count() == 3
    assert (job.progress_done, job.progress_total) == (3, 3) == (job.result["rows"],) * 2
    batch = ImportBatch.objects.get(pk=job.result["batch"])
    assert (batch.created_count, batch.created_by) == (3, clerk)  # the import service's own batch
    assert job.started_at and job.finished_at and job.finished_at >= job.started_at
    assert not JobFile.objects.filter(job=job, purpose="input").exists()  # read once, then gone
    listed = job_json(job)
    assert set(listed) == {"id", "kind", "status", "progress_done", "progress_total",
                           "created_at", "finished_at", "error", "result"}
    assert listed["error"] is None and listed["result"]["created"] == 3


def test_the_same_file_again_is_a_done_job_that_changes_nothing(company, clerk):
    finished(submit_import("invoices_gbk_chinese.csv", clerk, company))
    again = finished(submit_import("invoices_gbk_chinese.csv", clerk, company))
    assert again.status == JobStatus.DONE
    assert (again.result["status"], again.result["created"], again.result["unchanged"]) == (
        "unchanged", 0, 3)
    assert Invoice.objects.filter(company=company).count() == 3


def test_rejected_file_fails_the_job_keeps_its_problems_and_saves_nothing(company, clerk):
    job = finished(submit_import("invoices_malformed.csv", clerk, company))
    assert job.status == JobStatus.FAILED and job.error == WAS_REJECTED
    assert job.result["status"] == "rejected" and job.result["created"] == 0
    assert {p["line"] for p in job.result["problems"] if p["severity"] == "error"} == {4, 5, 8, 9}
    amount = next(p for p in job.result["problems"] if p["code"] == "amount.unreadable")
    assert amount["message"] == "cannot read amount abc"  # the CLI's English text ...
    assert amount["template"] == "cannot read amount {value}"  # ... and what the page translates
    assert Invoice.objects.filter(company=company).count() == 0
    assert "Traceback" not in job.error


def test_skip_bad_job_saves_the_good_rows_and_keeps_the_rejected_file(company, clerk):
    job = finished(submit_import("invoices_malformed.csv", clerk, company, skip_bad=True))
    assert job.status == JobStatus.DONE and job.result["status"] == "partial"
    saved = Invoice.objects.filter(company=company).count()
    assert saved == job.result["created"] > 0
    rejected = JobFile.objects.get(job=job, purpose="rejected")
    assert b"cannot read amount abc" in bytes(rejected.content)


def test_progress_is_reported_every_5000_rows_and_at_the_end(company, clerk, monkeypatch):
    rows = 12_000
    text = "number,customer,issue_date,due_date,amount\n" + "".join(
        f"P-{i},C{i % 7},2024-01-05,2024-02-04,{i}.50\n" for i in range(rows))

    class RecordingBackend(backends.ThreadBackend):  # the queue is an edge: record what it gets
        reports: list[tuple[int, int | None]] = []

        def report_progress(self, job_id, done, total):
            self.reports.append((done, total))
            super().report_progress(job_id, done, total)

    recording = RecordingBackend("thread://", 1)
    monkeypatch.setattr(backends, "current", lambda: recording)
    job = finished(submit_import("many.csv", clerk, company, data=text.encode()))
    assert job.status == JobStatus.DONE and job.result["created"] == rows
    assert recording.reports[:3] == [(5000, rows), (10000, rows), (rows, rows)]
    assert (job.progress_done, job.progress_total) == (rows, rows)
    assert recording.progress(job.pk) is None  # forgotten once stored in the row


def test_import_service_result_is_the_same_with_or_without_a_progress_callback(company):
    data = (FILES / "invoices_malformed.csv").read_bytes()
    calls: list[tuple[int, int | None]] = []
    options = ImportOptions(kind="invoices", skip_bad=True)
    with_progress = import_bytes(data, "a.csv", options, Actor(None, "cli"), company.created_at.date(),
                                 progress=lambda done, total: calls.append((done, total)))
    Invoice.objects.filter(company=company).delete()
    without = import_bytes(data, "a.csv", options, Actor(None, "cli"), company.created_at.date())
    keys = ("status", "rows", "created", "updated", "unchanged", "rejected", "warnings",
            "problems", "problems_total")
    assert {k: with_progress.to_json()[k] for k in keys} == {k: without.to_json()[k] for k in keys}
    lines_after_header = len(data.splitlines()) - 1  # a blank one among them: a little high
    assert calls == [(with_progress.rows, lines_after_header)]
    assert with_progress.rows < lines_after_header


def test_a_job_function_that_raises_fails_with_its_message_and_no_traceback(company, clerk):
    def explode(run):
        raise RuntimeError("the ledger is on fire")

    registry.register(registry.JobKind("explode", f"{__name__}:_explode", "Explode"))
    globals()["_explode"] = explode
    try:
        job = finished(submit("explode", {}, clerk, company))
    finally:
        registry.unregister("explode")
    assert job.status == JobStatus.FAILED
    assert job.error == "RuntimeError: the ledger is on fire"
    assert job.result is None


def test_an_import_job_without_its_file_fails_and_saves_nothing(company, clerk):
    params = import_params(ImportOptions(kind="invoices"), "gone.csv", "0" * 32)
    job = finished(submit(KIND, params, clerk, company))
    assert (job.status, job.error) == (JobStatus.FAILED, EXPIRED)
    assert Invoice.objects.filter(company=company).count() == 0


def test_unknown_kind_is_refused_before_anything_is_stored(company, clerk):
    with pytest.raises(Invalid):
        submit("widgets", {}, clerk, company)
    assert Job.objects.count() == 0


def test_a_job_is_run_once_even_when_delivered_twice(company, clerk):
    job = finished(submit_import("invoices_gbk_chinese.csv", clerk, company))
    first_finished = job.finished_at
    execute(job.pk)  # a second delivery of the same job: it is not queued any more
    job.refresh_from_db()
    assert job.finished_at == first_finished and job.result["created"] == 3


def test_an_unreachable_queue_fails_the_job_instead_of_hanging(company, clerk, settings):
    settings.CASHLOOP_QUEUE_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    started = time.monotonic()
    job = submit_import("invoices_gbk_chinese.csv", clerk, company)
    job.refresh_from_db()
    assert (job.status, job.error) == (JobStatus.FAILED, QUEUE_DOWN)
    assert time.monotonic() - started < 15
    assert Invoice.objects.filter(company=company).count() == 0


def test_redis_backend_keeps_live_progress_in_redis_and_forgets_it(settings):
    import redis

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except (redis.RedisError, OSError):
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    backend = backends.backend_for(url)
    assert isinstance(backend, backends.CeleryBackend)
    job_id = 10**12 + time.monotonic_ns() % 10**6  # no real job: only the progress key is used
    backend.report_progress(job_id, 5000, None)
    assert backend.progress(job_id) == (5000, None)
    backend.report_progress(job_id, 10000, 12000)
    assert backend.progress(job_id) == (10000, 12000)
    backend.forget(job_id)
    assert backend.progress(job_id) is None


def test_cli_lists_recent_jobs_and_shows_one(company, clerk):
    import json

    from typer.testing import CliRunner

    from cashloop.config.cli import app

    job = finished(submit_import("invoices_gbk_chinese.csv", clerk, company))
    runner = CliRunner()
    listed = runner.invoke(app, ["jobs", "--limit", "5", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    items = json.loads(listed.stdout)
    assert [(i["id"], i["status"], i["progress_done"], i["progress_total"]) for i in items] == [
        (job.pk, "done", 3, 3)]
    assert items[0]["result"]["created"] == 3 and items[0]["error"] is None
    table = runner.invoke(app, ["jobs"])
    assert table.exit_code == 0 and f"{job.pk}  import  done    3/3" in table.stdout
    shown = json.loads(runner.invoke(app, ["jobs", "show", str(job.pk), "--format", "json"]).stdout)
    assert (shown["company"], shown["created_by"], shown["parameters"]["file_name"]) == (
        company.code, "clerk", "invoices_gbk_chinese.csv")
    missing = runner.invoke(app, ["jobs", "show", "999999"])
    assert missing.exit_code == 1 and "error: no job 999999" in missing.stderr
    missing = runner.invoke(app, ["jobs", "show", "999999", "--format", "json"])
    assert json.loads(missing.stdout)["code"] == "not_found"
    unknown = runner.invoke(app, ["jobs", "--company", "NOPE"])
    assert unknown.exit_code == 1 and "error: no company with code 'NOPE'" in unknown.stderr
    assert unknown.exception is None or isinstance(unknown.exception, SystemExit)


def _dead_pid() -> int:
    """The id of a process that has just ended."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(done.stdout)


def test_jobs_left_running_by_a_dead_process_of_this_machine_are_failed(company, clerk):
    import socket

    from cashloop.jobs.services import ABANDONED, recover_abandoned

    host = socket.gethostname()
    dead = Job.objects.create(company=company, kind=KIND, status=JobStatus.RUNNING,
                              runner=f"{host}:{_dead_pid()}")
    alive = Job.objects.create(company=company, kind=KIND, status=JobStatus.RUNNING,
                               runner=f"{host}:{os.getpid()}")
    elsewhere = Job.objects.create(company=company, kind=KIND, status=JobStatus.RUNNING,
                                   runner="another-machine:1")
    assert recover_abandoned() == [dead.pk]
    dead.refresh_from_db()
    assert (dead.status, dead.error) == (JobStatus.FAILED, ABANDONED) and dead.finished_at
    assert {j.status for j in Job.objects.filter(pk__in=[alive.pk, elsewhere.pk])} == {
        JobStatus.RUNNING}


def test_queued_jobs_are_run_again_after_a_restart_and_only_once(company, clerk):
    from cashloop.jobs.services import resume_queued

    params = import_params(ImportOptions(kind="invoices"), "invoices_gbk_chinese.csv", "0" * 32)
    # As a previous server process left it: stored and queued, its thread pool gone.
    job = Job.objects.create(company=company, kind=KIND, parameters=params, created_by=clerk)
    JobFile.objects.create(job=job, purpose="input", name="invoices_gbk_chinese.csv",
                           content=(FILES / "invoices_gbk_chinese.csv").read_bytes())
    assert resume_queued() == [job.pk]
    resume_queued()  # a second server process doing the same
    job = finished(job)
    assert job.status == JobStatus.DONE and job.result["created"] == 3
    assert job.runner.endswith(f":{os.getpid()}")  # run by this process's thread pool
    assert Invoice.objects.filter(company=company).count() == 3
