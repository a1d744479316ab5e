"""Time `cashloop import payments` as a user runs it: N payments against a generated invoice import.

    python benchmarks/payments.py [--payments 50000] [--invoices 300000] [--db sqlite|postgresql|both]
                                  [--pg-url postgresql://postgres@127.0.0.1:5432/cashloop_pay_bench]
                                  [--data-dir /tmp/pay_bench] [--src DIR] [--results PATH]

For each database: a fresh database (`cashloop init --company BENCH`), the invoices of
benchmarks/generate.py imported (not timed against a target), then three timed whole commands,
each a subprocess of the installed `cashloop` (so Python and Django start-up are included):

- first import: N payments created, most naming an open or partly paid invoice of the export
  (one payment clearing it, two splitting it, some paying more than is open, a few on account);
- the same file again: every row unchanged;
- the file with 1 % of the rows changed (amount): those payments updated, re-allocated, audited.

After each step the ledger's invariants are checked with SQL (every invoice's paid amount equals
the sum of its allocations and never exceeds its amount), and the two databases must end with the
same totals. `--src DIR` runs the code of another checkout (PYTHONPATH), to measure "before".
Writes benchmarks/out/payments.json. Amounts are integer minor units written as text, never floats.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import fresh_database  # the benchmark folder's own module

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
CASHLOOP = str(Path(sys.executable).parent / "cashloop")
TIME = Path("/usr/bin/time")  # GNU time: the child's own peak memory
AS_OF = date(2026, 11, 30)  # fixed, so files and figures are the same on every run
INVOICE_MAP = ("number=DocNo", "customer=CustomerID", "issue_date=DocDate", "due_date=NetDueDate",
               "amount=AmountDocCurr", "currency=Currency", "settled_date=ClearingDate",
               "paid_amount=ClearedAmount", "disputed=Disputed")
# Chinese headers, as a 用友/金蝶 receipt export has them: matched without --map.
PAYMENT_HEADER = ("收款单号", "客户编码", "收款日期", "收款金额", "币种", "发票号码")
TARGET_SECONDS = 10.0


def minor_of(text: str) -> int:
    """'1234.56' → 123456, exactly (the generator writes two decimals)."""
    units, _, cents = text.partition(".")
    return int(units) * 100 + int((cents + "00")[:2]) if text else 0


def money_text(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


def write_payments(invoices_csv: Path, out: Path, count: int, seed: int) -> dict[str, int]:
    """Payments for the export's open and partly paid invoices, in file order; returns the mix."""
    rng = random.Random(seed)
    mix = {"clearing": 0, "split": 0, "overpaying": 0, "on_account": 0}
    written = 0
    with invoices_csv.open(newline="", encoding="utf-8") as fh, \
            out.open("w", newline="", encoding="utf-8") as dst:
        rows = csv.DictReader(fh)
        writer = csv.writer(dst)
        writer.writerow(PAYMENT_HEADER)
        for row in rows:
            if written >= count:
                break
            amount, cleared = minor_of(row["AmountDocCurr"]), minor_of(row["ClearedAmount"])
            open_minor = amount - cleared
            if open_minor <= 0:
                continue
            after = date.fromisoformat(row["ClearingDate"] or row["DocDate"])
            day = min(AS_OF, after + timedelta(days=1 + rng.randrange(60)))
            customer, number, currency = row["CustomerID"], row["DocNo"], row["Currency"]
            pick = rng.random()
            if pick < 0.05:  # on account: no invoice named
                parts, mix["on_account"] = [(open_minor, "")], mix["on_account"] + 1
            elif pick < 0.15:  # more than is open: only the open amount is allocated
                parts, mix["overpaying"] = [(open_minor + 1 + rng.randrange(50_000), number)], \
                    mix["overpaying"] + 1
            elif pick < 0.40 and open_minor >= 2:  # two part payments
                first = open_minor * (20 + rng.randrange(60)) // 100 or 1
                parts, mix["split"] = [(first, number), (open_minor - first, number)], \
                    mix["split"] + 2
            else:
                parts, mix["clearing"] = [(open_minor, number)], mix["clearing"] + 1
            for minor, invoice in parts:
                written += 1
                writer.writerow((f"RC{written:08d}", customer, day.isoformat(), money_text(minor),
                                 currency, invoice))
                day = min(AS_OF, day + timedelta(days=7))
    mix["payments"] = written
    return mix


def changed_copy(src: Path, dst: Path, every: int = 100) -> int:
    """The same payments with the amount of every `every`-th row one yuan lower."""
    changed = 0
    with src.open(newline="", encoding="utf-8") as fh, dst.open("w", newline="",
                                                                encoding="utf-8") as out:
        writer = csv.writer(out)
        for n, row in enumerate(csv.reader(fh)):
            if n and n % every == 0 and minor_of(row[3]) > 100:
                row[3] = money_text(minor_of(row[3]) - 100)
                changed += 1
            writer.writerow(row)
    return changed


def run(args: list[str], env: dict[str, str]) -> tuple[int, str, str, float, float | None]:
    """Exit code, stdout, stderr, wall seconds and peak RSS (MiB, GNU time) of one command."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp, "rss")
        wrapped = [str(TIME), "-f", "%M", "-o", str(report), *args] if TIME.exists() else args
        started = time.perf_counter()
        proc = subprocess.run(wrapped, env=env, cwd=ROOT, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        try:
            rss: float | None = int(report.read_text().strip().splitlines()[-1]) / 1024
        except (OSError, ValueError, IndexError):
            rss = None
        return proc.returncode, proc.stdout, proc.stderr, seconds, rss


def ledger_check(db: str, url: str) -> dict[str, Any]:
    """Invariants and totals of the BENCH ledger, read with plain SQL."""
    sql = {
        "payments": "SELECT COUNT(*), COALESCE(SUM(amount_minor), 0) FROM ledger_payment "
                    "WHERE reference LIKE 'RC%'",
        "allocations": "SELECT COUNT(*), COALESCE(SUM(a.amount_minor), 0) FROM ledger_allocation a "
                       "JOIN ledger_payment p ON p.id = a.payment_id WHERE p.reference LIKE 'RC%'",
        "settled": "SELECT COUNT(*) FROM ledger_invoice WHERE settled_date IS NOT NULL",
        "paid_over_amount": "SELECT COUNT(*) FROM ledger_invoice WHERE paid_minor > amount_minor",
        "paid_not_allocations": (
            "SELECT COUNT(*) FROM ledger_invoice i LEFT JOIN (SELECT invoice_id, SUM(amount_minor) "
            "AS s FROM ledger_allocation GROUP BY invoice_id) a ON a.invoice_id = i.id "
            "WHERE i.paid_minor <> COALESCE(a.s, 0)"),
        "audit_entries": "SELECT COUNT(*) FROM audit_auditentry",
    }
    if db == "sqlite":
        conn: Any = sqlite3.connect(url.split(":///", 1)[1])
    else:
        import psycopg

        conn = psycopg.connect(url)
    try:
        out = {}
        for key, query in sql.items():
            row = conn.execute(query).fetchone()
            out[key] = [int(v) for v in row] if len(row) > 1 else int(row[0])
        return out
    finally:
        conn.close()


def bench(db: str, args: argparse.Namespace, invoices_csv: Path, payments_csv: Path,
          changed_csv: Path) -> dict[str, Any]:
    data_dir = args.data_dir / db
    url = fresh_database(db, args.pg_url, data_dir)
    env = {**os.environ, "CASHLOOP_DATABASE_URL": url, "CASHLOOP_DATA_DIR": str(data_dir),
           "CASHLOOP_TODAY": AS_OF.isoformat(), "CASHLOOP_SECRET_KEY": "benchmark-only"}
    if args.src:
        env["PYTHONPATH"] = str(Path(args.src).resolve())
    setup = [([CASHLOOP, "init", "--company", "BENCH"], "init"),
             ([CASHLOOP, "import", "invoices", str(invoices_csv), "--company", "BENCH",
               "--currency", "CNY", "--format", "json", *[a for m in INVOICE_MAP
                                                          for a in ("--map", m)]],
              "import invoices")]
    result: dict[str, Any] = {"database": db, "steps": []}
    for command, name in setup:
        code, out, err, seconds, rss = run(command, env)
        print(f"  [{db}] {name}: {seconds:.1f} s (exit {code})", flush=True)
        if code != 0:
            raise SystemExit(f"{name} failed: {(err or out)[-500:]}")
    steps = (("first import (created)", payments_csv), ("same file again (unchanged)", payments_csv),
             ("1 % of rows changed (updated)", changed_csv))
    for name, path in steps:
        code, out, err, seconds, rss = run([CASHLOOP, "import", "payments", str(path), "--company",
                                            "BENCH", "--format", "json"], env)
        try:
            payload = json.loads(out)
        except ValueError:
            payload = {"error": (err or out)[-500:]}
        counts = {k: payload.get(k) for k in ("status", "rows", "created", "updated", "unchanged",
                                              "rejected", "seconds")}
        check = ledger_check(db, url)
        step = {"name": name, "seconds": round(seconds, 2),
                "peak_mib": round(rss) if rss is not None else None, "exit": code,
                "result": counts, "ledger": check}
        result["steps"].append(step)
        print(f"  [{db}] {name}: {seconds:.2f} s, {step['peak_mib']} MiB, {counts}", flush=True)
        print(f"          ledger {check}", flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--payments", type=int, default=50_000)
    parser.add_argument("--invoices", type=int, default=300_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/cashloop_pay_bench")
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/pay_bench"))
    parser.add_argument("--src", default=None, help="run the cashloop package of this src folder")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--results", type=Path, default=OUT / "payments.json")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    invoices_csv = OUT / f"pay_invoices_{args.invoices}.csv"
    payments_csv = OUT / f"payments_{args.payments}.csv"
    changed_csv = OUT / f"payments_{args.payments}_changed.csv"
    if not invoices_csv.exists():
        subprocess.run([sys.executable, str(HERE / "generate.py"), "--invoices", str(args.invoices),
                        "--out", str(invoices_csv), "--customers-out",
                        str(OUT / f"pay_customers_{args.invoices}.csv"), "--as-of",
                        AS_OF.isoformat()], check=True, cwd=ROOT)
    mix = write_payments(invoices_csv, payments_csv, args.payments, args.seed)
    changed = changed_copy(payments_csv, changed_csv)
    print(f"payments: {mix}; {changed} changed in {changed_csv.name}", flush=True)
    if mix["payments"] < args.payments:
        print(f"warning: only {mix['payments']} open items in {args.invoices} invoices",
              file=sys.stderr)
    results = {"machine": {"cpu": platform.processor() or platform.machine(),
                           "cores": os.cpu_count(), "python": platform.python_version(),
                           "load": os.getloadavg()},
               "at": datetime.now(UTC).isoformat(timespec="seconds"), "src": args.src or "this",
               "mix": mix, "changed": changed, "invoices": args.invoices, "runs": []}
    for db in (("sqlite", "postgresql") if args.db == "both" else (args.db,)):
        results["runs"].append(bench(db, args, invoices_csv, payments_csv, changed_csv))
    if len(results["runs"]) == 2:
        a, b = ([s["ledger"] for s in r["steps"]] for r in results["runs"])
        results["databases_agree"] = a == b
        print(f"databases agree: {a == b}", flush=True)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"results: {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
