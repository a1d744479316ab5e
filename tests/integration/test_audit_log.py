"""The audit log page: readers, company, filters by object, action and date."""

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from cashloop.accounts.services import add_user
from cashloop.audit.models import AuditEntry
from cashloop.audit.services import SYSTEM_CLI
from cashloop.ledger.services import customers as svc


def login(company, username: str, role: str) -> Client:
    add_user(username, role, company, password="pw-123456")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.login(username=username, password="pw-123456")
    return client


def test_auditor_and_finance_manager_read_collector_and_rep_do_not(company):
    for role, status in (("auditor", 200), ("finance_manager", 200), ("admin", 200),
                         ("collector", 403), ("sales_rep", 403)):
        assert login(company, f"u.{role}", role).get("/audit/").status_code == status, role


def test_filters_by_object_action_and_date(company):
    svc.create_customer(SYSTEM_CLI, company, {"code": "C1", "name": "Alpha"})
    svc.create_customer(SYSTEM_CLI, company, {"code": "C2", "name": "Beta"})
    svc.update_customer(SYSTEM_CLI, company, "C1", {"credit_limit": "99.00"})
    old = AuditEntry.objects.get(action="customer.create", object_repr__contains="Beta")
    AuditEntry.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=10))
    auditor = login(company, "audrey", "auditor")

    def shown(**params):
        html = auditor.get("/audit/", params).content.decode()
        return html.count("<tr>") - 1  # minus the header row

    assert shown() == 3
    assert shown(action="customer.update") == 1
    assert shown(object="Alpha") == 2
    today = timezone.localdate().isoformat()
    assert shown(date_from=today) == 2
    assert shown(date_to=(timezone.localdate() - timedelta(days=5)).isoformat()) == 1
    assert shown(date_from="not-a-date") == 3
    html = auditor.get("/audit/", {"action": "customer.update"}).content.decode()
    assert "credit_limit_minor" in html and "9900" in html


def test_audit_log_shows_only_the_current_company(company):
    from cashloop.ledger.models import Company

    other = Company.objects.create(code="OTHER", name="Other")
    svc.create_customer(SYSTEM_CLI, other, {"code": "X1"})
    svc.create_customer(SYSTEM_CLI, company, {"code": "C1"})
    html = login(company, "audrey", "auditor").get("/audit/").content.decode()
    assert "C1" in html and "X1" not in html
