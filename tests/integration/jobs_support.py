"""Helpers for tests whose jobs run on the thread backend beside the test's own connection."""

from __future__ import annotations

import time

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
