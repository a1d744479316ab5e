"""`cashloop demo` stores a consistent, deterministic demo company with one login per role."""

import hashlib
import json
from datetime import date, timedelta

import pytest
from django.db import connection
from django.db.models import Count, Q
from django.test import Client

from cashloop.core.problems import Invalid
from cashloop.demo.story import build_story
from cashloop.demo.writer import LOGINS, write_story
from cashloop.ledger.models import (
    Allocation,
    Company,
    CreditNote,
    Customer,
    Dispute,
    ExchangeRate,
    Invoice,
    Payment,
    SalesRep,
)

AS_OF = date(2025, 6, 30)


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    # The logins' passwords are hashed on every run; PBKDF2 would dominate these tests' time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def load(as_of=AS_OF, code=None, replace_other=False):
    return write_story(build_story(as_of), code, replace_other=replace_other)


def fingerprint(company) -> str:
    """A digest of the company's ledger by natural keys (ids and timestamps left out)."""
    rows = [
        list(Customer.objects.filter(company=company).order_by("code").values_list(
            "code", "name", "tier", "currency", "sales_rep__name", "payment_terms__code",
            "credit_limit_minor")),
        list(Invoice.objects.filter(company=company).order_by("number").values_list(
            "number", "customer__code", "issue_date", "due_date", "amount_minor", "currency",
            "paid_minor", "settled_date", "is_disputed")),
        list(Allocation.objects.filter(company=company).order_by(
            "invoice__number", "applied_date", "payment__reference", "credit_note__number",
        ).values_list("invoice__number", "payment__reference", "credit_note__number",
                      "amount_minor", "applied_date")),
    ]
    return hashlib.sha256(json.dumps(rows, default=str).encode()).hexdigest()


def inconsistent_invoices(company) -> int:
    """Invoices whose paid_minor or settled_date disagree with their allocations (one SQL query)."""
    sql = f"""
        SELECT COUNT(*) FROM {Invoice._meta.db_table} i
        LEFT JOIN (SELECT invoice_id, SUM(amount_minor) AS total, MAX(applied_date) AS last_date
                   FROM {Allocation._meta.db_table} GROUP BY invoice_id) a ON a.invoice_id = i.id
        WHERE i.company_id = %s AND (
            i.paid_minor <> COALESCE(a.total, 0)
            OR (i.paid_minor = i.amount_minor AND (i.settled_date IS NULL OR i.settled_date <> a.last_date))
            OR (i.paid_minor < i.amount_minor AND i.settled_date IS NOT NULL))
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [company.pk])
        return cursor.fetchone()[0]


def open_items_by_bucket(company, as_of, **scope) -> dict[str, int]:
    d = lambda days: as_of - timedelta(days=days)
    open_items = Invoice.objects.filter(company=company, settled_date__isnull=True, **scope)
    return open_items.aggregate(
        not_yet_due=Count("pk", filter=Q(due_date__gte=as_of)),
        d1_30=Count("pk", filter=Q(due_date__lte=d(1), due_date__gte=d(30))),
        d31_60=Count("pk", filter=Q(due_date__lte=d(31), due_date__gte=d(60))),
        d61_90=Count("pk", filter=Q(due_date__lte=d(61), due_date__gte=d(90))),
        over_90=Count("pk", filter=Q(due_date__lte=d(91))),
    )


@pytest.mark.django_db
def test_demo_company_is_default_consistent_and_live_in_every_bucket():
    written = load()
    company = written.company
    assert company.code == "DEMO" and Company.objects.get(is_default=True) == company
    assert company.base_currency == "CNY" and company.calendar_country == "CN"
    assert inconsistent_invoices(company) == 0
    assert all(open_items_by_bucket(company, AS_OF).values())
    assert Customer.objects.filter(company=company).count() == 300
    assert 8_000 <= Invoice.objects.filter(company=company).count() <= 15_000
    assert Invoice.objects.filter(company=company, currency="USD").exists()
    assert Invoice.objects.filter(company=company, is_disputed=True, settled_date__isnull=True).exists()
    assert Dispute.objects.filter(company=company).exists()
    assert CreditNote.objects.filter(company=company).exists()
    assert ExchangeRate.objects.filter(from_currency="USD", to_currency="CNY",
                                       rate_date__lte=AS_OF - timedelta(days=700)).exists()
    unallocated = Payment.objects.filter(company=company).annotate(
        n=Count("allocations")).filter(n=0)
    assert not unallocated.exists()
    for model, field in ((Invoice, "issue_date"), (Payment, "received_date"),
                         (Allocation, "applied_date"), (CreditNote, "issue_date")):
        assert not model.objects.filter(company=company, **{f"{field}__gt": AS_OF}).exists()


@pytest.mark.django_db
def test_rerun_replaces_the_same_records_and_another_date_gives_others():
    first = load().company
    before = fingerprint(first)
    again = load().company
    assert again.pk == first.pk
    assert fingerprint(again) == before
    assert Company.objects.filter(code="DEMO").count() == 1
    assert inconsistent_invoices(again) == 0
    load(AS_OF + timedelta(days=1))
    assert fingerprint(again) != before


@pytest.mark.django_db
def test_each_role_can_log_in_and_the_sales_rep_owns_part_of_the_book():
    company = load().company
    for login in LOGINS:
        client = Client()
        assert client.login(username=login.username, password=login.password), login.username
        assert client.get("/", HTTP_ACCEPT_LANGUAGE="en").status_code == 200, login.username
    rep = SalesRep.objects.get(company=company, user__username="demo.sales")
    own = Customer.objects.filter(company=company, sales_rep=rep).count()
    assert 0 < own < Customer.objects.filter(company=company).count()
    assert all(open_items_by_bucket(company, AS_OF, customer__sales_rep=rep).values())


@pytest.mark.django_db
def test_demo_refuses_to_overwrite_a_company_with_its_own_invoices(company):
    customer = Customer.objects.create(company=company, code="K1", name="客户一")
    Invoice.objects.create(company=company, customer=customer, number="A-1", issue_date=AS_OF,
                           due_date=AS_OF, amount_minor=100, currency="CNY")
    with pytest.raises(Invalid):
        load(code=company.code)
    load()
    assert Invoice.objects.filter(company=company, number="A-1").exists()
    assert Company.objects.get(is_default=True).code == "DEMO"


@pytest.mark.django_db
def test_cli_prints_json_with_counts_open_amount_and_logins():
    from typer.testing import CliRunner

    from cashloop.config.cli import app

    result = CliRunner().invoke(app, ["demo", "--as-of", "2025-06-30", "--format", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert {"company", "as_of", "customers", "invoices", "payments", "open_amount", "logins"} <= set(payload)
    assert payload["company"] == "DEMO" and payload["as_of"] == "2025-06-30"
    assert payload["invoices"] == Invoice.objects.filter(company__code="DEMO").count()
    assert payload["open_amount"]["currency"] == "CNY"
    assert [x["role"] for x in payload["logins"]] == [
        "admin", "finance_manager", "collector", "sales_rep", "auditor"]
    bad = CliRunner().invoke(app, ["demo", "--as-of", "30/06/2025"])
    assert bad.exit_code != 0
