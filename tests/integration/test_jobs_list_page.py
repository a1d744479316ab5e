"""The jobs list (/jobs/): the jobs of every company the user has a role in, a sales rep's only
their own, newest first, 50 a page, filtered by status, in Chinese and English; linked from the
navigation of every page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cashloop.accounts.services import add_user
from cashloop.imports.jobs import WAS_REJECTED
from cashloop.jobs.models import Job, JobStatus
from cashloop.jobs.views import PAGE_SIZE
from cashloop.ledger.services.companies import ensure_company

pytestmark = pytest.mark.django_db
URL = reverse("job_list")


def login(username: str, role: str, company, language: str = "en", **extra) -> Client:
    add_user(username, role, company, password="pw-123456", **extra)
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    assert client.login(username=username, password="pw-123456")
    return client


def user(username: str):
    return get_user_model().objects.get(username=username)


def stored_job(company, author, status: str = JobStatus.DONE, minutes_ago: int = 0,
               **fields) -> Job:
    """A job row as a backend would leave it (no backend runs it)."""
    created = timezone.now() - timedelta(minutes=minutes_ago)
    return Job.objects.create(company=company, company_code=company.code, kind="import",
                              created_by=author, status=status, created_at=created,
                              parameters={"file_name": f"file-{minutes_ago}.csv"}, **fields)


def listed(response) -> list[int]:
    return [row["job"].pk for row in response.context["rows"]]


def test_list_shows_the_companys_jobs_and_a_sales_rep_only_their_own(company):
    fiona = login("fiona", "finance_manager", company)
    sam = login("sam", "sales_rep", company, sales_rep_name="Sam")
    hers = stored_job(company, user("fiona"), minutes_ago=2)
    his = stored_job(company, user("sam"), JobStatus.QUEUED, minutes_ago=1)
    assert listed(fiona.get(URL)) == [his.pk, hers.pk]  # newest first
    assert listed(login("aude", "auditor", company).get(URL)) == [his.pk, hers.pk]
    assert listed(sam.get(URL)) == [his.pk]

    other, _ = ensure_company("BETA", "Beta 贸易", "CNY")
    outsider = login("otto", "collector", other)
    assert listed(outsider.get(URL)) == []  # no role in ACME: none of its jobs
    theirs = stored_job(other, user("otto"))
    assert listed(outsider.get(URL)) == [theirs.pk]
    # A user of both companies sees both, whichever company the other pages show; so does an
    # admin (a superuser) without a membership in BETA.
    add_user("fiona", "finance_manager", other)
    assert listed(fiona.get(URL + "?company=BETA")) == [theirs.pk, his.pk, hers.pk]
    assert listed(login("root", "admin", company).get(URL)) == [theirs.pk, his.pk, hers.pk]

    response = Client().get(URL)
    assert response.status_code == 302 and "/login" in response["Location"]


def test_list_pages_by_fifty_newest_first_keeping_the_filter(company):
    client = login("fiona", "finance_manager", company)
    author = user("fiona")
    jobs = [stored_job(company, author, JobStatus.FAILED if i % 2 else JobStatus.DONE,
                       minutes_ago=i) for i in range(2 * PAGE_SIZE + 20)]
    first = client.get(URL)
    assert first.context["count"] == 120 and first.context["pages"] == 3
    assert listed(first) == [j.pk for j in jobs[:PAGE_SIZE]]
    html = first.content.decode()
    assert "Page 1 of 3" in html and 'href="?page=2"' in html and 'rel="prev"' not in html
    last = client.get(URL, {"page": 3})
    assert listed(last) == [j.pk for j in jobs[2 * PAGE_SIZE:]]
    assert 'rel="next"' not in last.content.decode()
    assert listed(client.get(URL, {"page": 99})) == []  # beyond the last page: empty, not an error
    assert listed(client.get(URL, {"page": "x"})) == listed(first)

    failed = client.get(URL, {"status": "failed"})
    assert failed.context["count"] == 60
    assert listed(failed) == [j.pk for j in jobs if j.status == JobStatus.FAILED][:PAGE_SIZE]
    html = failed.content.decode()
    assert 'href="?status=failed&amp;page=2"' in html and '<option value="failed" selected>' in html
    assert client.get(URL, {"status": "nonsense"}).context["count"] == 120  # an unknown status: all


def test_list_reads_a_fixed_number_of_queries_whatever_its_length(company):
    client = login("fiona", "finance_manager", company)
    author = user("fiona")
    stored_job(company, author)
    client.get(URL)  # warm the session and the user
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    for i in range(30):
        stored_job(company, author, JobStatus.RUNNING if i % 3 else JobStatus.FAILED, minutes_ago=i)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(URL).context["rows"]) == 31
    assert len(many) == len(few)


@pytest.mark.parametrize(("language", "texts", "absent"), [
    ("zh-hans", ["后台任务", "全部状态", "已完成", "失败", "已处理 3 行，共 3 行", "导入: file-1.csv",
                 "导入被拒绝：未保存任何数据", "提交人", "没有符合条件的任务"],
     ["Background jobs", "All statuses", "the import was rejected"]),
    ("en", ["Background jobs", "All statuses", ">Done<", ">Failed<", "3 of 3 rows",
            "Import: file-1.csv", "the import was rejected: nothing was saved", "Started by",
            "No jobs match."],
     ["后台任务", "导入被拒绝"]),
])
def test_list_is_in_the_readers_language_errors_included(company, language, texts, absent):
    client = login("fiona", "finance_manager", company, language=language)
    stored_job(company, user("fiona"), JobStatus.DONE, minutes_ago=1, progress_done=3,
               progress_total=3)
    stored_job(company, user("fiona"), JobStatus.FAILED, minutes_ago=2, error=WAS_REJECTED)
    html = client.get(URL).content.decode()
    empty = client.get(URL, {"status": "queued"}).content.decode()
    for text in texts:
        assert text in html or text in empty, text
    for text in absent:
        assert text not in html, text


def test_every_page_links_the_jobs_list_and_each_job_links_back(company):
    client = login("sam", "sales_rep", company, sales_rep_name="Sam")
    job = stored_job(company, user("sam"))
    html = client.get(URL).content.decode()
    assert f'<a href="{URL}">Jobs</a>' in html  # in the navigation, for every role
    assert f'href="/jobs/{job.pk}/"' in html
    assert f'<a href="{URL}">All background jobs</a>' in client.get(f"/jobs/{job.pk}/").content.decode()
