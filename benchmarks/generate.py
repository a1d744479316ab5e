"""Generate a receivables export of N invoices (and its customers) as an ERP would write it.

    python benchmarks/generate.py --invoices 1000000 --customers 100000 \
        --out benchmarks/out/invoices.csv [--customers-out PATH] [--seed S] [--as-of YYYY-MM-DD]

The invoices CSV has SAP-style "cleared items" columns (DocNo, CustomerID, DocDate, NetDueDate,
AmountDocCurr, Currency, ClearingDate, ClearedAmount, Disputed, plus columns an importer must
ignore). Two years of invoices end on the as-of date (default today), in document-number order.
The mix follows each customer's habit: most invoices are cleared (ClearingDate and ClearedAmount
= amount), some are partly paid (ClearingDate = the day of the part payment, ClearedAmount below
the amount), the rest are open (both blank): recent invoices, slow payers, stalled items. About 5 %
of customers are invoiced in USD. Customers are skewed: a few large accounts hold many invoices.

It streams (constant memory) and is deterministic for a seed and as-of date. Amounts are integers
of minor units formatted as text; no float ever becomes money.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

HISTORY_DAYS = 730
INVOICE_COLUMNS = ("CompanyCode", "DocType", "DocNo", "CustomerID", "DocDate", "NetDueDate",
                   "AmountDocCurr", "Currency", "ClearingDate", "ClearedAmount", "Disputed",
                   "Reference")
CUSTOMER_COLUMNS = ("CustomerID", "Name", "Industry", "Country", "Currency", "SalesRep",
                    "Department", "CreditLimit", "Tier", "PaymentTerms", "Email", "Phone")
INDUSTRIES = ("Machinery", "Electronics", "Automotive", "New energy", "Medical devices",
              "Automation", "Appliances", "Packaging")
CITIES = ("上海", "苏州", "杭州", "宁波", "南京", "深圳", "广州", "东莞", "北京", "天津", "成都", "武汉")
BRANDS = ("恒通", "鑫达", "华瑞", "宏远", "天成", "博亚", "金泰", "瑞丰", "中联", "永盛", "德信", "安捷")
TRADES = ("机械", "电子", "汽车部件", "新能源科技", "医疗器械", "自动化", "电器", "包装")
REPS = (("张伟", "华东销售部"), ("李娜", "华东销售部"), ("王强", "华南销售部"), ("刘洋", "华南销售部"),
        ("陈静", "华北及海外业务部"), ("赵磊", "华北及海外业务部"))
TERMS = (("NET30", 30), ("NET60", 60), ("NET45", 45), ("NET90", 90))
TIERS = "ABC"
# Per tier: (mean days paid after due, spread, % partly paid, ‰ never paid, median amount in yuan)
HABITS = {"A": (-2, 5, 2, 1, 60_000), "B": (8, 10, 5, 4, 20_000), "C": (55, 35, 12, 25, 8_000)}


def customer_code(n: int) -> str:
    return f"CUST{n:06d}"


def customer_traits(n: int, seed: int) -> tuple[str, str, int, str]:
    """Tier, currency, net days and terms code of customer `n`: derived, so no table is kept."""
    rng = random.Random(seed * 1_000_003 + n)
    tier = TIERS[0] if n % 10 < 2 else TIERS[1] if n % 10 < 7 else TIERS[2]
    currency = "USD" if rng.random() < 0.05 else "CNY"
    terms, net = TERMS[rng.randrange(len(TERMS))]
    return tier, currency, net, terms


def write_customers(path: Path, count: int, seed: int) -> int:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(CUSTOMER_COLUMNS)
        batch = []
        for n in range(1, count + 1):
            tier, currency, _net, terms = customer_traits(n, seed)
            rep, department = REPS[n % len(REPS)]
            if currency == "USD":
                name, country = f"Overseas Trading {n} Inc.", "US"
            else:
                name = f"{CITIES[n % len(CITIES)]}{BRANDS[(n // 12) % len(BRANDS)]}" \
                       f"{TRADES[(n // 144) % len(TRADES)]}{n}有限公司"
                country = "CN"
            limit = HABITS[tier][4] * rng.randint(3, 12) // 10_000 * 10_000 + 10_000
            batch.append((customer_code(n), name, INDUSTRIES[n % len(INDUSTRIES)], country, currency,
                          rep, department, f"{limit}.00", tier, terms, f"ap{n}@example.cn",
                          f"138{rng.randrange(10**8):08d}"))
            if len(batch) >= 10_000:
                out.writerows(batch)
                batch.clear()
        out.writerows(batch)
    return count


def write_invoices(path: Path, count: int, customers: int, seed: int, as_of: date) -> dict[str, int]:
    """Stream `count` invoices to `path`; returns how many are paid, partly paid and open."""
    rng = random.Random(seed)
    start = as_of - timedelta(days=HISTORY_DAYS - 1)
    # Every date string the file can hold, formatted once (dates are offsets from `start`).
    span = HISTORY_DAYS + 400
    iso = [(start + timedelta(days=i)).isoformat() for i in range(span)]
    today_offset = HISTORY_DAYS - 1
    traits: dict[int, tuple[str, str, int, str]] = {}
    mix = {"paid": 0, "partly_paid": 0, "open": 0, "disputed": 0}
    rand, gauss, randrange = rng.random, rng.gauss, rng.randrange
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(INVOICE_COLUMNS)
        batch = []
        for i in range(count):
            # Skewed: customer 1 gets the most invoices, the long tail a few each.
            n = 1 + int(customers * rand() ** 2.2)
            if n > customers:
                n = customers
            t = traits.get(n)
            if t is None:
                if len(traits) > 200_000:  # keeps memory flat with many customers
                    traits.clear()
                t = traits[n] = customer_traits(n, seed)
            tier, currency, net, _terms = t
            mean, spread, partial_pct, stall_permille, median = HABITS[tier]
            issue = i * HISTORY_DAYS // count
            due = issue + net
            yuan = int(median * (0.2 + 1.6 * rand()) * (1 + rand()))
            if currency == "USD":
                yuan = yuan // 7 + 1
            minor = yuan * 100 + randrange(100)
            disputed = rand() < 0.02
            paid_on = due + int(gauss(mean, spread))
            if paid_on < issue:
                paid_on = issue
            if disputed:
                paid_on += 30
            settled, paid = "", ""
            if paid_on <= today_offset and randrange(1000) >= stall_permille:
                settled = iso[paid_on]
                if randrange(100) < partial_pct:
                    part = minor * (30 + randrange(60)) // 100
                    paid = f"{part // 100}.{part % 100:02d}"
                    mix["partly_paid"] += 1
                else:
                    paid = f"{minor // 100}.{minor % 100:02d}"
                    mix["paid"] += 1
            else:
                mix["open"] += 1
            mix["disputed"] += disputed
            batch.append(("1000", "RV", str(9_000_000_000 + i + 1), customer_code(n), iso[issue],
                          iso[due], f"{minor // 100}.{minor % 100:02d}", currency, settled, paid,
                          "Y" if disputed else "N", f"SO{4_500_000 + i}"))
            if len(batch) >= 20_000:
                out.writerows(batch)
                batch.clear()
        out.writerows(batch)
    return mix


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=None, help="default: invoices / 10")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out/invoices.csv"))
    parser.add_argument("--customers-out", type=Path, default=None,
                        help="default: customers.csv beside --out")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--as-of", type=date.fromisoformat, default=None,
                        help="the last issue date (default today)")
    args = parser.parse_args(argv)
    customers = args.customers or max(1, args.invoices // 10)
    as_of = args.as_of or datetime.now(UTC).astimezone().date()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    customers_out = args.customers_out or args.out.with_name("customers.csv")
    started = time.perf_counter()
    write_customers(customers_out, customers, args.seed)
    mix = write_invoices(args.out, args.invoices, customers, args.seed, as_of)
    seconds = time.perf_counter() - started
    print(f"{args.invoices:,} invoices ({mix['paid']:,} paid, {mix['partly_paid']:,} partly paid, "
          f"{mix['open']:,} open, {mix['disputed']:,} disputed) to {args.out}; "
          f"{customers:,} customers to {customers_out}; as of {as_of}; {seconds:.1f} s",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
