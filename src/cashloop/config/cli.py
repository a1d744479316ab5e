"""The `cashloop` command: Django is set up once, then each app's commands are mounted here."""

from __future__ import annotations

import os

import django
import typer

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cashloop.config.settings")
django.setup()

from cashloop.config import admin_cli  # noqa: E402  (needs Django set up)
from cashloop.config.cli_mounts import mount_all  # noqa: E402

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
    app()
