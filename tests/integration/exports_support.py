"""A small ledger built the ways users build one (app services and an import), and helpers to
export it and import it back, shared by the export tests."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from cashloop.accounts.services import add_user
from cashloop.audit.services import SYSTEM_CLI
from cashloop.exports import run
from cashloop.imports.services.run import ImportOptions, import_bytes
from cashloop.ledger.models import Company, PaymentTerms
from cashloop.ledger.services import customers, disputes, invoices, payments
from cashloop.ledger.services.allocations import AllocationLine
from cashloop.ledger.services.credit_notes import create_credit_note

AS_OF = date(2026, 11, 25)
KINDS_IN_IMPORT_ORDER = ("customers", "invoices", "payments")


def build_ledger(company: Company) -> dict[str, Any]:
    """Customers in CNY, USD and JPY of two sales reps; invoices open, partly paid, settled by a
    payment or by an imported settlement, disputed, under a contract; a credit note; payments
    in full, in part, on account and one split over two invoices."""
    add_user("sam", "sales_rep", company, password="sam-pw-12345", sales_rep_name="Sam")
    add_user("rita", "sales_rep", company, password="rita-pw-12345", sales_rep_name="Rita")
    # Terms whose code does not read as terms: exported by their spec.
    PaymentTerms.objects.create(company=company, code="STANDARD", name="Standard", spec="NET45",
                                net_days=45)
    PaymentTerms.objects.create(company=company, code="EOM+30", name="月结30天", spec="EOM+30",
                                net_days=30, end_of_month=True)
    cli = SYSTEM_CLI
    customers.create_customer(cli, company, {
        "code": "KH001", "name": "华东机械有限公司", "tax_id": "91310000MA1FL0001X",
        "industry": "机械", "country": "CN", "currency": "CNY", "sales_rep": "Sam",
        "department": "华东销售部", "credit_limit": "500000.00", "tier": "A",
        "payment_terms": "STANDARD"})
    customers.add_contact(cli, company, "KH001", {"name": "王会计", "email": "ap@huadong.cn",
                                                  "phone": "021-5555 0101", "language": "zh-hans",
                                                  "is_primary": True})
    customers.add_contact(cli, company, "KH001", {"name": "采购部", "email": "buy@huadong.cn"})
    customers.create_customer(cli, company, {
        "code": "US-7", "name": "Acme, Inc. \"West\"", "country": "US", "currency": "USD",
        "sales_rep": "Rita", "credit_limit": "10000.00", "tier": "B", "payment_terms": "EOM+30"})
    customers.add_contact(cli, company, "US-7", {"name": "AP", "email": "ap@acme.example",
                                                 "language": "en", "is_primary": True})
    customers.create_customer(cli, company, {"code": "JP-1", "name": "東京商事", "currency": "JPY"})
    customers.create_customer(cli, company, {"code": "KH002", "name": "无额度客户"})
    customers.create_contract(cli, company, "KH001", {"number": "HT-2026-01"})

    def invoice(number: str, customer: str, amount_minor: int, currency: str = "CNY",
                issued: date = date(2026, 9, 1), **more: Any) -> None:
        invoices.create_invoice(cli, company, number=number, customer_code=customer,
                                issue_date=issued, amount_minor=amount_minor, currency=currency,
                                **more)

    invoice("INV-001", "KH001", 100_000, description="open, due from terms")
    invoice("INV-002", "KH001", 100_000, due_date=date(2026, 10, 1), contract_number="HT-2026-01",
            description="partly paid, 合同")
    invoice("INV-003", "KH001", 250_050, due_date=date(2026, 10, 1), description="settled")
    invoice("INV-004", "KH002", 77_700, due_date=date(2026, 9, 30),
            description="=disputed, starts like a formula")
    invoice("INV-006", "KH002", 100_000, due_date=date(2026, 10, 15))
    invoice("INV-007", "KH002", 80_000, due_date=date(2026, 10, 20), description="line one\nline two")
    invoice("US-INV-1", "US-7", 1_234_550, "USD", due_date=date(2026, 10, 31))
    invoice("JP-INV-1", "JP-1", 123_456, "JPY", due_date=date(2026, 10, 31))
    disputes.open_dispute(cli, company, "INV-004", date(2026, 10, 5), "wrong price")
    payments.create_payment(cli, company, reference="RC-001", customer_code="KH001",
                            received_date=date(2026, 10, 10), amount_minor=40_000, currency="CNY",
                            allocations=[AllocationLine("INV-002", 40_000)])
    payments.create_payment(cli, company, reference="RC-002", customer_code="KH001",
                            received_date=date(2026, 10, 12), amount_minor=250_050,
                            currency="CNY", allocations=[AllocationLine("INV-003", 250_050)])
    payments.create_payment(cli, company, reference="RC-ACCOUNT", customer_code="KH001",
                            received_date=date(2026, 10, 20), amount_minor=30_000, currency="CNY")
    payments.create_payment(cli, company, reference="RC-USD-1", customer_code="US-7",
                            received_date=date(2026, 11, 2), amount_minor=1_234_550,
                            currency="USD", allocations=[AllocationLine("US-INV-1", 1_234_550)])
    create_credit_note(cli, company, number="CN-001", customer_code="KH001",
                       issue_date=date(2026, 10, 3), amount_minor=5_000, currency="CNY",
                       reason="返利 rebate")
    # An ERP export with a settled invoice: its settlement is the payment SETTLE-INV-005.
    imported = import_into(company, "invoices",
                           b"number,customer,issue_date,amount,settled_date,paid_amount\n"
                           b"INV-005,KH002,2026-09-10,300.00,2026-10-01,120.00\n")
    assert imported.status == "saved", imported.to_json()
    return {"company": company}


def split_payment(company: Company) -> None:
    """1500.00 over INV-006 (all 1000.00) and INV-007 (500.00 of 800.00): one row cannot say it."""
    payments.create_payment(SYSTEM_CLI, company, reference="RC-SPLIT", customer_code="KH002",
                            received_date=date(2026, 11, 1), amount_minor=150_000, currency="CNY",
                            allocations=[AllocationLine("INV-006", 100_000),
                                         AllocationLine("INV-007", 50_000)])


def export_bytes(kind: str, company: Company, fmt: str = "csv", user: Any = None) -> bytes:
    out = io.BytesIO()
    run.write(kind, fmt, company, user, out)
    return out.getvalue()


def import_into(company: Company, kind: str, data: bytes, name: str = "export.csv") -> Any:
    return import_bytes(data, name, ImportOptions(kind=kind, company=company.code), SYSTEM_CLI,
                        AS_OF)


def open_amounts(company: Company) -> dict[str, tuple[int, Any]]:
    """invoice number → (paid, settled date): what the round trip must keep."""
    from cashloop.ledger.models import Invoice

    return {number: (paid, settled) for number, paid, settled in Invoice.objects.filter(
        company=company).values_list("number", "paid_minor", "settled_date")}
