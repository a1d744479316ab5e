"""Reading import batches and their problems, shared by the CLI, the API and the page."""

from __future__ import annotations

from typing import Any

from cashloop.core.problems import NotFound
from cashloop.imports.models import ImportBatch
from cashloop.ledger.models import Company


def recent_batches(company: Company, limit: int = 50) -> list[ImportBatch]:
    return list(ImportBatch.objects.filter(company=company).order_by("-created_at", "-id")[:limit])


def batch_by_id(company: Company, batch_id: int) -> ImportBatch:
    if not 0 < batch_id < 2**63:  # beyond a bigint the database would refuse the query
        raise NotFound(f"no import batch {batch_id}")
    batch = ImportBatch.objects.filter(company=company, pk=batch_id).first()
    if batch is None:
        raise NotFound(f"no import batch {batch_id}")
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
        out["problems"] = [
            {"line": p.line, "column": p.column, "field": p.field, "value": p.value,
             "code": p.code, "message": p.message, "severity": p.severity}
            for p in batch.problems.all()
        ]
    return out
