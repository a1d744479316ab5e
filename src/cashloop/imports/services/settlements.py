"""Recomputing many invoices' settlement at once after an import changed their allocations.

The rule is core.settlement.settlement_for, as in ledger.services.allocations.refresh_settlement
(paid amount = sum of allocations; settled date = the applied date on which their running total in
date order reaches the amount). Here it runs over tens of thousands of invoices with two queries
(the invoices, their allocations) per chunk of ids (one chunk on PostgreSQL), one write of the
invoices whose result differs, and one raw many-row insert of their audit entries
(`invoice.settlement`, the entries the one-invoice path records). The caller holds the
transaction and the invoices' row locks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any

from django.db import connection

from cashloop.audit.models import AuditEntry
from cashloop.audit.services import ENTRY_COLUMNS, Actor, entry_rows
from cashloop.core.settlement import settlement_for
from cashloop.imports.services.bulk import BulkWriter, as_date, in_chunks
from cashloop.ledger.models import Allocation, Company, Invoice

ID_CHUNK = 2000  # ids per IN list: far below SQLite's 32,766 variables, cheap to parse


def in_filters(vendor: str, values: Sequence[Any]) -> Iterator[tuple[str, list[Any]]]:
    """("column" condition, its params) covering `values`: `= ANY(array)` once on PostgreSQL, as
    parsing and planning many IN lists costs more than the lookups; IN lists in chunks on SQLite."""
    if not values:
        return
    if vendor == "postgresql":
        kind = "bigint" if isinstance(values[0], int) else "text"
        yield f"= ANY(%s::{kind}[])", [list(values)]
        return
    for chunk in in_chunks(values, ID_CHUNK):
        yield f"IN ({', '.join(['%s'] * len(chunk))})", list(chunk)


class DocumentRef:
    """What the audit log needs of a row (model name, pk, text) without building a model instance."""

    __slots__ = ("_meta", "pk", "text")

    def __init__(self, meta: Any, pk: int, text: str) -> None:
        self._meta, self.pk, self.text = meta, pk, text

    def __str__(self) -> str:
        return self.text


def refresh_settlements(db: BulkWriter, actor: Actor, company: Company,
                        invoice_ids: Iterable[int]) -> int:
    """Recompute paid_minor and settled_date of these (locked) invoices; returns how many changed."""
    t_inv, t_all = Invoice._meta.db_table, Allocation._meta.db_table
    updates: list[tuple[int, date | None, object, int]] = []
    audits: list[tuple[DocumentRef, dict[str, Any], dict[str, Any]]] = []
    for condition, params in in_filters(db.vendor, sorted(set(invoice_ids))):
        allocations: dict[int, list[tuple[date, int]]] = defaultdict(list)
        for invoice_id, applied, minor in db.query(
                f'SELECT invoice_id, applied_date, amount_minor FROM "{t_all}" '
                f"WHERE invoice_id {condition}", params):
            allocations[invoice_id].append((as_date(applied), minor))  # type: ignore[arg-type]
        for invoice_id, number, amount, currency, paid, settled in db.query(
                f'SELECT id, number, amount_minor, currency, paid_minor, settled_date FROM "{t_inv}" '
                f"WHERE id {condition}", params):
            result = settlement_for(amount, allocations[invoice_id])
            settled = as_date(settled)
            if (result.paid_minor, result.settled_date) == (paid, settled):
                continue
            updates.append((result.paid_minor, result.settled_date, db.now_db, invoice_id))
            audits.append((DocumentRef(Invoice._meta, invoice_id, number),
                           {"paid_minor": paid, "settled_date": settled, "currency": currency},
                           {"paid_minor": result.paid_minor, "settled_date": result.settled_date,
                            "currency": currency}))
    _update(db, t_inv, updates)
    if audits:
        db.insert(AuditEntry._meta.db_table, ENTRY_COLUMNS,
                  entry_rows(actor, company, "invoice.settlement", db.now_db, audits))
    return len(updates)


def _update(db: BulkWriter, table: str, updates: list[tuple[int, date | None, object, int]]) -> None:
    """Write (paid_minor, settled_date, updated_at, id) rows to the invoices.

    PostgreSQL: COPY into a temporary table and one UPDATE … FROM, as tens of thousands of
    single-row UPDATEs cost twice as much in round trips and planning. SQLite: executemany, whose
    statements run in process.
    """
    if not updates:
        return
    if db.vendor != "postgresql":
        for chunk in in_chunks(updates, 5000):
            db.execute_many(f'UPDATE "{table}" SET paid_minor = %s, settled_date = %s, '
                            f"updated_at = %s WHERE id = %s", chunk)
        return
    with connection.cursor() as cur:
        cur.execute("CREATE TEMPORARY TABLE cashloop_settlement (id bigint, paid_minor bigint, "
                    "settled_date date) ON COMMIT DROP")
        db.insert("cashloop_settlement", ("id", "paid_minor", "settled_date"),
                  ((pk, paid, settled) for paid, settled, _at, pk in updates))
        cur.execute("ANALYZE cashloop_settlement")
        cur.execute(f'UPDATE "{table}" i SET paid_minor = s.paid_minor, '
                    f"settled_date = s.settled_date, updated_at = %s FROM cashloop_settlement s "
                    f"WHERE i.id = s.id", [db.now_db])
        cur.execute("DROP TABLE cashloop_settlement")
