"""The jobs list and the job page: status and progress polled with htmx every second, then the
kind's result.

Only users with a role in the job's company see it; a sales rep sees only the jobs they
submitted (services.visible_jobs, one rule for the list, the page and the API). Anyone else gets
404: a job's existence is not shown to those who may not read it. The polled fragment reads no
company row and renders without the page's context processors, so it answers while a large
import holds the ledger's tables.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from cashloop.core.problems import Refusal
from cashloop.jobs.display import STATUS_LABELS, error_text, kind_text, status_text
from cashloop.jobs.models import Job, JobStatus
from cashloop.jobs.registry import kinds, load
from cashloop.jobs.services import INPUT, job_file, job_for_user, live_progress, recent_jobs
from cashloop.web.context import PageContext, page_context
from cashloop.web.paging import page_number, pager

PAGE_SIZE = 50


def _visible_job(request: HttpRequest, job_id: int) -> Job:
    job = job_for_user(request.user, job_id)
    if job is None:
        raise Http404(_("No such job."))
    return job


def _context(job: Job) -> dict[str, Any]:
    kind = kinds().get(job.kind)
    done, total = live_progress(job)
    context: dict[str, Any] = {
        "job": job, "kind": kind, "done": done, "total": total,
        "error_text": error_text(job),
        "saving": job.status == "running" and total is not None and done >= total,
    }
    if job.finished and job.result is not None and kind and kind.result_template:
        if kind.result_context:
            context.update(load(kind.result_context)(job))
        context["result_template"] = kind.result_template
    return context


def _row(job: Job) -> dict[str, Any]:
    done, total = live_progress(job)
    return {"job": job, "kind": kind_text(job), "status": status_text(job.status),
            "done": done, "total": total, "error_text": error_text(job)}


@login_required
def job_list(request: HttpRequest) -> HttpResponse:
    """The jobs the user may see, of every company they read, newest first; by status, paged."""
    status = request.GET.get("status", "")
    status = status if status in JobStatus.values else ""
    page_no = page_number(request.GET.get("page"))
    listing = recent_jobs(request.user, status or None, limit=PAGE_SIZE,
                          offset=(page_no - 1) * PAGE_SIZE)
    kept = {"status": status} if status else {}
    try:
        page: PageContext | None = page_context(request)
    except Refusal:  # no company yet: the list is empty, the page still answers
        page = None
    return render(request, "jobs/job_list.html", {
        "page": page, "rows": [_row(job) for job in listing.items], "count": listing.count,
        "status": status, "statuses": [(value, status_text(value)) for value in STATUS_LABELS],
        **pager(page_no, listing.count, PAGE_SIZE, kept),
    })


@login_required
def job_page(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _visible_job(request, job_id)
    # The header names the job's company, which may not be the one the other pages show.
    page = PageContext(company=job.company, role=None)
    return render(request, "jobs/job_page.html", {"page": page, **_context(job)})


@login_required
def job_status(request: HttpRequest, job_id: int) -> HttpResponse:
    """The status fragment the job page polls; it stops polling once the job has finished."""
    job = _visible_job(request, job_id)
    return HttpResponse(render_to_string("jobs/_job_status.html", _context(job)))


@login_required
def job_file_download(request: HttpRequest, job_id: int, purpose: str) -> HttpResponse:
    """A file the job produced (the rejected rows with their reasons)."""
    job = _visible_job(request, job_id)
    found = job_file(job, purpose) if purpose != INPUT else None
    if found is None:
        raise Http404(_("This job has no such file."))
    response = HttpResponse(bytes(found.content), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{found.name}"'
    return response
