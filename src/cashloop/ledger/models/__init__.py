"""The receivables ledger's tables, split by concept."""

from cashloop.ledger.models.companies import Company, ExchangeRate, PaymentTerms, SalesRep
from cashloop.ledger.models.customers import Contact, Contract, Customer
from cashloop.ledger.models.documents import (
    Allocation,
    CreditNote,
    Dispute,
    Invoice,
    InvoiceInstalment,
    Payment,
)
from cashloop.ledger.models.flows import ReceivableDay

__all__ = [
    "Allocation", "Company", "Contact", "Contract", "CreditNote", "Customer", "Dispute",
    "ExchangeRate", "Invoice", "InvoiceInstalment", "Payment", "PaymentTerms", "ReceivableDay", "SalesRep",
]
