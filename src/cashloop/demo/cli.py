"""`cashloop demo`: load the demo company as of a date and print its logins."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import typer

from cashloop.config.console import FORMAT_OPTION, OutputFormat, emit, fail, print_table
from cashloop.core.money import Money, format_grouped, format_minor
from cashloop.core.problems import Refusal


def demo(
    as_of: str = typer.Option(None, "--as-of", help="YYYY-MM-DD; the story ends here (default today)"),
    company: str = typer.Option(None, "--company", help="code of the demo company (default DEMO)"),
    replace: bool = typer.Option(
        False, "--replace", help="allow replacing a non-demo company's data with the demo"
    ),
    fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    """Create (or re-create) the demo company, make it the default, and print one login per role."""
    from cashloop.config.admin_cli import migrate
    from cashloop.config.clock import today
    from cashloop.demo.story import build_story
    from cashloop.demo.writer import write_story

    try:
        day = date.fromisoformat(as_of) if as_of else today()
    except ValueError:
        fail(f"cannot read date {as_of!r}: use YYYY-MM-DD", fmt=fmt)
        return
    started = time.perf_counter()
    migrate()
    story = build_story(day)
    try:
        written = write_story(story, company, replace_other=replace)
    except Refusal as exc:
        fail(exc.message, fmt=fmt)
        return
    from cashloop.reports.services import aging_report

    # The open total is the one the aging report and the dashboard show (converted per bucket).
    open_minor = aging_report(written.company, day).total_minor or 0
    payload = summary(story, written.company.code, written.counts, written.logins, open_minor)
    seconds = time.perf_counter() - started
    emit(fmt, payload, lambda: _print(payload, written.company.name, seconds))


def summary(story: Any, code: str, counts: dict[str, int], logins: Any,
            total: int) -> dict[str, Any]:
    """The command's JSON: counts, open amount in the base currency (as aging shows it), logins."""
    base = story.base_currency
    by_currency = story.open_minor_by_currency()
    rates = []
    for currency in sorted(by_currency):
        if currency == base:
            continue
        rate = story.latest_rate(currency, base)
        rates.append({"from": currency, "to": base, "rate": str(rate.rate),
                      "date": rate.rate_date.isoformat()})
    return {
        "company": code,
        "as_of": story.as_of.isoformat(),
        "customers": counts["customers"],
        "invoices": counts["invoices"],
        "payments": counts["payments"],
        "credit_notes": counts["credit_notes"],
        "disputes": counts["disputes"],
        "open_amount": {"amount": format_minor(total, base), "currency": base},
        "open_by_currency": [
            {"amount": format_minor(m, c), "currency": c} for c, m in sorted(by_currency.items())
        ],
        "rates": rates,
        "logins": [{"username": x.username, "role": x.role, "password": x.password} for x in logins],
    }


def _print(payload: dict[str, Any], name: str, seconds: float) -> None:
    typer.echo(f"Demo company {payload['company']} ({name}) as of {payload['as_of']} is now the "
               f"default company ({seconds:.1f} s).")
    typer.echo(f"{payload['customers']} customers, {payload['invoices']} invoices, "
               f"{payload['payments']} payments, {payload['credit_notes']} credit notes, "
               f"{payload['disputes']} disputes.")
    parts = [f"{format_grouped(int(Money.of(o['amount'], o['currency']).minor), o['currency'])} "
             f"{o['currency']}" for o in payload["open_by_currency"]]
    total = payload["open_amount"]
    typer.echo(f"Open: {' + '.join(parts)} = "
               f"{format_grouped(Money.of(total['amount'], total['currency']).minor, total['currency'])} "
               f"{total['currency']}"
               + "".join(f" (USD at {r['rate']} from {r['date']})" for r in payload["rates"]))
    typer.echo("")
    print_table(["username", "role", "password"],
                [[x["username"], x["role"], x["password"]] for x in payload["logins"]])


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
