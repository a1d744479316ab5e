"""What a sheet cannot carry: the ledger facts the import format has no column for, counted.

An export never drops them silently: each is a warning with a stable code, the number of rows
it concerns and an English message, in the CLI's output (English by design, like its JSON). The
import format (core.importing.columns) has one invoice per payment row, allocates a payment on
its own date up to the invoice's open amount, makes credit notes without allocations and an
invoice's due date without instalments; what a ledger holds beyond that is listed here.
One count query per limit, over the same scope as the sheet.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, F, OuterRef, Q, Sum

from cashloop.exports.sheets import exported_payments
from cashloop.ledger.models import Allocation, Company, Contact, InvoiceInstalment
from cashloop.ledger.queries.documents import (
    User,
    credit_notes_in_scope,
    customers_in_scope,
    invoices_in_scope,
)


@dataclass(frozen=True, slots=True)
class Limit:
    code: str
    count: int
    template: str  # "{count} …"

    @property
    def message(self) -> str:
        return self.template.format(count=self.count)

    def to_json(self) -> dict[str, object]:
        return {"code": self.code, "count": self.count, "message": self.message}


def limits(kind: str, company: Company, user: User) -> list[Limit]:
    """The warnings of an export of `kind`, only those with a non-zero count."""
    found = {"invoices": _invoice_limits, "customers": _customer_limits,
             "payments": _payment_limits}[kind](company, user)
    return [limit for limit in found if limit.count]


def _invoice_limits(company: Company, user: User) -> list[Limit]:
    allocated = Allocation.objects.filter(credit_note=OuterRef("pk"))
    instalments = InvoiceInstalment.objects.filter(invoice=OuterRef("pk"))
    return [
        Limit("credit_note.allocated",
              credit_notes_in_scope(user, company).filter(Exists(allocated)).count(),
              "{count} credit notes are allocated to invoices: the import creates "
              "credit notes without allocations, so those invoices re-import with "
              "more open"),
        Limit("invoice.instalments",
              invoices_in_scope(user, company).filter(Exists(instalments)).count(),
              "{count} invoices have instalments: the import keeps their due date "
              "but not the instalment schedule"),
    ]


def _customer_limits(company: Company, user: User) -> list[Limit]:
    others = Contact.objects.filter(customer=OuterRef("pk"), is_primary=False)
    return [
        Limit("customer.other_contacts",
              customers_in_scope(user, company).filter(Exists(others)).count(),
              "{count} customers have contacts besides the primary one: only the "
              "primary contact's email, phone and language are exported"),
    ]


def _payment_limits(company: Company, user: User) -> list[Limit]:
    payments = exported_payments(company, user)
    counted = payments.annotate(allocations_n=Count("allocations"),
                                allocated=Sum("allocations__amount_minor"))
    later = Allocation.objects.filter(payment=OuterRef("pk")).exclude(
        applied_date=OuterRef("received_date"))
    still_open = Allocation.objects.filter(payment=OuterRef("pk"),
                                           invoice__settled_date__isnull=True)
    return [
        Limit("payment.split", counted.filter(allocations_n__gt=1).count(),
              "{count} payments are allocated to several invoices: a payment row "
              "names one invoice, so they re-import allocated to the first only"),
        Limit("payment.applied_later", payments.filter(Exists(later)).count(),
              "{count} payments were allocated on another day than received: the "
              "import allocates on the payment date"),
        # One allocation of part of the payment to an invoice still open: the import would
        # allocate as much as is open.
        Limit("payment.partly_applied",
              counted.filter(Q(allocations_n=1) & Q(allocated__lt=F("amount_minor"))
                             & Q(Exists(still_open))).count(),
              "{count} payments are allocated for less than they could pay on an "
              "invoice still open: the import allocates as much as is open"),
    ]
