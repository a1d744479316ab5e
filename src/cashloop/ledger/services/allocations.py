"""Allocating payments and credit notes to invoices (核销), and keeping invoices' settlement.

Cross-row invariants, checked here under row locks (payment or credit note first, then invoices
by id, so two writers never wait on each other in opposite orders): a source never allocates
more than its amount; an invoice never receives more than its amount; source and invoice share a
currency; allocating to another customer's invoice needs `allow_other_customer`. After every
change `refresh_settlement` recomputes paid_minor and settled_date from the allocations through
core.settlement, the one place that rule lives.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from cashloop.accounts.access import require_write
from cashloop.audit.services import Actor, record
from cashloop.core.money import format_grouped
from cashloop.core.problems import NotFound, Problem, Refusal, gettext_noop
from cashloop.core.settlement import OpenItem, oldest_first, settlement_for
from cashloop.ledger.models import Allocation, Company, CreditNote, Invoice, Payment
from cashloop.ledger.queries.documents import (
    allocations_in_scope,
    credit_notes_in_scope,
    invoices_in_scope,
    payments_in_scope,
)
from cashloop.ledger.services.checks import check_amount, check_date, invalid


class OverAllocation(Refusal):
    code = "allocation.over"


class CurrencyMismatch(Refusal):
    code = "allocation.currency_mismatch"


class CustomerMismatch(Refusal):
    code = "allocation.customer_mismatch"


class AppliedBeforeReceived(Refusal):
    code = "allocation.before_source"


@dataclass(frozen=True)
class AllocationLine:
    """Apply `amount_minor` to invoice `invoice_number` on `applied_date` (default: source date)."""

    invoice_number: str
    amount_minor: int
    applied_date: date | None = None


Source = Payment | CreditNote


def _problem(field: str, code: str, message: str, **params: object) -> tuple[Problem, ...]:
    return (Problem("request", field, code, message, tuple((k, str(v)) for k, v in params.items())),)


def _source_date(source: Source) -> date:
    return source.received_date if isinstance(source, Payment) else source.issue_date


def _by_kind(source: Source, payment_template: str, credit_note_template: str) -> str:
    """The template naming the source's kind: each kind is its own sentence to translate."""
    return payment_template if isinstance(source, Payment) else credit_note_template


def allocated_minor(source: Source) -> int:
    """What a payment or credit note has already allocated."""
    return source.allocations.aggregate(total=Sum("amount_minor", default=0))["total"]


def lock_payment(actor: Actor, company: Company, reference: str) -> Payment:
    payment = payments_in_scope(actor.user, company).select_for_update(of=("self",)).filter(
        reference=reference).first()
    if payment is None:
        raise NotFound(gettext_noop("no payment {reference}"), reference=reference)
    return payment


def lock_credit_note(actor: Actor, company: Company, number: str) -> CreditNote:
    note = credit_notes_in_scope(actor.user, company).select_for_update(of=("self",)).filter(
        number=number).first()
    if note is None:
        raise NotFound(gettext_noop("no credit note {number}"), number=number)
    return note


def _lock_invoices(actor: Actor, company: Company, numbers: Iterable[str]) -> dict[str, Invoice]:
    wanted = sorted(set(numbers))
    found = {
        inv.number: inv
        for inv in invoices_in_scope(actor.user, company).select_for_update(of=("self",))
        .filter(number__in=wanted).order_by("id")
    }
    missing = [n for n in wanted if n not in found]
    if missing:
        raise NotFound(gettext_noop("no invoice {number}"),
                       _problem("invoice", "invoice.unknown", gettext_noop("no invoice {number}"),
                                number=missing[0]), number=", ".join(missing))
    return found


def refresh_settlement(actor: Actor, company: Company, invoice_ids: Iterable[int]) -> None:
    """Recompute paid_minor and settled_date of these (locked) invoices from their allocations."""
    ids = sorted(set(invoice_ids))
    if not ids:
        return
    rows: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for invoice_id, applied, minor in Allocation.objects.filter(invoice_id__in=ids).values_list(
            "invoice_id", "applied_date", "amount_minor"):
        rows[invoice_id].append((applied, minor))
    changed: list[Invoice] = []
    now = timezone.now()
    for invoice in Invoice.objects.filter(pk__in=ids).order_by("id"):
        result = settlement_for(invoice.amount_minor, rows[invoice.pk])
        if (result.paid_minor, result.settled_date) == (invoice.paid_minor, invoice.settled_date):
            continue
        before = {"paid_minor": invoice.paid_minor, "settled_date": invoice.settled_date}
        invoice.paid_minor, invoice.settled_date = result.paid_minor, result.settled_date
        invoice.updated_at = now
        record(actor, company, "invoice.settlement", invoice, {**before, "currency": invoice.currency},
               {"paid_minor": invoice.paid_minor, "settled_date": invoice.settled_date,
                "currency": invoice.currency})
        changed.append(invoice)
    if changed:
        Invoice.objects.bulk_update(changed, ["paid_minor", "settled_date", "updated_at"])


def apply_lines(actor: Actor, company: Company, source: Source, lines: Sequence[AllocationLine],
                allow_other_customer: bool = False) -> list[Allocation]:
    """Allocate a locked source to invoices; the caller holds the transaction."""
    if not lines:
        return []
    invoices = _lock_invoices(actor, company, (line.invoice_number for line in lines))
    rest = source.amount_minor - allocated_minor(source)
    adding: dict[str, int] = defaultdict(int)
    for line in lines:
        invoice = invoices[line.invoice_number]
        check_amount("amount", line.amount_minor)
        applied = line.applied_date or _source_date(source)
        check_date("applied_date", applied)
        if applied < _source_date(source):
            raise AppliedBeforeReceived(
                _by_kind(source, gettext_noop("payment {source} is dated {date}; it cannot be "
                                              "applied on {applied}"),
                         gettext_noop("credit note {source} is dated {date}; it cannot be "
                                      "applied on {applied}")),
                _problem("applied_date", code=AppliedBeforeReceived.code,
                         message=gettext_noop("applied before the source's date")),
                source=source, date=_source_date(source), applied=applied)
        if invoice.currency != source.currency:
            raise CurrencyMismatch(
                _by_kind(source, gettext_noop("payment {source} is in {currency} but invoice "
                                              "{invoice} is in {invoice_currency}"),
                         gettext_noop("credit note {source} is in {currency} but invoice "
                                      "{invoice} is in {invoice_currency}")),
                _problem("invoice", CurrencyMismatch.code,
                         gettext_noop("currencies differ: {a} and {b}"),
                         a=source.currency, b=invoice.currency),
                source=source, currency=source.currency, invoice=invoice,
                invoice_currency=invoice.currency)
        if invoice.customer_id != source.customer_id and not allow_other_customer:
            raise CustomerMismatch(
                gettext_noop("invoice {invoice} belongs to another customer; allocate it only on "
                             "purpose (allow_other_customer)"),
                _problem("invoice", CustomerMismatch.code,
                         gettext_noop("invoice of another customer")), invoice=invoice)
        adding[invoice.number] += line.amount_minor
        open_minor = invoice.amount_minor - invoice.paid_minor
        if adding[invoice.number] > open_minor:
            raise OverAllocation(
                gettext_noop("invoice {invoice} has only {open} {currency} open"),
                _problem("amount", OverAllocation.code,
                         gettext_noop("more than the invoice's open amount")),
                invoice=invoice, open=format_grouped(open_minor, invoice.currency),
                currency=invoice.currency)
    total = sum(adding.values())
    if total > rest:
        raise OverAllocation(
            _by_kind(source, gettext_noop("payment {source} has only {rest} {currency} left to "
                                          "allocate"),
                     gettext_noop("credit note {source} has only {rest} {currency} left to "
                                  "allocate")),
            _problem("amount", OverAllocation.code,
                     gettext_noop("more than the unallocated amount")),
            source=source, rest=format_grouped(rest, source.currency), currency=source.currency)
    created = []
    for line in lines:
        invoice = invoices[line.invoice_number]
        allocation = Allocation.objects.create(
            company=company, invoice=invoice, amount_minor=line.amount_minor,
            applied_date=line.applied_date or _source_date(source),
            payment=source if isinstance(source, Payment) else None,
            credit_note=source if isinstance(source, CreditNote) else None,
        )
        record(actor, company, "allocation.create", allocation, None, _snapshot(allocation))
        created.append(allocation)
    refresh_settlement(actor, company, (inv.pk for inv in invoices.values()))
    return created


def _snapshot(allocation: Allocation) -> dict[str, object]:
    return {
        "invoice": allocation.invoice.number,
        "payment": allocation.payment.reference if allocation.payment_id else None,
        "credit_note": allocation.credit_note.number if allocation.credit_note_id else None,
        "amount_minor": allocation.amount_minor,
        "currency": allocation.invoice.currency,
        "applied_date": allocation.applied_date,
    }


@transaction.atomic
def allocate(actor: Actor, company: Company, lines: Sequence[AllocationLine], *,
             payment_reference: str | None = None, credit_note_number: str | None = None,
             allow_other_customer: bool = False) -> list[Allocation]:
    """Allocate a payment or a credit note (exactly one) to one or several invoices."""
    require_write(actor.user, company)
    if (payment_reference is None) == (credit_note_number is None):
        raise invalid("payment", "allocation.source",
                      gettext_noop("give a payment or a credit note, not both"))
    if not lines:
        raise invalid("lines", "allocation.empty",
                      gettext_noop("give at least one invoice to allocate to"))
    source: Source = (lock_payment(actor, company, payment_reference) if payment_reference
                      else lock_credit_note(actor, company, credit_note_number or ""))
    return apply_lines(actor, company, source, lines, allow_other_customer)


def auto_lines(actor: Actor, company: Company, source: Source) -> list[AllocationLine]:
    """Lines paying the customer's open invoices in the source's currency, oldest due first."""
    rest = source.amount_minor - allocated_minor(source)
    if rest <= 0:
        return []
    candidates = (invoices_in_scope(actor.user, company)
                  .filter(customer_id=source.customer_id, currency=source.currency,
                          settled_date__isnull=True)
                  .order_by("due_date", "issue_date", "id")
                  .values_list("number", "due_date", "issue_date", "amount_minor", "paid_minor"))
    items = [OpenItem(number, due, amount - paid, issued)
             for number, due, issued, amount, paid in candidates[:1000]]
    return [AllocationLine(str(key), minor) for key, minor in oldest_first(rest, items)]


@transaction.atomic
def auto_allocate(actor: Actor, company: Company, payment_reference: str) -> list[Allocation]:
    """Allocate what is left of a payment to its customer's open invoices, oldest due first."""
    require_write(actor.user, company)
    payment = lock_payment(actor, company, payment_reference)
    return apply_lines(actor, company, payment, auto_lines(actor, company, payment))


def remove_allocations(actor: Actor, company: Company, allocations: Iterable[Allocation]) -> None:
    """Delete allocations (sources already locked) and recompute their invoices."""
    allocations = list(allocations)
    invoice_ids = {a.invoice_id for a in allocations}
    list(Invoice.objects.select_for_update().filter(pk__in=invoice_ids).order_by("id"))
    for allocation in allocations:
        record(actor, company, "allocation.delete", allocation, _snapshot(allocation), None)
    Allocation.objects.filter(pk__in=[a.pk for a in allocations]).delete()
    refresh_settlement(actor, company, invoice_ids)


@transaction.atomic
def delete_allocation(actor: Actor, company: Company, allocation_id: int) -> None:
    """Undo one allocation; its invoice becomes open again as far as the money goes."""
    require_write(actor.user, company)
    allocation = (allocations_in_scope(actor.user, company)
                  .select_related("invoice", "payment", "credit_note")
                  .filter(pk=allocation_id).first())
    if allocation is None:
        raise NotFound(gettext_noop("no allocation {id}"), id=allocation_id)
    # Lock the source first, as allocate() does, so concurrent writers take locks in one order.
    if allocation.payment_id:
        list(Payment.objects.select_for_update().filter(pk=allocation.payment_id))
    else:
        list(CreditNote.objects.select_for_update().filter(pk=allocation.credit_note_id))
    remove_allocations(actor, company, [allocation])
