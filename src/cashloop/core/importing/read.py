"""Bytes → rows: encoding and delimiter detection for CSV, and XLSX/XLS through python-calamine.

Invariant: every row carries the physical line where it starts in the file (header = line 1 when
it is the first line), counting quoted fields that span lines and blank lines. Detection order
for text: a BOM (UTF-8, UTF-16), then strict UTF-8, then the Chinese encodings (GBK, GB18030,
Big5, CP950, Big5-HKSCS) whose reading is the most plausible Chinese (core.importing.chinese) when
the non-ASCII text reads as Chinese, then Windows-1252 with a warning. A told encoding is used as
told.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time

from cashloop.core.importing.chinese import ranked_encodings
from cashloop.core.importing.issues import RowProblem, file_problem
from cashloop.core.problems import gettext_noop

Row = tuple[int, list[str]]  # (physical line, cells)

_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0"
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
_DELIMITERS = (",", ";", "\t", "|")
HEADER_SCAN_ROWS = 15


@dataclass
class Table:
    """A file's header and a stream of its data rows."""

    file_name: str
    file_type: str  # csv, xlsx
    encoding: str  # detected or told; "" for spreadsheets
    delimiter: str
    header: list[str]
    header_line: int
    rows: Iterator[Row]
    problems: list[RowProblem] = field(default_factory=list)


def decode(data: bytes, encoding: str | None,
           header_names: frozenset[str] = frozenset()) -> tuple[str, str] | RowProblem:
    """(text, encoding name) or a problem saying the file cannot be read as text.

    `header_names` (normalized known columns) help tell GBK from Big5: see core.importing.chinese.
    """
    if encoding:
        try:
            codecs.lookup(encoding)
        except (LookupError, ValueError, TypeError):
            return file_problem("encoding.unknown", gettext_noop("unknown encoding {value}"), value=encoding)
        try:
            text = data.decode(encoding)
        except LookupError:  # a codec that is not a text encoding (rot13, base64)
            return file_problem("encoding.unknown", gettext_noop("unknown encoding {value}"), value=encoding)
        except UnicodeDecodeError as exc:
            return file_problem(
                "encoding.wrong", gettext_noop("the file is not valid {value} (byte {position}); "
                "try another --encoding"), value=encoding, position=str(exc.start))
        return text.removeprefix("\ufeff"), encoding
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[3:], "utf-8", "utf-8-sig")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(data, "utf-16", "utf-16")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    head = data[:4096]
    if head.count(b"\x00") * 3 > len(head):  # UTF-16 without a BOM: every other byte is 0
        name = "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            text = ""
        sample = text[:2000]
        if sample and sum(c.isprintable() or c in "\t\r\n" for c in sample) >= 0.98 * len(sample):
            return text, name
    if b"\x00" in head:
        return file_problem("encoding.undecodable",
                            gettext_noop("the file is not text (CSV) nor a spreadsheet; "
                                         "give --encoding if it is"))
    for name in ranked_encodings(data, header_names, _reads_as_chinese):
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        if _reads_as_chinese(text):
            return text, name
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return file_problem("encoding.undecodable",
                            gettext_noop("cannot tell the file's encoding (not UTF-8, GBK, GB18030, Big5); "
                            "give it with --encoding"))


def _strict(data: bytes, codec: str, name: str) -> tuple[str, str] | RowProblem:
    try:
        return data.decode(codec).removeprefix("\ufeff"), name
    except UnicodeDecodeError as exc:
        return file_problem("encoding.wrong", gettext_noop("the file is not valid {value} (byte {position})"),
                            value=name, position=str(exc.start))


def _reads_as_chinese(text: str) -> bool:
    non_ascii = [ch for ch in itertools.islice((c for c in text if ord(c) > 127), 20000)]
    if not non_ascii:
        return True
    cjk = sum(1 for ch in non_ascii if _CJK.match(ch))
    return cjk >= 0.9 * len(non_ascii)


def sniff_delimiter(text: str) -> str:
    first = next((ln for ln in text[:65536].splitlines() if ln.strip()), "")
    counts = {d: first.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def csv_rows(source: Iterable[str], delimiter: str, sink: list[RowProblem]) -> Iterator[Row]:
    """Rows with the physical line each starts on; blank lines are skipped but counted.

    A row the csv module cannot read (a NUL byte, an unclosed quote swallowing the file) ends the
    stream with a problem appended to `sink`.
    """
    reader = csv.reader(source, delimiter=delimiter)
    previous = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            sink.append(RowProblem(previous + 1, "", "", "", "file.malformed",
                                   gettext_noop("cannot read this line as CSV: {reason}"),
                                   (("reason", str(exc)),)))
            return
        start = previous + 1
        previous = reader.line_num
        if cells and any(c.strip() for c in cells):
            yield start, cells


def sheet_rows(data: bytes) -> tuple[Iterator[Row], str] | RowProblem:
    """Rows of the first sheet of an XLSX/XLS file, cells as text, with their sheet row numbers.

    Rows are converted to Python one at a time (`iter_rows`), so a sheet of a million rows does
    not become a million lists at once.
    """
    try:
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = book.get_sheet_by_index(0)
        values = sheet.iter_rows()
    except Exception as exc:  # any reader failure means a bad file, never a crash
        return file_problem("file.unreadable", gettext_noop("cannot read the spreadsheet: {value}"),
                            value=str(exc))

    def rows() -> Iterator[Row]:
        for number, cells in enumerate(values, start=1):  # iter_rows starts at the sheet's row 1
            texts = [cell_text(c) for c in cells]
            if any(t.strip() for t in texts):
                yield number, texts

    return rows(), sheet.name


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text an ERP would have exported."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def read_table(data: bytes, file_name: str, encoding: str | None = None,
               header_names: frozenset[str] = frozenset()) -> Table | RowProblem:
    """The header and row stream of a CSV or spreadsheet file, or why it cannot be read.

    The header is the first row among the first few non-blank rows that names at least two known
    columns (`header_names`, normalized), else the first non-blank row: ERP reports often start
    with a title line.
    """
    if not data.strip():
        return file_problem("file.empty", gettext_noop("the file is empty"))
    if data.startswith((_XLSX_MAGIC, _XLS_MAGIC)):
        got = sheet_rows(data)
        if isinstance(got, RowProblem):
            return got
        rows, _sheet = got
        file_type, used, delimiter, problems = "xlsx", "", "", []
    else:
        decoded = decode(data, encoding, header_names)
        if isinstance(decoded, RowProblem):
            return decoded
        text, used = decoded
        problems = []
        if used == "cp1252" and not encoding:
            problems.append(file_problem(
                "encoding.assumed", gettext_noop("encoding not recognized; read as {value}, "
                "give --encoding if the text looks wrong"), "warning", value="cp1252"))
        delimiter = sniff_delimiter(text)
        del text  # decoded again in a stream: a second full copy would cost memory, not time
        codec = "utf-8-sig" if used == "utf-8" else used
        source = io.TextIOWrapper(io.BytesIO(data), encoding=codec, newline="")
        rows, file_type = csv_rows(source, delimiter, problems), "csv"
    head = list(itertools.islice(rows, HEADER_SCAN_ROWS))
    if not head and problems and problems[-1].is_error:
        return problems[-1]
    if not head:
        return file_problem("file.empty", gettext_noop("the file has no header row"))
    pick = 0
    if header_names:
        from cashloop.core.importing.columns import normalize

        for i, (_line, cells) in enumerate(head):
            if sum(1 for c in cells if normalize(c) in header_names) >= 2:
                pick = i
                break
    header_line, header = head[pick]
    header = [h.strip().removeprefix("\ufeff") for h in header]
    rest = itertools.chain(head[pick + 1:], rows)
    return Table(file_name, file_type, used, delimiter, header, header_line, rest, problems)
