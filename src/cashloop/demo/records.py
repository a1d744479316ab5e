"""The demo company's records as frozen values: what the story generates and the writer stores.

Records refer to each other by natural key (customer code, invoice number, payment reference),
never by database id, so a story can be built, compared and checked without a database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class SalesRepRecord:
    name: str
    email: str
    department: str


@dataclass(frozen=True, slots=True)
class TermsRecord:
    code: str
    name: str
    spec: str  # the text core.terms reads: 'NET30', 'EOM+30', '2/10 net 30'
    net_days: int
    end_of_month: bool
    discount_rate: Decimal | None
    discount_days: int | None


@dataclass(frozen=True, slots=True)
class ContactRecord:
    name: str
    role: str
    email: str
    phone: str
    language: str  # zh-hans or en
    is_primary: bool


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    code: str
    name: str
    tax_id: str
    industry: str
    country: str
    currency: str
    sales_rep: str
    department: str
    credit_limit_minor: int
    tier: str
    terms_code: str
    contacts: tuple[ContactRecord, ...]


@dataclass(frozen=True, slots=True)
class ContractRecord:
    number: str
    customer_code: str
    start_date: date
    terms_code: str
    late_interest_rate: Decimal | None
    description: str


@dataclass(frozen=True, slots=True)
class InvoiceRecord:
    number: str
    customer_code: str
    issue_date: date
    due_date: date
    amount_minor: int
    currency: str
    contract_number: str | None
    description: str
    paid_minor: int  # the sum of its allocations
    settled_date: date | None  # the applied_date on which allocations reached amount_minor
    is_disputed: bool


@dataclass(frozen=True, slots=True)
class CreditNoteRecord:
    number: str
    customer_code: str
    issue_date: date
    amount_minor: int
    currency: str
    reason: str


@dataclass(frozen=True, slots=True)
class PaymentRecord:
    reference: str
    customer_code: str
    received_date: date
    amount_minor: int  # the sum of its allocations
    currency: str


@dataclass(frozen=True, slots=True)
class AllocationRecord:
    invoice_number: str
    payment_reference: str | None
    credit_note_number: str | None
    amount_minor: int
    applied_date: date


@dataclass(frozen=True, slots=True)
class DisputeRecord:
    invoice_number: str
    opened_date: date
    resolved_date: date | None
    reason: str
    amount_minor: int | None  # the disputed part; None when the whole invoice is disputed
    resolution: str


@dataclass(frozen=True, slots=True)
class RateRecord:
    from_currency: str
    to_currency: str
    rate_date: date
    rate: Decimal


@dataclass(frozen=True, slots=True)
class Story:
    """Everything the demo company holds as of `as_of`."""

    as_of: date
    company_code: str
    company_name: str
    base_currency: str
    sales_reps: tuple[SalesRepRecord, ...]
    terms: tuple[TermsRecord, ...]
    customers: tuple[CustomerRecord, ...]
    contracts: tuple[ContractRecord, ...]
    invoices: tuple[InvoiceRecord, ...]
    credit_notes: tuple[CreditNoteRecord, ...]
    payments: tuple[PaymentRecord, ...]
    allocations: tuple[AllocationRecord, ...]
    disputes: tuple[DisputeRecord, ...]
    rates: tuple[RateRecord, ...]

    def open_minor_by_currency(self) -> dict[str, int]:
        """Open amount (amount less allocations) of the invoices, per currency."""
        totals: dict[str, int] = {}
        for inv in self.invoices:
            if inv.paid_minor < inv.amount_minor:
                totals[inv.currency] = totals.get(inv.currency, 0) + inv.amount_minor - inv.paid_minor
        return totals

    def latest_rate(self, from_currency: str, to_currency: str) -> RateRecord | None:
        """The rate dated on or before as_of that is in force on as_of."""
        found = [r for r in self.rates if (r.from_currency, r.to_currency) == (from_currency, to_currency)
                 and r.rate_date <= self.as_of]
        return max(found, key=lambda r: r.rate_date) if found else None
