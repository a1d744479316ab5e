"""`cashloop export` as scripts use it: files `cashloop import` reads back with no --map, the
JSON summary and rows, and clear errors with exit code 1."""

import json

import pytest

pytestmark = pytest.mark.e2e

CUSTOMERS = ("客户编码,客户名称,币种,业务员,信用额度,账期,邮箱\n"
             "KH001,华东机械有限公司,CNY,王伟,500000,月结30天,ap@huadong.cn\n"
             "US-7,\"Acme, Inc.\",USD,Rita,10000,NET30,ap@acme.example\n")
INVOICES = ("发票号,客户编码,开票日期,到期日,金额,币种,结清日期,已收金额,是否争议,摘要\n"
            "INV-001,KH001,2026/9/1,2026/10/1,\"1,000.00\",人民币,,,否,开放\n"
            "INV-002,KH001,2026/9/2,2026/10/2,2500.5,人民币,2026/10/5,1000,否,部分结清\n"
            "INV-003,KH001,2026/9/3,2026/10/3,800,人民币,2026/10/6,,是,争议\n"
            "US-1,US-7,2026/9/4,2026/10/4,12345.5,USD,,,否,\n"
            "CN-1,KH001,2026/9/5,,-50,人民币,,,,红字发票\n")
PAYMENTS = ("收款单号,客户编码,收款日期,收款金额,币种,发票号\n"
            "RC-1,KH001,2026/10/10,400,CNY,INV-001\n"
            "RC-2,US-7,2026/10/11,2000,USD,US-1\n"
            "RC-3,KH001,2026/10/12,300,CNY,\n")


def _ledger(cli, tmp_path):
    cli.json("init", "--company", "ACME")
    for kind, text in (("customers", CUSTOMERS), ("invoices", INVOICES), ("payments", PAYMENTS)):
        path = tmp_path / f"erp-{kind}.csv"
        path.write_bytes(text.encode("gbk"))
        result = cli.json("import", kind, str(path))
        assert result["status"] == "saved", result


def test_export_reimports_into_a_new_company_byte_for_byte(cli, tmp_path):
    _ledger(cli, tmp_path)
    first = {}
    for kind in ("customers", "invoices", "payments"):
        path = tmp_path / f"{kind}.csv"
        summary = cli.json("export", kind, "--output", str(path))
        assert summary == {"kind": kind, "company": "ACME", "rows": summary["rows"],
                           "file": str(path), "format": "csv", "warnings": []}
        first[kind] = path.read_bytes()
        assert first[kind].startswith(b"\xef\xbb\xbf") and b"\r\n" in first[kind]
    assert cli.json("export", "invoices", "--output", str(tmp_path / "x.csv"))["rows"] == 5
    # Into the same company: nothing changes.
    for kind in ("customers", "invoices", "payments"):
        again = cli.json("import", kind, str(tmp_path / f"{kind}.csv"))
        assert (again["status"], again["created"], again["updated"]) == ("unchanged", 0, 0), kind
    # Into a new company, with no --map: the same export.
    cli.json("init", "--company", "NEW")
    for kind in ("customers", "invoices", "payments"):
        result = cli.json("import", kind, str(tmp_path / f"{kind}.csv"), "--company", "NEW")
        assert result["status"] == "saved" and result["rejected"] == 0, result
        assert not [p for p in result["problems"] if p["severity"] == "error"]
        out = tmp_path / f"new-{kind}.csv"
        cli.run("export", kind, "--company", "NEW", "--output", str(out))
        assert out.read_bytes() == first[kind], kind


def test_csv_goes_to_stdout_and_json_lists_the_rows(cli, tmp_path):
    _ledger(cli, tmp_path)
    done = cli.run("export", "payments", "--company", "ACME")
    assert done.stdout.splitlines() == ["\ufeffreference,customer,date,amount,currency,invoice",
                                        "RC-1,KH001,2026-10-10,400.00,CNY,INV-001",
                                        "RC-2,US-7,2026-10-11,2000.00,USD,US-1",
                                        "RC-3,KH001,2026-10-12,300.00,CNY,"]
    rows = cli.json("export", "invoices")
    assert rows["kind"] == "invoices" and rows["company"] == "ACME" and rows["warnings"] == []
    by_number = {r["number"]: r for r in rows["rows"]}
    assert by_number["INV-002"]["paid_amount"] == "1000.00"
    assert by_number["INV-002"]["settled_date"] == "2026-10-05"
    assert by_number["INV-003"]["disputed"] is True and by_number["INV-001"]["disputed"] is False
    assert by_number["CN-1"]["amount"] == "-50.00" and by_number["CN-1"]["settled_date"] is None


def test_xlsx_export_needs_a_file_and_reimports(cli, tmp_path):
    _ledger(cli, tmp_path)
    done = cli.run("export", "invoices", "--format", "xlsx", check=False)
    assert done.returncode == 1 and "--output" in done.stderr and "Traceback" not in done.stderr
    book = tmp_path / "invoices.xlsx"
    summary = cli.json("export", "invoices", "--output", str(book))  # --format json: by suffix
    assert summary["format"] == "xlsx" and book.read_bytes().startswith(b"PK")
    cli.run("export", "customers", "--format", "xlsx", "--output", str(tmp_path / "customers.xlsx"))
    cli.json("init", "--company", "XL")
    for kind in ("customers", "invoices"):
        result = cli.json("import", kind, str(tmp_path / f"{kind}.xlsx"), "--company", "XL")
        assert result["status"] == "saved" and result["rejected"] == 0, result
    original = cli.run("export", "invoices", "--company", "ACME").stdout
    assert cli.run("export", "invoices", "--company", "XL").stdout == original


@pytest.mark.parametrize("args, said", [
    (("export", "orders"), "kinds are invoices, customers, payments"),
    (("export", "invoices", "--format", "pdf"), "formats are csv, xlsx, json"),
    (("export", "invoices", "--company", "NOPE"), "no company with code 'NOPE'"),
])
def test_bad_kind_format_or_company_is_a_message_and_exit_1(cli, args, said):
    cli.json("init", "--company", "ACME")
    done = cli.run(*args, check=False)
    assert done.returncode == 1
    assert said in done.stderr and "Traceback" not in done.stderr + done.stdout


def test_errors_are_json_with_format_json(cli, tmp_path):
    cli.json("init", "--company", "ACME")
    done = cli.run("export", "orders", "--format", "json", check=False)
    assert done.returncode == 1 and json.loads(done.stdout)["code"] == "not_found"
    folder = tmp_path / "taken.csv"
    folder.mkdir()
    done = cli.run("export", "invoices", "--output", str(folder), "--format", "json", check=False)
    assert done.returncode == 1 and json.loads(done.stdout)["code"] == "file.unwritable"
