"""Receivables flows by day (应收账款日流量): what entered and what left AR on each day.

For each company, currency and day: the credit sales issued that day (invoices by issue date)
and the allocations that left AR that day. An allocation leaves AR on its applied date, or on its
invoice's issue date when applied earlier (an invoice paid before it is dated never counts as
open). Since an invoice's allocations never exceed its amount and it is settled exactly when
they reach it (ledger.services, core.settlement), AR as of D in a currency is the sum of
issued − collected over every day up to D: a few hundred rows per currency and year instead of
a scan of every invoice.

The rows are kept by database triggers on invoices and allocations (ledger.flow_triggers), so
every writer — services, imports, the demo, the admin — keeps them in step in its own
transaction; bulk imports suspend the triggers and rebuild the company's rows set-based.
"""

from __future__ import annotations

from django.db import models


class ReceivableDay(models.Model):
    # No foreign key: the triggers write here while a company's documents are being deleted.
    company_id = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    day = models.DateField()
    issued_minor = models.BigIntegerField(default=0)
    issued_count = models.IntegerField(default=0)
    collected_minor = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company_id", "currency", "day"],
                                    name="receivable_day_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.company_id} {self.currency} {self.day}"
