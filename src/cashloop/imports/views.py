"""The import page: upload a file, preview the first rows with the detected (or edited) mapping,
encoding and date format (htmx), then confirm; the result shows counts and the problems table.

The uploaded file is kept under the data folder between preview and confirmation (a token in
the form finds it), so what is imported is exactly what was previewed. Writers only.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cashloop.accounts.access import require_write
from cashloop.audit.services import Actor
from cashloop.config.clock import today
from cashloop.core.importing.columns import FIELDS, KINDS
from cashloop.core.importing.issues import RowProblem
from cashloop.core.problems import Forbidden
from cashloop.imports.models import SavedMapping
from cashloop.imports.services.batches import recent_batches
from cashloop.imports.services.preview import build_preview
from cashloop.imports.services.run import ImportOptions, import_bytes
from cashloop.imports.services.uploads import (
    discard_upload,
    load_upload,
    rejected_path_for,
    save_upload,
)
from cashloop.web.context import PageContext, page_context
from cashloop.web.i18n import problem_text

MAX_UPLOAD_BYTES = 512 * 1024 * 1024


def _writer_page(request: HttpRequest) -> PageContext:
    ctx = page_context(request)
    try:
        require_write(request.user, ctx.company)
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from exc
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
    ctx = _writer_page(request)
    options = _options(request, ctx)
    token = request.POST.get("token", "")
    kept = load_upload(token)
    if kept is None:
        return _render(request, ctx, "imports/_error.html",
                       {"error": _("The uploaded file has expired; upload it again.")})
    data, name = kept
    result = import_bytes(data, name, options, Actor.of(request.user, "web"), today(),
                          rejected_path_for(name))
    if result.status in ("saved", "unchanged", "partial"):
        discard_upload(token)
    problems = [(p, translated(p)) for p in result.problems[:1000]]
    return _render(request, ctx, "imports/_result.html",
                   {"result": result, "problems": problems, "token": token})
