"""The CLI as scripts use it: JSON contracts of init, import, fx, aging and metrics."""

import json
from decimal import Decimal

import pytest

pytestmark = pytest.mark.e2e

IBM_MAP = [
    "--map", "customer=customerID", "--map", "number=invoiceNumber",
    "--map", "issue_date=InvoiceDate", "--map", "due_date=DueDate",
    "--map", "amount=InvoiceAmount", "--map", "settled_date=SettledDate",
    "--map", "disputed=Disputed", "--currency", "USD",
]


def _amount(text: str) -> Decimal:
    assert isinstance(text, str), "amounts travel as strings"
    return Decimal(text)


def test_ibm_export_imports_then_ages_and_measures(cli, shared_data):
    ibm = shared_data / "ibm_ar" / "WA_Fn-UseC_-Accounts-Receivable.csv"
    init = cli.json("init", "--company", "IBMAR", "--base-currency", "USD")
    assert init["company"] == "IBMAR"

    first = cli.json("import", "invoices", str(ibm), *IBM_MAP)
    assert first["created"] == 2466
    assert first["rejected"] == 0
    again = cli.json("import", "invoices", str(ibm), *IBM_MAP)
    assert again["created"] == 0
    assert again["updated"] == 0
    assert again["unchanged"] == 2466

    # Every invoice in the file is settled by 2013-12-31 or so; mid-2013 many were open.
    aging = cli.json("aging", "--as-of", "2013-06-30")
    assert aging["as_of"] == "2013-06-30"
    assert aging["currency"] == "USD"
    labels = [b["label"] for b in aging["buckets"]]
    assert len(labels) == 5
    assert aging["buckets"][0]["from_days"] is None and aging["buckets"][0]["to_days"] == 0
    assert aging["buckets"][-1]["to_days"] is None
    assert sum(_amount(b["amount"]) for b in aging["buckets"]) == _amount(aging["total"])
    assert _amount(aging["total"]) > 0

    by_customer = cli.json("aging", "--as-of", "2013-06-30", "--by", "customer")
    assert sum(_amount(r["total"]) for r in by_customer["rows"]) == _amount(aging["total"])

    metrics = cli.json("metrics", "--as-of", "2013-06-30", "--period-days", "90")
    for key in ("dso_standard", "dso_countback", "best_possible_dso", "average_days_delinquent",
                "cei", "ar_turnover", "ar_turnover_days", "overdue_rate_amount",
                "overdue_rate_count"):
        assert key in metrics
        assert metrics[key] is None or len(metrics[key].split(".")[1]) == 2


def test_foreign_currency_needs_a_dated_rate(cli, tmp_path):
    cli.json("init", "--company", "FX1")
    csv = tmp_path / "usd.csv"
    csv.write_text(
        "number,customer,issue_date,due_date,amount,currency\n"
        "U-1,C1,2026-01-05,2026-02-04,1000.00,USD\n"
        "R-1,C2,2026-01-06,2026-02-05,500.00,CNY\n",
        encoding="utf-8",
    )
    cli.json("import", "invoices", str(csv))
    missing = cli.run("aging", "--as-of", "2026-01-15", "--format", "json", check=False)
    assert missing.returncode != 0
    said = missing.stdout + missing.stderr
    assert "USD" in said and "CNY" in said and "2026-01-15" in said
    assert "Traceback" not in said

    cli.json("fx", "set", "USD", "CNY", "7.1", "--date", "2026-01-01")
    aging = cli.json("aging", "--as-of", "2026-01-15")
    assert aging["currency"] == "CNY"
    assert aging["total"] == "7600.00"  # 1000 USD × 7.1 + 500 CNY, all not yet due
    assert aging["buckets"][0]["amount"] == "7600.00"
    by_currency = cli.json("aging", "--as-of", "2026-01-15", "--by", "currency")
    own = {r["currency"]: r["total"] for r in by_currency["rows"]}
    assert own == {"USD": "1000.00", "CNY": "500.00"}


def test_unknown_file_is_a_message_not_a_traceback(cli, tmp_path):
    cli.json("init")
    done = cli.run("import", "invoices", str(tmp_path / "nope.csv"), check=False)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    assert "nope.csv" in done.stderr + done.stdout


def test_commands_on_a_database_not_yet_created_say_so_without_a_traceback(cli):
    for args in (("aging",), ("fx", "list"), ("jobs",)):
        done = cli.run(*args, check=False)
        assert done.returncode == 1
        assert "Traceback" not in done.stderr
        assert "run `cashloop init`" in done.stderr
    done = cli.run("metrics", "--format", "json", check=False)
    assert done.returncode == 1
    assert json.loads(done.stdout)["code"] == "database.unavailable"


def test_init_again_keeps_the_default_company(cli):
    """Running init again (to migrate after an upgrade) must not switch to a new empty company."""
    first = cli.json("init")
    assert (first["company"], first["created"]) == ("MAIN", True)
    cli.json("init", "--company", "ACME", "--base-currency", "USD")
    again = cli.json("init")
    assert (again["company"], again["created"], again["base_currency"]) == ("ACME", False, "USD")
    assert cli.json("aging")["currency"] == "USD"  # commands without --company use ACME
