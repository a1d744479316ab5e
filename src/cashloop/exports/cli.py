"""`cashloop export invoices|customers|payments [--company CODE] [--output FILE] [--format F]`.

CSV goes to FILE or to stdout; XLSX needs --output. Without --format, or with `--format json`,
the file's format follows its suffix (.xlsx is XLSX, anything else CSV). `--format json` prints
the summary `{"kind", "company", "rows": N, "file", "format", "warnings"}` when writing FILE, or
the rows themselves `{"kind", "company", "rows": [{field: value}], "warnings"}` without
--output. A bad kind, format or company is `error: …` (JSON with --format json) and exit 1,
never a traceback.
The CLI acts as the install's operator: it exports the whole company.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from cashloop.config.console import OutputFormat, fail, print_json

CHOICES = ("csv", "xlsx", "json")
_KIND = typer.Argument(..., metavar="KIND", help="invoices, customers or payments")
_COMPANY = typer.Option(None, "--company", help="company code (default: the default company)")
_OUTPUT = typer.Option(None, "--output", help="write to this file (default: stdout; xlsx needs it)")
_FORMAT = typer.Option(None, "--format", show_default=False,
                       help="csv, xlsx or json (a summary, or the rows); default: csv, or xlsx "
                            "for an --output ending in .xlsx")


def _fail(message: str, as_json: bool, code: str = "invalid") -> None:
    fail(message, payload={"code": code, "message": message, "problems": []},
         fmt=OutputFormat.json if as_json else OutputFormat.table)


def export(kind: str = _KIND, company: str = _COMPANY, output: Path = _OUTPUT,
           fmt: str | None = _FORMAT) -> None:
    """Export the ledger in the shape `cashloop import` reads: it re-imports with no --map."""
    from cashloop.audit.services import SYSTEM_CLI
    from cashloop.core.problems import Refusal
    from cashloop.exports import run
    from cashloop.ledger.services.companies import company_by_code

    if fmt is not None and fmt not in CHOICES:
        _fail(f"unknown format {fmt!r}; formats are {', '.join(CHOICES)}", False)
    as_json = fmt == "json"
    try:
        run.check_kind(kind)
        obj = company_by_code(company)
    except Refusal as exc:
        _fail(exc.message, as_json, exc.code)
        return
    if output is None and fmt == "xlsx":
        _fail("an XLSX export needs --output FILE (a workbook is not written to the terminal)",
              as_json)
    if output is not None:
        by_suffix = "xlsx" if output.suffix.lower() == ".xlsx" else "csv"
        file_format = by_suffix if fmt in (None, "json") else fmt
        try:
            result = run.write_file(kind, file_format, obj, SYSTEM_CLI.user, output)
        except OSError as exc:
            _fail(f"cannot write {output}: {exc.strerror or exc}", as_json, "file.unwritable")
            return
        if as_json:
            print_json(result.to_json())
        else:
            typer.echo(f"{kind}: {result.rows} rows written to {output} ({file_format})")
        _warn(result.warnings, as_json)
        return
    try:
        result = run.write(kind, fmt or "csv", obj, SYSTEM_CLI.user, sys.stdout.buffer)
        sys.stdout.buffer.flush()
    except BrokenPipeError:  # `| head`: the reader has gone; stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(1) from None
    _warn(result.warnings, as_json)


def _warn(warnings: list, as_json: bool) -> None:  # type: ignore[type-arg]
    """Warnings go to stderr for people (they are in the JSON already)."""
    if not as_json:
        for warning in warnings:
            typer.echo(f"warning: {warning.message}", err=True)


def register(app: typer.Typer) -> None:
    app.command("export")(export)
