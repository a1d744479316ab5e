"""The ledger's commands: `cashloop fx set|list|import` for dated exchange rates."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from cashloop.config.console import FORMAT_OPTION, OutputFormat, emit, fail, print_table
from cashloop.core.fx import parse_rate, rate_text
from cashloop.core.problems import Problem, Refusal

fx_app = typer.Typer(help="Dated exchange rates (汇率).", no_args_is_help=True)
_FILE_ARGUMENT = typer.Argument(
    ..., help="CSV with from_currency,to_currency,date,rate (or 币种,目标币种,日期,汇率)"
)


def _refuse(exc: Refusal, fmt: OutputFormat) -> None:
    """Stop with the refusal's message (and its problems), never a traceback."""
    if fmt != OutputFormat.json:
        for problem in exc.problems:
            if problem.text() != exc.message:
                typer.echo(f"  {_where(problem)}{problem.text()}", err=True)
    fail(exc.message, payload={"code": exc.code, "message": exc.message,
                               "problems": [p.to_json() for p in exc.problems]}, fmt=fmt)


def _where(problem: Problem) -> str:
    place = ", ".join(x for x in (problem.source, problem.field) if x)
    return f"{place}: " if place else ""


def _rate_json(obj) -> dict[str, str]:
    return {"from": obj.from_currency, "to": obj.to_currency, "date": obj.rate_date.isoformat(),
            "rate": rate_text(obj.rate)}


@fx_app.command("set")
def fx_set(
    from_currency: str = typer.Argument(..., metavar="FROM", help="ISO 4217 code, e.g. USD"),
    to_currency: str = typer.Argument(..., metavar="TO", help="ISO 4217 code, e.g. CNY"),
    rate: str = typer.Argument(..., metavar="RATE", help="units of TO per unit of FROM, e.g. 7.1234"),
    on: str = typer.Option(None, "--date", help="the day the rate applies from (default: today)"),
    source: str = typer.Option("", "--source", help="where the rate comes from, e.g. PBOC"),
    fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    """Set the rate of FROM in TO from a date on (replacing that date's rate)."""
    from cashloop.audit.services import SYSTEM_CLI
    from cashloop.config.clock import today
    from cashloop.core.problems import Invalid
    from cashloop.ledger.services.fx import store_rate

    try:
        rate_date = _date(on) if on else today()
        value = parse_rate(rate)
        if isinstance(value, Problem):
            raise Invalid(value.text(), (value,))
        obj, status = store_rate(from_currency, to_currency, value, rate_date, SYSTEM_CLI, source)
    except Refusal as exc:
        _refuse(exc, fmt)
        return
    payload = {**_rate_json(obj), "status": status}
    emit(fmt, payload, lambda: print_table(
        ["from", "to", "date", "rate", "status"],
        [[payload["from"], payload["to"], payload["date"], payload["rate"], status]],
    ))


@fx_app.command("list")
def fx_list(
    from_currency: str = typer.Option(None, "--from", help="only rates from this currency"),
    to_currency: str = typer.Option(None, "--to", help="only rates into this currency"),
    fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    """List stored rates, newest first within each pair."""
    from cashloop.ledger.queries.fx import rates

    items = [_rate_json(r) for r in rates(from_currency, to_currency)]
    emit(fmt, {"count": len(items), "items": items}, lambda: print_table(
        ["from", "to", "date", "rate"], [[i["from"], i["to"], i["date"], i["rate"]] for i in items],
    ))


@fx_app.command("import")
def fx_import(
    file: Path = _FILE_ARGUMENT,
    fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    """Import rates from a CSV file: all rows or, when any row is bad, none."""
    from cashloop.audit.services import SYSTEM_CLI
    from cashloop.ledger.services.fx import import_rates

    summary = import_rates(file, SYSTEM_CLI)
    payload = summary.to_json()
    if summary.problems:
        if fmt == OutputFormat.json:
            fail("", payload=payload, fmt=fmt)
        for problem in summary.problems:
            typer.echo(f"  {_where(problem)}{problem.text()}", err=True)
        fail(f"{file.name}: {len(summary.problems)} problem(s); nothing was saved")
    emit(fmt, payload, lambda: typer.echo(
        f"{file.name}: {summary.rows} rows — {summary.created} created, {summary.updated} updated, "
        f"{summary.unchanged} unchanged"
    ))


def _date(text: str) -> date:
    from cashloop.core.problems import Invalid

    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise Invalid(f"cannot read date {text!r}: write it as YYYY-MM-DD") from None


def register(app: typer.Typer) -> None:
    app.add_typer(fx_app, name="fx")
