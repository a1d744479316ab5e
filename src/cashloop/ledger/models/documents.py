"""Invoices (发票/应收单), credit notes, payments (收款), allocations, disputes.

Amounts are `<name>_minor` integers beside a `currency`. An invoice's `paid_minor` and
`settled_date` are kept by ledger.services in the same transaction as its allocations, so that
"open as of D" is a plain indexed filter: issued on or before D and (never settled or settled
after D). The open amount as of D is the amount less allocations applied on or before D.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from cashloop.ledger.models.companies import Company
from cashloop.ledger.models.customers import Contract, Customer


class Invoice(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="invoices")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField(max_length=64)
    issue_date = models.DateField()
    due_date = models.DateField()
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    contract = models.ForeignKey(
        Contract, null=True, blank=True, on_delete=models.SET_NULL, related_name="invoices"
    )
    description = models.CharField(max_length=500, blank=True)
    paid_minor = models.BigIntegerField(default=0)  # allocations to date, kept by services
    settled_date = models.DateField(null=True, blank=True)  # the day allocations reached amount
    is_disputed = models.BooleanField(default=False)
    # Digest of the imported fields: importing an unchanged row again is a no-op.
    source_hash = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="invoice_number_unique"),
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="invoice_amount_positive"),
            models.CheckConstraint(
                condition=Q(paid_minor__gte=0) & Q(paid_minor__lte=F("amount_minor")),
                name="invoice_paid_within_amount",
            ),
        ]
        indexes = [
            models.Index(fields=["company", "customer", "due_date"]),
            # Covering indexes for the heavy reports (reports.queries): credit sales by issue day
            # are read from the first alone, and aging and metrics read open and settled invoices
            # from the second without touching the table. Both are in the order of their GROUP BY
            # (issue day or settled day, then currency), so SQLite aggregates without sorting.
            # The id ends the second so that PostgreSQL joins allocations from the index alone
            # (SQLite has the rowid in every index anyway).
            models.Index(fields=["company", "issue_date", "currency", "amount_minor"],
                         name="invoice_by_issue"),
            models.Index(
                fields=["company", "settled_date", "currency", "issue_date", "due_date",
                        "amount_minor", "paid_minor", "customer", "id"],
                name="invoice_by_settlement",
            ),
            models.Index(
                fields=["company", "due_date"], condition=Q(settled_date__isnull=True),
                name="invoice_open_by_due",
            ),
            # Open invoices by customer, covering their balances: the customer list's balances
            # of one page, and the rankings of customers by balance (customer list sorted by a
            # balance, aging by customer) read it in customer order without sorting. It starts
            # like the settlement index so that SQLite treats the two alike (see
            # ledger.queries.hints); settled_date is a column too, so SQLite covers the queries.
            models.Index(
                fields=["company", "settled_date", "customer", "currency", "due_date", "issue_date",
                        "amount_minor", "paid_minor"],
                condition=Q(settled_date__isnull=True), name="invoice_open_by_customer",
            ),
            # The invoice list sorted by due date or amount over a whole company reads one page
            # of an index instead of sorting a million rows (the id keeps the order total).
            models.Index(fields=["company", "due_date", "id"], name="invoice_by_due"),
            models.Index(fields=["company", "amount_minor", "id"], name="invoice_by_amount"),
        ]

    def __str__(self) -> str:
        return self.number


class InvoiceInstalment(models.Model):
    """One instalment (分期) of an invoice; the instalments' amounts add up to the invoice's."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="instalments")
    sequence = models.PositiveSmallIntegerField()
    due_date = models.DateField()
    amount_minor = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["invoice", "sequence"], name="instalment_unique"),
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="instalment_positive"),
        ]
        ordering = ["invoice", "sequence"]


class CreditNote(models.Model):
    """A credit note (红字发票/贷项通知单) that reduces what a customer owes when allocated."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="credit_notes")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="credit_notes")
    number = models.CharField(max_length=64)
    issue_date = models.DateField()
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="credit_note_number_unique"),
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="credit_note_positive"),
        ]

    def __str__(self) -> str:
        return self.number


class Payment(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="payments")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="payments")
    reference = models.CharField(max_length=100)
    received_date = models.DateField()
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    source_hash = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "reference"], name="payment_reference_unique"),
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="payment_positive"),
        ]
        indexes = [models.Index(fields=["company", "customer", "received_date"])]

    def __str__(self) -> str:
        return self.reference


class Allocation(models.Model):
    """Part of a payment or credit note applied to an invoice on `applied_date` (核销)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="allocations")
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="allocations")
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.CASCADE, related_name="allocations"
    )
    credit_note = models.ForeignKey(
        CreditNote, null=True, blank=True, on_delete=models.CASCADE, related_name="allocations"
    )
    amount_minor = models.BigIntegerField()  # in the invoice's currency
    applied_date = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="allocation_positive"),
            models.CheckConstraint(
                condition=(Q(payment__isnull=False) & Q(credit_note__isnull=True))
                | (Q(payment__isnull=True) & Q(credit_note__isnull=False)),
                name="allocation_one_source",
            ),
        ]
        # Covering: an invoice's allocations after (or before) a date are summed from the index.
        indexes = [models.Index(fields=["invoice", "applied_date", "amount_minor"],
                                name="allocation_by_invoice")]

    def __str__(self) -> str:
        return f"{self.payment or self.credit_note} → {self.invoice}"


class Dispute(models.Model):
    """A customer's dispute (争议) of an invoice; open while `resolved_date` is empty."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="disputes")
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="disputes")
    opened_date = models.DateField()
    resolved_date = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    amount_minor = models.BigIntegerField(null=True, blank=True)  # disputed part, if not all
    resolution = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [models.Index(fields=["invoice", "resolved_date"])]
