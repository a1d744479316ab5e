"""Invoice services: creation rules, updates, instalments, audit."""

from __future__ import annotations

from datetime import date

import pytest

from cashloop.accounts.services import add_user
from cashloop.audit.models import AuditEntry
from cashloop.audit.services import SYSTEM_CLI, Actor
from cashloop.core.problems import Forbidden, Invalid, NotFound
from cashloop.ledger.models import Customer, Invoice, PaymentTerms
from cashloop.ledger.services.allocations import AllocationLine
from cashloop.ledger.services.invoices import (
    AmountBelowAllocated,
    DuplicateNumber,
    create_invoice,
    set_instalments,
    update_invoice,
)
from cashloop.ledger.services.payments import create_payment

A = SYSTEM_CLI
D = date(2024, 5, 10)


@pytest.fixture
def customer(company):
    return Customer.objects.create(company=company, code="C001", name="客户一", currency="CNY")


def make(company, number="INV-1", amount=100_000, **kw):
    return create_invoice(A, company, number=number, customer_code="C001", issue_date=D,
                          amount_minor=amount, currency="CNY", **kw)


def test_due_date_defaults_to_net_30(company, customer):
    inv, warnings = make(company)
    assert inv.due_date == date(2024, 6, 9) and warnings == ()


def test_due_date_follows_the_customers_terms(company, customer):
    customer.payment_terms = PaymentTerms.objects.create(company=company, code="EOM30",
                                                         spec="EOM+30", net_days=30,
                                                         end_of_month=True)
    customer.save()
    inv, _ = make(company)
    assert inv.due_date == date(2024, 6, 30)


def test_due_date_before_issue_date_is_kept_with_a_warning(company, customer):
    inv, warnings = make(company, due_date=date(2024, 5, 1))
    assert inv.due_date == date(2024, 5, 1)
    assert [w.code for w in warnings] == ["due_date.before_issue"]
    assert warnings[0].severity == "warning"


def test_unknown_customer_bad_amount_and_currency_are_refused(company, customer):
    with pytest.raises(NotFound):
        create_invoice(A, company, number="X", customer_code="NOPE", issue_date=D,
                       amount_minor=1, currency="CNY")
    with pytest.raises(Invalid) as bad_amount:
        make(company, amount=0)
    assert bad_amount.value.problems[0].field == "amount"
    with pytest.raises(Invalid):
        create_invoice(A, company, number="X", customer_code="C001", issue_date=D,
                       amount_minor=1, currency="cny")
    with pytest.raises(DuplicateNumber):
        make(company)
        make(company)


def test_amount_cannot_drop_below_what_is_allocated(company, customer):
    inv, _ = make(company)
    create_payment(A, company, reference="P1", customer_code="C001", received_date=D,
                   amount_minor=60_000, currency="CNY",
                   allocations=[AllocationLine(inv.number, 60_000)])
    with pytest.raises(AmountBelowAllocated):
        update_invoice(A, company, inv.number, amount_minor=59_999)
    inv, _ = update_invoice(A, company, inv.number, amount_minor=60_000)
    assert inv.settled_date == D and inv.paid_minor == 60_000


def test_update_is_audited_with_only_the_changed_fields(company, customer):
    inv, _ = make(company)
    update_invoice(A, company, inv.number, due_date=date(2024, 7, 1), description="")
    entry = AuditEntry.objects.get(action="invoice.update")
    assert entry.before == {"due_date": "2024-06-09"} and entry.after == {"due_date": "2024-07-01"}


def test_instalments_add_up_to_the_amount_and_follow_amount_changes(company, customer):
    inv, _ = make(company, amount=100_001)
    made = set_instalments(A, company, inv.number, [date(2024, 8, 1), date(2024, 7, 1),
                                                    date(2024, 9, 1)])
    assert [i.amount_minor for i in made] == [33_334, 33_334, 33_333]
    assert [i.due_date.month for i in made] == [7, 8, 9]
    update_invoice(A, company, inv.number, amount_minor=50_000)
    assert sum(Invoice.objects.get(pk=inv.pk).instalments.values_list("amount_minor", flat=True)) == 50_000


def test_auditor_cannot_create_and_sales_rep_sees_only_own_customers(company, customer):
    auditor, _ = add_user("aud", "auditor", company)
    with pytest.raises(Forbidden):
        create_invoice(Actor(auditor, "api"), company, number="A1", customer_code="C001",
                       issue_date=D, amount_minor=1, currency="CNY")
    rep, _ = add_user("rep", "sales_rep", company)
    with pytest.raises(NotFound):
        create_invoice(Actor(rep, "api"), company, number="A1", customer_code="C001",
                       issue_date=D, amount_minor=1, currency="CNY")


def test_instalment_terms_split_a_new_invoice(company, customer):
    customer.payment_terms = PaymentTerms.objects.create(company=company, code="HALF",
                                                         spec="50%/30 50%/60", net_days=60)
    customer.save()
    inv, _ = make(company, amount=100_001)
    parts = list(inv.instalments.values_list("due_date", "amount_minor"))
    assert parts == [(date(2024, 6, 9), 50_001), (date(2024, 7, 9), 50_000)]
    assert inv.due_date == date(2024, 7, 9)
