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


class Journey:
    """A browser page that logs in as a user would and records what a user would not want to see:
    console errors, failed requests and error responses (except those a test says it expects)."""

    def __init__(self, page: Any, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.problems: list[str] = []
        self._expected: set[str] = set()
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        page.on("requestfailed", lambda req: self.problems.append(
            f"request failed: {req.method} {req.url} ({req.failure})"))
        page.on("response", self._on_response)
        page.on("request", self._on_request)

    def expect_error_status(self, path: str) -> None:
        """`path` answering 4xx is part of the journey (a refusal the test checks)."""
        self._expected.add(self.base_url + path)

    def _expected_url(self, url: str) -> bool:
        return url.split("?", 1)[0] in self._expected

    def _on_console(self, msg: Any) -> None:
        if msg.type != "error":
            return
        if self._expected_url(msg.location.get("url", "")) or self._expected_url(self.page.url):
            # Chromium logs a refused page's status as a console error, and Django's plain error
            # pages have no icon link, so the browser's /favicon.ico request 404s there too.
            return
        self.problems.append(f"console error on {self.page.url}: {msg.text}")

    def _on_request(self, request: Any) -> None:
        if not request.url.startswith((self.base_url, "data:", "blob:", "about:")):
            self.problems.append(f"request off this server (the app must work offline): {request.url}")

    def _on_response(self, response: Any) -> None:
        if response.status >= 400 and not self._expected_url(response.url):
            self.problems.append(f"HTTP {response.status}: {response.request.method} {response.url}")

    def login(self, username: str, password: str) -> None:
        from django.urls import reverse

        self.page.goto(reverse("login"))
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", password)
        with self.page.expect_navigation():
            self.page.click("main button[type=submit]")
        assert not self.page.url.rstrip("/").endswith(reverse("login").rstrip("/")), (
            f"login as {username} failed")

    def logout(self) -> None:
        from django.urls import reverse

        with self.page.expect_navigation():
            self.page.click(f"form[action='{reverse('logout')}'] button[type=submit]")

    def goto(self, path: str) -> Any:
        return self.page.goto(path)


@pytest.fixture
def journey(browser_page, live_server) -> Iterator[Journey]:
    """`browser_page` watched for console errors and failed requests; the test fails on any."""
    watched = Journey(browser_page, live_server.url)
    yield watched
    assert not watched.problems, "\n".join(watched.problems)


@pytest.fixture
def fixed_today(settings) -> str:
    """Pages compute 'today' from CASHLOOP_TODAY; fix it so journeys read the same every day."""
    settings.CASHLOOP_TODAY = "2026-11-25"
    return settings.CASHLOOP_TODAY


@pytest.fixture
def small_ledger(company, fixed_today) -> dict[str, Any]:
    """Two sales reps' customers with one open invoice each, and a login per role (password
    `<username>-pw-1`), built through the services as the pages would."""
    from datetime import date

    from cashloop.accounts.services import add_user
    from cashloop.audit.services import SYSTEM_CLI
    from cashloop.ledger.services.customers import create_customer
    from cashloop.ledger.services.invoices import create_invoice

    logins = {"fiona": "finance_manager", "colin": "collector", "sam": "sales_rep",
              "rita": "sales_rep", "aude": "auditor"}
    for username, role in logins.items():
        add_user(username, role, company, password=f"{username}-pw-1",
                 sales_rep_name=username.title() if role == "sales_rep" else None)
    owners = {"C-SAM-1": "Sam", "C-SAM-2": "Sam", "C-RITA-1": "Rita", "C-HOUSE": ""}
    for code, rep in owners.items():
        create_customer(SYSTEM_CLI, company, {"code": code, "name": f"Customer {code}",
                                              "sales_rep": rep})
    invoices = {"INV-S1": "C-SAM-1", "INV-S2": "C-SAM-2", "INV-R1": "C-RITA-1", "INV-H1": "C-HOUSE"}
    for number, code in invoices.items():
        create_invoice(SYSTEM_CLI, company, number=number, customer_code=code,
                       issue_date=date(2026, 10, 1), due_date=date(2026, 10, 31),
                       amount_minor=100_000, currency="CNY")
    return {"company": company, "logins": logins, "owners": owners, "invoices": invoices}
