import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cashloop.accounts.services import add_user
from tests.integration.test_reports_ledger import make_ledger

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(company):
    add_user("boss", "admin", company, password="pw-secret")
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert c.login(username="boss", password="pw-secret")
    return c


def _count(client, url, params=None, **extra):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {}, **extra)
    assert response.status_code == 200, response.content[:500]
    return response, len(ctx.captured_queries)


def test_aging_page_shows_chart_table_and_totals(company, client, settings):
    settings.CASHLOOP_TODAY = "2024-06-30"
    make_ledger(company, seed=1)
    page, _ = _count(client, reverse("aging_page"), {"by": "customer"})
    html = page.content.decode()
    assert "plotly.min.js" in html and "aging-chart" in html and "C0" in html
    part, _ = _count(client, reverse("aging_page"), {"by": "sales_rep", "as_of": "2024-01-31"},
                     HTTP_HX_REQUEST="true")
    assert "<html" not in part.content.decode()


def test_aging_page_shows_a_refusal_as_a_message(company, client):
    page, _ = _count(client, reverse("aging_page"), {"buckets": "90,30"})
    assert "buckets must be" in page.content.decode()


def test_metrics_page_writes_each_formula_in_both_languages(company, client, settings):
    settings.CASHLOOP_TODAY = "2024-06-30"
    make_ledger(company, seed=2)
    html = _count(client, reverse("metrics_page"))[0].content.decode()
    for text in ("回款有效性指数", "Collection effectiveness index", "应收账款周转天数",
                 "AR(D) / credit sales of the last P days × P", "dso-chart"):
        assert text in html


@pytest.mark.parametrize("url", ["dashboard", "aging_page", "metrics_page"])
def test_pages_run_a_constant_number_of_queries(company, client, settings, url):
    settings.CASHLOOP_TODAY = "2024-06-30"
    make_ledger(company, seed=3, n=20, currencies=("CNY",))
    _, few = _count(client, reverse(url), {"by": "customer"} if url == "aging_page" else {})
    make_ledger(company, seed=4, n=300, currencies=("CNY",))
    _, many = _count(client, reverse(url), {"by": "customer"} if url == "aging_page" else {})
    assert few == many


def test_dashboard_shows_totals_and_top_overdue(company, client, settings):
    settings.CASHLOOP_TODAY = "2024-06-30"
    make_ledger(company, seed=5)
    html = _count(client, reverse("dashboard"))[0].content.decode()
    assert "Top overdue customers" in html and "Total receivables" in html
    assert "C0" in html
