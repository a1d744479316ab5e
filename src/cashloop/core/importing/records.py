"""Imported records: one frozen dataclass per kind of row, and the digests that make a second
import of an unchanged row a no-op (`source_hash`, md5 of the normalized fields)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

# A settled invoice row is recorded as a payment with this reference prefix and the invoice's
# number ("SETTLE-INV-1"), allocated to it; an export writes that settlement back on the row.
SETTLE_PREFIX = "SETTLE-"


def digest(*parts: object) -> str:
    """md5 of the normalized fields: a cheap 'has this row changed' test, not a security hash."""
    text = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def invoice_hash(number: str, customer: str, issue_date: date, due_date: date | None,
                 amount: int, currency: str, settled_date: date | None, paid: int,
                 disputed: bool, contract: str, description: str) -> str:
    """The digest of an invoice row's normalized fields (hot path: one f-string, one md5)."""
    text = (f"{number}\x1f{customer}\x1f{issue_date}\x1f{due_date or ''}\x1f{amount}\x1f"
            f"{currency}\x1f{settled_date or ''}\x1f{paid}\x1f{disputed}\x1f{contract}\x1f"
            f"{description}")
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


@dataclass(frozen=True, slots=True)
class InvoiceRecord:
    line: int
    number: str
    customer: str
    issue_date: date
    due_date: date | None  # None: computed from the customer's terms
    amount_minor: int
    currency: str
    settled_date: date | None
    paid_minor: int  # settled part (0 when open)
    disputed: bool
    contract: str
    description: str
    source_hash: str
    # The name a customer created by this row gets; not part of the invoice (nor of its hash).
    customer_name: str = ""


@dataclass(frozen=True, slots=True)
class CreditNoteRecord:
    """A negative invoice row (红字发票): a credit note of the absolute amount, not allocated."""

    line: int
    number: str
    customer: str
    issue_date: date
    amount_minor: int  # positive
    currency: str
    reason: str
    source_hash: str
    customer_name: str = ""  # as InvoiceRecord's; a credit note row gives none


@dataclass(frozen=True, slots=True)
class PaymentRecord:
    line: int
    reference: str
    customer: str
    received_date: date
    amount_minor: int
    currency: str
    invoice: str
    source_hash: str


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    line: int
    code: str
    values: dict[str, Any]  # only the mapped fields: credit_limit as minor units
    source_hash: str


Record = InvoiceRecord | CreditNoteRecord | PaymentRecord | CustomerRecord
