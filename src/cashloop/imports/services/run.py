"""One import: file → core.importing → writer in one transaction → ImportBatch with its problems.

All or nothing: rows stream through the parser into the kind's writer inside one transaction;
the first error stops the writing and, unless `skip_bad`, the transaction is rolled back while the
rest of the file is still checked so that every bad row is reported. With `skip_bad` the good
rows are saved and the rejected ones written, with their reasons, to a CSV. The batch and its
problems are saved in their own transaction either way.
"""

from __future__ import annotations

import csv
import gc
import hashlib
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from django.db import DatabaseError, transaction

from cashloop.accounts.access import require_write
from cashloop.audit.services import Actor
from cashloop.core.importing.checks import KEY_FIELD, DuplicateCheck, is_totals_word, totals_row
from cashloop.core.importing.columns import (
    FIELDS,
    KINDS,
    KNOWN_HEADERS,
    mapping_names,
    normalize,
    resolve_columns,
)
from cashloop.core.importing.issues import RowProblem, file_problem
from cashloop.core.importing.parse import SAMPLE_ROWS, RowParser
from cashloop.core.importing.read import Table, read_table
from cashloop.core.money import is_currency_code
from cashloop.core.problems import Invalid, Refusal, gettext_noop
from cashloop.imports.models import ImportBatch, ImportProblem, SavedMapping
from cashloop.ledger.models import Company
from cashloop.ledger.services.companies import company_by_code

PROBLEM_LIMIT = 10_000  # problems kept in the batch and shown; problems_total counts all
PROGRESS_EVERY = 5_000  # rows between two progress reports: cheap next to parsing them
# progress(rows read, rows in the file or None when unknown); only reports, never steers
Progress = Callable[[int, int | None], None]


@dataclass
class ImportOptions:
    kind: str
    columns: dict[str, str] = field(default_factory=dict)  # --map FIELD=COLUMN
    mapping: str | None = None  # --mapping NAME
    save_mapping: str | None = None
    currency: str | None = None
    company: str | None = None
    encoding: str | None = None
    date_format: str | None = None
    skip_bad: bool = False


@dataclass
class ImportResult:
    file: str
    kind: str
    company: str = ""
    status: str = "rejected"
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    warnings: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    problems_total: int = 0
    rejected_file: str | None = None
    date_format: str | None = None
    encoding: str | None = None
    currency: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    batch: int | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status != "rejected"

    def add(self, problem: RowProblem) -> None:
        self.problems_total += 1
        if problem.severity == "warning":
            self.warnings += 1
        if len(self.problems) < PROBLEM_LIMIT:
            self.problems.append(problem)

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file, "kind": self.kind, "company": self.company, "status": self.status,
            "rows": self.rows, "created": self.created, "updated": self.updated,
            "unchanged": self.unchanged, "rejected": self.rejected, "warnings": self.warnings,
            "problems": [p.to_json() for p in self.problems],
            "problems_total": self.problems_total, "rejected_file": self.rejected_file,
            "date_format": self.date_format, "encoding": self.encoding,
            "currency": self.currency, "mapping": self.mapping, "batch": self.batch,
            "seconds": round(self.seconds, 3),
        }


def import_path(path: Path, options: ImportOptions, actor: Actor, as_of: date) -> ImportResult:
    """Import a file from disk; rejected rows go to `<stem>.rejected.csv` beside it."""
    result = ImportResult(file=str(path), kind=options.kind)
    if not path.exists():
        result.add(file_problem("file.missing", gettext_noop("no such file: {value}"), value=str(path)))
        return result
    if not path.is_file():
        result.add(file_problem("file.missing", gettext_noop("not a file: {value}"), value=str(path)))
        return result
    data = path.read_bytes()
    return import_bytes(data, str(path), options, actor, as_of,
                        path.with_name(f"{path.stem}.rejected.csv"))


def import_bytes(data: bytes, file_name: str, options: ImportOptions, actor: Actor, as_of: date,
                 rejected_path: Path | None = None, progress: Progress | None = None) -> ImportResult:
    """Import the bytes of a file; see the module docstring for the all-or-nothing rule.

    `progress`, when given, is called every PROGRESS_EVERY rows read and once when all are read.
    """
    started = time.monotonic()
    result = ImportResult(file=file_name, kind=options.kind)
    if options.kind not in KINDS:
        result.add(file_problem("kind.unknown", gettext_noop("unknown kind {value}; use invoices, customers "
                                "or payments"), value=options.kind))
        return result
    try:
        company = company_by_code(options.company)
        require_write(actor.user, company)
    except Refusal as exc:
        # The refusal's template and params, so that pages and the API translate it.
        result.add(RowProblem(None, "", "", "", exc.code, exc.template, exc.params))
        return result
    except DatabaseError as exc:
        result.add(file_problem("database.unavailable", gettext_noop("the database is not ready ({value}); "
                                "run `cashloop init` first"), value=str(exc)[:200]))
        return result
    result.company = company.code
    gc_was_enabled = gc.isenabled()
    gc.disable()  # millions of small tuples: the cyclic collector would only cost time
    try:
        _run(data, company, options, actor, as_of, rejected_path, result, progress)
    except Exception as exc:  # a bug still ends as a reported, saved problem, never a 500
        result.add(file_problem("import.failed", gettext_noop("the import failed: {value}"),
                                value=f"{type(exc).__name__}: {exc}"[:500]))
        result.status = "rejected"
        result.created = result.updated = result.unchanged = 0
    finally:
        if gc_was_enabled:
            gc.enable()
    result.seconds = time.monotonic() - started
    _save_batch(company, actor, data, result)
    return result


def _run(data: bytes, company: Company, options: ImportOptions, actor: Actor, as_of: date,
         rejected_path: Path | None, result: ImportResult, progress: Progress | None = None) -> None:
    columns = dict(options.columns)
    saved = None
    if options.mapping:
        saved = SavedMapping.objects.filter(company=company, kind=options.kind,
                                            name=options.mapping).first()
        if saved is None:
            result.add(file_problem("mapping.unknown", gettext_noop("no saved {kind} mapping named {value}"),
                                    value=options.mapping, kind=options.kind))
            return
        columns = {**saved.columns, **columns}
    encoding = options.encoding or (saved.encoding if saved else "") or None
    date_format = options.date_format or (saved.date_format if saved else "") or None
    currency = (options.currency or (saved.currency if saved else "") or company.base_currency)
    currency = currency.strip().upper()
    result.currency = currency
    if not is_currency_code(currency):
        result.add(file_problem("currency.unknown",
                                gettext_noop("--currency {value} is not an ISO 4217 code"),
                                value=currency))
        return
    named = frozenset(normalize(c) for c in columns.values())  # --map columns find the header too
    table = read_table(data, result.file, encoding, KNOWN_HEADERS | named)
    if isinstance(table, RowProblem):
        result.add(table)
        return
    result.encoding = table.encoding or table.file_type
    for problem in table.problems:
        result.add(problem)
    mapping, problems = resolve_columns(options.kind, table.header, columns, table.header_line)
    result.mapping = mapping_names(mapping, table.header)
    for problem in problems:
        result.add(problem)
    if any(p.is_error for p in problems):
        return
    sample = list(itertools.islice(table.rows, SAMPLE_ROWS))
    parser = RowParser(options.kind, table.header, mapping, currency, date_format,
                       [cells for _line, cells in sample], unknown_settlement_day=as_of)
    result.date_format = parser.date_format
    for note in parser.notes:
        result.add(note)
    if options.save_mapping and len(options.save_mapping) > 100:
        result.add(file_problem("mapping.name_too_long", gettext_noop("a mapping name has at most 100 "
                                "characters: {value}"), value=options.save_mapping[:120]))
        return
    if options.save_mapping:
        SavedMapping.objects.update_or_create(
            company=company, kind=options.kind, name=options.save_mapping,
            defaults={"columns": result.mapping, "date_format": date_format or "",
                      "encoding": encoding or "", "currency": options.currency or ""})
    rows = itertools.chain(sample, table.rows)
    rejected_rows: list[tuple[int, list[str], str]] = []
    try:
        with transaction.atomic():
            total = file_rows(data, table)
            writer = _writer(options.kind, company, actor, as_of, total)
            failed = _stream(rows, parser, table, writer, options, result, rejected_rows,
                             _counted(progress, total))
            if parser.assumed_settlements:
                result.add(file_problem(
                    "settled.assumed", gettext_noop(
                        "{count} invoices have a paid part (amount less open amount) but no "
                        "settled date: the paid parts are recorded as paid on {date}, the day of "
                        "the import, so aging and metrics before that day count them as open; "
                        "map settled_date for the days they were paid"), "warning",
                    count=str(parser.assumed_settlements), date=as_of.isoformat()))
            if not failed or options.skip_bad:
                writer.finish()
                for problem, cells in writer.problems:
                    problem = _located(problem, table.header, parser.mapping)
                    result.add(problem)
                    rejected_rows.append((problem.line or 0, cells, problem.text()))
                    failed = True
            if failed and not options.skip_bad:
                transaction.set_rollback(True)
    except DatabaseError as exc:
        result.add(file_problem("database.refused", gettext_noop("the database refused the import: {value}"),
                                value=str(exc)[:500]))
        result.rejected = max(result.rejected, 1)
        result.created = result.updated = result.unchanged = 0
        result.status = "rejected"
        return
    result.rejected = len({line for line, _c, _r in rejected_rows})
    if result.rows == 0 and not failed:
        result.add(RowProblem(table.header_line, "", "", "", "file.no_rows",
                              gettext_noop("the file has a header but no rows to import")))
        return
    if failed and not options.skip_bad:
        result.status = "rejected"
        result.unchanged = 0  # nothing was compared with the ledger
        return
    result.created, result.updated = writer.created, writer.updated
    result.unchanged += writer.unchanged
    if result.rejected:
        result.status = "partial"
        if rejected_path is not None:
            _write_rejected(rejected_path, table.header, rejected_rows)
            result.rejected_file = str(rejected_path)
    else:
        result.status = "saved" if result.created or result.updated else "unchanged"


def _located(problem: RowProblem, header: list[str], mapping: dict[str, int]) -> RowProblem:
    """A writer's problem names its field; its column is the header cell that field is read from."""
    if problem.column or problem.field not in mapping:
        return problem
    return replace(problem, column=header[mapping[problem.field]])


def _writer(kind: str, company: Company, actor: Actor, as_of: date,
            file_rows: int | None = None) -> Any:
    if kind == "invoices":
        from cashloop.imports.services.invoices import InvoiceWriter

        return InvoiceWriter(company, actor, as_of, file_rows)
    if kind == "customers":
        from cashloop.imports.services.customers import CustomerWriter

        return CustomerWriter(company, actor, as_of)
    from cashloop.imports.services.payments import PaymentWriter

    return PaymentWriter(company, actor, as_of)


def file_rows(data: bytes, table: Table) -> int | None:
    """The file's data rows, estimated once: its lines after the header for a CSV (a quoted field
    spanning lines or a blank line makes it a little high), unknown for a sheet."""
    if table.file_type != "csv":
        return None
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    return max(0, lines - table.header_line)


def _counted(progress: Progress | None, total: int | None) -> Callable[[int], None] | None:
    """`progress` with the file's row count."""
    if progress is None:
        return None
    return lambda rows: progress(rows, total)


def _stream(rows: Any, parser: RowParser, table: Table, writer: Any, options: ImportOptions,
            result: ImportResult, rejected_rows: list[tuple[int, list[str], str]],
            progress: Callable[[int], None] | None = None) -> bool:
    """Parse every row; feed good ones to the writer while that is still useful. True on errors."""
    duplicates = DuplicateCheck(options.kind)
    key_field = KEY_FIELD[options.kind]
    key_column = table.header[parser.mapping[key_field]]
    failed = False
    known_problems = len(table.problems)
    parse = parser.parse
    add = writer.add
    key_index, customer_index = parser.mapping[key_field], parser.mapping.get("customer")
    for line, cells in rows:
        key = cells[key_index] if key_index < len(cells) else ""
        if not key.strip() or is_totals_word(key):  # cheap: most rows have a plain key
            totals = totals_row(cells, key_index, customer_index, line, key_column)
            if totals is not None:
                result.add(totals)
                continue
        result.rows += 1
        if progress is not None and result.rows % PROGRESS_EVERY == 0:
            progress(result.rows)
        record, problems = parse(line, cells)
        if record is not None:
            seen = duplicates.check(getattr(record, key_field), line, record.source_hash,
                                    key_column)
            if seen is True:
                result.unchanged += 1
                record = None
            elif seen is not False:
                problems = [*problems, seen]
                record = None
        if problems:
            errors = [p for p in problems if p.is_error]
            for problem in problems:
                result.add(problem)
            if errors:
                failed = True
                rejected_rows.append((line, cells, "; ".join(p.text() for p in errors)))
                continue
        if record is not None and (options.skip_bad or not failed):
            add(record, cells)
    for problem in table.problems[known_problems:]:  # the CSV reader stopped on a bad line
        result.add(problem)
        failed = True
    if progress is not None:
        progress(result.rows)
    return failed


def _write_rejected(path: Path, header: list[str], rows: list[tuple[int, list[str], str]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([*header, "line", "reason"])
        for line, cells, reason in sorted(rows, key=lambda r: r[0]):
            writer.writerow([*cells, *[""] * (len(header) - len(cells)), line, reason])


@transaction.atomic
def _save_batch(company: Company, actor: Actor, data: bytes, result: ImportResult) -> None:
    batch = ImportBatch.objects.create(
        company=company, kind=result.kind, file_name=result.file[:500],
        file_sha256=hashlib.sha256(data).hexdigest(), status=result.status,
        created_by=actor.user, rows_read=result.rows, created_count=result.created,
        updated_count=result.updated, unchanged_count=result.unchanged,
        rejected_count=result.rejected, warning_count=result.warnings,
        problem_count=result.problems_total, encoding=result.encoding or "",
        date_format=result.date_format or "", currency=result.currency or "",
        mapping=result.mapping, rejected_file=result.rejected_file or "",
        duration_ms=int(result.seconds * 1000))
    ImportProblem.objects.bulk_create([
        ImportProblem(batch=batch, line=p.line, column=p.column[:200], field=p.field[:64],
                      value=p.value[:500], code=p.code[:64], message=p.text()[:1000],
                      template=p.message[:1000], params=[list(pair) for pair in p.params],
                      severity=p.severity)
        for p in result.problems], batch_size=2000)
    result.batch = batch.pk


def fields_for(kind: str) -> tuple[str, ...]:
    if kind not in FIELDS:
        raise Invalid(gettext_noop("unknown kind {value}; use invoices, customers or payments"),
                      value=kind)
    return FIELDS[kind]
