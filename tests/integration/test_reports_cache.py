"""Cached report results (reports.cache): any write changes the ledger version, so pages and the
API never show figures older than the ledger."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cashloop.accounts.services import add_user
from cashloop.audit.services import SYSTEM_CLI
from cashloop.imports.services.run import ImportOptions, import_bytes
from cashloop.ledger.models import Customer
from cashloop.ledger.services.allocations import AllocationLine
from cashloop.ledger.services.invoices import create_invoice
from cashloop.ledger.services.payments import create_payment
from cashloop.reports import cache as report_cache
from cashloop.reports import services

pytestmark = pytest.mark.django_db
D = date(2024, 5, 10)


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client(company, settings):
    settings.CASHLOOP_TODAY = "2024-06-30"
    add_user("boss", "admin", company, password="pw-secret")
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert c.login(username="boss", password="pw-secret")
    Customer.objects.create(company=company, code="C001", name="客户一", currency="CNY")
    create_invoice(SYSTEM_CLI, company, number="INV-1", customer_code="C001", issue_date=D,
                   amount_minor=10_000, currency="CNY")
    return c


def _dashboard(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    return response.context["total_ar"], response.context["overdue"]


def _db_part(version: str) -> str:
    return version.split(":", 1)[1]


def test_a_repeated_page_is_served_from_the_cache(client):
    _dashboard(client)
    with CaptureQueriesContext(connection) as ctx:
        _dashboard(client)
    reports = [q["sql"] for q in ctx.captured_queries if "ledger_invoice" in q["sql"]
               and not q["sql"].startswith("SELECT (SELECT MAX(id)")]
    assert reports == []  # only the session, the user and the ledger version were read


def test_a_new_allocation_changes_the_dashboard_at_once(company, client):
    assert _dashboard(client)[0] == "100.00"
    create_payment(SYSTEM_CLI, company, reference="P1", customer_code="C001", received_date=D,
                   amount_minor=3_000, currency="CNY",
                   allocations=[AllocationLine("INV-1", 3_000)])
    assert _dashboard(client)[0] == "70.00"


def test_an_import_changes_the_dashboard_at_once(company, client):
    assert _dashboard(client)[0] == "100.00"
    data = (b"number,customer,issue_date,due_date,amount\n"
            b"INV-2,C001,2024-05-01,2024-05-31,50.00\n")
    result = import_bytes(data, "t.csv", ImportOptions(kind="invoices"), SYSTEM_CLI, D)
    assert result.ok
    assert _dashboard(client)[0] == "150.00"


def test_writes_from_another_process_change_the_version(company, client):
    """The database part alone (what another process's writes change) moves on every write."""
    before = _db_part(report_cache.ledger_version())
    create_payment(SYSTEM_CLI, company, reference="P1", customer_code="C001", received_date=D,
                   amount_minor=1_000, currency="CNY",
                   allocations=[AllocationLine("INV-1", 1_000)])
    after_payment = _db_part(report_cache.ledger_version())
    assert after_payment != before
    data = "number,customer,issue_date,due_date,amount\nINV-1,C001,2024-05-10,2024-06-09,99.00\n"
    assert import_bytes(data.encode(), "u.csv", ImportOptions(kind="invoices"), SYSTEM_CLI, D).ok
    assert _db_part(report_cache.ledger_version()) != after_payment


def test_cached_results_equal_fresh_ones_and_respect_the_scope(company, client):
    rep, _ = add_user("rep", "sales_rep", company)
    as_of = date(2024, 6, 30)
    assert services.cached_aging_report(company, as_of).to_json() == \
        services.aging_report(company, as_of).to_json()
    assert services.cached_collection_metrics(company, as_of).to_json() == \
        services.collection_metrics(company, as_of).to_json()
    # A sales rep with no customers sees nothing, even right after the admin's figures.
    assert services.cached_aging_report(company, as_of, user=rep).to_json()["total"] == "0.00"
    assert services.cached_aging_report(company, as_of).to_json()["total"] == "100.00"


def test_a_shared_redis_cache_follows_the_ledger_too(company, client, settings):
    """A team's servers share Redis (CASHLOOP_CACHE_URL=redis://…): still never a stale figure."""
    from cashloop.config.settings import _caches

    settings.CACHES = _caches("redis://127.0.0.1:6379/15")
    from django.core.cache import caches

    shared = caches["default"]
    shared.clear()  # .ci/run starts the Redis server
    assert shared.__class__.__name__ == "RedisCache"
    assert _dashboard(client)[0] == "100.00"
    assert _dashboard(client)[0] == "100.00"  # the second answer comes from Redis
    import redis

    assert redis.Redis(host="127.0.0.1", port=6379, db=15).dbsize() > 0
    create_payment(SYSTEM_CLI, company, reference="P9", customer_code="C001", received_date=D,
                   amount_minor=4_000, currency="CNY",
                   allocations=[AllocationLine("INV-1", 4_000)])
    assert _dashboard(client)[0] == "60.00"
    shared.clear()
