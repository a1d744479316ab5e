"""Journey: switching the language to Chinese and back keeps the user where they were: on the
same page, with the same filters, including those htmx put in the address bar."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LANGUAGE = "header select[name=language]"


def _switch(page, code: str) -> None:
    with page.expect_navigation():
        page.select_option(LANGUAGE, code)
    assert page.get_attribute("html", "lang") == code
    assert page.input_value(LANGUAGE) == code


def _where(page, base_url: str) -> str:
    return page.url.removeprefix(base_url)


def test_switching_language_and_back_keeps_the_page_and_its_query(journey, small_ledger):
    page = journey.page
    journey.login("fiona", "fiona-pw-1")
    assert page.get_attribute("html", "lang") == "en"  # the browser asks for en-US

    here = reverse("invoice_detail", args=["INV-S1"])
    journey.goto(here)
    _switch(page, "zh-hans")
    assert _where(page, journey.base_url) == here
    assert "INV-S1" in page.inner_text("h1")
    _switch(page, "en")
    assert _where(page, journey.base_url) == here

    here = reverse("aging_page") + "?as_of=2026-10-15&by=customer"
    journey.goto(here)
    _switch(page, "zh-hans")
    assert _where(page, journey.base_url) == here
    assert page.input_value("input[name=as_of]") == "2026-10-15"
    assert page.input_value("select[name=by]") == "customer"
    _switch(page, "en")
    assert _where(page, journey.base_url) == here


def test_switching_language_after_filtering_with_htmx_keeps_the_filters(journey, small_ledger):
    page = journey.page
    journey.login("fiona", "fiona-pw-1")
    journey.goto(reverse("customer_list"))
    with page.expect_response(lambda r: "sales_rep=Sam" in r.url):
        page.select_option("select[name=sales_rep]", "Sam")
    page.wait_for_function("() => location.search.includes('sales_rep=Sam')")
    filtered = _where(page, journey.base_url)
    codes = {"C-SAM-1", "C-SAM-2"}
    shown = "main table tbody a[href^='/customers/']"
    page.wait_for_function(f"() => document.querySelectorAll(\"{shown}\").length === 2")

    _switch(page, "zh-hans")
    assert _where(page, journey.base_url) == filtered
    assert page.input_value("select[name=sales_rep]") == "Sam"
    assert set(page.locator(shown).all_inner_texts()) == codes
    _switch(page, "en")
    assert _where(page, journey.base_url) == filtered
    assert set(page.locator(shown).all_inner_texts()) == codes
