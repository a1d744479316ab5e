"""`cashloop import invoices|customers|payments FILE [options]` and `cashloop import batches`."""

from __future__ import annotations

from pathlib import Path

import typer

from cashloop.config.console import FORMAT_OPTION, OutputFormat, emit, print_json, print_table

import_app = typer.Typer(
    help="Import invoices, customers or payments from CSV/XLSX files any ERP exports.",
    no_args_is_help=True,
)
TABLE_PROBLEMS = 50  # problems printed in table form; --format json gives them all
_FILE = typer.Argument(..., help="CSV or XLSX file")
_MAP = typer.Option(None, "--map", help="FIELD=COLUMN, repeatable")
_MAPPING = typer.Option(None, "--mapping", help="use a saved mapping")
_SAVE_MAPPING = typer.Option(None, "--save-mapping", help="save the mapping used under this name")
_CURRENCY = typer.Option(None, "--currency",
                         help="currency of rows without one (default: the base currency)")
_COMPANY = typer.Option(None, "--company", help="company code (default: the default company)")
_ENCODING = typer.Option(None, "--encoding", help="e.g. gbk, utf-8 (detected when omitted)")
_DATE_FORMAT = typer.Option(None, "--date-format",
                            help="e.g. %m/%d/%Y, %d.%m.%Y, mdy, dmy, iso, cn (detected when omitted)")
_SKIP_BAD = typer.Option(False, "--skip-bad",
                         help="save the good rows; write bad ones to <stem>.rejected.csv")


def _options_help(kind: str) -> str:
    from cashloop.core.importing.columns import FIELDS, REQUIRED

    return (f"Import {kind} from FILE (CSV in UTF-8/GBK/GB18030/Big5, or XLSX). Fields for --map: "
            f"{', '.join(FIELDS[kind])} (required: {', '.join(REQUIRED[kind])}).")


def _run(kind: str, file: Path, maps: list[str] | None, mapping: str | None,
         save_mapping: str | None, currency: str | None, company: str | None,
         encoding: str | None, date_format: str | None, skip_bad: bool,
         fmt: OutputFormat) -> None:
    from cashloop.audit.services import SYSTEM_CLI
    from cashloop.config.clock import today
    from cashloop.core.importing.columns import parse_map_options
    from cashloop.core.importing.issues import file_problem
    from cashloop.imports.services.run import ImportOptions, ImportResult, import_path

    columns, problems = parse_map_options(maps or [])
    if problems:
        result = ImportResult(file=str(file), kind=kind)
        for problem in problems:
            result.add(problem)
    else:
        options = ImportOptions(kind=kind, columns=columns, mapping=mapping,
                                save_mapping=save_mapping, currency=currency, company=company,
                                encoding=encoding, date_format=date_format, skip_bad=skip_bad)
        try:
            result = import_path(file, options, SYSTEM_CLI, today())
        except Exception as exc:  # a bug must still end in a message, never a traceback
            result = ImportResult(file=str(file), kind=kind)
            result.add(file_problem("import.failed", "the import failed: {value}",
                                    value=f"{type(exc).__name__}: {exc}"))
    emit(fmt, result.to_json(), lambda: _print_result(result))
    if not result.ok:
        raise typer.Exit(1)


def _print_result(result) -> None:  # type: ignore[no-untyped-def]
    typer.echo(f"{result.file}: {result.kind} → {result.status}"
               + (f" (company {result.company})" if result.company else ""))
    if result.mapping:
        typer.echo("mapping: " + ", ".join(f"{f}={c}" for f, c in result.mapping.items()))
    details = [f"encoding {result.encoding}" if result.encoding else "",
               f"date format {result.date_format}" if result.date_format else "",
               f"currency {result.currency}" if result.currency else ""]
    if any(details):
        typer.echo(", ".join(d for d in details if d))
    typer.echo(f"rows {result.rows}: created {result.created}, updated {result.updated}, "
               f"unchanged {result.unchanged}, rejected {result.rejected}, "
               f"warnings {result.warnings}  ({result.seconds:.1f} s)")
    if result.status == "unchanged":
        typer.echo("Nothing changed: every row is already in the ledger as it is in the file.")
    if result.status == "rejected" and result.rows:
        typer.echo("Nothing was saved: fix the rows below, or use --skip-bad to save the good ones.")
    if result.rejected_file:
        typer.echo(f"Rejected rows with their reasons: {result.rejected_file}")
    if result.problems:
        shown = result.problems[:TABLE_PROBLEMS]
        print_table(["line", "column", "value", "severity", "problem"],
                    [[p.line if p.line is not None else "", p.column, p.value[:40], p.severity,
                      p.text()] for p in shown])
        if result.problems_total > len(shown):
            typer.echo(f"… and {result.problems_total - len(shown)} more "
                       f"(--format json lists up to 10000; batch {result.batch} keeps them)")


def _command(kind: str):  # type: ignore[no-untyped-def]
    def command(
        file: Path = _FILE,
        maps: list[str] = _MAP,
        mapping: str = _MAPPING,
        save_mapping: str = _SAVE_MAPPING,
        currency: str = _CURRENCY,
        company: str = _COMPANY,
        encoding: str = _ENCODING,
        date_format: str = _DATE_FORMAT,
        skip_bad: bool = _SKIP_BAD,
        fmt: OutputFormat = FORMAT_OPTION,
    ) -> None:
        _run(kind, file, maps, mapping, save_mapping, currency, company, encoding, date_format,
             skip_bad, fmt)

    command.__doc__ = _options_help(kind)
    return command


for _kind in ("invoices", "customers", "payments"):
    import_app.command(_kind)(_command(_kind))


@import_app.command("batches")
def batches(
    limit: int = typer.Option(20, "--limit"),
    company: str = typer.Option(None, "--company"),
    fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    """List recent import batches."""
    from cashloop.imports.services.batches import batch_json, recent_batches
    from cashloop.ledger.services.companies import company_by_code

    items = [batch_json(b) for b in recent_batches(company_by_code(company), limit)]
    if fmt == OutputFormat.json:
        print_json(items)
        return
    print_table(["id", "kind", "file", "status", "rows", "created", "updated", "unchanged",
                 "rejected"],
                [[b["id"], b["kind"], b["file"], b["status"], b["rows"], b["created"],
                  b["updated"], b["unchanged"], b["rejected"]] for b in items])


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")
