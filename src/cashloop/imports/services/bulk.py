"""Set-based writes for imports: reserved primary keys and many-row inserts in one transaction.

Django's bulk_create spends most of its time building model instances; a million invoices need
raw statements. SQLite: `executemany` of one INSERT (the write lock is held by the IMMEDIATE
transaction, so ids after the current maximum are ours). PostgreSQL: `COPY … FROM STDIN` through
psycopg 3, ids drawn from the table's sequence. Callers stay inside `transaction.atomic()`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from django.db import connection
from django.utils import timezone

# One adapter, identical to the default one Python 3.12 deprecates: dates as ISO text.
sqlite3.register_adapter(date, date.isoformat)


class BulkWriter:
    """Inserts rows into tables by column list, on SQLite or PostgreSQL."""

    def __init__(self) -> None:
        connection.ensure_connection()
        self.vendor = connection.vendor
        self.raw = connection.connection
        self._next_id: dict[str, int] = {}
        self._suspended: list[str] = []
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

    def suspend_indexes(self, tables: Sequence[str]) -> None:
        """SQLite: drop the plain (non-unique) indexes of `tables` until `restore_indexes`.

        Building an index once from sorted rows is several times faster than updating it for
        each of a million inserts. The DDL is part of the transaction: a rollback restores them.
        """
        if self.vendor != "sqlite" or self._suspended:
            return
        cur = self.raw.cursor()
        for table in tables:
            rows = cur.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'", (table,)).fetchall()
            for name, sql in rows:
                cur.execute(f'DROP INDEX "{name}"')
                self._suspended.append(sql)

    def restore_indexes(self) -> None:
        cur = self.raw.cursor()
        while self._suspended:
            cur.execute(self._suspended.pop())

    def execute_many(self, sql: str, params: Sequence[Sequence[object]]) -> None:
        """A statement with %s placeholders run for many parameter rows (updates)."""
        if not params:
            return
        with connection.cursor() as cur:
            cur.executemany(sql, params)

    def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()


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
