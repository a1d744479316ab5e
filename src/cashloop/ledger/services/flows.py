"""The triggers that keep ledger.models.ReceivableDay in step, and its set-based rebuild.

Triggers rather than code in each writer: invoices and allocations are written by the services,
the importers' raw bulk statements, the demo loader and the admin, and a daily total that missed
one of them would be a wrong DSO. Each trigger adds its row's signed amount to its day in the
writer's own transaction, so the flows commit or roll back with the documents.

- invoice inserted / deleted: ± amount (and ± 1 invoice) on its issue date;
- invoice's company, currency, issue date or amount changed: the old row out, the new row in,
  and its allocations moved to their new exit days (max(applied date, issue date));
- allocation inserted / deleted / changed: ± amount collected on max(applied, issue date), in
  its invoice's currency.

Writers of many rows take the triggers off with `suspend_triggers`: bulk imports
(BulkWriter.begin_bulk_load) then `rebuild` the company's flows once, the payments import adds
the days of its allocations with `add_collected`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper

DAYS = "ledger_receivableday"
INVOICES = "ledger_invoice"
ALLOCATIONS = "ledger_allocation"
COLUMNS = "(company_id, currency, day, issued_minor, issued_count, collected_minor)"
UPSERT = (
    f"ON CONFLICT (company_id, currency, day) DO UPDATE SET "
    f"issued_minor = {DAYS}.issued_minor + excluded.issued_minor, "
    f"issued_count = {DAYS}.issued_count + excluded.issued_count, "
    f"collected_minor = {DAYS}.collected_minor + excluded.collected_minor"
)
TRIGGER_NAMES = ("ledger_invoice_flows_insert", "ledger_invoice_flows_delete",
                 "ledger_invoice_flows_update", "ledger_allocation_flows_insert",
                 "ledger_allocation_flows_delete", "ledger_allocation_flows_update")


def _latest(vendor: str) -> str:
    """The SQL function of the later of two dates (SQLite keeps dates as ISO text)."""
    return "MAX" if vendor == "sqlite" else "GREATEST"


def _invoice_row(row: str, sign: str) -> str:
    return (f"INSERT INTO {DAYS} {COLUMNS} VALUES ({row}.company_id, {row}.currency, "
            f"{row}.issue_date, {sign}{row}.amount_minor, {sign}1, 0) {UPSERT};")


def _moved_allocations(row: str, sign: str, vendor: str) -> str:
    """An invoice's allocations, all of them, at their exit days for the invoice as `row`."""
    return (f"INSERT INTO {DAYS} {COLUMNS} SELECT {row}.company_id, {row}.currency, "
            f"{_latest(vendor)}(a.applied_date, {row}.issue_date), 0, 0, {sign}SUM(a.amount_minor) "
            f"FROM {ALLOCATIONS} a WHERE a.invoice_id = NEW.id GROUP BY 3 {UPSERT};")


def _allocation_row(row: str, sign: str, vendor: str) -> str:
    return (f"INSERT INTO {DAYS} {COLUMNS} SELECT i.company_id, i.currency, "
            f"{_latest(vendor)}({row}.applied_date, i.issue_date), 0, 0, {sign}{row}.amount_minor "
            f"FROM {INVOICES} i WHERE i.id = {row}.invoice_id {UPSERT};")


def _sqlite_triggers() -> list[str]:
    v = "sqlite"
    bodies = {
        "ledger_invoice_flows_insert": ("AFTER INSERT ON", INVOICES, _invoice_row("NEW", "")),
        "ledger_invoice_flows_delete": ("AFTER DELETE ON", INVOICES, _invoice_row("OLD", "-")),
        "ledger_invoice_flows_update": (
            "AFTER UPDATE OF company_id, currency, issue_date, amount_minor ON", INVOICES,
            _invoice_row("OLD", "-") + _invoice_row("NEW", "")
            + _moved_allocations("OLD", "-", v) + _moved_allocations("NEW", "", v)),
        "ledger_allocation_flows_insert": ("AFTER INSERT ON", ALLOCATIONS,
                                           _allocation_row("NEW", "", v)),
        "ledger_allocation_flows_delete": ("AFTER DELETE ON", ALLOCATIONS,
                                           _allocation_row("OLD", "-", v)),
        "ledger_allocation_flows_update": (
            "AFTER UPDATE OF invoice_id, applied_date, amount_minor ON", ALLOCATIONS,
            _allocation_row("OLD", "-", v) + _allocation_row("NEW", "", v)),
    }
    return [f"CREATE TRIGGER {name} {when} {table} FOR EACH ROW BEGIN {body} END"
            for name, (when, table, body) in bodies.items()]


def _postgresql_triggers() -> list[str]:
    v = "postgresql"
    invoice_fn = f"""
CREATE OR REPLACE FUNCTION ledger_invoice_flows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN {_invoice_row("OLD", "-")} END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN {_invoice_row("NEW", "")} END IF;
  IF TG_OP = 'UPDATE' AND (OLD.company_id, OLD.currency, OLD.issue_date)
      IS DISTINCT FROM (NEW.company_id, NEW.currency, NEW.issue_date) THEN
    {_moved_allocations("OLD", "-", v)}
    {_moved_allocations("NEW", "", v)}
  END IF;
  RETURN NULL;
END $$"""
    allocation_fn = f"""
CREATE OR REPLACE FUNCTION ledger_allocation_flows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN {_allocation_row("OLD", "-", v)} END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN {_allocation_row("NEW", "", v)} END IF;
  RETURN NULL;
END $$"""
    each = "FOR EACH ROW EXECUTE FUNCTION"
    return [
        invoice_fn, allocation_fn,
        f"CREATE TRIGGER ledger_invoice_flows_insert AFTER INSERT ON {INVOICES} {each} "
        f"ledger_invoice_flows()",
        f"CREATE TRIGGER ledger_invoice_flows_delete AFTER DELETE ON {INVOICES} {each} "
        f"ledger_invoice_flows()",
        f"CREATE TRIGGER ledger_invoice_flows_update AFTER UPDATE OF company_id, currency, "
        f"issue_date, amount_minor ON {INVOICES} {each} ledger_invoice_flows()",
        f"CREATE TRIGGER ledger_allocation_flows_insert AFTER INSERT ON {ALLOCATIONS} {each} "
        f"ledger_allocation_flows()",
        f"CREATE TRIGGER ledger_allocation_flows_delete AFTER DELETE ON {ALLOCATIONS} {each} "
        f"ledger_allocation_flows()",
        f"CREATE TRIGGER ledger_allocation_flows_update AFTER UPDATE OF invoice_id, "
        f"applied_date, amount_minor ON {ALLOCATIONS} {each} ledger_allocation_flows()",
    ]


def install_triggers(conn: BaseDatabaseWrapper = connection) -> None:
    """Create (or re-create) the flow triggers on this database."""
    drop_triggers(conn)
    statements = _sqlite_triggers() if conn.vendor == "sqlite" else _postgresql_triggers()
    with conn.cursor() as cur:
        for sql in statements:
            cur.execute(sql)


def drop_triggers(conn: BaseDatabaseWrapper = connection) -> None:
    with conn.cursor() as cur:
        for name in TRIGGER_NAMES:
            table = INVOICES if name.startswith("ledger_invoice") else ALLOCATIONS
            if conn.vendor == "sqlite":
                cur.execute(f"DROP TRIGGER IF EXISTS {name}")
            else:
                cur.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")


def rebuild(company_id: int, conn: BaseDatabaseWrapper = connection) -> None:
    """Recompute a company's daily flows from its invoices and allocations, set-based."""
    latest = _latest(conn.vendor)
    with conn.cursor() as cur:
        cur.execute(f"DELETE FROM {DAYS} WHERE company_id = %s "
                    f"OR company_id NOT IN (SELECT id FROM ledger_company)", [company_id])
        cur.execute(
            f"INSERT INTO {DAYS} {COLUMNS} "
            f"SELECT %s, currency, day, SUM(issued), SUM(issued_count), SUM(collected) FROM ("
            f"  SELECT currency, issue_date AS day, SUM(amount_minor) AS issued, "
            f"  COUNT(*) AS issued_count, 0 AS collected FROM {INVOICES} "
            f"  WHERE company_id = %s GROUP BY issue_date, currency"
            f"  UNION ALL"
            f"  SELECT i.currency, {latest}(a.applied_date, i.issue_date), 0, 0, "
            f"  SUM(a.amount_minor) FROM {ALLOCATIONS} a JOIN {INVOICES} i ON i.id = a.invoice_id "
            f"  WHERE i.company_id = %s GROUP BY 2, 1"
            f") flows GROUP BY currency, day",
            [company_id, company_id, company_id])


def rebuild_all(conn: BaseDatabaseWrapper = connection) -> None:
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM ledger_company ORDER BY id")
        companies = [row[0] for row in cur.fetchall()]
    for company_id in companies:
        rebuild(company_id, conn)


def suspend_triggers(tables: Iterable[str], conn: BaseDatabaseWrapper = connection) -> list[str]:
    """Take the flow triggers off `tables` inside the caller's transaction; returns the statements
    that put them back (a rollback puts them back too: DDL is transactional on both databases).

    For writers of many rows, where a trigger per row costs more than the insert: they either
    `rebuild` the company's flows afterwards or add what they wrote with `add_collected`.
    PostgreSQL's DISABLE TRIGGER locks out other writers of the table, not its readers.
    """
    wanted = set(tables)
    restore: list[str] = []
    with conn.cursor() as cur:
        for name in TRIGGER_NAMES:
            table = INVOICES if name.startswith("ledger_invoice") else ALLOCATIONS
            if table not in wanted:
                continue
            if conn.vendor == "sqlite":
                cur.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s",
                            [name])
                row = cur.fetchone()
                if row is not None:
                    cur.execute(f"DROP TRIGGER {name}")
                    restore.append(row[0])
            else:
                cur.execute("SELECT 1 FROM pg_trigger WHERE tgname = %s AND tgenabled <> 'D'",
                            [name])
                if cur.fetchone() is not None:
                    cur.execute(f"ALTER TABLE {table} DISABLE TRIGGER {name}")
                    restore.append(f"ALTER TABLE {table} ENABLE TRIGGER {name}")
    return restore


@contextmanager
def allocation_inserts_untracked(conn: BaseDatabaseWrapper = connection) -> Iterator[None]:
    """Inside the caller's transaction, writes to allocations do not fire the flow triggers; the
    writer (the payments import) reports what it inserted with `add_collected`."""
    restore = suspend_triggers([ALLOCATIONS], conn)
    yield
    with conn.cursor() as cur:
        if restore and conn.vendor != "sqlite":
            # ALTER TABLE refuses while the inserts' deferred foreign-key checks are pending:
            # run them now (they would run at commit anyway), then defer again as Django does.
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for sql in restore:
            cur.execute(sql)
        if restore and conn.vendor != "sqlite":
            cur.execute("SET CONSTRAINTS ALL DEFERRED")


def exit_day(applied_date: date, issue_date: date) -> date:
    """The day an allocation leaves AR: its applied date, or its invoice's issue date if later."""
    return max(applied_date, issue_date)


def add_collected(company_id: int, allocations: Iterable[tuple[str, date, date, int]],
                  conn: BaseDatabaseWrapper = connection) -> None:
    """Add allocations inserted untracked, as (invoice currency, applied date, invoice issue date,
    amount_minor), to their days: what the insert trigger would have added, one row per day."""
    days: dict[tuple[str, date], int] = defaultdict(int)
    for currency, applied, issued, minor in allocations:
        days[currency, exit_day(applied, issued)] += minor
    if not days:
        return
    with conn.cursor() as cur:
        cur.executemany(f"INSERT INTO {DAYS} {COLUMNS} VALUES (%s, %s, %s, 0, 0, %s) {UPSERT}",
                        [(company_id, currency, day, minor)
                         for (currency, day), minor in sorted(days.items())])
