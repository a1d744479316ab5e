"""Customer, contact and contract services: validation, refusals and audit entries."""

from decimal import Decimal

import pytest

from cashloop.accounts.services import add_user
from cashloop.audit.models import AuditEntry
from cashloop.audit.services import SYSTEM_CLI, Actor
from cashloop.core.problems import Forbidden, Invalid, NotFound
from cashloop.ledger.models import Customer, PaymentTerms, SalesRep
from cashloop.ledger.services import customers as svc


@pytest.fixture
def terms(company):
    return PaymentTerms.objects.create(company=company, code="NET30", spec="net 30", net_days=30)


@pytest.fixture
def rep(company):
    return SalesRep.objects.create(company=company, name="王芳")


def test_create_customer_stores_credit_limit_in_minor_units_and_audits(company, terms, rep):
    customer = svc.create_customer(SYSTEM_CLI, company, {
        "code": "C001", "name": "华东贸易", "country": "cn", "currency": "usd",
        "credit_limit": "500,000.50", "tier": "a", "sales_rep": "王芳", "payment_terms": "NET30",
    })
    customer.refresh_from_db()
    assert (customer.country, customer.currency, customer.tier) == ("CN", "USD", "A")
    assert customer.credit_limit_minor == 50_000_050
    assert customer.sales_rep == rep and customer.payment_terms == terms
    entry = AuditEntry.objects.get(action="customer.create")
    assert entry.before is None
    assert entry.after["credit_limit_minor"] == 50_000_050
    assert entry.after["sales_rep"] == "王芳"
    assert entry.actor_name == "system" and entry.channel == "cli"


def test_currency_defaults_to_company_base(company):
    assert svc.create_customer(SYSTEM_CLI, company, {"code": "C1"}).currency == "CNY"


def test_update_records_only_changed_credit_fields_before_and_after(company, terms):
    svc.create_customer(SYSTEM_CLI, company, {"code": "C1", "credit_limit": "100.00", "tier": "B"})
    svc.update_customer(SYSTEM_CLI, company, "C1", {
        "credit_limit": "250.00", "tier": "B", "payment_terms": "NET30", "name": "New name"})
    entry = AuditEntry.objects.get(action="customer.update")
    assert entry.before == {"credit_limit_minor": 10000, "payment_terms": None, "name": ""}
    assert entry.after == {"credit_limit_minor": 25000, "payment_terms": "NET30", "name": "New name"}


def test_update_without_change_writes_no_audit_entry(company):
    svc.create_customer(SYSTEM_CLI, company, {"code": "C1", "tier": "A"})
    svc.update_customer(SYSTEM_CLI, company, "C1", {"tier": "A"})
    assert not AuditEntry.objects.filter(action="customer.update").exists()


@pytest.mark.parametrize(("fields", "field"), [
    ({"code": "C2", "currency": "RMB1"}, "currency"),
    ({"code": "C2", "currency": "12A"}, "currency"),
    ({"code": "C2", "country": "CHN"}, "country"),
    ({"code": "C2", "credit_limit": "-5"}, "credit_limit"),
    ({"code": "C2", "credit_limit": "1.234"}, "credit_limit"),
    ({"code": "C2", "credit_limit": "abc"}, "credit_limit"),
    ({"code": "C2", "sales_rep": "nobody"}, "sales_rep"),
    ({"code": "C2", "payment_terms": "NET999"}, "payment_terms"),
    ({"code": "C 2"}, "code"),
    ({"code": ""}, "code"),
    ({"code": "C2", "name": "x" * 201}, "name"),
    ({"code": "C2", "name": "bad\x00name"}, "name"),
])
def test_bad_customer_fields_are_refused_naming_the_field(company, fields, field):
    with pytest.raises(Invalid) as info:
        svc.create_customer(SYSTEM_CLI, company, fields)
    assert info.value.problems[0].field == field
    assert field in info.value.message
    assert not Customer.objects.filter(code="C2").exists()


def test_duplicate_code_is_refused_not_an_integrity_error(company):
    svc.create_customer(SYSTEM_CLI, company, {"code": "C1"})
    with pytest.raises(Invalid, match="already exists"):
        svc.create_customer(SYSTEM_CLI, company, {"code": "C1"})
    svc.create_customer(SYSTEM_CLI, company, {"code": "C2"})
    with pytest.raises(Invalid, match="already exists"):
        svc.update_customer(SYSTEM_CLI, company, "C2", {"code": "C1"})


def test_jpy_credit_limit_has_no_decimals(company):
    c = svc.create_customer(SYSTEM_CLI, company, {"code": "J1", "currency": "JPY", "credit_limit": "1000"})
    assert c.credit_limit_minor == 1000
    with pytest.raises(Invalid, match="decimals"):
        svc.update_customer(SYSTEM_CLI, company, "J1", {"credit_limit": "1000.5"})


def test_unknown_customer_is_not_found(company):
    with pytest.raises(NotFound):
        svc.update_customer(SYSTEM_CLI, company, "NOPE", {"name": "x"})


def test_auditor_cannot_create_or_update(company):
    svc.create_customer(SYSTEM_CLI, company, {"code": "C1"})
    auditor, _ = add_user("audrey", "auditor", company)
    actor = Actor(auditor, "web")
    with pytest.raises(Forbidden):
        svc.create_customer(actor, company, {"code": "C9"})
    with pytest.raises(Forbidden):
        svc.update_customer(actor, company, "C1", {"credit_limit": "1.00"})
    assert Customer.objects.get(code="C1").credit_limit_minor is None


def test_sales_rep_creates_for_themselves_and_cannot_touch_others(company):
    user, _ = add_user("rep.zhang", "sales_rep", company, sales_rep_name="张伟")
    SalesRep.objects.create(company=company, name="李娜")
    svc.create_customer(SYSTEM_CLI, company, {"code": "OTHER", "sales_rep": "李娜"})
    actor = Actor(user, "api")
    mine = svc.create_customer(actor, company, {"code": "MINE"})
    assert mine.sales_rep.name == "张伟"
    with pytest.raises(NotFound):
        svc.update_customer(actor, company, "OTHER", {"tier": "A"})
    with pytest.raises(Forbidden):
        svc.update_customer(actor, company, "MINE", {"sales_rep": "李娜"})


def test_contacts_validate_email_phone_language_and_keep_one_primary(company):
    svc.create_customer(SYSTEM_CLI, company, {"code": "C1"})
    first = svc.add_contact(SYSTEM_CLI, company, "C1", {
        "name": "刘洋", "email": "liu@example.cn", "phone": "+86 21 5555-0101",
        "language": "zh_Hans", "is_primary": True})
    assert first.language == "zh-hans"
    second = svc.add_contact(SYSTEM_CLI, company, "C1", {"name": "Ann", "is_primary": True})
    first.refresh_from_db()
    assert not first.is_primary and second.is_primary
    for fields, field in (({"email": "not-an-email"}, "email"), ({"phone": "call me"}, "phone"),
                          ({"language": "中文"}, "language"), ({"name": ""}, "name")):
        with pytest.raises(Invalid) as info:
            svc.add_contact(SYSTEM_CLI, company, "C1", {"name": "", **fields} if field != "name" else fields)
        assert info.value.problems[0].field == field
    svc.update_contact(SYSTEM_CLI, company, first.pk, {"email": "new@example.cn"})
    entry = AuditEntry.objects.get(action="contact.update")
    assert entry.before == {"email": "liu@example.cn"} and entry.after == {"email": "new@example.cn"}


def test_contracts_validate_dates_rate_and_number(company, terms):
    svc.create_customer(SYSTEM_CLI, company, {"code": "C1"})
    contract = svc.create_contract(SYSTEM_CLI, company, "C1", {
        "number": "HT-2024-001", "start_date": "2024-01-01", "end_date": "2024-12-31",
        "payment_terms": "NET30", "late_interest_rate": "0.05"})
    assert contract.late_interest_rate == Decimal("0.05")
    with pytest.raises(Invalid, match="already exists"):
        svc.create_contract(SYSTEM_CLI, company, "C1", {"number": "HT-2024-001"})
    with pytest.raises(Invalid) as info:
        svc.create_contract(SYSTEM_CLI, company, "C1", {
            "number": "HT-2", "start_date": "2024-05-01", "end_date": "2024-01-01"})
    assert info.value.problems[0].field == "end_date"
    with pytest.raises(Invalid) as info:
        svc.update_contract(SYSTEM_CLI, company, contract.pk, {"late_interest_rate": "5"})
    assert info.value.problems[0].field == "late_interest_rate"
    svc.update_contract(SYSTEM_CLI, company, contract.pk, {"late_interest_rate": "0.08"})
    entry = AuditEntry.objects.get(action="contract.update")
    assert entry.before == {"late_interest_rate": "0.050000"}
    assert entry.after == {"late_interest_rate": "0.080000"}
