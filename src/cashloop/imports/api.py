"""Imports over the API: POST a file, list batches, read one batch with its problems.

The JSON is the CLI's (`cashloop import … --format json`): 200 when the file was saved, partly
saved or unchanged, 422 with the same body when it was rejected. With `background=true` the file
is submitted as an import job, as the import page does (imports.jobs.submit_import): 202 with the
job's JSON and its `url` (`GET /api/jobs/{id}`, which gives this same result once done).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.http import FileResponse, HttpRequest
from django.urls import reverse
from ninja import File, Form, Router
from ninja.files import UploadedFile

from cashloop.accounts.access import require_write
from cashloop.accounts.services import role_of
from cashloop.audit.services import Actor
from cashloop.config.clock import today
from cashloop.core.importing.columns import KINDS
from cashloop.core.problems import Forbidden, Invalid, NotFound, gettext_noop
from cashloop.imports.jobs import submit_import
from cashloop.imports.services.batches import (
    batch_by_id,
    batch_json,
    recent_batches,
    stored_problem,
)
from cashloop.imports.services.run import ImportOptions, import_bytes
from cashloop.imports.services.uploads import rejected_path_for
from cashloop.jobs.display import translated_json
from cashloop.ledger.models import Company
from cashloop.ledger.services.companies import company_by_code
from cashloop.web.i18n import problem_json

router = Router(tags=["imports"])


def _readable_company(request: HttpRequest, code: str | None) -> Company:
    company = company_by_code(code)
    if role_of(request.user, company) is None:  # type: ignore[arg-type]
        raise Forbidden(gettext_noop("you have no role in this company"))
    return company


@router.get("/batches", summary="Recent import batches")
def list_batches(request: HttpRequest, company: str | None = None,
                 limit: int = 50) -> list[dict[str, Any]]:
    obj = _readable_company(request, company)
    return [batch_json(b) for b in recent_batches(obj, max(1, min(limit, 500)))]


@router.get("/batches/{batch_id}", summary="One import batch with its problems")
def get_batch(request: HttpRequest, batch_id: int, company: str | None = None) -> dict[str, Any]:
    batch = batch_by_id(_readable_company(request, company), batch_id)
    body = batch_json(batch)
    # In the request's language, as the import's own answer (stored template and params).
    body["problems"] = [problem_json(stored_problem(p)) for p in batch.problems.all()]
    return body


@router.get("/batches/{batch_id}/rejected.csv", summary="The rejected rows of a --skip-bad import")
def get_rejected(request: HttpRequest, batch_id: int, company: str | None = None) -> FileResponse:
    batch = batch_by_id(_readable_company(request, company), batch_id)
    path = Path(batch.rejected_file) if batch.rejected_file else None
    if path is None or not path.is_file():
        raise NotFound(gettext_noop("import batch {id} has no rejected rows file"), id=batch_id)
    return FileResponse(path.open("rb"), as_attachment=True, filename=path.name,
                        content_type="text/csv")


@router.post("/{kind}", summary="Import invoices, customers or payments from a CSV/XLSX file",
             response={200: dict, 202: dict, 422: dict})
def import_file(
    request: HttpRequest, kind: str, file: UploadedFile = File(...),  # noqa: B008
    map: list[str] | None = Form(None),  # noqa: B008 — the CLI's --map FIELD=COLUMN
    mapping: str | None = Form(None),
    save_mapping: str | None = Form(None),
    currency: str | None = Form(None),
    company: str | None = Form(None),
    encoding: str | None = Form(None),
    date_format: str | None = Form(None),
    skip_bad: bool = Form(False),
    background: bool = Form(False),  # as a job: 202 at once, then poll GET /api/jobs/{id}
) -> tuple[int, dict[str, Any]]:
    from cashloop.core.importing.columns import parse_map_options

    if kind not in KINDS:
        raise NotFound(gettext_noop("unknown import kind {value}; use invoices, customers or "
                                    "payments"), value=repr(kind))
    obj = company_by_code(company)
    require_write(request.user, obj)
    columns, problems = parse_map_options(map or [])
    if problems:  # the problem's text as the message: translated from it (refusal_text)
        raise Invalid(problems[0].text(), (problems[0],))
    options = ImportOptions(kind=kind, columns=columns, mapping=mapping,
                            save_mapping=save_mapping, currency=currency, company=obj.code,
                            encoding=encoding, date_format=date_format, skip_bad=skip_bad)
    name = Path(file.name or "upload.csv").name
    if background:
        job = submit_import(options, name, file.read(), request.user, obj, channel="api")
        return 202, {**translated_json(job, detail=True),
                     "url": reverse("api:get_job", kwargs={"job_id": job.pk})}
    result = import_bytes(file.read(), name, options, Actor.of(request.user, "api"), today(),
                          rejected_path_for(name))
    body = result.to_json()  # the CLI's JSON, with the problems' messages in the request's language
    body["problems"] = [problem_json(p) for p in result.problems]
    return (200 if result.ok else 422), body
