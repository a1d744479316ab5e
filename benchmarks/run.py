"""Time Cashloop as a user runs it: whole CLI commands and pages over HTTP, on a fresh database.

    python benchmarks/run.py [--invoices 1000000] [--customers N] [--db sqlite|postgresql|both]
                             [--pg-url postgresql://postgres@127.0.0.1:5432/cashloop_bench]
                             [--data-dir /tmp/h_bench] [--repeat 7] [--reimport]

For each database: generate the export (benchmarks/generate.py), create an empty database
(`cashloop init`), import the customers and the invoices CSV with `--map`, set a USD→CNY rate,
run `cashloop aging` as of today and as of a past date, `cashloop metrics`, then start
`cashloop serve` on a free port, log in and fetch the customer list, the largest customer's page
and a few other pages (median of --repeat after one warm-up). Each command is a subprocess: its
wall time and its own peak memory (GNU time's maxrss, else wait4's) are recorded. A command or
page that does not exist yet is skipped with a note. Prints a table and writes benchmarks/out/results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
VENV_BIN = Path(sys.executable).parent
CASHLOOP = str(VENV_BIN / "cashloop")
TARGETS = {"import invoices": 60.0, "aging today": 1.0, "aging past": 1.0, "metrics": 1.0,
           "metrics past": 1.0}
PAGE_TARGET_MS = 300.0
MEMORY_TARGET_MIB = 2048.0
INVOICE_MAP = ("number=DocNo", "customer=CustomerID", "issue_date=DocDate", "due_date=NetDueDate",
               "amount=AmountDocCurr", "currency=Currency", "settled_date=ClearingDate",
               "paid_amount=ClearedAmount", "disputed=Disputed")
CUSTOMER_MAP = ("code=CustomerID", "name=Name", "industry=Industry", "country=Country",
                "currency=Currency", "sales_rep=SalesRep", "department=Department",
                "credit_limit=CreditLimit", "tier=Tier", "payment_terms=PaymentTerms", "email=Email",
                "phone=Phone")
BENCH_USER, BENCH_PASSWORD = "bench.admin", "bench-password-1"


@dataclass
class Step:
    name: str
    seconds: float | None = None
    max_rss_mib: float | None = None
    ok: bool = False
    note: str = ""
    target: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


TIME = Path("/usr/bin/time")  # GNU time: the child's own peak memory, whatever our own size


def launch(args: list[str], env: dict[str, str], report: Path, **kwargs: Any) -> subprocess.Popen:  # type: ignore[type-arg]
    """Start `args`, through GNU time when present (it writes the child's peak KiB to `report`).

    A child's ru_maxrss also counts the RSS of the process that forked it (Linux keeps the old
    high-water mark across exec), so measuring from this script would floor every figure at this
    script's own size; the small `time` process avoids that.
    """
    if TIME.exists():
        args = [str(TIME), "-f", "%M", "-o", str(report), *args]
    return subprocess.Popen(args, env=env, cwd=ROOT, text=True, **kwargs)


def peak_mib(report: Path, fallback_kib: float) -> float:
    try:
        return int(report.read_text().strip().splitlines()[-1]) / 1024
    except (OSError, ValueError, IndexError):
        return fallback_kib / 1024


def run_command(args: list[str], env: dict[str, str], timeout: float = 3600) -> tuple[int, str, str,
                                                                                       float, float]:
    """Run one command; its exit code, stdout, stderr, wall seconds and its own peak RSS in MiB."""
    with tempfile.TemporaryDirectory() as tmp:
        out_path, err_path, report = Path(tmp, "out"), Path(tmp, "err"), Path(tmp, "rss")
        with out_path.open("w") as out, err_path.open("w") as err:
            started = time.perf_counter()
            proc = launch(args, env, report, stdout=out, stderr=err)
            code, kib = reap(proc, timeout)
            seconds = time.perf_counter() - started
        return code, out_path.read_text(), err_path.read_text(), seconds, peak_mib(report, kib)


def reap(proc: subprocess.Popen, timeout: float = 3600) -> tuple[int, float]:  # type: ignore[type-arg]
    """Wait for `proc` (killing it after `timeout`); its exit code and ru_maxrss in KiB."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, usage.ru_maxrss
        if time.monotonic() > deadline:
            proc.kill()
        time.sleep(0.02)


def stop(proc: subprocess.Popen) -> None:  # type: ignore[type-arg]
    """SIGTERM the server itself (the child of `time`, when wrapped), so `time` can report."""
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    pids = children.read_text().split() if TIME.exists() and children.exists() else []
    for pid in pids or [str(proc.pid)]:
        os.kill(int(pid), signal.SIGTERM)


def available_commands(env: dict[str, str]) -> set[str]:
    code, out, _err, _s, _r = run_command([CASHLOOP, "--help"], env)
    found = set(re.findall(r"│\s+([a-z][a-z-]*)\s{2,}", out)) if code == 0 else set()
    for sub in ("import",):
        if sub in found:
            c, o, _e, _s, _r = run_command([CASHLOOP, sub, "--help"], env)
            found |= {f"{sub} {x}" for x in re.findall(r"│\s+([a-z][a-z-]*)\s{2,}", o)} if c == 0 else set()
    return found


def timed(steps: list[Step], name: str, args: list[str], env: dict[str, str], needs: str,
          commands: set[str], target: str = "") -> Step:
    step = Step(name, target=target)
    steps.append(step)
    if needs not in commands:
        step.note = f"skipped: `cashloop {needs}` is not available yet"
        print(f"  {name}: {step.note}", flush=True)
        return step
    print(f"  {name}: {' '.join(args[1:])[:140]} …", flush=True)
    code, out, err, seconds, rss = run_command(args, env)
    step.seconds, step.max_rss_mib, step.ok = seconds, rss, code == 0
    if code != 0:
        step.note = f"exit {code}: {(err or out).strip()[-400:]}"
    else:
        step.detail = _summary(out)
    print(f"    {seconds:.2f} s, {rss:.0f} MiB{'' if step.ok else '  FAILED ' + step.note}", flush=True)
    return step


def _summary(out: str) -> dict[str, Any]:
    """A few figures from a command's JSON, to compare the databases' answers."""
    try:
        payload = json.loads(out)
    except ValueError:
        return {}
    if not isinstance(payload, dict):
        return {}
    keys = ("total", "as_of", "dso_standard", "dso_countback", "cei", "created", "updated",
            "unchanged", "rows", "saved", "invoices", "payments", "allocations", "customers")
    picked = {k: payload[k] for k in keys if k in payload and not isinstance(payload[k], list | dict)}
    if isinstance(payload.get("counts"), dict):
        picked["counts"] = payload["counts"]
    return picked


def fresh_database(db: str, pg_url: str, data_dir: Path) -> str:
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    if db == "sqlite":
        return f"sqlite:///{data_dir / 'bench.db'}"
    from urllib.parse import urlparse

    import psycopg

    parsed = urlparse(pg_url)
    name = parsed.path.lstrip("/")
    admin = dict(host=parsed.hostname, port=parsed.port or 5432, user=parsed.username or "postgres",
                 password=parsed.password or None, dbname="postgres", autocommit=True)
    with psycopg.connect(**admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return pg_url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure_pages(steps: list[Step], env: dict[str, str], commands: set[str], repeat: int,
                  customer: str, past: date) -> None:
    import requests

    if "serve" not in commands:
        steps.append(Step("pages", note="skipped: `cashloop serve` is not available"))
        return
    code, _o, err, _s, _r = run_command([CASHLOOP, "user", "add", BENCH_USER, "--role", "admin",
                                         "--password", BENCH_PASSWORD], env)
    if code != 0 and "exist" not in err + _o:  # --pages-only: the login is already there
        steps.append(Step("pages", note=f"skipped: cannot add a login: {err.strip()[-200:]}"))
        return
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (Path(env["CASHLOOP_DATA_DIR"]) / "serve.log").open("w")
    report = Path(env["CASHLOOP_DATA_DIR"]) / "serve.rss"
    server = launch([CASHLOOP, "serve", "--port", str(port)], env, report, stdout=log,
                    stderr=subprocess.STDOUT)
    try:
        session = requests.Session()
        session.headers["Accept-Language"] = "en"
        for _ in range(600):
            try:
                session.get(f"{base}/login/", timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        login = session.get(f"{base}/login/", timeout=30)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text)
        session.post(f"{base}/login/", timeout=30, headers={"Referer": f"{base}/login/"}, data={
            "username": BENCH_USER, "password": BENCH_PASSWORD,
            "csrfmiddlewaretoken": token.group(1) if token else "",
        })
        pages = (("page: customer list", "/customers/"),
                 ("page: customer (largest)", f"/customers/{customer}/"),
                 ("page: customer list, search", "/customers/?q=CUST00012"),
                 ("page: customer list by balance", "/customers/?sort=-open_balance"),
                 ("page: dashboard", "/"),
                 ("page: invoice list", "/invoices/"),
                 ("page: aging report", "/reports/aging/"),
                 ("page: aging by customer", "/reports/aging/?by=customer"),
                 ("page: aging, 180 days back", f"/reports/aging/?as_of={past.isoformat()}"),
                 ("page: metrics report", "/reports/metrics/"))
        for name, path in pages:
            step = Step(name, target=f"≤ {PAGE_TARGET_MS:.0f} ms")
            steps.append(step)
            first = session.get(base + path, timeout=600)
            if first.status_code != 200 or "/login/" in first.url:
                step.note = f"skipped: GET {path} gave {first.status_code} ({first.url})"
                print(f"  {name}: {step.note}", flush=True)
                continue
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                response = session.get(base + path, timeout=600)
                times.append(time.perf_counter() - t0)
                step.ok = response.status_code == 200
            step.seconds = statistics.median(times)
            step.detail = {"first_s": round(first.elapsed.total_seconds(), 3),
                           "min_s": round(min(times), 3), "max_s": round(max(times), 3),
                           "bytes": len(first.content)}
            print(f"  {name}: median {step.seconds * 1000:.0f} ms "
                  f"(first {step.detail['first_s'] * 1000:.0f} ms)", flush=True)
    finally:
        stop(server)
        _code, kib = reap(server, timeout=30)
        log.close()
        rss = peak_mib(report, kib)
        steps.append(Step("serve (whole session)", max_rss_mib=rss, ok=True,
                          note="peak memory of the web server over all page requests"))


def bench_database(db: str, args: argparse.Namespace, invoices_csv: Path, customers_csv: Path,
                   as_of: date) -> list[Step]:
    data_dir = Path(args.data_dir) / db
    if args.pages_only:
        url = f"sqlite:///{data_dir / 'bench.db'}" if db == "sqlite" else args.pg_url
    else:
        url = fresh_database(db, args.pg_url, data_dir)
    env = {**os.environ, "CASHLOOP_DATA_DIR": str(data_dir), "CASHLOOP_DATABASE_URL": url,
           "CASHLOOP_TODAY": as_of.isoformat()}
    if args.uncached:  # every page computes its reports (reports.cache stores nothing)
        env["CASHLOOP_CACHE_URL"] = "dummy://"
    print(f"\n== {db}: {url}", flush=True)
    commands = available_commands(env)
    steps: list[Step] = []
    if args.pages_only:
        measure_pages(steps, env, commands, args.repeat, "CUST000001", as_of - timedelta(days=180))
        return steps
    timed(steps, "startup (cashloop --help)", [CASHLOOP, "--help"], env, "init", commands)
    timed(steps, "init", [CASHLOOP, "init", "--company", "BENCH", "--format", "json"], env, "init",
          commands)
    timed(steps, "import customers", [CASHLOOP, "import", "customers", str(customers_csv),
                                      *_maps(CUSTOMER_MAP), "--format", "json"],
          env, "import customers", commands)
    timed(steps, "import invoices", [CASHLOOP, "import", "invoices", str(invoices_csv),
                                     *_maps(INVOICE_MAP), "--currency", "CNY", "--format", "json"],
          env, "import invoices", commands, target="≤ 60 s")
    start = as_of - timedelta(days=800)
    run_command([CASHLOOP, "fx", "set", "USD", "CNY", "7.1500", "--date", start.isoformat()], env)
    past = as_of - timedelta(days=180)
    timed(steps, "aging today", [CASHLOOP, "aging", "--format", "json"], env, "aging", commands,
          target="≤ 1 s")
    timed(steps, "aging past", [CASHLOOP, "aging", "--as-of", past.isoformat(), "--format", "json"],
          env, "aging", commands, target="≤ 1 s")
    timed(steps, "aging by customer", [CASHLOOP, "aging", "--by", "customer", "--format", "json"],
          env, "aging", commands)
    timed(steps, "metrics", [CASHLOOP, "metrics", "--format", "json"], env, "metrics", commands,
          target="≤ 1 s")
    timed(steps, "metrics past", [CASHLOOP, "metrics", "--as-of", past.isoformat(), "--format", "json"],
          env, "metrics", commands, target="≤ 1 s")
    timed(steps, "export invoices", [CASHLOOP, "export", "invoices", "--output",
                                     str(Path(env["CASHLOOP_DATA_DIR"]) / "export.csv"),
                                     "--format", "json"], env, "export", commands)
    if args.reimport:
        timed(steps, "import invoices again (no change)",
              [CASHLOOP, "import", "invoices", str(invoices_csv), *_maps(INVOICE_MAP),
               "--currency", "CNY", "--format", "json"], env, "import invoices", commands)
    measure_pages(steps, env, commands, args.repeat, "CUST000001", as_of - timedelta(days=180))
    return steps


def _maps(pairs: tuple[str, ...]) -> list[str]:
    return [x for pair in pairs for x in ("--map", pair)]


def machine() -> dict[str, str]:
    def sh(cmd: str) -> str:
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    cpu = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text()) \
        if Path("/proc/cpuinfo").exists() else None
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "nproc": sh("nproc"), "memory": sh("free -h | awk '/Mem:/ {print $2}'"),
        "cpu": cpu.group(1) if cpu else platform.processor(), "python": platform.python_version(),
        "sqlite": sh(f"{sys.executable} -c 'import sqlite3; print(sqlite3.sqlite_version)'"),
        "postgresql": sh("psql -h 127.0.0.1 -U postgres -Atc 'show server_version' 2>/dev/null"),
        "load": sh("cat /proc/loadavg"),
    }


def verdict(step: Step) -> str:
    if step.note.startswith("skipped"):
        return "skipped"
    if not step.ok:
        return "FAILED"
    limit = TARGETS.get(step.name) or (PAGE_TARGET_MS / 1000 if step.name.startswith("page:") else None)
    over_memory = step.max_rss_mib is not None and step.max_rss_mib == step.max_rss_mib \
        and step.max_rss_mib > MEMORY_TARGET_MIB
    if limit is not None and step.seconds is not None and step.seconds > limit:
        return f"MISSED x{step.seconds / limit:.1f}" + (" +mem" if over_memory else "")
    if over_memory:
        return "MISSED memory"
    return "ok" if limit is not None else "-"


def print_table(results: dict[str, list[Step]]) -> None:
    print(f"\n{'database':<11}{'step':<36}{'time':>11}{'peak MiB':>10}  {'target':<10}result")
    for db, steps in results.items():
        for s in steps:
            shown = "" if s.seconds is None else (
                f"{s.seconds * 1000:.0f} ms" if s.name.startswith("page:") else f"{s.seconds:.2f} s")
            rss = "" if s.max_rss_mib is None or s.max_rss_mib != s.max_rss_mib else f"{s.max_rss_mib:.0f}"
            print(f"{db:<11}{s.name:<36}{shown:>11}{rss:>10}  {s.target:<10}{verdict(s)}"
                  + (f"  ({s.note[:90]})" if s.note and not s.ok else ""))


def compare_answers(results: dict[str, list[Step]]) -> list[str]:
    """Steps whose JSON figures differ between the databases (they must give the same answers)."""
    if len(results) < 2:
        return []
    first, *others = results.values()
    differ = []
    for step in first:
        for steps in others:
            twin = next((s for s in steps if s.name == step.name), None)
            if twin and step.ok and twin.ok and step.name.startswith(("aging", "metrics")) \
                    and step.detail != twin.detail:
                differ.append(f"{step.name}: {step.detail} vs {twin.detail}")
    return differ


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=None, help="default: invoices / 10")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/cashloop_bench")
    parser.add_argument("--data-dir", default="/tmp/h_bench")
    parser.add_argument("--repeat", type=int, default=7, help="requests per page (median)")
    parser.add_argument("--reimport", action="store_true", help="also time importing the file again")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--pages-only", action="store_true",
                        help="only the pages, on the databases a previous run left in --data-dir")
    parser.add_argument("--uncached", action="store_true",
                        help="serve with CASHLOOP_CACHE_URL=dummy:// (every page computes afresh)")
    parser.add_argument("--results", type=Path, default=OUT / "results.json")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    as_of = datetime.now(UTC).astimezone().date()
    customers = args.customers or max(1, args.invoices // 10)
    invoices_csv = OUT / f"invoices_{args.invoices}.csv"
    customers_csv = OUT / f"customers_{customers}.csv"
    print(f"generating {args.invoices:,} invoices, {customers:,} customers …", flush=True)
    code, _out, err, gen_seconds, gen_rss = (0, "", "", 0.0, 0.0) if args.pages_only else run_command(
        [sys.executable, str(HERE / "generate.py"), "--invoices", str(args.invoices), "--customers",
         str(customers), "--out", str(invoices_csv), "--customers-out", str(customers_csv),
         "--seed", str(args.seed), "--as-of", as_of.isoformat()], dict(os.environ))
    print(err.strip(), flush=True)
    if code != 0:
        return code
    dbs = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    results = {db: bench_database(db, args, invoices_csv, customers_csv, as_of) for db in dbs}
    print_table(results)
    differ = compare_answers(results)
    print("\nSame aging and metrics figures on every database: " + ("yes" if not differ else "NO"))
    for line in differ:
        print(f"  {line}")
    report = {
        "machine": machine(), "as_of": as_of.isoformat(), "invoices": args.invoices,
        "customers": customers, "csv_mib": round(invoices_csv.stat().st_size / 2**20, 1),
        "generate": {"seconds": round(gen_seconds, 2), "max_rss_mib": round(gen_rss, 1)},
        "answers_differ": differ,
        "results": {db: [{**asdict(s), "verdict": verdict(s)} for s in steps]
                    for db, steps in results.items()},
    }
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n")
    print(f"\nwrote {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
