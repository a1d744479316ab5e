"""`cashloop aging` and `cashloop metrics`: a table for people, JSON/CSV/XLSX for scripts.

Kept light at import: the services, openpyxl and the ORM are imported inside the commands.
"""

from __future__ import annotations

import sys
from datetime import date
from enum import Enum
from pathlib import Path

import typer

from cashloop.config.console import OutputFormat, fail, print_json, print_table


class AgingFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


AGING_FORMAT_OPTION = typer.Option(AgingFormat.table, "--format", help="table, json, csv or xlsx")
OUTPUT_OPTION = typer.Option(None, "--output", help="write the csv/xlsx/json to this file")
METRICS_FORMAT_OPTION = typer.Option(OutputFormat.table, "--format", help="table or json")


def _as_of(text: str | None, fmt: str) -> date:
    from cashloop.config.clock import today

    if not text:
        return today()
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        _fail(f"cannot read --as-of {text!r}: write it as YYYY-MM-DD", fmt, "invalid")
        raise  # unreachable: _fail exits


def _fail(message: str, fmt: str, code: str = "refused", problems: list | None = None) -> None:
    payload = {"code": code, "message": message, "problems": problems or []}
    fail(message, payload=payload,
         fmt=OutputFormat.json if fmt == "json" else OutputFormat.table)


def aging(
    as_of: str = typer.Option(None, "--as-of", help="YYYY-MM-DD (default: today)"),
    buckets: str = typer.Option("30,60,90", "--buckets", help="increasing day limits, e.g. 30,60,90"),
    by: str = typer.Option(None, "--by", help="customer, sales_rep, department or currency"),
    currency: str = typer.Option(None, "--currency", help="reporting currency (default: base currency)"),
    company: str = typer.Option(None, "--company", help="company code (default: the default company)"),
    fmt: AgingFormat = AGING_FORMAT_OPTION,
    output: Path = OUTPUT_OPTION,
) -> None:
    """Open receivables by days overdue (账龄) as of a date, optionally grouped (--by)."""
    from cashloop.core.problems import Refusal
    from cashloop.ledger.services.companies import company_by_code
    from cashloop.reports import services

    day = _as_of(as_of, fmt.value)
    try:
        obj = company_by_code(company)
        report = services.aging_report(obj, day, services.parse_buckets(buckets), by, currency)
    except Refusal as exc:
        _fail(exc.message, fmt.value, exc.code, [p.to_json() for p in exc.problems])
        return
    if fmt == AgingFormat.json:
        _write_text(_json_text(report.to_json()), output)
    elif fmt == AgingFormat.csv:
        from cashloop.reports.export import aging_csv

        _write_text(aging_csv(report), output)
    elif fmt == AgingFormat.xlsx:
        from cashloop.reports.export import aging_xlsx

        data = aging_xlsx(report)
        if output:
            output.write_bytes(data)
        else:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
    else:
        _aging_table(report)


def _json_text(payload: object) -> str:
    import json

    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def _write_text(text: str, output: Path | None) -> None:
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def _aging_table(report) -> None:  # type: ignore[no-untyped-def]
    from cashloop.core.money import format_grouped

    typer.echo(f"Aging as of {report.as_of.isoformat()}"
               + (f" in {report.currency}" if report.currency else ""))
    if report.missing_rate:
        typer.echo(f"(no total: {report.missing_rate})")
    labels = [b.label for b in report.buckets]
    if report.by:
        rows = [[r.key or "(none)", r.name or "", r.currency,
                 *(format_grouped(v, r.currency) for v in r.bucket_minor),
                 format_grouped(r.total_minor, r.currency)] for r in report.rows]
        if report.bucket_minor is not None:
            rows.append(["TOTAL", "", report.currency,
                         *(format_grouped(v, report.currency) for v in report.bucket_minor),
                         format_grouped(report.total_minor, report.currency)])
        header = [report.by, "name", "currency", *labels, "total"]
        if report.by == "currency":  # the key is the currency: one column says it
            header, rows = header[2:], [row[2:] for row in rows]
        print_table(header, rows)
        return
    if report.bucket_minor is None:
        return
    rows = [[label, format_grouped(v, report.currency), str(report.counts[i])]
            for i, (label, v) in enumerate(zip(labels, report.bucket_minor, strict=True))]
    rows.append(["total", format_grouped(report.total_minor, report.currency),
                 str(sum(report.counts))])
    print_table(["bucket", f"amount ({report.currency})", "invoices"], rows)


def metrics(
    as_of: str = typer.Option(None, "--as-of", help="YYYY-MM-DD (default: today)"),
    period_days: int = typer.Option(90, "--period-days", help="P: days of credit sales measured"),
    currency: str = typer.Option(None, "--currency", help="reporting currency (default: base currency)"),
    company: str = typer.Option(None, "--company", help="company code (default: the default company)"),
    fmt: OutputFormat = METRICS_FORMAT_OPTION,
) -> None:
    """Collection metrics: DSO (standard, countback), best possible DSO, ADD, CEI, turnover, overdue rates."""
    from cashloop.core.problems import Refusal
    from cashloop.ledger.services.companies import company_by_code
    from cashloop.reports import services

    day = _as_of(as_of, fmt.value)
    try:
        obj = company_by_code(company)
        result = services.collection_metrics(obj, day, period_days, currency)
    except Refusal as exc:
        _fail(exc.message, fmt.value, exc.code, [p.to_json() for p in exc.problems])
        return
    payload = result.to_json()
    if fmt == OutputFormat.json:
        print_json(payload)
        return
    units = payload["units"]
    typer.echo(f"Collection metrics as of {payload['as_of']}, period {result.period_days} days, "
               f"in {result.currency}")
    print_table(["metric", "value", "unit"],
                [[name, payload[name] if payload[name] is not None else "n/a", units[name]]
                 for name in result.RATIOS])
    typer.echo("")
    inputs = payload["inputs"]
    print_table(["input", "value"], [[k, str(v)] for k, v in inputs.items()])
    typer.echo("")
    print_table(["month", "as of", "AR", "credit sales", "dso_standard", "dso_countback"],
                [[p["month"], p["as_of"], p["ar"] or "n/a", p["credit_sales"] or "n/a",
                  p["dso_standard"] or "n/a", p["dso_countback"] or "n/a"]
                 for p in payload["dso_trend"]])


def register(app: typer.Typer) -> None:
    app.command("aging")(aging)
    app.command("metrics")(metrics)
