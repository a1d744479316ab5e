"""Job kinds: a name mapped to the plain function that does the work, and how its result shows.

The kinds are wired in `cashloop.config.jobs` (the one place that knows every app); functions
are named by dotted path and imported only when a job of that kind runs or shows, so commands
that run no jobs start without importing them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cashloop.core.problems import Invalid, gettext_noop


@dataclass(frozen=True)
class JobKind:
    name: str
    run: str  # "package.module:function", called with a JobRun, returns the result as JSON
    label: str  # English, translated where shown
    result_template: str | None = None  # the page fragment that shows a finished job's result
    result_context: str | None = None  # "module:function" (job) -> that fragment's context
    back_url: str | None = None  # URL name of the page the job came from
    # "module:function" (result JSON) -> the same JSON with its messages in the active language,
    # for the API; without it the result is shown as stored
    result_translated: str | None = None


_extra: dict[str, JobKind] = {}


def kinds() -> dict[str, JobKind]:
    from cashloop.config.jobs import KINDS

    return {**{k.name: k for k in KINDS}, **_extra}


def kind_for(name: str) -> JobKind:
    found = kinds().get(name)
    if found is None:
        raise Invalid(gettext_noop("unknown job kind {value}"), value=repr(name))
    return found


def register(kind: JobKind) -> None:
    """Add a kind beside the wired ones (tests, plugins)."""
    _extra[kind.name] = kind


def unregister(name: str) -> None:
    _extra.pop(name, None)


def load(dotted: str) -> Callable[..., Any]:
    module, _sep, attr = dotted.partition(":")
    return getattr(importlib.import_module(module), attr)
