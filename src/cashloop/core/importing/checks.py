"""Cross-row rules within one file: a key (invoice number, payment reference, customer code) seen
twice with different data is an error naming both lines; an identical repeat is harmless."""

from __future__ import annotations

from cashloop.core.importing.issues import RowProblem
from cashloop.core.problems import gettext_noop

KEY_FIELD = {"invoices": "number", "customers": "code", "payments": "reference"}


class DuplicateCheck:
    """Remembers, per key, its first line and 64 bits of its source hash packed in one int
    (about 40 bytes a key: a million invoice numbers stay well under the memory budget)."""

    def __init__(self, kind: str) -> None:
        self.field = KEY_FIELD[kind]
        self.seen: dict[str, int] = {}

    def check(self, key: str, line: int, source_hash: str,
              column: str = "") -> RowProblem | bool:
        """False for a first sighting, True for an identical repeat, a problem for a conflict."""
        digest64 = int(source_hash[:16], 16)
        first = self.seen.get(key)
        if first is None:
            self.seen[key] = (line << 64) | digest64
            return False
        if first & _MASK == digest64:
            return True
        first_line = first >> 64
        return RowProblem(
            line, column, self.field, key, "duplicate.conflict",
            gettext_noop("{field} {value} is also on line {first_line} with different data"),
            (("first_line", str(first_line)), ("lines", f"{first_line},{line}")))


_MASK = (1 << 64) - 1
