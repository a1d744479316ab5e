"""Set-based writes for imports: reserved primary keys and many-row inserts in one transaction.

Django's bulk_create spends most of its time building model instances; a million invoices need
raw statements. SQLite: `executemany` of one INSERT (the write lock is held by the IMMEDIATE
transaction, so ids after the current maximum are ours). PostgreSQL: `COPY … FROM STDIN` through
psycopg 3, ids drawn from the table's sequence. Callers stay inside `transaction.atomic()`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from cashloop.ledger.services import flows

# Column lists of the raw inserts shared by the importers (customers created on the fly,
# settlement payments and their allocations).
CUSTOMER_COLUMNS = ("id", "company_id", "code", "name", "tax_id", "industry", "country",
                    "currency", "department", "tier", "created_at", "updated_at")
PAYMENT_COLUMNS = ("id", "company_id", "customer_id", "reference", "received_date",
                   "amount_minor", "currency", "source_hash", "created_at")
ALLOCATION_COLUMNS = ("company_id", "invoice_id", "payment_id", "amount_minor", "applied_date",
                      "created_at")

# One adapter, identical to the default one Python 3.12 deprecates: dates as ISO text.
sqlite3.register_adapter(date, date.isoformat)


class BulkWriter:
    """Inserts rows into tables by column list, on SQLite or PostgreSQL."""

    def __init__(self) -> None:
        connection.ensure_connection()
        self.vendor = connection.vendor
        self.raw = connection.connection
        self._next_id: dict[str, int] = {}
        self._restore: list[str] = []  # statements that undo begin_bulk_load
        self._locked: set[str] = set()
        self._bulk = False
        self._flows_company_id: int | None = None
        self.now = timezone.now()
        # The value stored in created_at/updated_at columns, as Django would store it.
        self.now_db: object = (
            connection.ops.adapt_datetimefield_value(self.now) if self.vendor == "sqlite"
            else self.now
        )

    def reserve_ids(self, table: str, count: int) -> Sequence[int]:
        """`count` primary keys nobody else will use for `table`."""
        if count <= 0:
            return ()
        if self.vendor == "postgresql" and table in self._locked:
            with self.raw.cursor() as cur:  # nobody else inserts while we hold the lock
                cur.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                            "nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)",
                            (table, table, count))
                last = cur.fetchone()[0]
                return range(last - count + 1, last + 1)
        if self.vendor == "postgresql":
            with self.raw.cursor() as cur:
                cur.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    (table, count))
                return [row[0] for row in cur.fetchall()]
        start = self._next_id.get(table)
        if start is None:
            cur = self.raw.cursor()
            top = cur.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"').fetchone()[0]
            seq = cur.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (table,)).fetchone()
            start = max(top, seq[0] if seq else 0) + 1
        self._next_id[table] = start + count
        return range(start, start + count)

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
        """Insert rows (tuples in `columns` order); returns how many."""
        cols = ", ".join(f'"{c}"' for c in columns)
        if self.vendor == "postgresql":
            count = 0
            with self.raw.cursor() as cur, cur.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        rows = rows if isinstance(rows, list) else list(rows)
        marks = ", ".join("?" * len(columns))
        self.raw.cursor().executemany(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})', rows)
        return len(rows)

    def begin_bulk_load(self, tables: Sequence[str], flows_company_id: int | None = None,
                        expected_rows: Mapping[str, int] | None = None) -> None:
        """Prepare `tables` for a large load, undone by `end_bulk_load` (or by a rollback).

        With `flows_company_id`, the daily-flow triggers (ledger.services.flows) are suspended on
        `tables` too — a trigger per row costs more than the COPY — and end_bulk_load rebuilds
        that company's flows in one set-based statement. Without it the triggers keep working.

        A table that holds fewer rows than the load brings to it (`expected_rows` by table, none
        when absent), as on a first load into an empty or small ledger, has its plain indexes
        dropped and rebuilt at the end: building an index once from sorted rows is several times
        faster than updating it for each of a million inserts. On PostgreSQL its foreign keys are
        dropped too and re-added (validated by one set-based query each), as checking them row
        by row costs more than the whole COPY. Dropping an index or a foreign key locks the table,
        and the table the key points to, against readers until commit, so a table already larger
        than the load keeps its indexes and foreign keys and pages keep reading the committed
        ledger during the import. PostgreSQL: the tables are locked against other writers (not
        readers) in both cases, and ids then come from one setval.
        """
        if self._bulk:
            return
        self._bulk = True
        self._flows_company_id = flows_company_id
        expected = expected_rows or {}
        if self.vendor == "sqlite":
            if flows_company_id is not None:
                self._restore.extend(flows.suspend_triggers(tables))
            cur = self.raw.cursor()
            for table in tables:
                if self.rebuilds_indexes(table, expected.get(table, 0)):
                    rows = cur.execute(
                        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                        "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'", (table,)).fetchall()
                    for name, sql in rows:
                        cur.execute(f'DROP INDEX "{name}"')
                        self._restore.append(sql)
                self._locked.add(table)
            return
        with connection.cursor() as cur:
            # Index builds at the end sort in memory instead of on disk; both last only for
            # this transaction.
            cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
            cur.execute("SET LOCAL synchronous_commit = off")
            for table in tables:
                cur.execute(f'LOCK TABLE "{table}" IN EXCLUSIVE MODE')
                if flows_company_id is not None:
                    self._restore.extend(flows.suspend_triggers([table]))
                self._locked.add(table)
                if not self.rebuilds_indexes(table, expected.get(table, 0)):  # counted once locked
                    continue
                cur.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                            "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
                            [table])
                for name, definition in cur.fetchall():
                    cur.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
                    self._restore.append(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
                cur.execute("SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s "
                            "AND i.indexdef NOT LIKE 'CREATE UNIQUE%%' ORDER BY i.indexname", [table])
                for name, definition in cur.fetchall():
                    cur.execute(f'DROP INDEX "{name}"')
                    self._restore.insert(0, definition)

    def rebuilds_indexes(self, table: str, expected_rows: int) -> bool:
        """Whether a load of `expected_rows` into `table` drops and rebuilds its indexes: only
        when the table holds fewer rows than the load (counted up to that many, so cheap)."""
        if expected_rows <= 0:
            return False
        with connection.cursor() as cur:
            cur.execute(f'SELECT COUNT(*) FROM (SELECT 1 FROM "{table}" LIMIT %s) AS t',
                        [expected_rows])
            return cur.fetchone()[0] < expected_rows

    def end_bulk_load(self) -> None:
        if not self._bulk:
            return
        with connection.cursor() as cur:
            if self.vendor == "postgresql":
                # Foreign keys kept through the load are checked at commit (Django makes them
                # INITIALLY DEFERRED); their pending checks would refuse the ALTER TABLEs below.
                cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cur.execute("SET CONSTRAINTS ALL DEFERRED")
            while self._restore:
                cur.execute(self._restore.pop(0))
        if self._flows_company_id is not None:
            flows.rebuild(self._flows_company_id)
        with connection.cursor() as cur:
            # Fresh statistics after a bulk load: without them the SQLite planner guesses, and
            # PostgreSQL's autovacuum would catch up only later.
            for table in sorted(self._locked):
                cur.execute(f'ANALYZE "{table}"')
        if self.vendor == "postgresql":
            # The reports read covering indexes (index-only scans), which need the visibility
            # map that only VACUUM writes; autovacuum would get there minutes later. VACUUM
            # cannot run in a transaction: it runs once the load has committed.
            tables = sorted(self._locked)
            transaction.on_commit(lambda: _vacuum(tables))
        self._bulk = False

    def execute_many(self, sql: str, params: Sequence[Sequence[object]]) -> None:
        """A statement with %s placeholders run for many parameter rows (updates)."""
        if not params:
            return
        with connection.cursor() as cur:
            cur.executemany(sql, params)

    def packed_hashes(self, sql: str, params: Sequence[object]) -> dict[str, int]:
        """{key: pack(id, source_hash)} from rows (key, id, source_hash), streamed."""
        out: dict[str, int] = {}
        with connection.cursor() as cur:
            cur.execute(sql, params)
            while rows := cur.fetchmany(50_000):
                for key, row_id, source_hash in rows:
                    out[key] = pack(row_id, source_hash)
        return out

    def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()


def _vacuum(tables: Sequence[str]) -> None:
    with connection.cursor() as cur:
        for table in tables:
            cur.execute(f'VACUUM "{table}"')


def update_objects(objects: Sequence[Any], field_names: Sequence[str]) -> None:
    """Save `field_names` of model instances with one executemany UPDATE.

    Django's bulk_update builds a CASE expression per row and field: minutes for 100,000 rows.
    """
    if not objects:
        return
    meta = objects[0]._meta
    fields = [meta.get_field(name) for name in field_names]
    sets = ", ".join(f'"{f.column}" = %s' for f in fields)
    sql = f'UPDATE "{meta.db_table}" SET {sets} WHERE "{meta.pk.column}" = %s'
    params = [[*(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields), obj.pk]
              for obj in objects]
    with connection.cursor() as cur:
        for chunk in in_chunks(params, 5000):
            cur.executemany(sql, chunk)


HASH_MASK = (1 << 64) - 1


def pack(row_id: int, source_hash: str) -> int:
    """A row id and the first 64 bits of its md5 source hash in one int (a third of the memory
    of a tuple with the hex text); an empty hash packs as 0, which no row hash equals."""
    return (row_id << 64) | (int(source_hash[:16], 16) if source_hash else 0)


def in_chunks(values: Sequence, size: int = 500) -> Iterable[Sequence]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def as_date(value: object) -> date | None:
    """A date from what a raw cursor returns (SQLite may give text)."""
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value  # type: ignore[return-value]
    if isinstance(value, datetime):
        return value.date()
    return date.fromisoformat(str(value)[:10])
