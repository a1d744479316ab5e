"""Reading import batches and their problems, shared by the CLI, the API and the page."""

from __future__ import annotations

from typing import Any

from cashloop.core.importing.issues import RowProblem
from cashloop.core.problems import NotFound, gettext_noop
from cashloop.imports.models import ImportBatch, ImportProblem
from cashloop.ledger.models import Company


def recent_batches(company: Company, limit: int = 50) -> list[ImportBatch]:
    return list(ImportBatch.objects.filter(company=company).order_by("-created_at", "-id")[:limit])


def batch_by_id(company: Company, batch_id: int) -> ImportBatch:
    if not 0 < batch_id < 2**63:  # beyond a bigint the database would refuse the query
        raise NotFound(gettext_noop("no import batch {id}"), id=batch_id)
    batch = ImportBatch.objects.filter(company=company, pk=batch_id).first()
    if batch is None:
        raise NotFound(gettext_noop("no import batch {id}"), id=batch_id)
    return batch


def batch_json(batch: ImportBatch, with_problems: bool = False) -> dict[str, Any]:
    """A batch in the shape of the import result (`cashloop import … --format json`)."""
    out: dict[str, Any] = {
        "id": batch.pk, "batch": batch.pk, "file": batch.file_name, "kind": batch.kind,
        "company": batch.company.code, "status": batch.status, "rows": batch.rows_read,
        "created": batch.created_count, "updated": batch.updated_count,
        "unchanged": batch.unchanged_count, "rejected": batch.rejected_count,
        "warnings": batch.warning_count, "problems_total": batch.problem_count,
        "rejected_file": batch.rejected_file or None, "date_format": batch.date_format or None,
        "encoding": batch.encoding or None, "currency": batch.currency or None,
        "mapping": batch.mapping, "created_at": batch.created_at.isoformat(),
        "created_by": batch.created_by.get_username() if batch.created_by else None,
        "seconds": batch.duration_ms / 1000,
    }
    if with_problems:
        out["problems"] = [stored_problem(p).to_json() for p in batch.problems.all()]
    return out


def stored_problem(problem: ImportProblem) -> RowProblem:
    """A saved problem as the RowProblem it was, for adapters to translate (`problem_json`).

    Problems saved before templates were kept carry their English text as the template: it is
    shown as it is.
    """
    params = tuple((str(k), str(v)) for k, v in problem.params or ())
    template = problem.template or problem.message
    row = RowProblem(problem.line, problem.column, problem.field, problem.value, problem.code,
                     template, params, problem.severity)  # type: ignore[arg-type]
    # What the CLI printed stays what was saved, even if a template changed wording since.
    return row if row.text() == problem.message else RowProblem(
        problem.line, problem.column, problem.field, problem.value, problem.code,
        problem.message, (), problem.severity)  # type: ignore[arg-type]
