"""Journey: with CASHLOOP_QUEUE_URL=redis://…, an import confirmed on the web page (a real
`cashloop serve`) is run by a real `cashloop worker` — another process sharing only the database
and the Redis — and the job page, `cashloop jobs` and the ledger all show its outcome."""

from __future__ import annotations

import contextlib
import os
import random
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import CASHLOOP, Cli

pytestmark = pytest.mark.e2e

FILES = Path(__file__).resolve().parents[1] / "files"
REDIS = "redis://127.0.0.1:6379"


def _empty_redis_db() -> int:
    """A Redis database number nobody uses now (another run's worker must not take our jobs)."""
    import redis

    try:
        redis.Redis.from_url(f"{REDIS}/0", socket_connect_timeout=1).ping()
    except (redis.RedisError, OSError):
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    candidates = list(range(8, 16))
    random.shuffle(candidates)
    for number in candidates:
        if redis.Redis.from_url(f"{REDIS}/{number}").dbsize() == 0:
            return number
    pytest.skip("no empty Redis database among 8-15")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Processes:
    """Long-running `cashloop` subprocesses, each in its own process group, all killed at the end
    (a Celery worker forks its pool: the whole group goes)."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs = env, logs
        self.running: list[tuple[subprocess.Popen, Path]] = []

    def start(self, name: str, *args: str) -> Path:
        log = self.logs / f"{name}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen([CASHLOOP, *args], env=self.env, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        self.running.append((proc, log))
        return log

    def check_alive(self) -> None:
        for proc, log in self.running:
            if proc.poll() is not None:
                raise AssertionError(f"{proc.args} exited {proc.returncode}:\n{log.read_text()}")

    def stop_all(self) -> None:
        for proc, _log in self.running:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc, _log in self.running:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of the group
            proc.wait(timeout=10)


@pytest.fixture
def queued_cli(cli: Cli) -> Iterator[tuple[Cli, Processes, str]]:
    number = _empty_redis_db()
    url = f"{REDIS}/{number}"
    cli.env["CASHLOOP_QUEUE_URL"] = url
    logs = Path(cli.env["CASHLOOP_DATA_DIR"]).parent
    processes = Processes(cli.env, logs)
    try:
        yield cli, processes, url
    finally:
        processes.stop_all()
        import redis

        redis.Redis.from_url(url).flushdb()  # our queue and progress keys only: this db was empty


def _wait_for_server(base: str, processes: Processes) -> None:
    import requests

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        processes.check_alive()
        try:
            if requests.get(f"{base}/login/", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.3)
    raise AssertionError("cashloop serve did not answer within 60 s")


def test_an_import_confirmed_on_the_web_page_is_run_by_a_worker_process(queued_cli):
    import requests

    cli, processes, _url = queued_cli
    cli.run("init")
    cli.run("user", "add", "fiona", "--role", "finance_manager", "--password", "fiona-pw-1")
    worker_log = processes.start("worker", "worker", "--concurrency", "1")
    port = _free_port()
    processes.start("serve", "serve", "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    _wait_for_server(base, processes)

    web = requests.Session()
    web.get(f"{base}/login/", timeout=10)
    csrf = web.cookies["csrftoken"]
    login = web.post(f"{base}/login/", data={"username": "fiona", "password": "fiona-pw-1",
                                             "csrfmiddlewaretoken": csrf},
                     headers={"Referer": f"{base}/login/"}, timeout=10)
    assert login.ok and "/login/" not in login.url
    headers = {"X-CSRFToken": web.cookies["csrftoken"], "HX-Request": "true",
               "Referer": f"{base}/import/", "Accept-Language": "en"}
    name = "invoices_gbk_chinese.csv"
    preview = web.post(f"{base}/import/preview/", data={"kind": "invoices"},
                       files={"file": (name, (FILES / name).read_bytes(), "text/csv")},
                       headers=headers, timeout=30)
    assert preview.ok, preview.text
    token = re.search(r'name="token" value="([0-9a-f]{32})"', preview.text).group(1)
    confirm = web.post(f"{base}/import/confirm/", data={"kind": "invoices", "token": token},
                       headers=headers, timeout=30)
    assert confirm.ok, confirm.text
    job_url = confirm.headers["HX-Redirect"]
    job_id = int(re.fullmatch(r"/jobs/(\d+)/", job_url).group(1))

    deadline = time.monotonic() + 90
    fragment = ""
    while time.monotonic() < deadline:  # as the page does: poll the status fragment
        processes.check_alive()
        fragment = web.get(f"{base}{job_url}status/", headers=headers, timeout=10).text
        if 'hx-trigger="every 1s"' not in fragment:
            break
        time.sleep(0.5)
    assert "Done." in fragment and "3 of 3 rows" in fragment, fragment

    shown = cli.json("jobs", "show", str(job_id))
    assert (shown["status"], shown["kind"], shown["created_by"]) == ("done", "import", "fiona")
    assert (shown["progress_done"], shown["progress_total"]) == (3, 3)
    assert shown["result"]["created"] == 3 and shown["error"] is None
    listed = cli.json("jobs", "--limit", "5")
    assert [j["id"] for j in listed] == [job_id] and listed[0]["status"] == "done"
    invoices = web.get(f"{base}/api/ledger/invoices", timeout=10).json()
    assert invoices["count"] == 3 == shown["result"]["created"]
    assert sorted(i["number"] for i in invoices["items"]) == ["FP-0001", "FP-0002", "FP-0003"]
    # The worker, not the web server, ran it.
    assert re.search(r"Task cashloop\.jobs\.run\[[^\]]+\] succeeded", worker_log.read_text())


def test_worker_refuses_to_start_without_a_redis_queue(cli: Cli):
    cli.env["CASHLOOP_QUEUE_URL"] = "thread://"
    done = cli.run("worker", check=False, timeout=60)
    assert done.returncode == 1 and "CASHLOOP_QUEUE_URL=redis://" in done.stderr
