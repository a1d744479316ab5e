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


# What ERP reports write on their totals lines (用友, 金蝶, SAP, Excel subtotals), compared
# without spaces, colons and case.
TOTALS_WORDS = frozenset({
    "合计", "总计", "小计", "累计", "总合计", "本页合计", "本页小计", "本期合计", "本月合计",
    "本年累计", "合計", "總計", "小計", "total", "totals", "grandtotal", "subtotal", "sum",
})


def totals_row(cells: list[str], key_index: int, customer_index: int | None, line: int,
               column: str) -> RowProblem | None:
    """A warning when the row is a report's totals line ("合计", "Total"), which is not a document
    and is skipped; None for any other row.

    A totals line holds a totals word as a whole cell and has no key (number, reference, code)
    and no customer other than that word — a real document always has both.
    """
    def cell(index: int | None) -> str:
        return cells[index].strip() if index is not None and index < len(cells) else ""

    word = next((c.strip() for c in cells if is_totals_word(c)), None)
    if word is None:
        return None
    if any(cell(i) and cell(i) != word for i in (key_index, customer_index)):
        return None
    return RowProblem(line, column, "", word, "row.totals",
                      gettext_noop("a totals row ({value}) is not a document; skipped"),
                      severity="warning")


def is_totals_word(text: str) -> bool:
    """Whether a cell says "合计", "小 计：", "Grand Total" and the like."""
    return "".join(text.split()).strip(":：").casefold() in TOTALS_WORDS
