"""A sheet written as CSV, XLSX or JSON, streaming: rows are formatted as they come.

- CSV: UTF-8 with a BOM (Excel then opens Chinese text correctly; the importer skips it), CRLF
  line ends as Excel writes them, the header the importer's field names. Amounts are plain
  decimal text ("1234.50", JPY "1234"), dates ISO, flags yes/no, empty cells empty.
- XLSX: openpyxl in write-only mode (rows go to a temporary file, not to memory). Dates are date
  cells, amounts numbers shown with the currency's decimals (text when they have more digits than
  a spreadsheet number holds exactly), text is always a text cell: a description starting with
  "=" must not become a formula. openpyxl is imported only here, when an XLSX is asked for.
- JSON: `{"kind", "company", "rows": [{field: value}], "warnings": [...]}`, amounts as strings,
  dates ISO, flags true/false, missing dates and amounts null.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import IO, Any

from cashloop.exports.sheets import AMOUNT, DATE, FLAG, Row, Sheet

FORMATS = ("csv", "xlsx", "json")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
FLAG_TEXT = {True: "yes", False: "no", None: ""}
ROWS_PER_CHUNK = 2000  # rows formatted before their bytes are handed on
EXACT_DIGITS = 15  # a spreadsheet number (an IEEE double) holds 15 significant digits exactly


def csv_chunks(sheet: Sheet) -> Iterator[bytes]:
    """The sheet as UTF-8 CSV bytes (BOM first), a few thousand rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(sheet.header)
    flags = [i for i, kind in enumerate(sheet.types) if kind == FLAG]
    pending = 0
    # csv writes a date as str(date), its ISO form, and None as an empty cell.
    for row in sheet.rows:
        writer.writerow(_flags_as_text(row, flags) if flags else row)
        pending += 1
        if pending == ROWS_PER_CHUNK:
            yield _drain(buffer)
            pending = 0
    yield _drain(buffer)


def _flags_as_text(row: Row, flags: Sequence[int]) -> list[Any]:
    cells = list(row)
    for i in flags:
        cells[i] = FLAG_TEXT[cells[i]]  # type: ignore[index]
    return cells


def _drain(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return data


def json_chunks(sheet: Sheet, head: dict[str, Any], tail: dict[str, Any]) -> Iterator[bytes]:
    """`{**head, "rows": [...], **tail}` as UTF-8 JSON, the rows streamed one per line."""
    opening = json.dumps(head, ensure_ascii=False)[:-1] + (", " if head else "")
    yield (opening + '"rows": [').encode("utf-8")
    header = sheet.header
    dates = [i for i, kind in enumerate(sheet.types) if kind == DATE]
    parts: list[str] = []
    separator = "\n  "
    for row in sheet.rows:
        cells = list(row)
        for i in dates:
            if cells[i] is not None:
                cells[i] = cells[i].isoformat()  # type: ignore[union-attr]
        parts.append(separator + json.dumps(dict(zip(header, cells, strict=True)),
                                            ensure_ascii=False))
        separator = ",\n  "
        if len(parts) == ROWS_PER_CHUNK:
            yield "".join(parts).encode("utf-8")
            parts = []
    rows_end = "]" if separator == "\n  " else "\n]"
    closing = (", " if tail else "") + json.dumps(tail, ensure_ascii=False)[1:]
    yield ("".join(parts) + rows_end + closing + "\n").encode("utf-8")


def write_xlsx(sheet: Sheet, out: str | IO[bytes]) -> None:
    """The sheet as an XLSX workbook of one sheet, named after the kind, into a path or file."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet.kind)
    ws.append(list(sheet.header))
    number_formats = {0: "#,##0"} | {d: "#,##0." + "0" * d for d in range(1, 5)}

    def text(value: str) -> Any:
        if ILLEGAL_CHARACTERS_RE.search(value):  # control characters cannot be in a sheet
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if not value.startswith("="):
            return value
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        return cell

    def amount(value: str) -> Any:
        digits = value.lstrip("-").replace(".", "")
        if len(digits.lstrip("0")) > EXACT_DIGITS:
            return value
        cell = WriteOnlyCell(ws, value=Decimal(value))
        cell.number_format = number_formats.get(len(value.partition(".")[2]), "General")
        return cell

    for row in sheet.rows:
        cells: list[Any] = []
        for value, kind in zip(row, sheet.types, strict=True):
            if value is None:
                cells.append(None)
            elif kind == AMOUNT:
                cells.append(amount(value))  # type: ignore[arg-type]
            elif kind == FLAG:
                cells.append(FLAG_TEXT[value])  # type: ignore[index]
            elif isinstance(value, str):
                cells.append(text(value))
            else:  # a date: a date cell
                cells.append(value)
        ws.append(cells)
    book.save(out)
