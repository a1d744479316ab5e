"""Writing imported customers: created or updated by code, with a primary contact, sales rep and
payment terms; every change to an existing customer (credit limit, tier, terms included) is
audited. Only the fields the file maps are touched."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone

from cashloop.audit.services import Actor, record_many
from cashloop.core import terms as core_terms
from cashloop.core.importing.issues import RowProblem
from cashloop.core.importing.records import CustomerRecord
from cashloop.core.problems import Problem, gettext_noop
from cashloop.imports.services.bulk import update_objects
from cashloop.ledger.models import Company, Contact, Customer, PaymentTerms, SalesRep

CUSTOMER_FIELDS = ("name", "tax_id", "industry", "country", "currency", "department", "tier")
CONTACT_FIELDS = ("email", "phone", "language")


class CustomerWriter:
    def __init__(self, company: Company, actor: Actor, as_of: date) -> None:
        self.company, self.actor, self.as_of = company, actor, as_of
        self.records: list[tuple[CustomerRecord, list[str]]] = []
        self.created = self.updated = self.unchanged = 0
        self.problems: list[tuple[RowProblem, list[str]]] = []

    def add(self, record: CustomerRecord, cells: list[str]) -> None:
        self.records.append((record, cells))

    def finish(self) -> None:
        company, now = self.company, timezone.now()
        existing = {c.code: c for c in Customer.objects.filter(company=company)
                    .select_related("payment_terms", "sales_rep")}
        reps = {r.name: r for r in SalesRep.objects.filter(company=company)}
        terms = {t.code: t for t in PaymentTerms.objects.filter(company=company)}
        # A customer's primary contact is its oldest one marked primary, as exports read it.
        contacts: dict[int, Contact] = {}
        for contact in Contact.objects.filter(customer__company=company,
                                              is_primary=True).order_by("id"):
            contacts.setdefault(contact.customer_id, contact)
        new: list[tuple[Customer, dict[str, Any]]] = []
        changed: list[Customer] = []
        audits: list[tuple[Any, dict, dict]] = []
        contact_values: list[tuple[Customer, dict[str, Any]]] = []
        for record, cells in self.records:
            values = dict(record.values)
            target: dict[str, Any] = {k: values[k] for k in CUSTOMER_FIELDS if k in values}
            if "credit_limit" in values:
                target["credit_limit_minor"] = values["credit_limit"]
            if "sales_rep" in values:
                target["sales_rep"] = self._rep(values["sales_rep"], reps)
            customer = existing.get(record.code)
            if "payment_terms" in values:
                found = self._terms(values["payment_terms"], terms, record,
                                    customer.payment_terms if customer is not None else None)
                if isinstance(found, RowProblem):
                    self.problems.append((found, cells))
                    continue
                target["payment_terms"] = found
            if customer is None:
                customer = Customer(company=company, code=record.code, **target)
                existing[record.code] = customer
                new.append((customer, values))
                continue
            before, after = {}, {}
            for key, value in target.items():
                old = getattr(customer, key)
                if old != value:
                    before[key], after[key] = _shown(old), _shown(value)
                    setattr(customer, key, value)
            contact_changed = self._contact_changes(contacts.get(customer.pk), values)
            if before:
                customer.updated_at = now
                changed.append(customer)
                audits.append((customer, before, after))
            if before or contact_changed:
                self.updated += 1
                contact_values.append((customer, values))
            else:
                self.unchanged += 1
        Customer.objects.bulk_create([c for c, _v in new], batch_size=1000)
        self.created += len(new)
        contact_values.extend(new)
        if changed:
            fields = sorted({k for _c, b, _a in audits for k in b} | {"updated_at"})
            update_objects(changed, fields)
            record_many(self.actor, company, "customer.import_update", audits)
        self._write_contacts(contact_values, contacts)

    def _rep(self, name: str, reps: dict[str, SalesRep]) -> SalesRep | None:
        if not name:
            return None
        if name not in reps:
            reps[name] = SalesRep.objects.create(company=self.company, name=name)
        return reps[name]

    def _terms(self, text: str, terms: dict[str, PaymentTerms], record: CustomerRecord,
               current: PaymentTerms | None) -> PaymentTerms | RowProblem | None:
        """The terms a row's text names: by code; else the customer's current terms when the
        text reads as them (an export writes terms whose code does not parse by their spec);
        else new terms with the text as their code."""
        if not text:
            return None
        if text in terms:
            return terms[text]
        parsed = core_terms.parse_terms(text)
        if isinstance(parsed, Problem):
            return RowProblem(record.line, "", "payment_terms", text, parsed.code,
                              gettext_noop("cannot read payment terms {value}"))
        if current is not None and core_terms.parse_terms(current.spec) == parsed:
            return current
        terms[text] = PaymentTerms.objects.create(
            company=self.company, code=text, name=text, spec=core_terms.format_terms(parsed),
            net_days=parsed.net_days, end_of_month=parsed.end_of_month,
            discount_rate=parsed.discount_rate, discount_days=parsed.discount_days,
            late_interest_rate=parsed.late_interest_rate,
            roll_to_business_day=parsed.roll_to_business_day)
        return terms[text]

    @staticmethod
    def _contact_changes(contact: Contact | None, values: dict[str, Any]) -> bool:
        wanted = {k: values[k] for k in CONTACT_FIELDS if values.get(k)}
        if not wanted:
            return False
        if contact is None:
            return True
        return any(getattr(contact, k) != v for k, v in wanted.items())

    def _write_contacts(self, items: list[tuple[Customer, dict[str, Any]]],
                        contacts: dict[int, Contact]) -> None:
        new, changed = [], []
        for customer, values in items:
            wanted = {k: values[k] for k in CONTACT_FIELDS if values.get(k)}
            if not wanted:
                continue
            contact = contacts.get(customer.pk)
            if contact is None:
                new.append(Contact(customer=customer, is_primary=True,
                                   name=values.get("name", "")[:120], **wanted))
            elif any(getattr(contact, k) != v for k, v in wanted.items()):
                for k, v in wanted.items():
                    setattr(contact, k, v)
                changed.append(contact)
        Contact.objects.bulk_create(new, batch_size=1000)
        if changed:
            update_objects(changed, CONTACT_FIELDS)


def _shown(value: Any) -> Any:
    return str(value) if isinstance(value, PaymentTerms | SalesRep) else value
