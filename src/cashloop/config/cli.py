"""The `cashloop` command: Django is set up once, then each app's commands are mounted here."""

from __future__ import annotations

import os
import sys

import django
import typer

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cashloop.config.settings")
# Commands other than `serve` show no pages: they start ~0.1 s faster without the admin's
# autodiscovery and the API docs app (settings read this flag once, while Django sets up).
_lean = len(sys.argv) < 2 or sys.argv[1] != "serve"
if _lean:
    os.environ["CASHLOOP_LEAN_APPS"] = "1"
django.setup()
if _lean:
    os.environ.pop("CASHLOOP_LEAN_APPS", None)

from cashloop.config import admin_cli  # noqa: E402  (needs Django set up)
from cashloop.config.cli_mounts import mount_all  # noqa: E402
from cashloop.config.console import print_json  # noqa: E402

app = typer.Typer(
    name="cashloop",
    help="Cashloop: receivables, aging, DSO and collections for finance teams.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
admin_cli.register(app)
mount_all(app)


def main() -> None:
    from django.db import DatabaseError

    try:
        app()
    except DatabaseError as exc:  # a database not created, not migrated or not reachable
        _database_failed(exc)


def _database_failed(exc: Exception) -> None:
    """One message for every command, never a traceback: what the database said, and the fix."""
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    message = (f"the database cannot be used ({detail}); run `cashloop init` to create or migrate "
               f"it, and check CASHLOOP_DATABASE_URL")
    argv = sys.argv[1:]
    as_json = any(a == "--format=json" for a in argv) or any(
        a == "--format" and argv[i + 1:i + 2] == ["json"] for i, a in enumerate(argv))
    if as_json:
        print_json({"code": "database.unavailable", "message": message, "problems": []})
    else:
        typer.echo(f"error: {message}", err=True)
    sys.exit(1)
