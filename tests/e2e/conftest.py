"""End-to-end fixtures: the CLI as a subprocess on its own database, and a real Chromium."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CASHLOOP = str(Path(sys.executable).with_name("cashloop"))


class Cli:
    """Runs `cashloop` as a user would, on a database of its own."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def run(self, *args: str, check: bool = True, timeout: int = 300) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [CASHLOOP, *args], env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if check and done.returncode != 0:
            raise AssertionError(
                f"cashloop {' '.join(args)} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
            )
        return done

    def json(self, *args: str, check: bool = True) -> Any:
        done = self.run(*args, "--format", "json", check=check)
        return json.loads(done.stdout)


def _database_url(tmp_path: Path) -> tuple[str, str | None]:
    """A fresh database of the same kind as the suite's: a SQLite file, or a new PostgreSQL db."""
    suite_url = os.environ.get("CASHLOOP_DATABASE_URL", "")
    if suite_url.startswith("postgres"):
        name = f"cashloop_e2e_{uuid.uuid4().hex[:10]}"
        base = suite_url.rsplit("/", 1)[0]
        return f"{base}/{name}", name
    return f"sqlite:///{tmp_path / 'cli.db'}", None


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[Cli]:
    url, pg_name = _database_url(tmp_path)
    env = {
        **os.environ,
        "CASHLOOP_DATABASE_URL": url,
        "CASHLOOP_DATA_DIR": str(tmp_path / "data"),
        "CASHLOOP_TODAY": "2026-11-25",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    yield Cli(env)
    if pg_name:
        import psycopg

        with psycopg.connect("dbname=postgres user=postgres host=127.0.0.1", autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


@pytest.fixture
def browser_page(live_server) -> Iterator[Any]:
    if not shutil.which(CHROMIUM):
        pytest.skip("Debian chromium is not installed (.ci/run installs it)")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop runs beside Django's ORM
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(locale="en-US", base_url=live_server.url)
        page = context.new_page()
        page.set_default_timeout(15000)
        yield page
        context.close()
        browser.close()
