"""Importing invoices end to end: the IBM AR sample, idempotence, changes audited, bad files."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cashloop.audit.models import AuditEntry
from cashloop.audit.services import SYSTEM_CLI
from cashloop.imports.models import ImportBatch, ImportProblem
from cashloop.imports.services.run import ImportOptions, import_bytes, import_path
from cashloop.ledger.models import Allocation, Customer, Dispute, Invoice, Payment, PaymentTerms

FILES = Path(__file__).resolve().parents[1] / "files"
IBM_MAP = ["--map", "customer=customerID", "--map", "number=invoiceNumber",
           "--map", "issue_date=InvoiceDate", "--map", "due_date=DueDate",
           "--map", "amount=InvoiceAmount", "--map", "settled_date=SettledDate",
           "--map", "disputed=Disputed", "--currency", "USD"]
AS_OF = date(2024, 12, 31)

pytestmark = pytest.mark.django_db


def cli(*args: str) -> tuple[int, dict]:
    from cashloop.config.cli import app

    result = CliRunner().invoke(app, ["import", *args, "--format", "json"])
    return result.exit_code, json.loads(result.stdout)


def run(data: bytes, kind: str = "invoices", **options) -> object:
    return import_bytes(data, "t.csv", ImportOptions(kind=kind, **options), SYSTEM_CLI, AS_OF)


def test_ibm_accounts_receivable_imports_with_the_issue_mapping_then_is_unchanged(company,
                                                                                 shared_data):
    path = shared_data / "ibm_ar" / "WA_Fn-UseC_-Accounts-Receivable.csv"
    code, out = cli("invoices", str(path), *IBM_MAP)
    assert code == 0, out["problems"][:5]
    assert (out["status"], out["rows"], out["created"], out["rejected"]) == ("saved", 2466, 2466, 0)
    assert out["date_format"] == "%m/%d/%Y"
    assert Invoice.objects.count() == 2466 and Customer.objects.count() == 100
    first = Invoice.objects.get(number="611365")
    assert (first.customer.code, first.issue_date, first.due_date) == (
        "0379-NEVHP", date(2013, 1, 2), date(2013, 2, 1))
    assert (first.amount_minor, first.currency, first.paid_minor, first.settled_date) == (
        5594, "USD", 5594, date(2013, 1, 15))
    disputed = Invoice.objects.get(number="7900770")
    assert disputed.is_disputed and Dispute.objects.filter(invoice=disputed).exists()
    allocation = Allocation.objects.get(invoice=first)
    assert (allocation.amount_minor, allocation.applied_date) == (5594, date(2013, 1, 15))
    assert allocation.payment.reference == "SETTLE-611365"
    assert Invoice.objects.filter(is_disputed=True).count() == 561

    code, again = cli("invoices", str(path), *IBM_MAP)
    assert code == 0
    assert (again["status"], again["created"], again["updated"], again["unchanged"]) == (
        "unchanged", 0, 0, 2466)
    assert Payment.objects.count() == 2466


def test_changed_row_updates_the_invoice_and_is_audited(company):
    base = "number,customer,issue_date,amount,settled_date\nA-1,C1,2024-01-05,100.00,\n"
    assert run(base.encode()).created == 1
    changed = base.replace("100.00,", "120.00,2024-02-01")
    result = run(changed.encode())
    assert (result.status, result.updated, result.created) == ("saved", 1, 0)
    invoice = Invoice.objects.get(number="A-1")
    assert (invoice.amount_minor, invoice.paid_minor, invoice.settled_date) == (
        12000, 12000, date(2024, 2, 1))
    entry = AuditEntry.objects.get(action="invoice.import_update")
    assert entry.before["amount_minor"] == 10000 and entry.after["amount_minor"] == 12000
    assert run(changed.encode()).status == "unchanged"


def test_due_date_comes_from_the_customers_terms_when_not_in_the_file(company):
    terms = PaymentTerms.objects.create(company=company, code="EOM+30", spec="EOM+30",
                                        net_days=30, end_of_month=True)
    Customer.objects.create(company=company, code="EOM", payment_terms=terms)
    data = "number,customer,issue_date,amount\nA,EOM,2024-01-10,1\nB,NEW,2024-01-10,1\n"
    assert run(data.encode()).created == 2
    assert Invoice.objects.get(number="A").due_date == date(2024, 3, 1)
    assert Invoice.objects.get(number="B").due_date == date(2024, 2, 9)  # 30 days net


def test_a_file_with_errors_saves_nothing_but_keeps_the_batch_and_problems(company):
    code, out = cli("invoices", str(FILES / "invoices_malformed.csv"))
    assert code == 1 and out["status"] == "rejected"
    assert Invoice.objects.count() == 0
    lines = {(p["line"], p["field"]) for p in out["problems"] if p["severity"] == "error"}
    assert lines == {(4, "issue_date"), (5, "amount"), (8, "customer"), (9, "number")}
    duplicate = next(p for p in out["problems"] if p["code"] == "duplicate.conflict")
    assert "line 2" in duplicate["message"] and duplicate["value"] == "B-1"
    batch = ImportBatch.objects.get(pk=out["batch"])
    assert batch.status == "rejected" and ImportProblem.objects.filter(batch=batch).count() == 4


def test_skip_bad_saves_good_rows_and_writes_rejected_csv(company, tmp_path):
    path = tmp_path / "bad.csv"
    shutil.copy(FILES / "invoices_malformed.csv", path)
    code, out = cli("invoices", str(path), "--skip-bad")
    assert code == 0 and out["status"] == "partial"
    assert (out["created"], out["rejected"]) == (3, 4)
    assert out["rejected_file"] == str(tmp_path / "bad.rejected.csv")
    text = (tmp_path / "bad.rejected.csv").read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "number,customer,issue_date,amount,description,line,reason"
    assert "cannot read amount abc" in text
    assert sorted(Invoice.objects.values_list("number", flat=True)) == ["B-1", "B-4", "B-6"]


def test_gbk_file_with_chinese_headers(company):
    result = import_path(FILES / "invoices_gbk_chinese.csv", ImportOptions(kind="invoices"),
                         SYSTEM_CLI, AS_OF)
    assert (result.status, result.created, result.warnings, result.encoding) == (
        "saved", 3, 1, "gbk")
    invoice = Invoice.objects.get(number="FP-0001")
    assert (invoice.amount_minor, invoice.issue_date, invoice.description) == (
        123450, date(2024, 3, 5), "华东区")
    assert result.problems[0].code == "due.before_issue" and result.problems[0].line == 4


def test_utf8_bom_file_with_partial_settlement_and_dispute(company):
    result = import_path(FILES / "invoices_utf8_bom.csv", ImportOptions(kind="invoices"),
                         SYSTEM_CLI, AS_OF)
    assert result.created == 3
    partial = Invoice.objects.get(number="A-2")
    assert (partial.paid_minor, partial.settled_date, partial.currency) == (5000, None, "USD")
    assert Invoice.objects.get(number="A-3").is_disputed


def test_xlsx_file_is_imported(company, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["发票号", "客户编码", "开票日期", "金额"])
    sheet.append(["X-1", "KH9", date(2024, 5, 6), 1234.5])
    sheet.append(["X-2", "KH9", "2024-05-07", 10])
    path = tmp_path / "in.xlsx"
    book.save(path)
    result = import_path(path, ImportOptions(kind="invoices"), SYSTEM_CLI, AS_OF)
    assert (result.status, result.created, result.encoding) == ("saved", 2, "xlsx")
    invoice = Invoice.objects.get(number="X-1")
    assert (invoice.amount_minor, invoice.issue_date) == (123450, date(2024, 5, 6))


def test_saved_mapping_is_reused(company):
    data = b"No,Client,When,Sum\nA,C,2024-01-01,5\n"
    first = run(data, columns={"number": "No", "customer": "Client", "issue_date": "When",
                               "amount": "Sum"}, save_mapping="erp1")
    assert first.created == 1
    again = run(data.replace(b"A,", b"B,"), mapping="erp1")
    assert again.created == 1 and again.mapping["amount"] == "Sum"


@pytest.mark.parametrize(("args", "code"), [
    (["invoices", "/no/such/file.csv"], "file.missing"),
    (["invoices", str(FILES / "payments.csv"), "--map", "colour=reference"], "map.unknown_field"),
    (["invoices", str(FILES / "payments.csv"), "--map", "number=Nope"], "map.unknown_column"),
    (["customers", str(FILES / "invoices_malformed.csv"), "--mapping", "nope"], "mapping.unknown"),
])
def test_bad_invocations_give_clear_json_and_non_zero_exit(company, args, code):
    exit_code, out = cli(*args)
    assert exit_code == 1
    assert out["status"] == "rejected" and out["problems"][0]["code"] == code


def test_missing_required_column_is_reported(company, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("number,amount\nA,1\n")
    exit_code, out = cli("invoices", str(path))
    assert exit_code == 1
    assert {p["field"] for p in out["problems"]} == {"customer", "issue_date"}


def _index_and_constraint_names() -> set[str]:
    from django.db import connection

    with connection.cursor() as cur:
        names = set()
        for table in ("ledger_invoice", "ledger_payment", "ledger_allocation", "ledger_customer"):
            for name, info in connection.introspection.get_constraints(cur, table).items():
                names.add((table, name, bool(info["foreign_key"]), bool(info["index"])))
    return names


def test_bulk_load_mode_restores_indexes_and_foreign_keys(company, monkeypatch):
    from cashloop.imports.services import invoices

    monkeypatch.setattr(invoices, "CHUNK", 2)
    before = _index_and_constraint_names()
    rows = "".join(f"B-{i},C{i % 2},2024-01-0{i},1{i}.00,2024-01-09\n" for i in range(1, 6))
    result = run(f"number,customer,issue_date,amount,settled_date\n{rows}".encode())
    assert (result.status, result.created) == ("saved", 5)
    assert _index_and_constraint_names() == before
    assert Allocation.objects.count() == 5 and Customer.objects.count() == 2
    again = run(f"number,customer,issue_date,amount,settled_date\n{rows}".encode())
    assert again.status == "unchanged"


def test_bulk_load_mode_rolls_back_on_a_late_error(company, monkeypatch):
    from cashloop.imports.services import invoices

    monkeypatch.setattr(invoices, "CHUNK", 2)
    before = _index_and_constraint_names()
    rows = "".join(f"B-{i},C1,2024-01-0{i},1{i}.00\n" for i in range(1, 6)) + "B-9,C1,bad,1\n"
    result = run(f"number,customer,issue_date,amount\n{rows}".encode())
    assert result.status == "rejected" and Invoice.objects.count() == 0
    assert _index_and_constraint_names() == before


def _readable_by_another_session(tables: tuple[str, ...]) -> dict[str, bool]:
    """Whether a second database session can read each table now (PostgreSQL, 1 s lock wait)."""
    import psycopg
    from django.db import connection

    settings = connection.settings_dict
    readable = {}
    with psycopg.connect(host=settings["HOST"], port=settings["PORT"] or 5432,
                         user=settings["USER"], dbname=settings["NAME"], autocommit=True) as other:
        other.execute("SET lock_timeout = '1s'")
        for table in tables:
            try:
                other.execute(f'SELECT COUNT(*) FROM "{table}"')
                readable[table] = True
            except psycopg.errors.LockNotAvailable:
                readable[table] = False
    return readable


@pytest.mark.django_db(transaction=True)  # each import commits, as it does for a user
def test_big_import_into_a_larger_ledger_leaves_pages_reading(company, monkeypatch):
    """A first load may rebuild the tables (readers wait); a load smaller than the ledger it goes
    into keeps indexes and foreign keys, so other sessions read the committed ledger meanwhile."""
    from django.db import connection

    from cashloop.imports.services import bulk, invoices

    if connection.vendor != "postgresql":
        pytest.skip("SQLite readers (WAL) never wait for a writer")
    monkeypatch.setattr(invoices, "CHUNK", 3)
    tables = ("ledger_invoice", "ledger_company", "ledger_customer", "auth_user")
    seen: list[dict[str, bool]] = []
    original = bulk.BulkWriter.end_bulk_load

    def probed(self):
        seen.append(_readable_by_another_session(tables))
        original(self)

    monkeypatch.setattr(bulk.BulkWriter, "end_bulk_load", probed)
    header = "number,customer,issue_date,amount,settled_date\n"
    first = "".join(f"F-{i},C{i % 3},2024-01-0{1 + i % 9},1{i}.00,2024-01-20\n" for i in range(12))
    assert run((header + first).encode()).created == 12
    more = "".join(f"M-{i},C{i % 3},2024-02-0{1 + i % 9},2{i}.00,\n" for i in range(4))
    second = run((header + first + more).encode())
    assert second.created == 4, second.problems
    # The first load into an empty ledger dropped the invoices' indexes and foreign keys: a
    # reader of the invoices waited (so this probe can tell); the second load did not.
    assert seen[0]["ledger_invoice"] is False
    assert seen[1] == dict.fromkeys(tables, True)
    assert Invoice.objects.filter(number__startswith="M-").count() == 4


def test_chinese_erp_report_with_title_lines_and_a_totals_row(company):
    """A 金蝶/用友-style report: GBK, a title and a company line above the header, mixed date
    formats, thousands separators, a blank line and a 合计 row at the end."""
    rows = ["应收账款明细表,,,,,,,,", "公司：上海某某科技有限公司,,,,,,,,",
            "单据编号,客户编码,客户名称,单据日期,到期日,价税合计,币别,已核销金额,核销日期",
            'AR-1,K001,上海甲公司,2024年1月5日,2024年2月4日,"12,345.60",人民币,"12,345.60",2024年2月1日',
            'AR-2,K002,北京乙公司,2024/1/8,2024/3/8,"8,000.00",人民币,"3,000.00",2024/2/20',
            ",,,,,,,,", '合计,,,,,"20,345.60",,"15,345.60",']
    data = ("\r\n".join(rows) + "\r\n").encode("gbk")
    result = run(data)
    assert (result.status, result.created, result.rows) == ("saved", 2, 2)
    totals = [p for p in result.problems if p.code == "row.totals"]
    assert [(p.line, p.value, p.severity) for p in totals] == [(7, "合计", "warning")]
    assert Invoice.objects.get(number="AR-2").paid_minor == 300_000
    # Customers the file creates get its names; later files do not rename them.
    assert dict(Customer.objects.values_list("code", "name")) == {"K001": "上海甲公司",
                                                                 "K002": "北京乙公司"}
    assert run(data).status == "unchanged"
    renamed = data.decode("gbk").replace("北京乙公司", "北京乙有限公司").encode("gbk")
    assert run(renamed).status == "unchanged"
    assert Customer.objects.get(code="K002").name == "北京乙公司"


def test_open_items_export_with_amount_due_and_no_payment_dates(company):
    """Odoo-style: the open amount ("Amount Due") instead of a paid amount and its dates."""
    from cashloop.reports import services

    header = "Number,Partner,Invoice/Bill Date,Due Date,Total,Amount Due,Currency\n"
    rows = ('INV/1,Azure,11/15/2024,12/15/2024,"$1,150.00",$0.00,USD\n'
            'INV/2,Deco,11/20/2024,12/19/2024,"$2,500.00","$1,000.00",USD\n'
            "INV/3,Gemini,12/01/2024,12/31/2024,$750.50,$750.50,USD\n")
    first = run((header + rows).encode())
    assert (first.status, first.created, first.mapping["open_amount"]) == ("saved", 3, "Amount Due")
    assumed = [p for p in first.problems if p.code == "settled.assumed"]
    assert [dict(p.params)["count"] for p in assumed] == ["2"]
    paid = {i.number: (i.paid_minor, i.settled_date) for i in Invoice.objects.all()}
    assert paid == {"INV/1": (115_000, AS_OF), "INV/2": (150_000, None), "INV/3": (0, None)}
    assert Allocation.objects.filter(invoice__number="INV/2").get().applied_date == AS_OF
    assert services.aging_report(company, AS_OF, currency="USD").total_minor == 175_050
    assert run((header + rows).encode()).status == "unchanged"
    # Later, Deco pays the rest: the invoice's paid part (its one settlement) is dated the day
    # of that import, so it is settled that day (docs/import.md says what that does to history).
    later = date(2025, 1, 10)
    changed = (header + rows).replace('"$1,000.00"', "$0.00").encode()
    result = import_bytes(changed, "t.csv", ImportOptions(kind="invoices"), SYSTEM_CLI, later)
    assert (result.status, result.updated) == ("saved", 1)
    deco = Invoice.objects.get(number="INV/2")
    assert (deco.paid_minor, deco.settled_date) == (250_000, later)
    assert services.aging_report(company, later, currency="USD").total_minor == 75_050


def test_european_export_with_semicolons_decimal_commas_and_day_first_dates(company):
    data = ('Belegnummer;Kunde;Rechnungsdatum;Fälligkeit;Betrag;Währung;Ausgleichsdatum\n'
            '"90001";"Müller GmbH";03.01.2024;02.02.2024;"1.234,56";EUR;15.01.2024\n'
            '"90002";"Société";13.01.2024;12.02.2024;"-99,90";EUR;\n').encode("cp1252")
    result = run(data)
    assert (result.status, result.created, result.encoding) == ("saved", 2, "cp1252")
    invoice = Invoice.objects.get(number="90001")
    assert (invoice.customer.code, invoice.amount_minor, invoice.currency) == (
        "Müller GmbH", 123456, "EUR")
    assert (invoice.issue_date, invoice.settled_date) == (date(2024, 1, 3), date(2024, 1, 15))
    from cashloop.ledger.models import CreditNote

    assert CreditNote.objects.get(number="90002").amount_minor == 9990
    assert run(data).status == "unchanged"


def test_reimport_after_deleting_an_invoice_replaces_its_old_settlement_payment(company):
    data = b"number,customer,issue_date,amount,settled_date\nA-1,C1,2024-01-05,100,2024-01-20\n"
    run(data)
    Invoice.objects.filter(number="A-1").delete()
    assert Payment.objects.filter(reference="SETTLE-A-1").exists()
    result = run(data)
    assert (result.status, result.created) == ("saved", 1)
    assert Payment.objects.get(reference="SETTLE-A-1").allocations.count() == 1


def test_title_rows_above_a_custom_header_are_skipped_when_columns_are_mapped(company):
    data = "Aged receivables\nprinted 2024-06-30\nRef,Acct,Posted,Gross\nR1,C1,2024-01-05,10\n"
    result = run(data.encode(), columns={"number": "Ref", "customer": "Acct",
                                         "issue_date": "Posted", "amount": "Gross"})
    assert (result.status, result.created) == ("saved", 1)


def test_changed_credit_note_row_updates_the_credit_note_and_is_audited(company):
    from cashloop.ledger.models import CreditNote

    run(b"number,customer,issue_date,amount\nCN-1,C1,2024-01-05,-10\n")
    result = run(b"number,customer,issue_date,amount\nCN-1,C1,2024-01-05,-12.50\n")
    assert (result.status, result.updated) == ("saved", 1)
    assert CreditNote.objects.get(number="CN-1").amount_minor == 1250
    assert AuditEntry.objects.get(action="credit_note.import_update").after == {
        "amount_minor": 1250}


def test_header_without_rows_is_an_error(company, tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("number,customer,issue_date,amount\r\n\r\n")
    exit_code, out = cli("invoices", str(path))
    assert exit_code == 1 and out["problems"][0]["code"] == "file.no_rows"


def test_ibm_file_maps_itself_from_its_headers(company, shared_data):
    path = shared_data / "ibm_ar" / "WA_Fn-UseC_-Accounts-Receivable.csv"
    code, out = cli("invoices", str(path), "--currency", "USD")
    assert code == 0 and (out["created"], out["rejected"]) == (2466, 0)
    assert out["mapping"] == {"number": "invoiceNumber", "customer": "customerID",
                              "issue_date": "InvoiceDate", "due_date": "DueDate",
                              "amount": "InvoiceAmount", "settled_date": "SettledDate",
                              "disputed": "Disputed"}
