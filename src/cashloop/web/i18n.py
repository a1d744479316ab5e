"""Display-time translation of the core's problems and refusals.

The core writes English message templates marked with `cashloop.core.problems.gettext_noop`
(collected by `makemessages`); adapters that show them to people (pages, API error JSON) call
`problem_text` to translate the template into the active language and fill in its parameters.
The CLI keeps `Problem.text()` / `RowProblem.text()`: English and unchanged.
"""

from __future__ import annotations

from typing import Any, Protocol

from django.utils.translation import gettext


class _ProblemLike(Protocol):
    message: str
    params: tuple[tuple[str, str], ...]

    def text(self) -> str: ...


def problem_text(problem: _ProblemLike) -> str:
    """The problem's message in the active language, its parameters filled in.

    Falls back to the English text when the translated template names a parameter the problem
    does not carry (a broken translation must never hide the problem).
    """
    values: dict[str, Any] = dict(problem.params)
    for name in ("value", "column", "field"):  # RowProblem's location, as in RowProblem.text()
        if name not in values and hasattr(problem, name):
            values[name] = getattr(problem, name) or ""
    try:
        return gettext(problem.message).format(**values)
    except (KeyError, IndexError, ValueError):
        return problem.text()


def problem_json(problem: Any) -> dict[str, Any]:
    """`problem.to_json()` with its `message` translated; keys and other values unchanged."""
    data = problem.to_json()
    data["message"] = problem_text(problem)
    return data


def refusal_text(exc: Any) -> str:
    """A refusal's message for people, in the active language.

    Refusals whose message is the text of their problems (`Invalid(problem.text(), (problem,))`,
    a missing exchange rate) show their problems translated; others translate their own template
    (`Refusal.template` over `Refusal.params`). A message without a catalog entry, or a broken
    translation, is shown in English as it is.
    """
    problems = tuple(getattr(exc, "problems", ()) or ())
    message = str(getattr(exc, "message", exc))
    if problems and message == "; ".join(p.text() for p in problems):
        return "; ".join(problem_text(p) for p in problems)
    template = getattr(exc, "template", None)
    if not template:
        return message
    params = dict(getattr(exc, "params", ()) or ())
    try:
        translated = gettext(template)
        return translated.format(**params) if params else translated
    except (KeyError, IndexError, ValueError):
        return message
