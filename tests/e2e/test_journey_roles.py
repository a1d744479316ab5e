"""Journey: who sees what. A sales rep sees only the customers they own (another rep's customer and
invoice pages are 404); an auditor reads everything but is offered no form that changes the ledger,
and the import page refuses them."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _linked(page, prefix: str) -> set[str]:
    """The codes or numbers linked from the page's main table rows."""
    links = page.locator(f"main table tbody a[href^='{prefix}']")
    return {text.strip() for text in links.all_inner_texts()}


def _changing_forms(page) -> list[str]:
    """Actions of POST forms in the page body (the header's language and logout forms aside)."""
    return page.eval_on_selector_all(
        "main form", "fs => fs.filter(f => f.method.toLowerCase() === 'post').map(f => f.action)")


def test_sales_rep_sees_only_their_customers_and_invoices(journey, small_ledger):
    page = journey.page
    journey.login("sam", "sam-pw-1")

    journey.goto(reverse("customer_list"))
    assert _linked(page, "/customers/") == {"C-SAM-1", "C-SAM-2"}
    journey.goto(reverse("invoice_list"))
    assert _linked(page, "/invoices/") == {"INV-S1", "INV-S2"}

    # Their own pages open and offer the payment form (a rep acts on their customers).
    journey.goto(reverse("customer_detail", args=["C-SAM-1"]))
    assert "C-SAM-1" in page.inner_text("h1")
    own = journey.goto(reverse("invoice_detail", args=["INV-S1"]))
    assert own.status == 200
    assert reverse("invoice_record_payment", args=["INV-S1"]) in " ".join(_changing_forms(page))

    # Another rep's customer and invoice, and the house account, do not exist for them.
    for path in (reverse("customer_detail", args=["C-RITA-1"]),
                 reverse("invoice_detail", args=["INV-R1"]),
                 reverse("customer_detail", args=["C-HOUSE"]),
                 reverse("invoice_detail", args=["INV-H1"])):
        journey.expect_error_status(path)
        response = journey.goto(path)
        assert response.status == 404, f"{path} answered {response.status}"
        shown = page.inner_text("main")  # the address itself may echo in the header form
        assert "C-RITA-1" not in shown and "Rita" not in shown
    # Searching does not reveal them either.
    journey.goto(reverse("customer_list") + "?q=C-RITA")
    assert _linked(page, "/customers/") == set()


def test_auditor_reads_everything_but_is_offered_no_change_and_no_import(journey, small_ledger):
    page = journey.page
    journey.login("aude", "aude-pw-1")

    journey.goto(reverse("customer_list"))
    assert _linked(page, "/customers/") == set(small_ledger["owners"])
    assert page.locator(f"main a[href='{reverse('customer_new')}']").count() == 0

    journey.goto(reverse("customer_detail", args=["C-RITA-1"]))
    assert "C-RITA-1" in page.inner_text("h1")
    assert page.locator(f"main a[href='{reverse('customer_edit', args=['C-RITA-1'])}']").count() == 0
    assert _changing_forms(page) == []

    journey.goto(reverse("invoice_detail", args=["INV-R1"]))
    assert "INV-R1" in page.inner_text("h1")
    assert _changing_forms(page) == []
    for name in ("reference", "apply_amount", "payment", "reason"):
        assert page.locator(f"main [name={name}]").count() == 0

    for path in (reverse("import_page"), reverse("customer_edit", args=["C-RITA-1"])):
        journey.expect_error_status(path)
        response = journey.goto(path)
        assert response.status == 403, f"{path} answered {response.status}"
        assert page.locator("input[type=file], form#import-form").count() == 0
