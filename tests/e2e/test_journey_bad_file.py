"""Journey: a finance manager uploads a file with a bad date and a bad amount; the page names each
problem by its physical line and column, and nothing from the file is saved."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from cashloop.accounts.services import add_user
from cashloop.ledger.models import Customer, Invoice
from tests.integration.jobs_support import reads_take_no_table_locks

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BAD_FILE = (
    "number,customer,issue_date,due_date,amount\n"   # line 1
    "B-1,C1,2026-01-05,2026-02-04,100.00\n"          # line 2
    "B-2,C1,2026-13-45,2026-02-04,200.00\n"          # line 3: no 13th month
    "B-3,C2,2026-01-07,2026-02-06,300.00\n"          # line 4
    "B-4,C2,2026-01-08,2026-02-07,12abc\n"           # line 5: not an amount
    "B-5,C3,2026-01-09,2026-02-08,500.00\n"          # line 6
)


def _problems(page, table: str) -> set[tuple[str, str, str]]:
    """(line, column, value) of each error row in a problems table."""
    rows = page.locator(f"{table} table.problems tbody tr.bad")
    return {tuple(cell.strip() for cell in row.locator("td").all_inner_texts()[:3])
            for row in rows.all()}


def test_bad_date_and_bad_amount_are_named_by_line_and_column_and_nothing_is_saved(
        journey, company, tmp_path, fixed_today):
    reads_take_no_table_locks()  # the import job's thread shares the in-memory test database
    add_user("fiona", "finance_manager", company, password="fiona-pw-1")
    bad = tmp_path / "bad-invoices.csv"
    bad.write_text(BAD_FILE, encoding="utf-8")
    invoices_before = Invoice.objects.filter(company=company).count()
    customers_before = Customer.objects.filter(company=company).count()
    page = journey.page
    journey.login("fiona", "fiona-pw-1")

    journey.goto(reverse("import_page"))
    page.select_option("#import-form select[name=kind]", "invoices")
    page.set_input_files("#import-form input[name=file]", str(bad))
    page.click("#import-form .filters button[type=submit]")
    page.wait_for_selector("#import-preview table.preview")
    # The preview already marks the two bad rows by their physical line (header = line 1).
    bad_lines = page.locator("#import-preview table.preview tbody tr.bad td:first-child")
    assert sorted(t.strip() for t in bad_lines.all_inner_texts()) == ["3", "5"]

    # Confirming submits an import job and opens its page, which polls until the job has ended.
    with page.expect_navigation(url=re.compile(r"/jobs/\d+/$")):
        page.click(f"#import-preview button[hx-post='{reverse('import_confirm')}']")
    page.wait_for_selector("#job-status .cards")
    problems = _problems(page, "#job-status")
    assert ("3", "issue_date", "2026-13-45") in problems
    assert ("5", "amount", "12abc") in problems
    assert {line for line, _column, _value in problems} == {"3", "5"}
    # Each problem has a reason, not just a position.
    for reason in page.locator("#job-status table.problems tbody tr.bad td:last-child").all():
        assert reason.inner_text().strip()
    cards = page.locator("#job-status .cards .card .value").all_inner_texts()
    assert int(cards[1]) == 0, "nothing created"
    assert int(cards[4]) == 2, "two rows rejected"

    assert Invoice.objects.filter(company=company).count() == invoices_before
    assert Customer.objects.filter(company=company).count() == customers_before
    # The list page agrees: none of the file's invoices is there.
    journey.goto(reverse("invoice_list") + "?number=B-")
    assert page.locator("main table tbody a[href^='/invoices/B-']").count() == 0
