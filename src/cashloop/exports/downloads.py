"""An export as an HTTP download, the same for the API and the pages.

CSV streams row chunks straight from the database cursor (constant memory however many rows);
XLSX is written to a temporary file first, as a workbook is a zip that is only complete at the
end, and then streamed from it. The file is named `<kind>-<company>-<date>.<format>`.
"""

from __future__ import annotations

import tempfile
from typing import Any

from django.http import FileResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

from cashloop.config.clock import today
from cashloop.exports import formats, run
from cashloop.ledger.models import Company
from cashloop.ledger.queries.documents import User


def download(kind: str, fmt: str, company: Company, user: User, **narrowed: Any) -> HttpResponseBase:
    """The export as an attachment; refuses an unknown kind (404) or format (422) before any
    byte is sent, so that a refusal is an error answer and not a broken download."""
    run.check_kind(kind)
    run.check_format(fmt, run.FILE_FORMATS)
    name = run.file_name(kind, company, today(), fmt)
    response: HttpResponseBase
    if fmt == "csv":
        response = StreamingHttpResponse(run.chunks(kind, "csv", company, user, **narrowed),
                                         content_type=formats.CONTENT_TYPES["csv"])
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    workbook = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes, so removes, it once sent)
    try:
        run.write(kind, "xlsx", company, user, workbook, with_warnings=False, **narrowed)
    except BaseException:
        workbook.close()
        raise
    workbook.seek(0)
    return FileResponse(workbook, as_attachment=True, filename=name,
                        content_type=formats.CONTENT_TYPES["xlsx"])
