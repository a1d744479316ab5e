"""The ledger as the importer reads it: one sheet per kind, its header the importer's field names
(`COLUMNS`: all of them but `open_amount`).

Rows stream from the database set-based — one `values_list(...).iterator()` query per kind of
document, no model instance per row, constant memory for a million invoices — limited to the
customers the user may see (the `*_in_scope` reads of ledger.queries.documents, i.e.
accounts.access.customer_scope). Cells are plain values a writer formats: text (amounts already
plain decimal text with the currency's decimals, money.format_minor), a `date` or None, a bool
or None (flags).

How each kind carries the ledger (docs/import.md, "Export and round trip"):
- invoices, by number, then credit notes, by number, as negative-amount rows (the invoices
  importer turns those back into credit notes), with the customer's name (`customer_name`, which
  names the customers an invoices file creates). `settled_date` and `paid_amount` are the
  invoice's own settlement: the SETTLE-<number> payment an import records for a settled row.
  Payments recorded on their own belong to the payments sheet; putting them on the invoice row
  too would pay the invoice twice when both files are imported.
- customers, by code: `email`, `phone`, `language` of the primary contact (the one the importer
  writes, the oldest when there are several); payment terms by their code when the code reads as
  the same terms, else by their spec (a code such as "STANDARD" would not import elsewhere).
- payments, by received date in the order recorded (the importer allocates in file order),
  without the SETTLE-<number> payments the invoices sheet carries; `invoice` is the first
  invoice the payment is allocated to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Concat

from cashloop.accounts.access import customer_scope
from cashloop.core import terms as core_terms
from cashloop.core.importing.columns import FIELDS
from cashloop.core.importing.records import SETTLE_PREFIX
from cashloop.core.money import format_minor
from cashloop.core.problems import Problem
from cashloop.ledger.models import Allocation, Company, Contact, Customer, Invoice
from cashloop.ledger.queries.documents import (
    User,
    credit_notes_in_scope,
    customers_in_scope,
    invoices_in_scope,
    payments_in_scope,
)

CHUNK = 5000  # rows per fetch: few round trips, a few MB at most in flight
# The importer's fields an export writes, in the importer's order: all but `open_amount`. The
# paid part travels as `paid_amount`, the invoice's own settlement; an open amount beside it
# would count the payments the payments sheet carries too, and the importer rejects a row whose
# paid and open amounts do not add up to the amount.
NOT_WRITTEN = frozenset({"open_amount"})
COLUMNS = {kind: tuple(f for f in fields if f not in NOT_WRITTEN) for kind, fields in FIELDS.items()}
TEXT, DATE, AMOUNT, FLAG = "text", "date", "amount", "flag"
_TYPES = {"issue_date": DATE, "due_date": DATE, "settled_date": DATE, "date": DATE,
          "amount": AMOUNT, "paid_amount": AMOUNT, "credit_limit": AMOUNT, "disputed": FLAG}

Cell = str | date | bool | None
Row = tuple[Cell, ...]


@dataclass(frozen=True)
class Sheet:
    """A kind's header (the importer's field names, in its order), cell types and row stream."""

    kind: str
    header: tuple[str, ...]
    types: tuple[str, ...]
    rows: Iterator[Row]


def cell_types(kind: str) -> tuple[str, ...]:
    return tuple(_TYPES.get(field, TEXT) for field in COLUMNS[kind])


def sheet(kind: str, company: Company, user: User, invoices: QuerySet[Invoice] | None = None,
          customers: QuerySet[Customer] | None = None) -> Sheet:
    """The sheet of `kind` the user may see. `invoices`/`customers` narrow it to a filtered list
    (the list pages' filters); a narrowed invoices sheet has no credit notes, as its list."""
    rows: Iterator[Row]
    if kind == "invoices":
        rows = invoice_rows(company, user, invoices)
    elif kind == "customers":
        rows = customer_rows(company, user, customers)
    else:
        rows = payment_rows(company, user)
    return Sheet(kind, COLUMNS[kind], cell_types(kind), rows)


def own_settlement() -> QuerySet[Allocation]:
    """The allocations of an invoice's own settlement payment (SETTLE-<number>, see records)."""
    return Allocation.objects.filter(
        invoice=OuterRef("pk"),
        payment__reference=Concat(Value(SETTLE_PREFIX), OuterRef("number"),
                                  output_field=CharField()))


def invoice_rows(company: Company, user: User, invoices: QuerySet[Invoice] | None = None
                 ) -> Iterator[Row]:
    own = own_settlement()
    own_minor = Subquery(own.order_by().values("invoice").annotate(total=Sum("amount_minor"))
                         .values("total"), output_field=IntegerField())
    own_date = Subquery(own.order_by("-applied_date").values("applied_date")[:1])
    narrowed = invoices is not None
    base = invoices if invoices is not None else invoices_in_scope(user, company)
    # Only an invoice with something paid can have a settlement of its own: the CASE spares the
    # other rows both subqueries.
    rows = (base.order_by("number")
            .annotate(own_minor=_when_paid(own_minor), own_date=_when_paid(own_date))
            .values_list("number", "customer__code", "issue_date", "due_date", "amount_minor",
                         "currency", "own_date", "own_minor", "is_disputed", "contract__number",
                         "description", "customer__name"))
    for (number, customer, issued, due, amount, currency, settled, paid, disputed, contract,
         description, name) in rows.iterator(chunk_size=CHUNK):
        yield (number, customer, issued, due, format_minor(amount, currency), currency,
               settled if paid else None, format_minor(paid, currency) if paid else None,
               disputed, contract or "", description, name)
    if narrowed:
        return
    notes = (credit_notes_in_scope(user, company).order_by("number")
             .values_list("number", "customer__code", "issue_date", "amount_minor", "currency",
                          "reason", "customer__name"))
    for number, customer, issued, amount, currency, reason, name in notes.iterator(
            chunk_size=CHUNK):
        yield (number, customer, issued, None, format_minor(-amount, currency), currency,
               None, None, None, "", reason, name)


def _when_paid(expression: Any) -> Any:
    return Case(When(paid_minor__gt=0, then=expression), default=Value(None),
                output_field=expression.output_field)


def customer_rows(company: Company, user: User, customers: QuerySet[Customer] | None = None
                  ) -> Iterator[Row]:
    primary = Contact.objects.filter(customer=OuterRef("pk"), is_primary=True).order_by("id")
    base = customers if customers is not None else customers_in_scope(user, company)
    rows = (base.order_by("code")
            .annotate(contact_email=Subquery(primary.values("email")[:1]),
                      contact_phone=Subquery(primary.values("phone")[:1]),
                      contact_language=Subquery(primary.values("language")[:1]))
            .values_list("code", "name", "tax_id", "industry", "country", "currency",
                         "contact_email", "contact_phone", "contact_language", "sales_rep__name",
                         "department", "credit_limit_minor", "tier", "payment_terms__code",
                         "payment_terms__spec"))
    terms_text = _terms_text()
    base_currency = company.base_currency
    for (code, name, tax_id, industry, country, currency, email, phone, language, rep,
         department, limit, tier, terms_code, terms_spec) in rows.iterator(chunk_size=CHUNK):
        # A customer without a currency keeps its limit in the base currency, as the importer
        # reads a limit beside an empty currency cell.
        yield (code, name, tax_id, industry, country, currency, email or "", phone or "",
               language or "", rep or "", department,
               None if limit is None else format_minor(limit, currency or base_currency), tier,
               terms_text(terms_code, terms_spec) if terms_code is not None else "")


def _terms_text() -> Callable[[str, str], str]:
    """(code, spec) → the text to export, worked out once per terms row."""
    known: dict[tuple[str, str], str] = {}

    def text(code: str, spec: str) -> str:
        key = (code, spec)
        if key not in known:
            by_code = core_terms.parse_terms(code)
            by_spec = core_terms.parse_terms(spec)
            same = not isinstance(by_code, Problem) and (isinstance(by_spec, Problem)
                                                         or by_code == by_spec)
            known[key] = code if same or isinstance(by_spec, Problem) else spec
        return known[key]

    return text


def exported_payments(company: Company, user: User) -> QuerySet:
    """The payments the payments sheet carries: all in scope but the invoices' own settlements."""
    own = Allocation.objects.filter(
        payment=OuterRef("pk"),
        payment__reference=Concat(Value(SETTLE_PREFIX), F("invoice__number"),
                                  output_field=CharField()))
    # The prefix test is only a cheap first sieve (LIKE ignores case on SQLite); Exists decides.
    return payments_in_scope(user, company).exclude(
        Q(reference__startswith=SETTLE_PREFIX) & Q(Exists(own)))


def payment_rows(company: Company, user: User) -> Iterator[Row]:
    first = (Allocation.objects.filter(payment=OuterRef("pk"))
             .filter(customer_scope(user, company, "invoice__customer__"))
             .order_by("applied_date", "id"))
    rows = (exported_payments(company, user).order_by("received_date", "id")
            .annotate(first_invoice=Subquery(first.values("invoice__number")[:1]))
            .values_list("reference", "customer__code", "received_date", "amount_minor",
                         "currency", "first_invoice"))
    for reference, customer, received, amount, currency, invoice in rows.iterator(chunk_size=CHUNK):
        yield (reference, customer, received, format_minor(amount, currency), currency,
               invoice or "")
