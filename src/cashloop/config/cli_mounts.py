"""Each app's Typer commands, mounted on the root command (the one place that knows all apps)."""

from __future__ import annotations

import importlib

import typer

# Apps that contribute commands: each has a `cli.register(app)`; missing modules are skipped
# while an app is still being built.
CLI_MODULES = (
    "cashloop.ledger.cli",
    "cashloop.imports.cli",
    "cashloop.reports.cli",
    "cashloop.demo.cli",
    "cashloop.jobs.cli",
    "cashloop.exports.cli",
)


def mount_all(app: typer.Typer) -> None:
    for name in CLI_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not name.startswith(exc.name):
                raise
            continue
        module.register(app)
