"""The set-based payments import keeps the ledger's rules: open amounts shared in file order,
re-allocation of changed payments, settlement through core.settlement, audits, bad rows located."""

from __future__ import annotations

from datetime import date

import pytest

from cashloop.audit.models import AuditEntry
from cashloop.audit.services import SYSTEM_CLI
from cashloop.imports.services.run import ImportOptions, import_bytes
from cashloop.ledger.models import Allocation, Customer, Invoice, Payment

AS_OF = date(2024, 12, 31)
INVOICES = (b"number,customer,issue_date,amount,currency\n"
            b"I1,C1,2024-01-01,100,CNY\nI2,C1,2024-01-02,50,CNY\nU1,C2,2024-01-03,10,USD\n")
HEADER = b"reference,customer,date,amount,currency,invoice\n"

pytestmark = pytest.mark.django_db


def run(data: bytes, kind: str = "payments", **options):
    return import_bytes(data, "pay.csv", ImportOptions(kind=kind, **options), SYSTEM_CLI, AS_OF)


def paid(number: str) -> tuple[int, date | None]:
    invoice = Invoice.objects.get(number=number)
    return invoice.paid_minor, invoice.settled_date


def test_payments_of_one_invoice_share_its_open_amount_in_file_order(company):
    run(INVOICES, "invoices")
    result = run(HEADER + b"P1,C1,2024-02-01,70,CNY,I1\nP2,C1,2024-02-05,70,CNY,I1\n"
                          b"P3,C1,2024-02-09,70,CNY,I1\n")
    assert (result.status, result.created) == ("saved", 3)
    assert paid("I1") == (10000, date(2024, 2, 5))
    by_payment = dict(Allocation.objects.values_list("payment__reference", "amount_minor"))
    assert by_payment == {"P1": 7000, "P2": 3000}  # P3 finds nothing open: unallocated
    entries = AuditEntry.objects.filter(action="invoice.settlement")
    assert [(e.before["paid_minor"], e.after["paid_minor"], e.after["settled_date"])
            for e in entries] == [(0, 10000, "2024-02-05")]
    assert entries[0].object_type == "invoice" and entries[0].object_repr == "I1"


def test_same_file_twice_changes_nothing(company):
    run(INVOICES, "invoices")
    data = HEADER + b"P1,C1,2024-02-01,30,CNY,I1\nP2,C9,2024-02-02,5,CNY,\n"
    assert run(data).status == "saved"
    audits = AuditEntry.objects.count()
    again = run(data)
    assert (again.status, again.unchanged, again.created, again.updated) == ("unchanged", 2, 0, 0)
    assert AuditEntry.objects.count() == audits and paid("I1") == (3000, None)
    assert Customer.objects.filter(code="C9").exists()  # an unknown customer is created


def test_payment_moved_to_another_invoice_frees_the_first(company):
    run(INVOICES, "invoices")
    run(HEADER + b"P1,C1,2024-02-01,50,CNY,I1\nP2,C1,2024-02-02,60,CNY,I1\n")
    assert paid("I1") == (10000, date(2024, 2, 2))
    result = run(HEADER + b"P1,C1,2024-02-01,50,CNY,I2\nP2,C1,2024-02-02,60,CNY,I1\n")
    assert (result.updated, result.unchanged) == (1, 1)
    # P1's 50 went to I2; P2 keeps its 50 on I1 (not re-allocated, its row is unchanged).
    assert paid("I1") == (5000, None) and paid("I2") == (5000, date(2024, 2, 1))
    assert AuditEntry.objects.get(action="payment.import_update").object_repr == "P1"


def test_changed_amount_is_audited_and_reallocated_within_what_is_open(company):
    run(INVOICES, "invoices")
    run(HEADER + b"P1,C1,2024-02-01,40,CNY,I1\nP2,C1,2024-02-03,60,CNY,I1\n")
    result = run(HEADER + b"P1,C1,2024-02-01,90,CNY,I1\nP2,C1,2024-02-03,60,CNY,I1\n")
    assert result.updated == 1
    # P2's 60 stays; P1 now offers 90 but only 40 is open.
    assert Payment.objects.get(reference="P1").allocations.get().amount_minor == 4000
    assert paid("I1") == (10000, date(2024, 2, 3))
    entry = AuditEntry.objects.get(action="payment.import_update")
    assert (entry.before, entry.after) == ({"amount_minor": 4000}, {"amount_minor": 9000})


def test_bad_rows_name_line_column_value_and_nothing_is_saved(company):
    run(INVOICES, "invoices")
    result = run(b"Ref,Customer,Date,Amount,Currency,Invoice No\n"
                 b"P1,C1,2024-02-01,10,CNY,I1\nP2,C2,2024-02-01,10,CNY,U1\nP3,C1,2024-02-01,10,CNY,NOPE\n")
    assert result.status == "rejected"
    problems = [(p.line, p.column, p.value, p.code) for p in result.problems]
    assert problems == [(3, "Invoice No", "U1", "currency.mismatch"),
                        (4, "Invoice No", "NOPE", "invoice.unknown")]
    assert result.problems[0].text() == "invoice U1 is in USD, the payment in CNY"
    assert not Payment.objects.exists() and paid("I1") == (0, None)


def test_skip_bad_saves_the_good_rows(company, tmp_path):
    run(INVOICES, "invoices")
    result = run(HEADER + b"P1,C1,2024-02-01,10,CNY,I1\nP3,C1,2024-02-01,10,CNY,NOPE\n",
                 skip_bad=True)
    assert (result.status, result.created, result.rejected) == ("partial", 1, 1)
    assert list(Payment.objects.values_list("reference", flat=True)) == ["P1"]
    assert paid("I1") == (1000, None)


def test_many_payments_keep_the_daily_flows_in_step(company):
    from cashloop.imports.services.payments import UNTRACKED_ABOVE
    from tests.integration.test_receivable_days import assert_in_step

    count = UNTRACKED_ABOVE + 50  # above it the flow trigger is suspended and days added at once
    run(b"number,customer,issue_date,amount\n" + b"".join(
        b"I%d,C%d,2024-03-%02d,100\n" % (n, n % 7, 1 + n % 28) for n in range(count)), "invoices")
    data = HEADER + b"".join(b"P%d,C%d,2024-%02d-10,%d,CNY,I%d\n" % (
        n, n % 7, 2 + n % 4, 40 + n % 90, n) for n in range(count))  # some before the issue date
    assert run(data).created == count
    assert_in_step(company)
    # Changed payments: their old allocations leave through the delete trigger, tracked as ever.
    assert run(data.replace(b",40,CNY", b",41,CNY")).updated > 0
    assert_in_step(company)
    assert Allocation.objects.count() == count
