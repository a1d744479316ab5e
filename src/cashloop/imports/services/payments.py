"""Writing imported payments (收款), set-based: created or updated by reference; a row naming an
invoice allocates min(amount, open) to it on the payment date, and the invoice's paid amount and
settled date follow (imports.services.settlements, the rule of core.settlement). Unknown customers
are created (code only); an unknown invoice, or one in another currency, rejects the row.

The work is a few queries per thousands of rows, not a few per row: stored payments are looked up
by reference, the named invoices read under row locks taken in id order (as
ledger.services.allocations locks them, so concurrent writers never wait in opposite orders),
new payments and their allocations inserted with raw many-row statements (imports.services.bulk;
the daily-flow trigger suspended for many allocations, whose days are added in one statement),
changed payments updated with one executemany and audited (`payment.import_update`). Rows are
allocated in file order, so two payments of one invoice share its open amount first come first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db import connection

from cashloop.audit.services import Actor, record_many
from cashloop.core.importing.issues import RowProblem
from cashloop.core.importing.records import PaymentRecord
from cashloop.core.problems import gettext_noop
from cashloop.imports.services.bulk import (
    ALLOCATION_COLUMNS,
    CUSTOMER_COLUMNS,
    PAYMENT_COLUMNS,
    BulkWriter,
    as_date,
    in_chunks,
)
from cashloop.imports.services.settlements import (
    ID_CHUNK,
    DocumentRef,
    in_filters,
    refresh_settlements,
)
from cashloop.ledger.models import Allocation, Company, Customer, Invoice, Payment
from cashloop.ledger.services import flows

AUDITED = ("customer", "received_date", "amount_minor", "currency")
UNTRACKED_ABOVE = 1000  # allocations from which the daily flows are added set-based (flows)


class _Invoice:
    """What allocating needs of a named invoice; `paid_minor` follows the allocations made."""

    __slots__ = ("amount_minor", "currency", "id", "issue_date", "paid_minor")

    def __init__(self, invoice_id: int, amount_minor: int, currency: str,
                 issue_date: date) -> None:
        self.id, self.amount_minor, self.currency = invoice_id, amount_minor, currency
        self.issue_date = issue_date
        self.paid_minor = 0


class PaymentWriter:
    def __init__(self, company: Company, actor: Actor, as_of: date) -> None:
        self.company, self.actor, self.as_of = company, actor, as_of
        self.db = BulkWriter()
        self.tables = {m.__name__: m._meta.db_table
                       for m in (Invoice, Customer, Payment, Allocation)}
        self.records: list[tuple[PaymentRecord, list[str]]] = []
        self.created = self.updated = self.unchanged = 0
        self.problems: list[tuple[RowProblem, list[str]]] = []
        self._for_update = " FOR UPDATE" if connection.features.has_select_for_update else ""

    def add(self, record: PaymentRecord, cells: list[str]) -> None:
        self.records.append((record, cells))

    def finish(self) -> None:
        stored = self._stored([r.reference for r, _c in self.records])
        invoices = self._invoices({r.invoice for r, _c in self.records if r.invoice})
        as_exported = self._as_exported(sorted(
            stored[r.reference][0] for r, _c in self.records
            if r.reference in stored and stored[r.reference][1] != r.source_hash))
        rehashed: list[tuple[str, int]] = []
        todo: list[tuple[PaymentRecord, int | None]] = []  # file order; None: a new payment
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
            known = stored.get(record.reference)
            if known is not None and known[1] == record.source_hash:
                self.unchanged += 1
                continue
            if known is not None and as_exported.get(known[0]) == (
                    record.customer, record.received_date, record.amount_minor, record.currency,
                    record.invoice):
                # The row says what the ledger holds, as an export writes it (a payment made in
                # the app, split over several invoices or allocated later): its allocations stay.
                rehashed.append((record.source_hash, known[0]))
                self.unchanged += 1
                continue
            todo.append((record, known[0] if known is not None else None))
        for chunk in in_chunks(rehashed, 5000):
            self.db.execute_many(
                f'UPDATE "{self.tables["Payment"]}" SET source_hash = %s WHERE id = %s', chunk)
        if not todo:
            return
        changed = [(payment_id, record) for record, payment_id in todo if payment_id is not None]
        released = self._release(changed)  # invoice id → minor units its old allocations freed
        self._lock_released(invoices, released)
        customers = self._customers({record.customer for record, _id in todo})
        ids = iter(self.db.reserve_ids(self.tables["Payment"], len(todo) - len(changed)))
        company_id, now = self.company.pk, self.db.now_db
        new_rows, updates, allocations, flows_rows = [], [], [], []
        touched = set(released)
        for record, known_id in todo:
            customer_id = customers[record.customer]
            if known_id is None:
                payment_id = next(ids)
                new_rows.append((payment_id, company_id, customer_id, record.reference,
                                 record.received_date, record.amount_minor, record.currency,
                                 record.source_hash, now))
            else:
                payment_id = known_id
                updates.append((customer_id, record.received_date, record.amount_minor,
                                record.currency, record.source_hash, payment_id))
            invoice = invoices.get(record.invoice) if record.invoice else None
            if invoice is None:
                continue
            amount = min(record.amount_minor, invoice.amount_minor - invoice.paid_minor)
            if amount <= 0:
                continue
            invoice.paid_minor += amount
            touched.add(invoice.id)
            allocations.append((company_id, invoice.id, payment_id, amount, record.received_date,
                                now))
            flows_rows.append((invoice.currency, record.received_date, invoice.issue_date, amount))
        self.db.insert(self.tables["Payment"], PAYMENT_COLUMNS, new_rows)
        for chunk in in_chunks(updates, 5000):
            self.db.execute_many(
                f'UPDATE "{self.tables["Payment"]}" SET customer_id = %s, received_date = %s, '
                f"amount_minor = %s, currency = %s, source_hash = %s WHERE id = %s", chunk)
        if len(allocations) >= UNTRACKED_ABOVE:  # a trigger per row would cost more than the insert
            with flows.allocation_inserts_untracked():
                self.db.insert(self.tables["Allocation"], ALLOCATION_COLUMNS, allocations)
            flows.add_collected(company_id, flows_rows)
        else:
            self.db.insert(self.tables["Allocation"], ALLOCATION_COLUMNS, allocations)
        refresh_settlements(self.db, self.actor, self.company, touched)
        self.created, self.updated = len(new_rows), len(updates)

    def _reject(self, record: PaymentRecord, cells: list[str], code: str, message: str,
                **params: str) -> None:
        self.problems.append((RowProblem(record.line, "", "invoice", record.invoice, code,
                                         message, tuple(params.items())), cells))

    def _in(self, sql: str, values: Sequence[Any], *head: Any) -> list[tuple]:
        """Rows of `sql`, whose `{in}` stands for "column in `values`", after the `head` params."""
        rows: list[tuple] = []
        for condition, params in in_filters(self.db.vendor, values):
            rows.extend(self.db.query(sql.format(**{"in": condition}), [*head, *params]))
        return rows

    def _stored(self, references: Sequence[str]) -> dict[str, tuple[int, str]]:
        """reference → (id, source_hash) of the payments the file names that are stored already."""
        return {ref: (pk, source_hash) for ref, pk, source_hash in self._in(
            f'SELECT reference, id, source_hash FROM "{self.tables["Payment"]}" '
            f"WHERE company_id = %s AND reference {{in}}", sorted(set(references)),
            self.company.pk)}

    def _as_exported(self, ids: Sequence[int]) -> dict[int, tuple[str, date, int, str, str]]:
        """id → (customer, date, amount, currency, invoice) of stored payments, the row an export
        writes for each: `invoice` is the first invoice it is allocated to (exports.sheets)."""
        t_all, t_inv = self.tables["Allocation"], self.tables["Invoice"]
        first_invoice = (f'(SELECT i.number FROM "{t_all}" a JOIN "{t_inv}" i ON i.id = a.invoice_id '
                         f"WHERE a.payment_id = p.id ORDER BY a.applied_date, a.id LIMIT 1)")
        return {pk: (code, as_date(received), amount, currency, invoice or "")  # type: ignore[misc]
                for pk, code, received, amount, currency, invoice in self._in(
                    f"SELECT p.id, c.code, p.received_date, p.amount_minor, p.currency, "
                    f'{first_invoice} FROM "{self.tables["Payment"]}" p '
                    f'JOIN "{self.tables["Customer"]}" c ON c.id = p.customer_id WHERE p.id {{in}}',
                    ids)}

    def _invoices(self, numbers: set[str]) -> dict[str, _Invoice]:
        """The named invoices, row-locked in id order, as allocating needs them.

        Read under the lock, their amount, currency and paid amount cannot move under us (the
        order is ledger.services.allocations' one, so concurrent writers never wait on each
        other in opposite orders). SQLite's IMMEDIATE transaction holds the write lock already.
        """
        found: dict[str, _Invoice] = {}
        for pk, number, amount, currency, issued, paid in self._in(
                f'SELECT id, number, amount_minor, currency, issue_date, paid_minor FROM '
                f'"{self.tables["Invoice"]}" WHERE company_id = %s AND number {{in}} '
                f"ORDER BY id{self._for_update}", sorted(numbers), self.company.pk):
            found[number] = _Invoice(pk, amount, currency, as_date(issued))  # type: ignore[arg-type]
            found[number].paid_minor = paid
        return found

    def _release(self, changed: list[tuple[int, PaymentRecord]]) -> dict[int, int]:
        """Read changed payments' old values for the audit and delete their allocations."""
        if not changed:
            return {}
        ids = sorted(pk for pk, _r in changed)
        t_pay, t_all = self.tables["Payment"], self.tables["Allocation"]
        before = {pk: (code, as_date(received), amount, currency)
                  for pk, code, received, amount, currency in self._in(
                      f'SELECT p.id, c.code, p.received_date, p.amount_minor, p.currency FROM '
                      f'"{t_pay}" p JOIN "{self.tables["Customer"]}" c ON c.id = p.customer_id '
                      f"WHERE p.id {{in}}", ids)}
        released: dict[int, int] = {}
        for invoice_id, minor in self._in(
                f'SELECT invoice_id, amount_minor FROM "{t_all}" WHERE payment_id {{in}}', ids):
            released[invoice_id] = released.get(invoice_id, 0) + minor
        for chunk in in_chunks(ids, ID_CHUNK):
            self.db.execute_many(f'DELETE FROM "{t_all}" WHERE payment_id IN '
                                 f'({", ".join(["%s"] * len(chunk))})', [chunk])
        audits = []
        for pk, record in changed:
            was = dict(zip(AUDITED, before[pk], strict=True))
            now = {"customer": record.customer, "received_date": record.received_date,
                   "amount_minor": record.amount_minor, "currency": record.currency}
            keys = [k for k in AUDITED if was[k] != now[k]]
            audits.append((DocumentRef(Payment._meta, pk, record.reference),
                           {k: was[k] for k in keys}, {k: now[k] for k in keys}))
        record_many(self.actor, self.company, "payment.import_update", audits)
        return released

    def _lock_released(self, invoices: dict[str, _Invoice], released: dict[int, int]) -> None:
        """Lock the invoices that lost allocations too, and free what they lost on named ones.

        Their settlement is recomputed at the end; the named ones are locked already.
        """
        by_id = {invoice.id: invoice for invoice in invoices.values()}
        for pk, minor in released.items():
            if pk in by_id:  # its stored paid_minor counts the deleted allocations until the refresh
                by_id[pk].paid_minor -= minor
        others = sorted(pk for pk in released if pk not in by_id)
        if others and self._for_update:
            self._in(f'SELECT id FROM "{self.tables["Invoice"]}" WHERE id {{in}} '
                     f"ORDER BY id{self._for_update}", others)

    def _customers(self, codes: set[str]) -> dict[str, int]:
        """code → id, creating the unknown customers (code only)."""
        wanted = sorted(codes)
        found = {code: pk for code, pk in self._in(
            f'SELECT code, id FROM "{self.tables["Customer"]}" WHERE company_id = %s '
            f"AND code {{in}}", wanted, self.company.pk)}
        missing = [code for code in wanted if code not in found]
        ids = self.db.reserve_ids(self.tables["Customer"], len(missing))
        now = self.db.now_db
        self.db.insert(self.tables["Customer"], CUSTOMER_COLUMNS,
                       [(pk, self.company.pk, code, "", "", "", "", "", "", "", now, now)
                        for pk, code in zip(ids, missing, strict=True)])
        found.update(zip(missing, ids, strict=True))
        return found
