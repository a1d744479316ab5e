"""Exports re-import with no mapping and change nothing: into a new company they rebuild a ledger
whose export is byte-identical, into the same company they are `unchanged`."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest

from cashloop.audit.models import AuditEntry
from cashloop.core.importing.columns import FIELDS
from cashloop.exports import run, sheets
from cashloop.ledger.models import Allocation, Contact, CreditNote, Customer, Dispute, Invoice
from cashloop.ledger.services.companies import ensure_company
from tests.integration.exports_support import (
    KINDS_IN_IMPORT_ORDER,
    build_ledger,
    export_bytes,
    import_into,
    open_amounts,
    split_payment,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(company):
    return build_ledger(company)


def rows_of(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_sheets_have_the_importers_field_names_in_its_order_but_the_open_amount():
    for kind in FIELDS:
        header = sheets.sheet(kind, None, None).header  # type: ignore[arg-type]
        assert header == tuple(f for f in FIELDS[kind] if f != "open_amount")
    assert sheets.COLUMNS["invoices"][-2:] == ("description", "customer_name")


def test_an_invoices_export_alone_creates_customers_with_their_names(ledger, company):
    new, _ = ensure_company("NEW", "新公司", "CNY")
    result = import_into(new, "invoices", export_bytes("invoices", company))
    assert result.status == "saved" and not [p for p in result.problems if p.is_error]
    assert Customer.objects.get(company=new, code="KH001").name == "华东机械有限公司"


def test_csv_is_utf8_with_bom_crlf_and_amounts_with_the_currencys_decimals(ledger, company):
    data = export_bytes("invoices", company)
    assert data.startswith(b"\xef\xbb\xbfnumber,customer,issue_date,due_date,amount,currency,")
    by_number = {r["number"]: r for r in rows_of(data)}
    # Records end in CRLF; a line break inside a cell stays the text's own (Excel writes LF).
    assert data.count(b"\r\n") == 1 + len(by_number) and data.endswith(b"\r\n")
    assert by_number["INV-003"]["amount"] == "2500.50"
    assert by_number["JP-INV-1"]["amount"] == "123456"  # JPY has no decimals
    assert by_number["US-INV-1"]["currency"] == "USD"
    assert by_number["INV-001"]["due_date"] == "2026-10-16"  # computed from STANDARD = NET45
    assert by_number["INV-004"]["disputed"] == "yes" and by_number["INV-001"]["disputed"] == "no"
    assert by_number["INV-002"]["contract"] == "HT-2026-01"
    assert by_number["US-INV-1"]["customer_name"] == 'Acme, Inc. "West"'
    assert by_number["INV-007"]["description"] == "line one\nline two"
    # Paid by payments recorded on their own: the payments sheet carries them, not the row.
    assert (by_number["INV-003"]["settled_date"], by_number["INV-003"]["paid_amount"]) == ("", "")
    # Settled by its own row in an import (SETTLE-INV-005): the row says so again.
    assert (by_number["INV-005"]["settled_date"], by_number["INV-005"]["paid_amount"]) == (
        "2026-10-01", "120.00")
    note = by_number["CN-001"]
    assert (note["amount"], note["description"], note["due_date"], note["disputed"]) == (
        "-50.00", "返利 rebate", "", "")
    assert list(by_number) == [*sorted(n for n in by_number if not n.startswith("CN")), "CN-001"]


def test_customers_carry_the_primary_contact_and_readable_terms(ledger, company):
    by_code = {r["code"]: r for r in rows_of(export_bytes("customers", company))}
    kh1 = by_code["KH001"]
    assert (kh1["email"], kh1["phone"], kh1["language"]) == ("ap@huadong.cn", "021-5555 0101",
                                                             "zh-hans")
    assert (kh1["sales_rep"], kh1["credit_limit"], kh1["tier"]) == ("Sam", "500000.00", "A")
    assert kh1["payment_terms"] == "NET45"  # STANDARD does not read as terms: its spec does
    assert by_code["US-7"]["payment_terms"] == "EOM+30"
    assert by_code["US-7"]["name"] == 'Acme, Inc. "West"'
    assert by_code["KH002"]["credit_limit"] == ""


def test_payments_name_their_first_invoice_and_leave_out_import_settlements(ledger, company):
    split_payment(company)
    by_reference = {r["reference"]: r for r in rows_of(export_bytes("payments", company))}
    assert set(by_reference) == {"RC-001", "RC-002", "RC-ACCOUNT", "RC-USD-1", "RC-SPLIT"}
    assert by_reference["RC-001"] == {"reference": "RC-001", "customer": "KH001",
                                      "date": "2026-10-10", "amount": "400.00", "currency": "CNY",
                                      "invoice": "INV-002"}
    assert by_reference["RC-ACCOUNT"]["invoice"] == ""
    assert by_reference["RC-SPLIT"]["invoice"] == "INV-006"


def _round_trip(source, target, fmt: str = "csv") -> dict[str, bytes]:
    files = {kind: export_bytes(kind, source, fmt) for kind in KINDS_IN_IMPORT_ORDER}
    for kind in KINDS_IN_IMPORT_ORDER:
        result = import_into(target, kind, files[kind], f"{kind}.{fmt}")
        errors = [p for p in result.problems if p.is_error]
        assert result.status == "saved" and not errors, result.to_json()
        assert {p.code for p in result.problems} <= {"amount.credit_note"}
    return files


def test_export_imported_into_a_new_company_exports_byte_for_byte_the_same(ledger, company):
    new, _ = ensure_company("NEW", "新公司", "CNY")
    files = _round_trip(company, new)
    for kind in KINDS_IN_IMPORT_ORDER:
        assert export_bytes(kind, new) == files[kind], kind
    assert open_amounts(new) == open_amounts(company)
    assert Invoice.objects.get(company=new, number="INV-004").is_disputed
    assert Dispute.objects.filter(company=new, invoice__number="INV-004",
                                  resolved_date__isnull=True).exists()
    note = CreditNote.objects.get(company=new, number="CN-001")
    assert (note.amount_minor, note.reason) == (5_000, "返利 rebate")
    assert Contact.objects.get(customer__company=new, customer__code="KH001").email == "ap@huadong.cn"


def test_a_split_payment_is_the_documented_limit_of_the_round_trip(ledger, company):
    split_payment(company)
    assert [w.code for w in run.write("payments", "csv", company, None, io.BytesIO()).warnings] \
        == ["payment.split"]
    new, _ = ensure_company("NEW", "新公司", "CNY")
    files = _round_trip(company, new)
    assert export_bytes("payments", new) == files["payments"]
    # The row names INV-006 only: it gets min(amount, open) = 1000.00, INV-007 nothing.
    before, after = open_amounts(company), open_amounts(new)
    assert before.pop("INV-007") == (50_000, None) and after.pop("INV-007") == (0, None)
    assert before == after


def test_export_imported_into_the_same_company_changes_nothing(ledger, company):
    split_payment(company)
    files = {kind: export_bytes(kind, company) for kind in KINDS_IN_IMPORT_ORDER}
    allocations = sorted(Allocation.objects.filter(company=company).values_list(
        "invoice__number", "payment__reference", "credit_note__number", "amount_minor",
        "applied_date"), key=str)
    audits = AuditEntry.objects.count()
    for kind in KINDS_IN_IMPORT_ORDER:
        result = import_into(company, kind, files[kind])
        assert (result.status, result.created, result.updated) == ("unchanged", 0, 0), kind
    assert AuditEntry.objects.count() == audits
    assert sorted(Allocation.objects.filter(company=company).values_list(
        "invoice__number", "payment__reference", "credit_note__number", "amount_minor",
        "applied_date"), key=str) == allocations
    assert Customer.objects.get(company=company, code="KH001").payment_terms.code == "STANDARD"
    for kind in KINDS_IN_IMPORT_ORDER:  # and the stored digests now take the fast path
        assert import_into(company, kind, files[kind]).status == "unchanged"
        assert export_bytes(kind, company) == files[kind]


def test_xlsx_export_reimports_into_a_new_company(ledger, company):
    csv_files = {kind: export_bytes(kind, company) for kind in KINDS_IN_IMPORT_ORDER}
    new, _ = ensure_company("NEWX", "Excel 公司", "CNY")
    _round_trip(company, new, "xlsx")
    for kind in KINDS_IN_IMPORT_ORDER:
        assert export_bytes(kind, new) == csv_files[kind], kind


def test_xlsx_keeps_text_as_text_dates_as_dates_and_amounts_as_numbers(ledger, company):
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_filelike(io.BytesIO(export_bytes("invoices", company, "xlsx")))
    rows = book.get_sheet_by_index(0).to_python()
    assert tuple(rows[0]) == sheets.COLUMNS["invoices"]
    by_number = {r[0]: r for r in rows[1:]}
    assert by_number["INV-004"][10] == "=disputed, starts like a formula"
    assert by_number["INV-003"][2] == date(2026, 9, 1) and by_number["INV-003"][4] == 2500.5
    assert by_number["CN-001"][4] == -50


def test_a_sales_rep_exports_only_their_customers_rows(ledger, company):
    from django.contrib.auth import get_user_model

    sam = get_user_model().objects.get(username="sam")
    split_payment(company)
    assert {r["code"] for r in rows_of(export_bytes("customers", company, user=sam))} == {"KH001"}
    invoices = rows_of(export_bytes("invoices", company, user=sam))
    assert {r["customer"] for r in invoices} == {"KH001"}
    assert {r["number"] for r in invoices} == {"INV-001", "INV-002", "INV-003", "CN-001"}
    assert {r["reference"] for r in rows_of(export_bytes("payments", company, user=sam))} == {
        "RC-001", "RC-002", "RC-ACCOUNT"}


def test_limits_name_what_the_import_format_cannot_carry(ledger, company):
    from cashloop.audit.services import SYSTEM_CLI
    from cashloop.ledger.services.allocations import AllocationLine
    from cashloop.ledger.services.credit_notes import create_credit_note
    from cashloop.ledger.services.payments import create_payment

    split_payment(company)
    create_credit_note(SYSTEM_CLI, company, number="CN-002", customer_code="KH001",
                       issue_date=date(2026, 10, 4), amount_minor=1_000, currency="CNY",
                       allocations=[AllocationLine("INV-001", 1_000)])
    create_payment(SYSTEM_CLI, company, reference="RC-LATE", customer_code="KH001",
                   received_date=date(2026, 11, 3), amount_minor=5_000, currency="CNY",
                   allocations=[AllocationLine("INV-001", 2_000, date(2026, 11, 5))])

    def codes(kind: str) -> dict[str, int]:
        return {w.code: w.count for w in run.write(kind, "csv", company, None,
                                                    io.BytesIO()).warnings}

    assert codes("invoices") == {"credit_note.allocated": 1}
    assert codes("customers") == {"customer.other_contacts": 1}
    assert codes("payments") == {"payment.split": 1, "payment.applied_later": 1,
                                 "payment.partly_applied": 1}


def test_json_rows_carry_strings_for_amounts_iso_dates_and_booleans(ledger, company):
    payload = json.loads(export_bytes("invoices", company, "json"))
    assert (payload["kind"], payload["company"], payload["warnings"]) == ("invoices", "ACME", [])
    by_number = {r["number"]: r for r in payload["rows"]}
    assert by_number["INV-005"] == {
        "number": "INV-005", "customer": "KH002", "issue_date": "2026-09-10",
        "due_date": "2026-10-10", "amount": "300.00", "currency": "CNY",
        "settled_date": "2026-10-01", "paid_amount": "120.00", "disputed": False, "contract": "",
        "description": "", "customer_name": "无额度客户"}
    assert by_number["CN-001"]["disputed"] is None and by_number["CN-001"]["amount"] == "-50.00"
    assert by_number["INV-004"]["disputed"] is True


def test_an_empty_sheet_is_a_header_or_an_empty_list(company):
    assert export_bytes("payments", company) == (
        b"\xef\xbb\xbfreference,customer,date,amount,currency,invoice\r\n")
    assert json.loads(export_bytes("payments", company, "json"))["rows"] == []


def test_unknown_kind_and_format_are_refusals(company):
    from cashloop.core.problems import Invalid, NotFound

    with pytest.raises(NotFound):
        export_bytes("orders", company)
    with pytest.raises(Invalid):
        export_bytes("invoices", company, "pdf")


def test_a_file_that_cannot_be_written_leaves_nothing_behind(ledger, company, tmp_path):
    taken = tmp_path / "invoices.csv"
    taken.mkdir()  # a folder where the file should go: the export fails at the very end
    with pytest.raises(OSError):
        run.write_file("invoices", "csv", company, None, taken)
    assert [p.name for p in tmp_path.iterdir()] == ["invoices.csv"] and taken.is_dir()
