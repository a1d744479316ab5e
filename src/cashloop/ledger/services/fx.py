"""Writing dated exchange rates: one rate (`set_rate`) or a whole file (`import_rates`).

Each write is one transaction with its audit entry; an unchanged rate writes nothing. A rate file
is all or nothing: any bad row saves no row, and every problem names file:line and field.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from cashloop.audit.services import Actor, record
from cashloop.core.fx import RATE_COLUMNS, Rate, currency_problems, rate_problems, read_rate_rows
from cashloop.core.problems import Invalid, Problem
from cashloop.ledger.models import ExchangeRate

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


@dataclass(frozen=True)
class RateImportSummary:
    """What a rate file did; nothing was saved when there are problems."""

    file: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: tuple[Problem, ...] = field(default=())

    @property
    def saved(self) -> bool:
        return not self.problems

    def to_json(self) -> dict:
        return {
            "file": self.file, "rows": self.rows, "created": self.created, "updated": self.updated,
            "unchanged": self.unchanged, "saved": self.saved,
            "problems": [p.to_json() for p in self.problems],
        }


def set_rate(
    from_currency: str, to_currency: str, rate: Decimal, rate_date: date, actor: Actor, source: str = ""
) -> ExchangeRate:
    """Store the rate of a pair on a day (replacing that day's rate), audited."""
    return store_rate(from_currency, to_currency, rate, rate_date, actor, source)[0]


@transaction.atomic
def store_rate(
    from_currency: str, to_currency: str, rate: Decimal, rate_date: date, actor: Actor, source: str = ""
) -> tuple[ExchangeRate, str]:
    """Like `set_rate`, also saying whether the rate was created, updated or unchanged.

    The same rate again is unchanged (no audit entry), whatever its source.
    """
    f, t = from_currency.strip().upper(), to_currency.strip().upper()
    if isinstance(rate, float) or not isinstance(rate, Decimal):
        raise TypeError("a rate is a Decimal, never a float")
    problems = currency_problems(f, t) + rate_problems(rate)
    if problems:
        raise Invalid("; ".join(p.text() for p in problems), problems)
    return _store(Rate(f, t, rate_date, rate), actor, source[:64])


def import_rates(path: Path, actor: Actor) -> RateImportSummary:
    """Rates from a CSV file (from_currency,to_currency,date,rate or 币种,目标币种,日期,汇率)."""
    name = path.name
    text = _read_text(path)
    if isinstance(text, Problem):
        return RateImportSummary(file=name, problems=(text,))
    rows = _rows(text, name)
    if isinstance(rows, Problem):
        return RateImportSummary(file=name, problems=(rows,))
    rates, problems = read_rate_rows(rows, name)
    if problems:
        return RateImportSummary(file=name, rows=len(rows), problems=tuple(problems))
    counts = {CREATED: 0, UPDATED: 0, UNCHANGED: 0}
    with transaction.atomic():
        for rate in rates:
            counts[_store(rate, actor, f"file {name}"[:64])[1]] += 1
    return RateImportSummary(file=name, rows=len(rows), created=counts[CREATED],
                             updated=counts[UPDATED], unchanged=counts[UNCHANGED])


def _store(rate: Rate, actor: Actor, source: str) -> tuple[ExchangeRate, str]:
    existing = (
        ExchangeRate.objects.select_for_update()
        .filter(from_currency=rate.from_currency, to_currency=rate.to_currency, rate_date=rate.rate_date)
        .first()
    )
    if existing is None:
        obj = ExchangeRate.objects.create(
            from_currency=rate.from_currency, to_currency=rate.to_currency,
            rate_date=rate.rate_date, rate=rate.rate, source=source,
        )
        record(actor, None, "fx_rate.create", obj, None, _audit_values(obj))
        return obj, CREATED
    if existing.rate == rate.rate:  # the source alone is provenance, not a change
        return existing, UNCHANGED
    before = _audit_values(existing)
    existing.rate, existing.source = rate.rate, source or existing.source
    existing.save(update_fields=["rate", "source"])
    record(actor, None, "fx_rate.update", existing, before, _audit_values(existing))
    return existing, UPDATED


def _audit_values(obj: ExchangeRate) -> dict:
    return {
        "from_currency": obj.from_currency, "to_currency": obj.to_currency,
        "rate_date": obj.rate_date, "rate": Decimal(obj.rate).normalize(), "source": obj.source,
    }


def _read_text(path: Path) -> str | Problem:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return Problem(source=path.name, field=None, code="file.unreadable",
                       message="cannot read the file: {value}", params=(("value", exc.strerror or str(exc)),))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return Problem(source=path.name, field=None, code="file.encoding",
                   message="the file is neither UTF-8 nor GB18030 text", params=())


def _rows(text: str, name: str) -> list[tuple[int, Mapping[str, str]]] | Problem:
    """(physical line, {field: text}) per non-blank data row; the header is line 1."""
    first_line = text.splitlines()[0] if text.strip() else ""
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if not header:
        return Problem(source=f"{name}:1", field=None, code="file.empty",
                       message="the file has no header row", params=())
    columns = _columns(header)
    missing = [f for f in RATE_COLUMNS if f not in columns]
    if missing:
        return Problem(
            source=f"{name}:1", field=missing[0], code="file.missing_column",
            message="missing column(s) {value}; expected from_currency,to_currency,date,rate"
                    " or 币种,目标币种,日期,汇率",
            params=(("value", ", ".join(missing)),),
        )
    try:
        return list(_data_rows(reader, columns))
    except csv.Error as exc:
        return Problem(source=f"{name}:{reader.line_num}", field=None, code="file.unreadable",
                       message="cannot read the CSV: {value}", params=(("value", str(exc)),))


def _columns(header: list[str]) -> dict[str, int]:
    names = [h.strip().lower() for h in header]
    found: dict[str, int] = {}
    for target, aliases in RATE_COLUMNS.items():
        for i, name in enumerate(names):
            if name in aliases:
                found[target] = i
                break
    return found


def _data_rows(
    reader: Iterator[list[str]], columns: dict[str, int]
) -> Iterator[tuple[int, Mapping[str, str]]]:
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue
        line = reader.line_num  # type: ignore[attr-defined]
        yield line, {f: cells[i] if i < len(cells) else "" for f, i in columns.items()}
