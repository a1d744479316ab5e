"""The import page: upload a file, preview the first rows with the detected (or edited) mapping,
encoding and date format (htmx), then confirm; confirming submits an import job and opens its
page, which shows the progress and then the counts and the problems table.

The uploaded file is kept under the data folder between preview and confirmation (a token in
the form finds it), so what is imported is exactly what was previewed; the job carries its bytes
to whichever worker runs it. Writers only.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from cashloop.accounts.access import require_write
from cashloop.core.importing.columns import FIELDS, KINDS
from cashloop.core.importing.issues import RowProblem
from cashloop.core.problems import Forbidden
from cashloop.imports.jobs import KIND, REJECTED, result_problem, submit_import
from cashloop.imports.models import SavedMapping
from cashloop.imports.services.batches import recent_batches
from cashloop.imports.services.preview import build_preview
from cashloop.imports.services.run import ImportOptions
from cashloop.imports.services.uploads import load_upload, save_upload
from cashloop.jobs.models import Job, JobStatus
from cashloop.jobs.services import has_file, visible_jobs
from cashloop.web.context import PageContext, page_context
from cashloop.web.i18n import problem_text, refusal_text

MAX_UPLOAD_BYTES = 512 * 1024 * 1024


def _writer_page(request: HttpRequest) -> PageContext:
    ctx = page_context(request)
    try:
        require_write(request.user, ctx.company)
    except Forbidden as exc:
        raise PermissionDenied(refusal_text(exc)) from exc
    return ctx


def _options(request: HttpRequest, ctx: PageContext) -> ImportOptions:
    post = request.POST
    kind = post.get("kind", "invoices")
    kind = kind if kind in KINDS else "invoices"
    columns: dict[str, str] = {}
    mapping_name = post.get("mapping") or None
    if mapping_name:
        saved = SavedMapping.objects.filter(company=ctx.company, kind=kind, name=mapping_name).first()
        if saved is not None:
            columns.update(saved.columns)
    for field in FIELDS[kind]:
        column = post.get(f"map_{field}", "").strip()
        if column:
            columns[field] = column
    return ImportOptions(
        kind=kind, columns=columns, currency=post.get("currency") or None,
        company=ctx.company.code, encoding=post.get("encoding") or None,
        date_format=post.get("date_format") or None, skip_bad=bool(post.get("skip_bad")),
        save_mapping=post.get("save_mapping") or None)


def translated(problem: RowProblem) -> str:
    """The problem's message in the user's language when a translation exists."""
    return problem_text(problem)


def _base_context(request: HttpRequest, ctx: PageContext) -> dict[str, Any]:
    return {
        "page": ctx, "kinds": KINDS, "fields": FIELDS,
        "mappings": SavedMapping.objects.filter(company=ctx.company).order_by("kind", "name"),
        "batches": recent_batches(ctx.company, 20),
        # Imports still queued or running have no batch yet: listed first, linking to their page.
        "pending_jobs": visible_jobs(request.user, ctx.company).filter(
            kind=KIND, status__in=(JobStatus.QUEUED, JobStatus.RUNNING))[:20],
    }


def _render(request: HttpRequest, ctx: PageContext, partial: str,
            extra: dict[str, Any]) -> HttpResponse:
    if request.headers.get("HX-Request"):
        return render(request, partial, {"page": ctx, **extra})
    return render(request, "imports/import_page.html",
                  {**_base_context(request, ctx), "partial": partial, **extra})


@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    ctx = _writer_page(request)
    return render(request, "imports/import_page.html", _base_context(request, ctx))


@login_required
@require_POST
def import_preview(request: HttpRequest) -> HttpResponse:
    ctx = _writer_page(request)
    options = _options(request, ctx)
    upload = request.FILES.get("file")
    token = request.POST.get("token", "")
    if upload is not None:
        if upload.size and upload.size > MAX_UPLOAD_BYTES:
            return _render(request, ctx, "imports/_error.html",
                           {"error": _("The file is too large for the page; use the CLI.")})
        data, name = upload.read(), upload.name or "upload.csv"
        token = save_upload(data, name)
    else:
        kept = load_upload(token)
        if kept is None:
            return _render(request, ctx, "imports/_error.html",
                           {"error": _("Choose a file to preview.")})
        data, name = kept
    preview = build_preview(data, name, options, ctx.company)
    problems = [(p, translated(p)) for p in preview.problems]
    rows = [(r, [translated(p) for p in r.problems]) for r in preview.rows]
    mapping_rows = [(f, preview.mapping.get(f), options.columns.get(f), f in preview.required)
                    for f in preview.all_fields]
    return _render(request, ctx, "imports/_preview.html",
                   {"preview": preview, "token": token, "options": options,
                    "file_problems": problems, "preview_rows": rows, "mapping_rows": mapping_rows})


@login_required
@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    """Submit the previewed file as an import job and open the job's page."""
    ctx = _writer_page(request)
    options = _options(request, ctx)
    token = request.POST.get("token", "")
    kept = load_upload(token)
    if kept is None:
        return _render(request, ctx, "imports/_error.html",
                       {"error": _("The uploaded file has expired; upload it again.")})
    data, name = kept
    job = submit_import(options, name, data, request.user, ctx.company, token=token)
    url = reverse("job_page", args=[job.pk])
    if request.headers.get("HX-Request"):
        return HttpResponseClientRedirect(url)
    return redirect(url)


def job_result_context(job: Job) -> dict[str, Any]:
    """What imports/_result.html needs to show a finished import job (wired in config.jobs)."""
    result = job.result or {}
    problems = [(problem, translated(problem))
                for problem in map(result_problem, result.get("problems", []))]
    rejected_url = (reverse("job_file", args=[job.pk, REJECTED])
                    if result.get("rejected_file") and has_file(job, REJECTED) else None)
    return {"result": result, "problems": problems, "rejected_url": rejected_url}
