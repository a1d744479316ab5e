"""Helpers for tests whose jobs run on the thread backend beside the test's own connection."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import OperationalError, connection

from cashloop.jobs.models import Job


def reads_take_no_table_locks() -> None:
    """SQLite's in-memory test database reaches the job threads through a shared cache, whose
    table locks are not waited for (busy_timeout does not apply to them): the test's own reads
    take none, as a file database in WAL mode would let them. Call it with the database set up."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA read_uncommitted = 1")


def finished(job: Job, timeout: float = 60) -> Job:
    """The job once a backend has run it to its end and committed that."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.finished and _committed(job):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job.pk} still {job.status} after {timeout} s")


def _committed(job: Job) -> bool:
    """Reads that take no table locks also see what is not committed yet: read the job once
    more with locks, which fails while the job thread's last transaction is still open (a test
    ending then would have its tables flushed under that transaction)."""
    if not (connection.vendor == "sqlite" and connection.is_in_memory_db()):
        return True
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA read_uncommitted = 0")
        try:
            job.refresh_from_db()
        except OperationalError:
            return False
        finally:
            cursor.execute("PRAGMA read_uncommitted = 1")
    return job.finished


def get_while_company_table_locked(request: Callable[[], Any]) -> Any:
    """`request()`'s answer while another session holds the company table as a first bulk load
    on PostgreSQL does (its dropped foreign keys lock it against readers until it commits); this
    session waits at most 3 s for a lock, so a request that reads the table fails."""
    import psycopg

    db = connection.settings_dict
    with psycopg.connect(dbname=db["NAME"], user=db["USER"], host=db["HOST"] or None,
                         port=db["PORT"] or None, password=db["PASSWORD"] or None) as import_:
        import_.execute("LOCK TABLE ledger_company IN ACCESS EXCLUSIVE MODE")  # held until rollback
        with _lock_timeout():
            try:
                return request()
            finally:
                import_.rollback()


@contextmanager
def _lock_timeout() -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '3s'")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
