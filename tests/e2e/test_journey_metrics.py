"""Collection metrics page: changing the period re-renders the figures and keeps a live chart."""

import pytest
from django.urls import reverse

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_changing_the_period_redraws_the_dso_trend(journey, small_ledger):
    page = journey.page
    journey.login("fiona", "fiona-pw-1")
    journey.goto(reverse("metrics_page"))
    page.wait_for_selector("#dso-chart .js-plotly-plot")

    with page.expect_response(lambda r: "period_days=30" in r.url):
        page.fill("input[name=period_days]", "30")
        page.press("input[name=period_days]", "Enter")
    page.wait_for_timeout(300)  # htmx settles swapped elements after a short delay
    # Plotly's own element keeps its class after the swap, so its layers stay inside the chart.
    assert page.locator("#dso-chart .chart.js-plotly-plot").count() == 1
    assert "period_days=30" in page.url
