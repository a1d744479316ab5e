"""Storing the demo story: replace the demo company's rows in one transaction, with bulk inserts.

Re-running replaces the company's ledger rows (customers down to allocations), so the demo is
idempotent and, for one as-of date, the same every time. Exchange rates are shared by all
companies: the demo adds the dated USD→CNY rates it needs and never overwrites a rate already set.
The logins (one per role) get known passwords, set again on every run.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import models, transaction

from cashloop.accounts.services import add_user
from cashloop.audit.services import SYSTEM_CLI, record
from cashloop.core.problems import Invalid, gettext_noop
from cashloop.demo.records import Story
from cashloop.demo.story import SALES_LOGIN_REP
from cashloop.ledger.models import (
    Allocation,
    Company,
    Contact,
    Contract,
    CreditNote,
    Customer,
    Dispute,
    ExchangeRate,
    Invoice,
    InvoiceInstalment,
    Payment,
    PaymentTerms,
    SalesRep,
)
from cashloop.ledger.services.companies import ensure_company, set_default_company


@dataclass(frozen=True, slots=True)
class Login:
    username: str
    role: str
    password: str
    sales_rep: str | None = None


LOGINS = (
    Login("demo.admin", "admin", "cashloop-admin"),
    Login("demo.finance", "finance_manager", "cashloop-finance"),
    Login("demo.collector", "collector", "cashloop-collector"),
    Login("demo.sales", "sales_rep", "cashloop-sales", SALES_LOGIN_REP),
    Login("demo.auditor", "auditor", "cashloop-auditor"),
)

BATCH = 2000


@dataclass(frozen=True, slots=True)
class Written:
    """What `write_story` stored, for the command's summary."""

    company: Company
    created: bool
    counts: dict[str, int]
    logins: tuple[Login, ...]


@transaction.atomic
def write_story(story: Story, company_code: str | None = None, replace_other: bool = False) -> Written:
    """Make `story` the content of the demo company (created when missing) and the default company."""
    code = company_code or story.company_code
    existing = Company.objects.filter(code=code).first()
    if (existing is not None and existing.name != story.company_name and not replace_other
            and Invoice.objects.filter(company=existing).exists()):
        raise Invalid(
            gettext_noop("company {code} ({name}) holds its own invoices; the demo replaces a "
                         "company's data, so choose another --company code or pass --replace to "
                         "overwrite it"), code=repr(code), name=existing.name)
    company, created = ensure_company(code, story.company_name, story.base_currency, make_default=True)
    if company.calendar_country != "CN":
        company.calendar_country = "CN"
        company.save(update_fields=["calendar_country"])
    set_default_company(company)
    # Hashing five passwords (PBKDF2) takes as long as the inserts: do it alongside them.
    with ThreadPoolExecutor(max_workers=2) as pool:
        hashes = [pool.submit(make_password, login.password) for login in LOGINS]
        _clear(company)
        counts = _insert(company, story)
        User = get_user_model()
        for login, hashed in zip(LOGINS, hashes, strict=True):
            add_user(login.username, login.role, company,
                     email=f"{login.username}@hdjm.example.cn", sales_rep_name=login.sales_rep)
            User.objects.filter(username=login.username).update(password=hashed.result())
    record(SYSTEM_CLI, company, "demo.load", company, None,
           {"as_of": story.as_of.isoformat(), **counts})
    return Written(company, created, counts, LOGINS)


def _clear(company: Company) -> None:
    """Delete the company's ledger rows, leaves first, each in one set-based DELETE.

    A table whose rows may still be referenced by a table this list does not know (an app added
    later) goes through Django's collector instead, so its cascades and protections still apply.
    """
    cleared: set[type[models.Model]] = set()
    for model, scope in (
        (Allocation, {"company": company}), (Dispute, {"company": company}),
        (InvoiceInstalment, {"invoice__company": company}), (Invoice, {"company": company}),
        (CreditNote, {"company": company}), (Payment, {"company": company}),
        (Contract, {"company": company}), (Contact, {"customer__company": company}),
        (Customer, {"company": company}), (PaymentTerms, {"company": company}),
        (SalesRep, {"company": company}),
    ):
        rows = model.objects.filter(**scope)
        if all(rel.related_model in cleared for rel in model._meta.related_objects):
            rows._raw_delete(rows.db)
        else:
            rows.delete()
        cleared.add(model)


def _insert(company: Company, story: Story) -> dict[str, int]:
    reps = _ids(SalesRep, [SalesRep(company=company, name=r.name, email=r.email)
                           for r in story.sales_reps], "name")
    terms = _ids(PaymentTerms, [
        PaymentTerms(company=company, code=t.code, name=t.name, spec=t.spec, net_days=t.net_days,
                     end_of_month=t.end_of_month, discount_rate=t.discount_rate,
                     discount_days=t.discount_days)
        for t in story.terms
    ], "code")
    customers = _ids(Customer, [
        Customer(company=company, code=c.code, name=c.name, tax_id=c.tax_id, industry=c.industry,
                 country=c.country, currency=c.currency, sales_rep_id=reps[c.sales_rep],
                 department=c.department, credit_limit_minor=c.credit_limit_minor, tier=c.tier,
                 payment_terms_id=terms[c.terms_code])
        for c in story.customers
    ], "code")
    Contact.objects.bulk_create([
        Contact(customer_id=customers[c.code], name=p.name, role=p.role, email=p.email,
                phone=p.phone, language=p.language, is_primary=p.is_primary)
        for c in story.customers for p in c.contacts
    ], batch_size=BATCH)
    contracts = _ids(Contract, [
        Contract(company=company, customer_id=customers[c.customer_code], number=c.number,
                 start_date=c.start_date, payment_terms_id=terms[c.terms_code],
                 late_interest_rate=c.late_interest_rate, description=c.description)
        for c in story.contracts
    ], "number")
    invoices = _ids(Invoice, [
        Invoice(company=company, customer_id=customers[i.customer_code], number=i.number,
                issue_date=i.issue_date, due_date=i.due_date, amount_minor=i.amount_minor,
                currency=i.currency, description=i.description, paid_minor=i.paid_minor,
                settled_date=i.settled_date, is_disputed=i.is_disputed,
                contract_id=contracts[i.contract_number] if i.contract_number else None)
        for i in story.invoices
    ], "number")
    credit_notes = _ids(CreditNote, [
        CreditNote(company=company, customer_id=customers[n.customer_code], number=n.number,
                   issue_date=n.issue_date, amount_minor=n.amount_minor, currency=n.currency,
                   reason=n.reason)
        for n in story.credit_notes
    ], "number")
    payments = _ids(Payment, [
        Payment(company=company, customer_id=customers[p.customer_code], reference=p.reference,
                received_date=p.received_date, amount_minor=p.amount_minor, currency=p.currency)
        for p in story.payments
    ], "reference")
    Allocation.objects.bulk_create([
        Allocation(company=company, invoice_id=invoices[a.invoice_number],
                   payment_id=payments[a.payment_reference] if a.payment_reference else None,
                   credit_note_id=credit_notes[a.credit_note_number] if a.credit_note_number else None,
                   amount_minor=a.amount_minor, applied_date=a.applied_date)
        for a in story.allocations
    ], batch_size=BATCH)
    Dispute.objects.bulk_create([
        Dispute(company=company, invoice_id=invoices[d.invoice_number], opened_date=d.opened_date,
                resolved_date=d.resolved_date, reason=d.reason, amount_minor=d.amount_minor,
                resolution=d.resolution)
        for d in story.disputes
    ], batch_size=BATCH)
    ExchangeRate.objects.bulk_create([
        ExchangeRate(from_currency=r.from_currency, to_currency=r.to_currency, rate_date=r.rate_date,
                     rate=r.rate, source="demo")
        for r in story.rates
    ], batch_size=BATCH, ignore_conflicts=True)
    return {
        "customers": len(customers), "contacts": sum(len(c.contacts) for c in story.customers),
        "invoices": len(invoices), "payments": len(payments), "credit_notes": len(credit_notes),
        "allocations": len(story.allocations), "disputes": len(story.disputes),
    }


def _ids(model: type[models.Model], objs: list[Any], key: str) -> dict[Any, int]:
    """Insert `objs` and map each one's natural key to its new primary key."""
    model.objects.bulk_create(objs, batch_size=BATCH)
    if all(o.pk is not None for o in objs):
        return {getattr(o, key): o.pk for o in objs}
    # Databases that cannot return ids from a bulk insert: read them back by natural key.
    company = objs[0].company if objs else None
    return dict(model.objects.filter(company=company).values_list(key, "pk"))

