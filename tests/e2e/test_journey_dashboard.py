"""Journey: the demo company's finance manager opens the dashboard: total AR and overdue agree
with the aging API, both Plotly charts draw from the locally served bundle (nothing is fetched
from the internet), and a top-overdue customer's link opens that customer's page."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from cashloop.demo.story import build_story
from cashloop.demo.writer import write_story

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _amount(text: str) -> Decimal:
    return Decimal(text.replace(",", "").split()[0])


def test_dashboard_of_the_demo_company_tells_its_story_and_leads_to_a_customer(
        journey, settings, fixed_today):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    write_story(build_story(date.fromisoformat(fixed_today)))
    page = journey.page
    plotly = []
    page.on("response", lambda r: plotly.append((r.url, r.status)) if "plotly" in r.url else None)
    journey.login("demo.finance", "cashloop-finance")
    if page.url.rstrip("/") != journey.base_url:
        journey.goto(reverse("dashboard"))
    page.wait_for_selector("#aging-chart.js-plotly-plot .main-svg")
    page.wait_for_selector("#dso-chart.js-plotly-plot .main-svg")

    assert plotly and all(url.startswith(f"{journey.base_url}/static/") and status == 200
                          for url, status in plotly), plotly
    assert page.locator("#aging-chart .bars .point").count() == 5  # one bar per bucket
    assert page.locator("#dso-chart .scatterlayer .trace").count() == 2  # countback, standard

    cards = page.locator("main .cards").first.locator(".card .value")
    total_ar, overdue = _amount(cards.nth(0).inner_text()), _amount(cards.nth(1).inner_text())
    report = page.request.get(f"{reverse('api:aging')}").json()
    assert report["as_of"] == fixed_today and report["currency"] == "CNY"
    assert total_ar == Decimal(report["total"]) > 0
    assert overdue == Decimal(report["total"]) - Decimal(report["buckets"][0]["amount"]) > 0

    top = page.locator("main table tbody a[href^='/customers/']")
    assert top.count() > 0
    code = top.first.inner_text().strip()
    top_overdue = _amount(page.locator("main table tbody tr").first.locator("td").last.inner_text())
    assert top_overdue > 0
    with page.expect_navigation():
        top.first.click()
    assert page.url.endswith(reverse("customer_detail", args=[code]))
    assert code in page.inner_text("h1")
    assert page.locator("main .cards .card .value.bad").count() == 1  # its overdue card is lit
    assert page.locator("table.open-items tbody td.num").count() > 0
