"""Commands that set up and run an install: init, serve, user add, user token."""

from __future__ import annotations

import typer
from django.core.management import call_command
from django.db import connection

from cashloop.config.console import FORMAT_OPTION, OutputFormat, emit, fail, print_table
from cashloop.core.problems import Refusal

user_app = typer.Typer(help="Logins and API tokens.", no_args_is_help=True)


def migrate() -> None:
    """Create or migrate the database (creating a PostgreSQL database first when missing)."""
    _ensure_postgres_database()
    call_command("migrate", interactive=False, verbosity=0)


def _ensure_postgres_database() -> None:
    if connection.vendor != "postgresql":
        return
    import psycopg

    params = connection.get_connection_params()
    dbname = params.get("dbname") or connection.settings_dict["NAME"]
    try:
        psycopg.connect(**params).close()
        return
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            raise
    admin = {**params, "dbname": "postgres"}
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dbname}"')


def init(
    company: str = typer.Option(None, "--company", show_default=False,
                                help="code of the default company (created if missing; default: "
                                     "the current default company, else MAIN)"),
    company_name: str = typer.Option(None, "--company-name", help="its name"),
    base_currency: str = typer.Option("CNY", "--base-currency", help="ISO 4217 code"),
    fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    """Create or migrate the database and a default company."""
    from cashloop.ledger.models import Company
    from cashloop.ledger.services.companies import ensure_company

    migrate()
    if company is None:
        # Run again to migrate after an upgrade, init keeps the default company (the demo's, say)
        # instead of switching every command to a new empty one.
        current = Company.objects.filter(is_default=True).first()
        company = current.code if current else "MAIN"
    try:
        obj, created = ensure_company(company, company_name, base_currency, make_default=True)
    except Refusal as exc:
        fail(exc.message, fmt=fmt)
        return
    payload = {
        "company": obj.code, "name": obj.name, "base_currency": obj.base_currency,
        "created": created, "database": str(connection.settings_dict["NAME"]),
        "vendor": connection.vendor,
    }
    emit(fmt, payload, lambda: typer.echo(
        f"{'Created' if created else 'Ready'}: company {obj.code} ({obj.name}), "
        f"base currency {obj.base_currency}, database {payload['database']} ({connection.vendor})"
    ))


def serve(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    threads: int = typer.Option(8, "--threads"),
) -> None:
    """Serve the web app, the API and its docs (/api/docs) with waitress."""
    from waitress import serve as waitress_serve

    from cashloop.config.wsgi import application

    migrate()
    _recover_jobs()
    typer.echo(f"Cashloop on http://{host}:{port}/  (API docs: http://{host}:{port}/api/docs)")
    waitress_serve(application, host=host, port=port, threads=threads, ident="cashloop")


def _recover_jobs() -> None:
    """Before serving: jobs a previous server process left running are failed, and queued ones
    are run again (thread backend, whose queue was that process's memory)."""
    from django.db import DatabaseError

    from cashloop.jobs.services import recover_abandoned, resume_queued

    try:
        recover_abandoned()
        resume_queued()
    except DatabaseError as exc:  # never the reason the server does not start
        typer.echo(f"warning: jobs not recovered: {exc}", err=True)


@user_app.command("add")
def user_add(
    username: str,
    role: str = typer.Option(..., "--role", help="admin, finance_manager, collector, sales_rep, auditor"),
    password: str = typer.Option(None, "--password", help="generated and printed when omitted"),
    email: str = typer.Option("", "--email"),
    company: str = typer.Option(None, "--company"),
    sales_rep: str = typer.Option(None, "--sales-rep", help="sales rep name this login owns"),
    fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    """Create a login with a role (or change an existing login's role)."""
    from cashloop.accounts.services import add_user
    from cashloop.ledger.services.companies import company_by_code

    role = role.replace("-", "_").replace(" ", "_").lower()
    try:
        obj = company_by_code(company)
        user, new_password = add_user(username, role, obj, password, email, sales_rep)
    except Refusal as exc:
        fail(exc.message, fmt=fmt)
        return
    payload = {"username": user.get_username(), "role": role, "company": obj.code,
               "password": new_password}
    emit(fmt, payload, lambda: print_table(
        ["username", "role", "company", "password"],
        [[user.get_username(), role, obj.code, new_password or "(unchanged)"]],
    ))


@user_app.command("token")
def user_token(
    username: str,
    name: str = typer.Option("", "--name", help="what the token is for"),
    fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    """Create an API token for a user; it is shown once."""
    from cashloop.accounts.services import create_token

    try:
        token = create_token(username, name)
    except Refusal as exc:
        fail(exc.message, fmt=fmt)
        return
    emit(fmt, {"username": username, "token": token}, lambda: typer.echo(token))


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("serve")(serve)
    app.add_typer(user_app, name="user")
