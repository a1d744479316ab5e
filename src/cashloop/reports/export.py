"""Aging as a flat sheet (CSV or XLSX): one line per row of the report, then the total line.

Columns: key, name, currency, one per bucket (its label), total. Amounts are plain decimal text
in CSV and numbers with the currency's decimals in XLSX. openpyxl is imported only here, when an
XLSX is asked for, so that the CLI starts fast.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from cashloop.core.aging import AgingReport
from cashloop.core.money import exponent, format_minor

TOTAL_KEY = "TOTAL"


def aging_sheet(report: AgingReport) -> tuple[list[str], list[list[str | None]]]:
    """Header and lines (amounts as text) shared by the table, CSV and XLSX forms."""
    header = ["key", "name", "currency", *(b.label for b in report.buckets), "total"]
    lines: list[list[str | None]] = []
    for row in report.rows:
        lines.append([row.key, row.name, row.currency,
                      *(format_minor(v, row.currency) for v in row.bucket_minor),
                      format_minor(row.total_minor, row.currency)])
    if report.bucket_minor is not None and report.currency is not None:
        cur = report.currency
        lines.append([TOTAL_KEY, None, cur, *(format_minor(v, cur) for v in report.bucket_minor),
                      format_minor(sum(report.bucket_minor), cur)])
    return header, lines


def aging_csv(report: AgingReport) -> str:
    header, lines = aging_sheet(report)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([["" if c is None else c for c in line] for line in lines])
    return out.getvalue()


def aging_xlsx(report: AgingReport) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    header, lines = aging_sheet(report)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(f"Aging {report.as_of.isoformat()}")
    sheet.append(header)
    for line in lines:
        digits = exponent(line[2]) if line[2] else 2
        number_format = "#,##0" + ("." + "0" * digits if digits else "")
        cells: list[object] = list(line[:3])
        for text in line[3:]:
            cell = WriteOnlyCell(sheet, value=None if text is None else Decimal(text))
            cell.number_format = number_format
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
