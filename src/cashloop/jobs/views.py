"""The job page: status and progress polled with htmx every second, then the kind's result.

Only users with a role in the job's company see it (the page's company, as on every page); a
sales rep sees only the jobs they submitted (see services.visible_jobs). Anyone else gets 404:
a job's existence is not shown to those who may not read it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from cashloop.jobs.models import Job
from cashloop.jobs.registry import kinds, load
from cashloop.jobs.services import INPUT, job_file, live_progress, visible_jobs
from cashloop.web.context import PageContext, page_context


def _visible_job(request: HttpRequest, job_id: int) -> tuple[PageContext, Job]:
    ctx = page_context(request)
    if ctx.role is None:
        raise PermissionDenied(_("You have no role in this company."))
    job = visible_jobs(request.user, ctx.company).select_related("created_by") \
        .filter(pk=job_id).first()
    if job is None:
        raise Http404(_("No such job."))
    return ctx, job


def _context(ctx: PageContext, job: Job) -> dict[str, Any]:
    kind = kinds().get(job.kind)
    done, total = live_progress(job)
    context: dict[str, Any] = {
        "page": ctx, "job": job, "kind": kind, "done": done, "total": total,
        "error_text": gettext(job.error) if job.error else "",
        "saving": job.status == "running" and total is not None and done >= total,
    }
    if job.finished and job.result is not None and kind and kind.result_template:
        if kind.result_context:
            context.update(load(kind.result_context)(job))
        context["result_template"] = kind.result_template
    return context


@login_required
def job_page(request: HttpRequest, job_id: int) -> HttpResponse:
    ctx, job = _visible_job(request, job_id)
    return render(request, "jobs/job_page.html", _context(ctx, job))


@login_required
def job_status(request: HttpRequest, job_id: int) -> HttpResponse:
    """The status fragment the job page polls; it stops polling once the job has finished."""
    ctx, job = _visible_job(request, job_id)
    return render(request, "jobs/_job_status.html", _context(ctx, job))


@login_required
def job_file_download(request: HttpRequest, job_id: int, purpose: str) -> HttpResponse:
    """A file the job produced (the rejected rows with their reasons)."""
    _ctx, job = _visible_job(request, job_id)
    found = job_file(job, purpose) if purpose != INPUT else None
    if found is None:
        raise Http404(_("This job has no such file."))
    response = HttpResponse(bytes(found.content), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{found.name}"'
    return response
