"""Daily receivables flows: the triggers keep them equal to a rebuild from the documents, through
every writer, and the metrics read from them equal the scans of every invoice."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection

from cashloop.audit.services import SYSTEM_CLI
from cashloop.core import metrics
from cashloop.imports.services import invoices as invoice_import
from cashloop.imports.services.run import ImportOptions, import_bytes
from cashloop.ledger.models import Allocation, Customer, Invoice, ReceivableDay
from cashloop.ledger.services import flows
from cashloop.ledger.services.allocations import AllocationLine, delete_allocation
from cashloop.ledger.services.invoices import create_invoice, update_invoice
from cashloop.ledger.services.payments import create_payment, delete_payment
from cashloop.reports import flows as report_flows
from cashloop.reports import queries, services
from tests.integration.test_reports_ledger import make_ledger

pytestmark = pytest.mark.django_db
A = SYSTEM_CLI


def days(company) -> dict[tuple[str, date], tuple[int, int, int]]:
    """The company's flows without the days where everything cancelled out."""
    return {(r.currency, r.day): (r.issued_minor, r.issued_count, r.collected_minor)
            for r in ReceivableDay.objects.filter(company_id=company.pk)
            if (r.issued_minor, r.issued_count, r.collected_minor) != (0, 0, 0)}


def rebuilt(company) -> dict[tuple[str, date], tuple[int, int, int]]:
    flows.rebuild(company.pk)
    return days(company)


def assert_in_step(company) -> None:
    kept = days(company)
    assert kept == rebuilt(company)


def test_bulk_created_ledger_has_its_flows(company):
    records = make_ledger(company, seed=3, n=120, currencies=("CNY", "USD"))
    kept = days(company)
    assert sum(v[0] for v in kept.values()) == sum(r.amount for r in records)
    assert sum(v[1] for v in kept.values()) == len(records)
    assert sum(v[2] for v in kept.values()) == sum(a for r in records for _d, a in r.allocations)
    assert kept == rebuilt(company)


def test_services_keep_flows_in_step(company):
    Customer.objects.create(company=company, code="C1", name="客户一", currency="CNY")
    d = date(2024, 3, 1)
    for i in range(3):
        create_invoice(A, company, number=f"INV-{i}", customer_code="C1", issue_date=d,
                       amount_minor=10_000 * (i + 1), currency="CNY")
    assert days(company) == {("CNY", d): (60_000, 3, 0)}
    create_payment(A, company, reference="P1", customer_code="C1", received_date=d + timedelta(5),
                   amount_minor=25_000, currency="CNY",
                   allocations=[AllocationLine("INV-0", 10_000), AllocationLine("INV-1", 15_000)])
    assert days(company)[("CNY", d + timedelta(5))] == (0, 0, 25_000)
    assert_in_step(company)
    # A later issue date moves the invoice and its allocation applied before it (quirk).
    update_invoice(A, company, "INV-0", issue_date=d + timedelta(10))
    kept = days(company)
    assert kept[("CNY", d + timedelta(10))] == (10_000, 1, 10_000)
    assert kept[("CNY", d + timedelta(5))] == (0, 0, 15_000)
    assert_in_step(company)
    update_invoice(A, company, "INV-2", amount_minor=31_000)
    assert_in_step(company)
    delete_allocation(A, company, Allocation.objects.get(invoice__number="INV-1").pk)
    assert_in_step(company)
    delete_payment(A, company, "P1")
    assert days(company) == {("CNY", d): (51_000, 2, 0), ("CNY", d + timedelta(10)): (10_000, 1, 0)}
    Invoice.objects.filter(number="INV-2").delete()
    assert days(company) == {("CNY", d): (20_000, 1, 0), ("CNY", d + timedelta(10)): (10_000, 1, 0)}


def _csv(n: int, settled_every: int = 3) -> bytes:
    lines = ["number,customer,issue_date,due_date,amount,currency,settled_date,paid_amount"]
    for i in range(n):
        issue = date(2024, 1, 1) + timedelta(days=i % 200)
        settled = (issue + timedelta(days=40)).isoformat() if i % settled_every == 0 else ""
        paid = "" if not settled else ("50.00" if i % 2 else "")
        lines.append(f"N{i:05d},K{i % 7},{issue},{issue + timedelta(30)},{100 + i}.25,"
                     f"{'USD' if i % 5 == 0 else 'CNY'},{settled},{paid}")
    return ("\n".join(lines) + "\n").encode()


def _triggers() -> set[str]:
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cur.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled = 'O'")
        return {row[0] for row in cur.fetchall()}


@pytest.mark.parametrize("chunk", [5, 20_000])
def test_imports_keep_flows_in_step_in_bulk_and_row_by_row(company, monkeypatch, chunk):
    # A chunk of 5 rows sends this small file down the bulk path (triggers suspended, rebuild).
    monkeypatch.setattr(invoice_import, "CHUNK", chunk)
    result = import_bytes(_csv(60), "t.csv", ImportOptions(kind="invoices"), A, date(2024, 12, 31))
    assert result.status == "saved", result.problems[:3]
    assert set(flows.TRIGGER_NAMES) <= _triggers()
    kept = days(company)
    assert sum(v[1] for v in kept.values()) == 60
    assert kept == rebuilt(company)
    changed = _csv(60).replace(b"N00003,K3,2024-01-04", b"N00003,K3,2024-02-04")
    import_bytes(changed, "t.csv", ImportOptions(kind="invoices"), A, date(2024, 12, 31))
    assert days(company) == rebuilt(company)


@pytest.mark.parametrize("as_of", [date(2023, 12, 31), date(2024, 6, 30), date(2025, 3, 1)])
def test_metrics_history_from_flows_equals_the_scans(company, as_of):
    make_ledger(company, seed=as_of.month, n=250, currencies=("CNY", "USD"))
    dates = sorted({as_of - timedelta(days=90), *metrics.trend_dates(as_of, 12), as_of})
    assert report_flows.receivables_history(company, dates) == \
        queries.receivables_history(company, dates)


@pytest.mark.parametrize("as_of", [date(2024, 6, 30), date(2026, 1, 1)])
def test_top_overdue_customers_equal_a_direct_ranking(company, as_of):
    records = make_ledger(company, seed=21, n=300, currencies=("CNY",))
    overdue: dict[str, int] = {}
    for r in records:
        if r.due < as_of and r.open_as_of(as_of) > 0:
            overdue[r.customer] = overdue.get(r.customer, 0) + r.open_as_of(as_of)
    expected = sorted(overdue.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    got = services.top_overdue_customers(company, as_of, limit=3)
    assert [(t["code"], t["overdue_minor"]) for t in got] == expected


def test_dashboard_equals_its_reports_computed_alone(company):
    make_ledger(company, seed=8, n=200)
    as_of = date(2024, 9, 30)
    board = services.dashboard(company, as_of)
    assert board.aging == services.aging_report(company, as_of)
    assert board.metrics == services.collection_metrics(company, as_of)
    assert board.top_overdue == services.top_overdue_customers(company, as_of)


@pytest.mark.parametrize("as_of", [date(2024, 3, 31), date(2026, 1, 1)])
def test_largest_customers_are_the_full_reports_top_rows(company, as_of):
    from dataclasses import replace
    from decimal import Decimal

    from cashloop.core.aging import DEFAULT_BUCKETS
    from cashloop.ledger.models import ExchangeRate

    make_ledger(company, seed=34, n=300, currencies=("CNY", "USD"))
    ExchangeRate.objects.create(from_currency="USD", to_currency="CNY", rate_date=date(2020, 1, 1),
                                rate=Decimal("7.1234"))
    full = services.aging_report(company, as_of, by="customer")
    ordered = sorted(full.rows, key=lambda row: -row.total_minor)
    largest, more = services.aging_largest_customers(company, as_of, DEFAULT_BUCKETS, None, 5)
    assert largest.rows == tuple(ordered[:5])
    assert more == len(ordered) - 5 > 0
    assert replace(largest, rows=()) == replace(full, rows=())
