"""Journey: a collector records a payment on an invoice page, applies part of it, then allocates
the rest with the allocation form; the open amount drops each time, and the auditor finds the
allocation, with its before and after, in the audit log."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from cashloop.ledger.models import Invoice

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NUMBER = "INV-H1"  # 1,000.00 CNY, due 2026-10-31, nothing paid


def _open_amount(page) -> Decimal:
    """The invoice page's open-amount card (the fourth: customer, amount, paid, open, status)."""
    return Decimal(page.locator("main .cards .card").nth(3).locator(".value").inner_text()
                   .replace(",", "").strip())


def _messages(page, kind: str) -> list[str]:
    return page.locator(f"main ul.messages li.{kind}").all_inner_texts()


def test_collector_records_and_allocates_a_payment_and_the_auditor_sees_it(journey, small_ledger):
    page = journey.page
    journey.login("colin", "colin-pw-1")
    journey.goto(reverse("invoice_detail", args=[NUMBER]))
    assert _open_amount(page) == Decimal("1000.00")

    record = f"form[action='{reverse('invoice_record_payment', args=[NUMBER])}']"
    page.fill(f"{record} input[name=reference]", "PAY-77")
    page.fill(f"{record} input[name=received_date]", "2026-11-20")
    page.fill(f"{record} input[name=amount]", "600.00")
    page.fill(f"{record} input[name=apply_amount]", "250.00")
    with page.expect_navigation():
        page.click(f"{record} button[type=submit]")
    assert not _messages(page, "error"), _messages(page, "error")
    assert _open_amount(page) == Decimal("750.00")

    # The rest of the payment is offered in the allocation form; allocate 350.00 of it.
    allocate = f"form[action='{reverse('invoice_allocate', args=[NUMBER])}']"
    assert page.input_value(f"{allocate} select[name=payment]") == "PAY-77"
    page.fill(f"{allocate} input[name=amount]", "350.00")
    page.fill(f"{allocate} input[name=applied_date]", "2026-11-21")
    with page.expect_navigation():
        page.click(f"{allocate} button[type=submit]")
    assert not _messages(page, "error"), _messages(page, "error")
    assert _open_amount(page) == Decimal("400.00")
    applied = page.locator("main table").nth(1).locator("tbody tr").all_inner_texts()
    assert len(applied) == 2 and all("PAY-77" in row for row in applied)
    invoice = Invoice.objects.get(company=small_ledger["company"], number=NUMBER)
    assert invoice.amount_minor - invoice.paid_minor == 40_000

    journey.logout()
    journey.login("aude", "aude-pw-1")
    journey.goto(reverse("audit_log") + "?action=allocation.create")
    rows = page.locator("table.audit tbody tr")
    assert rows.count() == 2
    newest = rows.first.locator("td")
    who, channel, action = (newest.nth(i).inner_text().strip() for i in (1, 2, 3))
    assert (who, channel, action) == ("colin", "web", "allocation.create")
    assert newest.nth(5).locator("div").count() == 0, "a new allocation has no before"
    after = newest.nth(6).inner_text()
    assert "PAY-77" in after and NUMBER in after and "350.00" in after and "2026-11-21" in after

    # The invoice's paid amount, before and after that allocation.
    journey.goto(reverse("audit_log") + f"?action=invoice.settlement&object={NUMBER}")
    settlement = page.locator("table.audit tbody tr").first.locator("td")
    assert settlement.nth(1).inner_text().strip() == "colin"
    assert "250.00" in settlement.nth(5).inner_text()
    assert "600.00" in settlement.nth(6).inner_text()
