"""GET /api/exports/{kind}: the ledger as a CSV or XLSX file the importer reads back.

The same bytes as `cashloop export KIND`, limited to the customers the caller may see (a sales
rep gets their own). An unknown kind or company is 404, an unknown format 422, as JSON errors
through config.api.
"""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema

from cashloop.exports import formats
from cashloop.exports.downloads import download
from cashloop.ledger.api.documents import ErrorOut
from cashloop.ledger.services.companies import company_by_code

router = Router(tags=["exports"])

_FILE = {"description": "the file, as an attachment named <kind>-<company>-<date>.<format>",
         "content": {formats.CONTENT_TYPES["csv"]: {"schema": {"type": "string"}},
                     formats.CONTENT_TYPES["xlsx"]: {"schema": {"type": "string",
                                                                "format": "binary"}}}}


class ExportParams(Schema):
    format: Literal["csv", "xlsx"] = "csv"
    company: str | None = None


@router.get("/{kind}", summary="Export invoices, customers or payments in the import's format",
            response={401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
            openapi_extra={"responses": {200: _FILE}})
def export(request: HttpRequest, kind: str, params: Query[ExportParams]):  # type: ignore[type-arg]
    """`kind`: invoices (with credit notes as negative rows), customers or payments; columns are
    the importer's field names, so the file re-imports with no mapping (docs/import.md)."""
    return download(kind, params.format, company_by_code(params.company), request.user)
