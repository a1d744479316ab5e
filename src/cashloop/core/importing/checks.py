"""Cross-row rules within one file: a key (invoice number, payment reference, customer code) seen
twice with different data is an error naming both lines; an identical repeat is harmless."""

from __future__ import annotations

from cashloop.core.importing.issues import RowProblem

KEY_FIELD = {"invoices": "number", "customers": "code", "payments": "reference"}


class DuplicateCheck:
    """Remembers (line, source_hash) per key; memory is one small tuple per distinct key."""

    def __init__(self, kind: str) -> None:
        self.field = KEY_FIELD[kind]
        self.seen: dict[str, tuple[int, str]] = {}

    def check(self, key: str, line: int, source_hash: str,
              column: str = "") -> RowProblem | bool:
        """False for a first sighting, True for an identical repeat, a problem for a conflict."""
        first = self.seen.get(key)
        if first is None:
            self.seen[key] = (line, source_hash)
            return False
        if first[1] == source_hash:
            return True
        return RowProblem(
            line, column, self.field, key, "duplicate.conflict",
            "{field} {value} is also on line {first_line} with different data",
            (("first_line", str(first[0])), ("lines", f"{first[0]},{line}")))
