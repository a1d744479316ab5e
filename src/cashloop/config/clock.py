"""Today's date for the company, computed once in adapters and passed to the core as `as_of`."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.utils import timezone


def today() -> date:
    fixed = getattr(settings, "CASHLOOP_TODAY", "")
    if fixed:
        return date.fromisoformat(fixed)
    return timezone.localdate()
