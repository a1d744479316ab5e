"""Writing the audit log. Every service that changes money or credit calls `record` inside its
own transaction, so the change and its audit entry are saved together or not at all."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from cashloop.audit.models import AuditEntry
from cashloop.ledger.models import Company


@dataclass(frozen=True)
class Actor:
    """Who makes a change and through which door (cli, api, web, import, job)."""

    user: AbstractBaseUser | None
    channel: str

    @property
    def name(self) -> str:
        return self.user.get_username() if self.user is not None else "system"

    @classmethod
    def of(cls, user: AbstractBaseUser | AnonymousUser | None, channel: str) -> Actor:
        if user is None or not getattr(user, "is_authenticated", False):
            return cls(None, channel)
        return cls(user, channel)  # type: ignore[arg-type]


SYSTEM_CLI = Actor(None, "cli")


def jsonable(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Audit values as JSON: dates ISO, Decimals as strings, model instances by primary key."""
    if values is None:
        return None
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, date | datetime):
            out[key] = value.isoformat()
        elif isinstance(value, Decimal):
            out[key] = str(value)
        elif hasattr(value, "pk"):
            out[key] = value.pk
        else:
            out[key] = value
    return out


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[dict, dict]:
    """Only the fields whose value differs, before and after."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def record(
    actor: Actor, company: Company | None, action: str, obj: Any,
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None,
) -> AuditEntry:
    return AuditEntry.objects.create(**_entry_fields(actor, company, action, obj, before, after))


def record_many(
    actor: Actor, company: Company | None, action: str,
    changes: Iterable[tuple[Any, Mapping[str, Any] | None, Mapping[str, Any] | None]],
    batch_size: int = 2000,
) -> int:
    """Audit many changes of one kind at once (imports); returns how many entries were written."""
    entries = [
        AuditEntry(**_entry_fields(actor, company, action, obj, before, after))
        for obj, before, after in changes
    ]
    AuditEntry.objects.bulk_create(entries, batch_size=batch_size)
    return len(entries)


def _entry_fields(actor: Actor, company: Company | None, action: str, obj: Any,
                  before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> dict:
    return {
        "company": company,
        "actor": actor.user,
        "actor_name": actor.name,
        "channel": actor.channel,
        "action": action,
        "object_type": obj._meta.model_name if hasattr(obj, "_meta") else type(obj).__name__,
        "object_id": str(getattr(obj, "pk", "") or ""),
        "object_repr": str(obj)[:200],
        "before": jsonable(before),
        "after": jsonable(after),
    }


ENTRY_COLUMNS = ("company_id", "at", "actor_id", "actor_name", "channel", "action", "object_type",
                 "object_id", "object_repr", "before", "after")


def entry_rows(
    actor: Actor, company: Company | None, action: str, at: object,
    changes: Iterable[tuple[Any, Mapping[str, Any] | None, Mapping[str, Any] | None]],
) -> Iterable[tuple[object, ...]]:
    """The rows `record_many` would write, in ENTRY_COLUMNS order, for raw many-row inserts.

    For imports that audit tens of thousands of changes: building as many model instances costs
    more than the insert. `at` is the timestamp as the database column takes it; before/after
    are JSON text, as the JSONField stores them.
    """
    company_id = company.pk if company is not None else None
    actor_id = actor.user.pk if actor.user is not None else None
    for obj, before, after in changes:
        fields = _entry_fields(actor, company, action, obj, before, after)
        yield (company_id, at, actor_id, fields["actor_name"], fields["channel"], action,
               fields["object_type"], fields["object_id"], fields["object_repr"],
               _json_text(fields["before"]), _json_text(fields["after"]))


def _json_text(values: dict[str, Any] | None) -> str | None:
    return None if values is None else json.dumps(values)
