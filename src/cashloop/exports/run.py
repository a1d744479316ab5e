"""One export: a kind and a format for a company, as a user may see it, to a stream or a file.

Shared by the CLI, the API and the pages, so that all three give the same bytes. Refusals are
the project's (`NotFound` for an unknown kind, `Invalid` for an unknown format), mapped once per
adapter. On PostgreSQL the rows are read inside a transaction, so that the server-side cursor
streams them instead of materialising the whole result first (outside one, Django declares it
WITH HOLD); SQLite reads without one, as an IMMEDIATE transaction would lock out writers.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

from django.db import connection, transaction

from cashloop.core.importing.columns import KINDS
from cashloop.core.problems import Invalid, NotFound, gettext_noop
from cashloop.exports import formats, sheets
from cashloop.exports.limits import Limit, limits
from cashloop.ledger.models import Company
from cashloop.ledger.queries.documents import User

FORMATS = formats.FORMATS
FILE_FORMATS = ("csv", "xlsx")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class ExportResult:
    kind: str
    company: str
    format: str
    file: str | None = None
    rows: int = 0
    warnings: list[Limit] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "company": self.company, "rows": self.rows, "file": self.file,
                "format": self.format, "warnings": [w.to_json() for w in self.warnings]}


class _Counted:
    """An iterator of rows that counts what it hands on."""

    def __init__(self, rows: Iterator[sheets.Row]) -> None:
        self.rows, self.count = rows, 0

    def __iter__(self) -> Iterator[sheets.Row]:
        for row in self.rows:
            self.count += 1
            yield row


def check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise NotFound(gettext_noop("no export of {kind}; kinds are invoices, customers, payments"),
                       kind=kind)


def check_format(fmt: str, allowed: tuple[str, ...] = FORMATS) -> None:
    if fmt not in allowed:
        raise Invalid(gettext_noop("unknown format {format}; formats are {formats}"),
                      format=fmt, formats=", ".join(allowed))


def file_name(kind: str, company: Company, as_of: date, fmt: str) -> str:
    """`invoices-ACME-2026-11-25.csv`; a company code's odd characters become `_`."""
    return f"{kind}-{_UNSAFE.sub('_', company.code)}-{as_of.isoformat()}.{fmt}"


@contextlib.contextmanager
def reading() -> Iterator[None]:
    if connection.vendor == "postgresql":
        with transaction.atomic():
            yield
    else:
        yield


def chunks(kind: str, fmt: str, company: Company, user: User,
           warnings: list[Limit] | None = None, **narrowed: Any) -> Iterator[bytes]:
    """The bytes of a CSV or JSON export, streamed; `narrowed`: see sheets.sheet."""
    check_kind(kind)
    check_format(fmt, ("csv", "json"))
    with reading():
        yield from _encoded(sheets.sheet(kind, company, user, **narrowed), fmt, company, warnings)


def _encoded(sheet: sheets.Sheet, fmt: str, company: Company,
             warnings: list[Limit] | None) -> Iterator[bytes]:
    if fmt == "csv":
        return formats.csv_chunks(sheet)
    return formats.json_chunks(sheet, {"kind": sheet.kind, "company": company.code},
                               {"warnings": [w.to_json() for w in warnings or []]})


def write(kind: str, fmt: str, company: Company, user: User, out: IO[bytes],
          with_warnings: bool = True, **narrowed: Any) -> ExportResult:
    """Write the export to a binary file object (a file, stdout, a temporary file)."""
    check_kind(kind)
    check_format(fmt)
    result = ExportResult(kind, company.code, fmt)
    if with_warnings:
        result.warnings = limits(kind, company, user)
    with reading():
        sheet = sheets.sheet(kind, company, user, **narrowed)
        counted = _Counted(sheet.rows)
        sheet = sheets.Sheet(sheet.kind, sheet.header, sheet.types, iter(counted))
        if fmt == "xlsx":
            formats.write_xlsx(sheet, out)
        else:
            for chunk in _encoded(sheet, fmt, company, result.warnings):
                out.write(chunk)
    result.rows = counted.count
    return result


def write_file(kind: str, fmt: str, company: Company, user: User, path: Path) -> ExportResult:
    """Write the export to `path`, replacing it only once complete: a failed export leaves the
    previous file as it was and no half-written one."""
    check_kind(kind)
    check_format(fmt)
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("wb") as out:
            result = write(kind, fmt, company, user, out)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    result.file = str(path)
    return result
