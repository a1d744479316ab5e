"""Journey: a finance manager imports an ERP export on the import page, reads the aging as of a
past date grouped by customer, and drills down to one customer.

The IBM AR sample is in US dollars and has no exchange rates beside it, so the journey imports it
into a company whose base currency is USD (as its owner would): a CNY company would need a
USD→CNY rate for 2013 that we would have to make up, and the totals would then check a made-up
rate instead of the file.
"""

from __future__ import annotations

import csv
import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from cashloop.accounts.services import add_user
from cashloop.ledger.models import Invoice
from cashloop.ledger.services.companies import ensure_company
from tests.integration.jobs_support import reads_take_no_table_locks

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

IBM_FILE = ("ibm_ar", "WA_Fn-UseC_-Accounts-Receivable.csv")
IBM_MAPPING = {
    "customer": "customerID", "number": "invoiceNumber", "issue_date": "InvoiceDate",
    "due_date": "DueDate", "amount": "InvoiceAmount", "settled_date": "SettledDate",
    "disputed": "Disputed",
}
AS_OF = date(2013, 6, 30)


def _amount(text: str) -> Decimal:
    """A money figure as the page shows it (grouped with commas) or as JSON has it."""
    return Decimal(text.replace(",", "").strip())


def _us_date(text: str) -> date:
    month, day, year = (int(part) for part in text.split("/"))
    return date(year, month, day)


def _open_on(path, day: date) -> dict[str, dict[str, Decimal]]:
    """Straight from the file: per customer, the invoices issued by `day` and settled after it."""
    out: dict[str, dict[str, Decimal]] = {}
    with path.open(newline="", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            if _us_date(row["InvoiceDate"]) <= day < _us_date(row["SettledDate"]):
                out.setdefault(row["customerID"], {})[row["invoiceNumber"]] = Decimal(
                    row["InvoiceAmount"])
    return out


def _choose_column(page, field: str, column: str) -> None:
    """Pick `column` for `field`; the preview re-renders (htmx): wait for the new one to show it."""
    select = f"#import-preview select[name=map_{field}]"
    page.eval_on_selector(select, "el => el.setAttribute('data-stale', '')")
    page.select_option(select, column)
    page.wait_for_selector(f"{select}:not([data-stale])")
    assert page.input_value(select) == column


def test_finance_manager_imports_the_ibm_export_and_drills_down_from_aging(
        journey, shared_data, fixed_today):
    ibm = shared_data.joinpath(*IBM_FILE)
    reads_take_no_table_locks()  # the import job's thread shares the in-memory test database
    company, _ = ensure_company("IBMAR", "IBM AR sample", "USD", make_default=True)
    add_user("fiona", "finance_manager", company, password="fiona-pw-1")
    page = journey.page
    journey.login("fiona", "fiona-pw-1")

    # Upload: the preview comes back in place (htmx) with a select per field.
    journey.goto(reverse("import_page"))
    page.select_option("#import-form select[name=kind]", "invoices")
    page.set_input_files("#import-form input[name=file]", str(ibm))
    page.fill("#import-form input[name=currency]", "USD")
    page.click("#import-form .filters button[type=submit]")
    page.wait_for_selector("#import-preview select[name=map_customer]")
    for field, column in IBM_MAPPING.items():
        _choose_column(page, field, column)
    for field, column in IBM_MAPPING.items():
        assert page.input_value(f"#import-preview select[name=map_{field}]") == column
    assert page.locator("#import-preview table.preview tbody tr.bad").count() == 0
    assert Invoice.objects.filter(company=company).count() == 0, "nothing is saved before confirming"

    # Confirming submits an import job and opens its page, which polls until the job is done.
    with page.expect_navigation(url=re.compile(r"/jobs/\d+/$")):
        page.click(f"#import-preview button[hx-post='{reverse('import_confirm')}']")
    page.wait_for_selector("#job-status .cards", timeout=120_000)
    cards = page.locator("#job-status .cards .card .value").all_inner_texts()
    rows, created, updated, unchanged, rejected = (int(v) for v in cards[:5])
    assert (rows, created, updated, unchanged, rejected) == (2466, 2466, 0, 0, 0)
    assert Invoice.objects.filter(company=company).count() == 2466

    # Aging as of 2013-06-30 by customer, chosen with the page's own selectors.
    journey.goto(reverse("aging_page"))
    with page.expect_response(lambda r: "by=customer" in r.url and "as_of=2013-06-30" in r.url):
        page.fill("input[name=as_of]", AS_OF.isoformat())
        page.select_option("select[name=by]", "customer")
    page.wait_for_selector("#aging-body td a[href^='/customers/']")
    # Drawn with the local Plotly, and styled as Plotly styles it (its layers stacked, not spilling
    # over the table): Playwright's click below would also refuse a link covered by a stray layer.
    page.wait_for_selector("#aging-chart .js-plotly-plot .main-svg")
    assert "as_of=2013-06-30" in page.url and "by=customer" in page.url  # htmx pushed the query

    api = page.request.get(f"/api/reports/aging?as_of={AS_OF}&by=customer")
    assert api.ok, api.text()
    report = api.json()
    assert report["as_of"] == "2013-06-30" and report["currency"] == "USD"
    table = page.locator("#aging-body table tbody tr")
    total_row = table.last.locator("td")
    shown_total = _amount(total_row.last.inner_text())
    assert shown_total == _amount(report["total"])
    shown_buckets = [_amount(t) for t in total_row.all_inner_texts()[3:-1]]
    assert shown_buckets == [_amount(b["amount"]) for b in report["buckets"]]

    # The total is the file's own: invoices issued by that day and settled after it.
    expected = _open_on(ibm, AS_OF)
    assert shown_total == sum(sum(inv.values()) for inv in expected.values())

    # Drill down: the first row is the largest; its link opens that customer's page.
    first = table.first
    code = first.locator("td").first.inner_text().strip()
    row_total = _amount(first.locator("td").last.inner_text())
    assert row_total == sum(expected[code].values())
    assert row_total == max(_amount(r["total"]) for r in report["rows"])
    with page.expect_navigation():
        first.locator("td a").click()
    assert reverse("customer_detail", args=[code]) + "?as_of=2013-06-30" in page.url
    assert code in page.inner_text("h1")
    # The customer page is as of the aging date: its open items are exactly the invoices that
    # made up the row, each with its open amount then.
    rows = page.locator("table.open-items tbody tr")
    shown = {rows.nth(i).locator("td").first.inner_text().strip():
             _amount(rows.nth(i).locator("td").nth(5).inner_text()) for i in range(rows.count())}
    assert shown == expected[code]
    received = [date.fromisoformat(t.strip()) for t in
                page.locator("table.payments tbody tr td:first-child").all_inner_texts()]
    assert received and all(day <= AS_OF for day in received)  # the history up to that date
