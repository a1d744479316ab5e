"""What the import page shows before anything is saved: detected encoding, header mapping, date
format, and the first rows as they would be read, each with its problems."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from cashloop.config.clock import today
from cashloop.core.importing.columns import FIELDS, KNOWN_HEADERS, REQUIRED, resolve_columns
from cashloop.core.importing.issues import RowProblem
from cashloop.core.importing.parse import SAMPLE_ROWS, RowParser
from cashloop.core.importing.read import read_table
from cashloop.core.money import is_currency_code
from cashloop.core.problems import gettext_noop
from cashloop.imports.services.run import ImportOptions
from cashloop.ledger.models import Company

PREVIEW_ROWS = 20


@dataclass
class PreviewRow:
    line: int
    values: list[str]  # one per mapped field, in `Preview.fields` order
    problems: list[RowProblem]

    @property
    def ok(self) -> bool:
        return not any(p.is_error for p in self.problems)


@dataclass
class Preview:
    file_name: str
    kind: str
    encoding: str = ""
    date_format: str | None = None
    currency: str = ""
    header: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)  # field → column
    fields: list[str] = field(default_factory=list)  # mapped fields, in contract order
    all_fields: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    rows: list[PreviewRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)  # about the whole file

    @property
    def can_import(self) -> bool:
        return not any(p.is_error for p in self.problems)


def build_preview(data: bytes, file_name: str, options: ImportOptions, company: Company,
                  limit: int = PREVIEW_ROWS) -> Preview:
    preview = Preview(file_name=file_name, kind=options.kind, all_fields=FIELDS[options.kind],
                      required=REQUIRED[options.kind])
    currency = (options.currency or company.base_currency).strip().upper()
    preview.currency = currency
    if not is_currency_code(currency):
        preview.problems.append(RowProblem(None, "", "currency", currency, "currency.unknown",
                                           gettext_noop("{value} is not an ISO 4217 currency code")))
        return preview
    table = read_table(data, file_name, options.encoding, KNOWN_HEADERS)
    if isinstance(table, RowProblem):
        preview.problems.append(table)
        return preview
    preview.encoding = table.encoding or table.file_type
    preview.header = table.header
    preview.problems.extend(table.problems)
    mapping, problems = resolve_columns(options.kind, table.header, options.columns,
                                        table.header_line)
    preview.problems.extend(problems)
    preview.mapping = {f: table.header[i] for f, i in mapping.items()}
    preview.fields = [f for f in FIELDS[options.kind] if f in mapping]
    sample = list(itertools.islice(table.rows, SAMPLE_ROWS))
    if any(p.is_error for p in problems):
        parser = None
    else:
        parser = RowParser(options.kind, table.header, mapping, currency, options.date_format,
                           [cells for _line, cells in sample], unknown_settlement_day=today())
        preview.date_format = parser.date_format
        preview.problems.extend(parser.notes)
    for line, cells in sample[:limit]:
        values = [cells[mapping[f]] if mapping[f] < len(cells) else "" for f in preview.fields]
        row_problems = parser.parse(line, cells)[1] if parser else []
        preview.rows.append(PreviewRow(line, values, row_problems))
    return preview
