"""RowProblem: a problem in an import file located by line, column and value."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class RowProblem:
    line: int | None  # physical line in the file, header = 1; None for the whole file
    column: str
    field: str
    value: str
    code: str  # stable: "date.unreadable"
    message: str  # English template over params, translated by adapters
    params: tuple[tuple[str, str], ...] = ()
    severity: Severity = "error"

    def text(self) -> str:
        values = dict(self.params)
        values.setdefault("value", self.value)
        values.setdefault("column", self.column)
        values.setdefault("field", self.field)
        try:
            return self.message.format(**values)
        except (KeyError, IndexError, ValueError):
            return self.message

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def at_line(self, line: int | None) -> RowProblem:
        return replace(self, line=line)

    def to_json(self) -> dict[str, object]:
        return {
            "line": self.line, "column": self.column, "field": self.field, "value": self.value,
            "code": self.code, "message": self.text(), "severity": self.severity,
        }


def file_problem(code: str, message: str, severity: Severity = "error", **params: str) -> RowProblem:
    """A problem with the whole file (no line), such as an empty or undecodable file."""
    return RowProblem(None, "", "", params.get("value", ""), code, message,
                      tuple(params.items()), severity)
