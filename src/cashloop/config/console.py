"""How CLI commands print: a table for people, JSON (amounts as strings) for scripts."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any

import typer


class OutputFormat(str, Enum):
    table = "table"
    json = "json"


FORMAT_OPTION = typer.Option(OutputFormat.table, "--format", help="table or json")


def print_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, default=str) + "\n")


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A plain aligned text table; numbers (already formatted as text) align right."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(headers))]
    numeric = [
        all(_looks_numeric(r[i]) for r in cells[1:] if r[i]) and len(cells) > 1
        for i in range(len(headers))
    ]
    for n, row in enumerate(cells):
        parts = [
            _pad(c, widths[i], right=numeric[i] and n > 0) for i, c in enumerate(row)
        ]
        typer.echo("  ".join(parts).rstrip())
        if n == 0:
            typer.echo("  ".join("-" * w for w in widths))


def emit(
    fmt: OutputFormat, payload: Any, table: Callable[[], None] | None = None
) -> None:
    if fmt == OutputFormat.json or table is None:
        print_json(payload)
    else:
        table()


def fail(message: str, code: int = 1, payload: dict[str, Any] | None = None,
         fmt: OutputFormat = OutputFormat.table) -> None:
    """Stop a command with a clear message (JSON on stdout when asked for) and a non-zero exit."""
    if fmt == OutputFormat.json:
        print_json(payload or {"error": message})
    else:
        typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _looks_numeric(text: str) -> bool:
    t = text.replace(",", "").replace(".", "", 1).replace("-", "", 1).replace("%", "")
    return t.isdigit()


def _width(text: str) -> int:
    # CJK characters take two columns in a terminal.
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    fill = " " * (width - _width(text))
    return fill + text if right else text + fill
