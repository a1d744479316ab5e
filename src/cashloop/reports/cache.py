"""Report results for pages and the API, cached under the ledger's current version.

A result is stored in Django's cache (settings.CACHES: in-process memory by default) under a key
made of the report, its options, the company, the as-of date, the caller's customer scope and
the *ledger version*. The version is read on every request with one query of primary-key
lookups: the highest id of the audit log, import batches, invoices, allocations, payments,
credit notes, customers, disputes and exchange rates. Every change of a figure a report reads
goes through ledger.services, imports or the demo loader, which insert rows (new documents,
allocations, rates) or audit entries (updates, deletions, reversals) in the same transaction, so
any committed write — from this process or another, such as `cashloop import` — changes the
version, and the next request computes afresh. Ids never go back (AUTOINCREMENT on SQLite,
sequences on PostgreSQL). Writes in this process through the ORM also bump a local counter
(post_save / post_delete), so even a change that is not audited (users, roles) is never served
stale here.

The CLI does not use this module: each command computes from the database.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from datetime import date
from typing import TypeVar

from django.core.cache import cache
from django.db import connection
from django.db.models.signals import post_delete, post_save

from cashloop.ledger.models import Company
from cashloop.reports.queries import User

T = TypeVar("T")
TIMEOUT = 3600  # seconds; the version makes old entries unreachable long before

_local = {"writes": 0}
_lock = threading.Lock()


def _bump(**_kwargs: object) -> None:
    with _lock:
        _local["writes"] += 1


post_save.connect(_bump, dispatch_uid="cashloop.reports.cache.save")
post_delete.connect(_bump, dispatch_uid="cashloop.reports.cache.delete")


def _tables() -> list[str]:
    from django.apps import apps

    names = ("audit.AuditEntry", "imports.ImportBatch", "ledger.Invoice", "ledger.Allocation",
             "ledger.Payment", "ledger.CreditNote", "ledger.Customer", "ledger.Dispute",
             "ledger.ExchangeRate")
    return [apps.get_model(name)._meta.db_table for name in names]


def ledger_version() -> str:
    """The ledger's version: highest ids of the tables reports depend on, and local writes."""
    quote = connection.ops.quote_name
    parts = ", ".join(f"(SELECT MAX(id) FROM {quote(table)})" for table in _tables())
    with connection.cursor() as cur:
        cur.execute(f"SELECT {parts}")
        row = cur.fetchone()
    return f"{_local['writes']}:" + ",".join(str(v or 0) for v in row)


def _scope(user: User, company: Company) -> str:
    """Who sees what: everything (no user, or any role but sales rep), or a rep's customers."""
    from cashloop.accounts.access import customer_scope

    scope = customer_scope(user, company)
    return f"{getattr(user, 'pk', None)}:{scope!r}" if scope else "all"


def cached(kind: str, company: Company, as_of: date, options: tuple, user: User,
           compute: Callable[[], T]) -> T:
    """The result of `compute()`, from the cache when the ledger has not changed since."""
    raw = repr((kind, company.pk, as_of.isoformat(), options, _scope(user, company),
                ledger_version()))
    key = "cashloop:report:" + hashlib.sha256(raw.encode()).hexdigest()
    found = cache.get(key)
    if found is not None:
        return found
    result = compute()
    cache.set(key, result, TIMEOUT)
    return result
