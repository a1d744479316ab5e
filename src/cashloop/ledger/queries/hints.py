"""Run a queryset with SQLite told which index to read (`INDEXED BY`); as is elsewhere.

SQLite's planner weighs indexes by the equality terms they match, not by the sort they save: for
open invoices grouped by customer it picks the settlement index (same equality prefix, then a
sort of every open invoice) over `invoice_open_by_customer`, which is in customer order. Told
the index, the customer list sorted by a balance reads a third of the time on a million invoices.
PostgreSQL's planner costs the sort and needs no hint.

Only the outer query's table is hinted, and only when the compiled SQL has the expected shape;
otherwise the queryset runs as it is. The caller guarantees that the query can use the index
(its WHERE has the index's condition): SQLite refuses a hinted query that cannot.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import connections
from django.db.models import QuerySet

# Open invoices by customer (an index of ledger.models.Invoice), for the rankings of customers.
INVOICES = "ledger_invoice"
OPEN_BY_CUSTOMER = "invoice_open_by_customer"


def rows_with_index(queryset: QuerySet, table: str, index: str) -> list[tuple[Any, ...]]:
    """The rows of a values_list() `queryset` as tuples of database values (no field converters:
    for ids and sums), its first read of `table` going through `index` on SQLite."""
    connection = connections[queryset.db]
    if connection.vendor != "sqlite":
        return [tuple(row) for row in queryset]
    sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    hinted = _hinted(sql, connection.ops.quote_name(table), connection.ops.quote_name(index))
    if hinted is None:
        return [tuple(row) for row in queryset]
    with connection.cursor() as cursor:
        cursor.execute(hinted, params)
        return [tuple(row) for row in cursor.fetchall()]


def count_with_index(queryset: QuerySet, table: str, index: str) -> int:
    """`queryset.count()`, its first read of `table` going through `index` on SQLite."""
    connection = connections[queryset.db]
    if connection.vendor != "sqlite":
        return queryset.count()
    sql, params = queryset.order_by().query.get_compiler(using=queryset.db).as_sql()
    hinted = _hinted(sql, connection.ops.quote_name(table), connection.ops.quote_name(index))
    if hinted is None:
        return queryset.count()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({hinted}) AS counted", params)
        return int(cursor.fetchone()[0])


def _hinted(sql: str, table: str, index: str) -> str | None:
    """`sql` with its first `FROM table [alias]` followed by INDEXED BY index; None if absent."""
    hinted, found = re.subn(rf"FROM {re.escape(table)}(?: (?!INNER\b|LEFT\b|WHERE\b|GROUP\b)\w+)?"
                            rf"(?= INNER JOIN| LEFT OUTER JOIN| WHERE| GROUP BY)",
                            lambda m: f"{m.group(0)} INDEXED BY {index}", sql, count=1)
    return hinted if found else None
