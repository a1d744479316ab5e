"""Disputes (争议) on invoices: opening one marks the invoice disputed; resolving the last open one
clears the mark. The flag is kept here, in the same transaction as the dispute."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from cashloop.accounts.access import require_write
from cashloop.audit.services import Actor, record
from cashloop.core.problems import NotFound, Refusal, gettext_noop
from cashloop.ledger.models import Company, Dispute, Invoice
from cashloop.ledger.queries.documents import disputes_in_scope, invoices_in_scope
from cashloop.ledger.services.checks import check_amount, check_date, check_text, invalid


class DisputeClosed(Refusal):
    code = "dispute.closed"


def _snapshot(dispute: Dispute) -> dict[str, object]:
    return {"opened_date": dispute.opened_date, "resolved_date": dispute.resolved_date,
            "reason": dispute.reason, "amount_minor": dispute.amount_minor,
            "resolution": dispute.resolution}


def _set_flag(actor: Actor, company: Company, invoice: Invoice) -> None:
    flag = Dispute.objects.filter(invoice=invoice, resolved_date__isnull=True).exists()
    if flag != invoice.is_disputed:
        record(actor, company, "invoice.dispute_flag", invoice,
               {"is_disputed": invoice.is_disputed}, {"is_disputed": flag})
        invoice.is_disputed = flag
        invoice.save(update_fields=["is_disputed", "updated_at"])


@transaction.atomic
def open_dispute(actor: Actor, company: Company, invoice_number: str, opened_date: date,
                 reason: str = "", amount_minor: int | None = None) -> Dispute:
    """Open a dispute on an invoice (the whole amount, or `amount_minor` of it)."""
    require_write(actor.user, company)
    check_date("opened_date", opened_date)
    reason = check_text("reason", reason, 500)
    invoice = invoices_in_scope(actor.user, company).select_for_update(of=("self",)).filter(
        number=invoice_number).first()
    if invoice is None:
        raise NotFound(gettext_noop("no invoice {number}"), number=invoice_number)
    if amount_minor is not None:
        check_amount("amount", amount_minor)
        if amount_minor > invoice.amount_minor:
            raise invalid("amount", "dispute.amount",
                          gettext_noop("the disputed amount exceeds the invoice"))
    dispute = Dispute.objects.create(company=company, invoice=invoice, opened_date=opened_date,
                                     reason=reason, amount_minor=amount_minor)
    record(actor, company, "dispute.open", dispute, None, _snapshot(dispute))
    _set_flag(actor, company, invoice)
    return dispute


@transaction.atomic
def resolve_dispute(actor: Actor, company: Company, dispute_id: int, resolved_date: date,
                    resolution: str = "") -> Dispute:
    """Close a dispute; the invoice stays disputed while another dispute is open."""
    require_write(actor.user, company)
    check_date("resolved_date", resolved_date)
    resolution = check_text("resolution", resolution, 500)
    dispute = disputes_in_scope(actor.user, company).filter(pk=dispute_id).first()
    if dispute is None:
        raise NotFound(gettext_noop("no dispute {id}"), id=dispute_id)
    invoice = Invoice.objects.select_for_update().get(pk=dispute.invoice_id)
    dispute.refresh_from_db()
    if dispute.resolved_date is not None:
        raise DisputeClosed(gettext_noop("dispute {id} was resolved on {date}"), id=dispute_id,
                            date=dispute.resolved_date)
    if resolved_date < dispute.opened_date:
        raise invalid("resolved_date", "dispute.resolved_before_opened",
                      gettext_noop("a dispute cannot be resolved before it was opened"))
    before = _snapshot(dispute)
    dispute.resolved_date, dispute.resolution = resolved_date, resolution
    dispute.save(update_fields=["resolved_date", "resolution"])
    record(actor, company, "dispute.resolve", dispute, before, _snapshot(dispute))
    _set_flag(actor, company, invoice)
    return dispute
