"""Problem: what is wrong with an input and where, as data rather than an exception.

Parsers and checks return problems; adapters translate `message` (a template over `params`) and
show `source` (file:line or a record's name) and `field`. `code` is stable for tests and
translation. Severity 'warning' marks quirks that are imported anyway (a due date before the issue
date); 'error' rejects the row.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

Severity = Literal["error", "warning"]


def gettext_noop(message: str) -> str:
    """Mark a message template for translation without translating it (the core has no Django).

    `makemessages` (xgettext --keyword=gettext_noop) collects the literal; adapters translate it at
    display time with `cashloop.web.i18n.problem_text`. Returns `message` unchanged.
    """
    return message


@dataclass(frozen=True, slots=True)
class Problem:
    source: str
    field: str | None
    code: str
    message: str
    params: tuple[tuple[str, str], ...] = ()
    severity: Severity = "error"

    def text(self) -> str:
        """The message with its parameters filled in (untranslated)."""
        return self.message.format(**dict(self.params))

    def at(self, source: str, field: str | None = None) -> Problem:
        """The same problem located at `source` (and `field`, when given)."""
        return replace(self, source=source, field=field if field is not None else self.field)

    def as_warning(self) -> Problem:
        return replace(self, severity="warning")

    def param(self, name: str) -> str | None:
        return dict(self.params).get(name)

    def to_json(self) -> dict[str, str | None]:
        return {
            "source": self.source,
            "field": self.field,
            "code": self.code,
            "severity": self.severity,
            "message": self.text(),
        }


class Refusal(Exception):
    """A use case refuses to go on (paying more than is open); carries a stable code.

    `message` is an English template over `params`, marked with `gettext_noop` like a problem's
    (`NotFound(gettext_noop("no invoice {number}"), number=n)`). `self.message` is the filled-in
    English text (the CLI, logs); `template` and `params` let adapters that show it to people
    translate it (`cashloop.web.i18n.refusal_text`). Without params the message is taken as is.
    """

    code = "refused"
    http_status = 409

    def __init__(self, message: str, problems: tuple[Problem, ...] = (), **params: object) -> None:
        self.template = message
        self.params: tuple[tuple[str, str], ...] = tuple((k, str(v)) for k, v in params.items())
        self.message = message.format(**dict(self.params)) if params else message
        super().__init__(self.message)
        self.problems = problems


class NotFound(Refusal):
    code = "not_found"
    http_status = 404


class Invalid(Refusal):
    code = "invalid"
    http_status = 422


class Forbidden(Refusal):
    code = "forbidden"
    http_status = 403
