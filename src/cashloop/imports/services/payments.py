"""Writing imported payments (收款): created or updated by reference; a row naming an invoice
allocates min(amount, open) to it on the payment date, and the invoice's paid amount and settled
date follow (ledger.services.allocations.refresh_settlement). Unknown customers are created (code
only); an unknown invoice rejects the row."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from cashloop.audit.services import Actor, record_many
from cashloop.core.importing.issues import RowProblem
from cashloop.core.importing.records import PaymentRecord
from cashloop.core.problems import gettext_noop
from cashloop.imports.services.bulk import in_chunks, update_objects
from cashloop.ledger.models import Allocation, Company, Customer, Invoice, Payment
from cashloop.ledger.services.allocations import refresh_settlement

AUDITED = ("customer", "received_date", "amount_minor", "currency")


class PaymentWriter:
    def __init__(self, company: Company, actor: Actor, as_of: date) -> None:
        self.company, self.actor, self.as_of = company, actor, as_of
        self.records: list[tuple[PaymentRecord, list[str]]] = []
        self.created = self.updated = self.unchanged = 0
        self.problems: list[tuple[RowProblem, list[str]]] = []

    def add(self, record: PaymentRecord, cells: list[str]) -> None:
        self.records.append((record, cells))

    def finish(self) -> None:
        company = self.company
        refs = [r.reference for r, _c in self.records]
        existing: dict[str, Payment] = {}
        for chunk in in_chunks(refs):
            existing.update((p.reference, p) for p in Payment.objects.filter(
                company=company, reference__in=chunk).select_related("customer"))
        invoices = self._invoices([r.invoice for r, _c in self.records if r.invoice])
        customers = self._customers([r.customer for r, _c in self.records])
        paid = {inv.pk: inv.paid_minor for inv in invoices.values()}
        touched: set[int] = set()
        todo: list[tuple[PaymentRecord, Payment, bool]] = []
        audits: list[tuple[Any, dict, dict]] = []
        for record, cells in self.records:
            invoice = invoices.get(record.invoice) if record.invoice else None
            if record.invoice and invoice is None:
                self._reject(record, cells, "invoice.unknown", gettext_noop("no invoice {value}"))
                continue
            if invoice is not None and invoice.currency != record.currency:
                self._reject(record, cells, "currency.mismatch",
                             gettext_noop("invoice {value} is in {invoice_currency}, "
                                          "the payment in {currency}"),
                             invoice_currency=invoice.currency, currency=record.currency)
                continue
            payment = existing.get(record.reference)
            if payment is not None and payment.source_hash == record.source_hash:
                self.unchanged += 1
                continue
            customer = customers[record.customer]
            is_new = payment is None
            if payment is None:
                payment = Payment(company=company, reference=record.reference)
                self.created += 1
            else:
                before = {"customer": payment.customer.code, "received_date": payment.received_date,
                          "amount_minor": payment.amount_minor, "currency": payment.currency}
                after = {"customer": record.customer, "received_date": record.received_date,
                         "amount_minor": record.amount_minor, "currency": record.currency}
                keys = [k for k in AUDITED if before[k] != after[k]]
                audits.append((payment, {k: before[k] for k in keys}, {k: after[k] for k in keys}))
                for allocation in Allocation.objects.filter(payment=payment):
                    paid[allocation.invoice_id] = paid.get(
                        allocation.invoice_id, allocation.invoice.paid_minor) - allocation.amount_minor
                    touched.add(allocation.invoice_id)
                Allocation.objects.filter(payment=payment).delete()
                self.updated += 1
            payment.customer = customer
            payment.received_date = record.received_date
            payment.amount_minor = record.amount_minor
            payment.currency = record.currency
            payment.source_hash = record.source_hash
            todo.append((record, payment, is_new))
        Payment.objects.bulk_create([p for _r, p, is_new in todo if is_new], batch_size=1000)
        old = [p for _r, p, is_new in todo if not is_new]
        if old:
            update_objects(old, ["customer", "received_date", "amount_minor", "currency",
                                 "source_hash"])
        allocations = []
        for record, payment, _new in todo:
            invoice = invoices.get(record.invoice) if record.invoice else None
            if invoice is None:
                continue
            open_minor = invoice.amount_minor - paid[invoice.pk]
            amount = min(record.amount_minor, open_minor)
            if amount <= 0:
                continue
            paid[invoice.pk] += amount
            touched.add(invoice.pk)
            allocations.append(Allocation(company=company, invoice=invoice, payment=payment,
                                          amount_minor=amount, applied_date=record.received_date))
        Allocation.objects.bulk_create(allocations, batch_size=1000)
        refresh_settlement(self.actor, company, touched)
        if audits:
            record_many(self.actor, company, "payment.import_update", audits)

    def _reject(self, record: PaymentRecord, cells: list[str], code: str, message: str,
                **params: str) -> None:
        self.problems.append((RowProblem(record.line, "", "invoice", record.invoice, code,
                                         message, tuple(params.items())), cells))

    def _invoices(self, numbers: Sequence[str]) -> dict[str, Invoice]:
        found: dict[str, Invoice] = {}
        for chunk in in_chunks(sorted(set(numbers))):
            found.update((i.number, i) for i in Invoice.objects.select_for_update().filter(
                company=self.company, number__in=chunk))
        return found

    def _customers(self, codes: Sequence[str]) -> dict[str, Customer]:
        wanted = sorted(set(codes))
        found: dict[str, Customer] = {}
        for chunk in in_chunks(wanted):
            found.update((c.code, c) for c in Customer.objects.filter(
                company=self.company, code__in=chunk))
        missing = [Customer(company=self.company, code=code) for code in wanted if code not in found]
        Customer.objects.bulk_create(missing, batch_size=1000)
        found.update((c.code, c) for c in missing)
        return found
