"""Writing imported invoices: created in chunks with raw SQL, changed ones updated and audited.

Per chunk of records: unknown customers are inserted (code only), new invoices inserted with
their due dates (from the customer's payment terms when the file has none), and a row's
settlement becomes a payment "SETTLE-<number>" with one allocation dated the settled date. Rows
whose `source_hash` equals the stored one are unchanged. Changed rows are kept for the end, where
their before/after values are read, written and audited (audit.services.record_many).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import lru_cache

from cashloop.audit.services import Actor, record_many
from cashloop.core import terms as core_terms
from cashloop.core.business_calendar import calendar_for
from cashloop.core.importing.issues import RowProblem
from cashloop.core.importing.records import SETTLE_PREFIX, CreditNoteRecord, InvoiceRecord
from cashloop.core.problems import gettext_noop
from cashloop.imports.services.bulk import (
    ALLOCATION_COLUMNS,
    CUSTOMER_COLUMNS,
    HASH_MASK,
    PAYMENT_COLUMNS,
    BulkWriter,
    as_date,
    in_chunks,
    pack,
    update_objects,
)
from cashloop.ledger.models import (
    Allocation,
    Company,
    Contract,
    CreditNote,
    Customer,
    Dispute,
    Invoice,
    Payment,
)

CHUNK = 20_000
INVOICE_COLUMNS = ("id", "company_id", "customer_id", "number", "issue_date", "due_date",
                   "amount_minor", "currency", "contract_id", "description", "paid_minor",
                   "settled_date", "is_disputed", "source_hash", "created_at", "updated_at")
DISPUTE_COLUMNS = ("company_id", "invoice_id", "opened_date", "reason", "resolution")
AUDITED = ("customer", "issue_date", "due_date", "amount_minor", "currency", "paid_minor",
           "settled_date", "is_disputed", "description", "contract")
Terms = tuple[int, bool, bool]  # net_days, end_of_month, roll_to_business_day
DEFAULT_TERMS: Terms = (30, False, False)


def _settlement(allocations: list[tuple[date, int]]) -> tuple[int, date | None]:
    """(paid, settled date) of an invoice's own settlement payment, as its import row states it."""
    if not allocations:
        return 0, None
    return sum(m for _d, m in allocations), max(d for d, _m in allocations)


@lru_cache(maxsize=100_000)
def due_date_from_terms(issue_date: date, terms: Terms, country: str) -> date:
    net_days, end_of_month, roll = terms
    spec = core_terms.PaymentTerms(net_days=net_days, end_of_month=end_of_month,
                                   roll_to_business_day=roll)
    return core_terms.due_date_for(spec, issue_date, calendar_for(country) if roll else None)


class InvoiceRef:
    """What the audit log needs of an invoice (model name, pk, text) without building a model
    instance: a quarter of the time when a re-import changes a hundred thousand invoices."""

    __slots__ = ("number", "pk")
    _meta = Invoice._meta

    def __init__(self, pk: int, number: str) -> None:
        self.pk, self.number = pk, number

    def __str__(self) -> str:
        return self.number


class InvoiceWriter:
    """Receives parsed invoice records in file order and writes them in chunks."""

    def __init__(self, company: Company, actor: Actor, as_of: date,
                 file_rows: int | None = None) -> None:
        """`file_rows`: the file's data rows when known, to tell a first load (see flush)."""
        self.company, self.actor, self.as_of = company, actor, as_of
        self.file_rows = file_rows
        self.db = BulkWriter()
        self.tables = {m.__name__: m._meta.db_table
                       for m in (Invoice, Customer, Payment, Allocation, Dispute)}
        self.customers: dict[str, tuple[int, Terms | None]] = {}
        self.existing: dict[str, int] = {}  # number → id and hash, see BulkWriter.packed_hashes
        self.contracts: dict[str, int] = {}
        self.pending: list[InvoiceRecord] = []
        self.changed: list[tuple[int, InvoiceRecord, list[str]]] = []
        self.credit_notes: list[CreditNoteRecord] = []
        self.settle_refs: set[str] | None = None  # SETTLE- payments already stored, loaded once
        self.created = self.updated = self.unchanged = 0
        self.problems: list[tuple[RowProblem, list[str]]] = []
        self._preload()

    def _preload(self) -> None:
        company_id = self.company.pk
        for cid, code, net, eom, roll in self.db.query(
                f'SELECT c.id, c.code, t.net_days, t.end_of_month, t.roll_to_business_day '
                f'FROM "{self.tables["Customer"]}" c LEFT JOIN "ledger_paymentterms" t '
                f"ON t.id = c.payment_terms_id WHERE c.company_id = %s", [company_id]):
            self.customers[code] = (cid, (net, bool(eom), bool(roll)) if net is not None else None)
        self.existing = self.db.packed_hashes(
            f'SELECT number, id, source_hash FROM "{self.tables["Invoice"]}" WHERE company_id = %s',
            [company_id])
        self.contracts = dict(Contract.objects.filter(company=self.company)
                              .values_list("number", "id"))

    def add(self, record: InvoiceRecord | CreditNoteRecord, cells: list[str]) -> None:
        if isinstance(record, CreditNoteRecord):
            self.credit_notes.append(record)
            return
        known = self.existing.get(record.number)
        if known is not None:
            if known & HASH_MASK == int(record.source_hash[:16], 16):
                self.unchanged += 1
            else:
                self.changed.append((known >> 64, record, cells))
            return
        self.pending.append(record)
        if len(self.pending) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        records, self.pending = self.pending, []
        if not records:
            return
        if len(records) >= CHUNK:  # a big file: see BulkWriter.begin_bulk_load
            new_rows = self._expected_new_rows(len(records))
            tables = [self.tables[n] for n in ("Customer", "Invoice", "Payment", "Allocation")]
            # Customers created on the fly are few next to the invoices: their table keeps its
            # indexes; settlements bring at most one payment and one allocation per invoice.
            self.db.begin_bulk_load(tables, flows_company_id=self.company.pk,
                                    expected_rows={t: new_rows for t in tables[1:]})
        self._create_customers(records)
        self._create_contracts(records)
        ids = self.db.reserve_ids(self.tables["Invoice"], len(records))
        company_id, now = self.company.pk, self.db.now_db
        rows = []
        settled: list[tuple[int, InvoiceRecord]] = []
        disputed: list[tuple[int, InvoiceRecord]] = []
        for invoice_id, r in zip(ids, records, strict=True):
            customer_id, terms = self.customers[r.customer]
            due = r.due_date or self._due(r.issue_date, terms)
            fully = r.paid_minor >= r.amount_minor
            rows.append((invoice_id, company_id, customer_id, r.number, r.issue_date, due,
                         r.amount_minor, r.currency, self.contracts.get(r.contract) if r.contract
                         else None, r.description, r.paid_minor,
                         r.settled_date if fully else None, r.disputed, r.source_hash, now, now))
            if r.paid_minor > 0:
                settled.append((invoice_id, r))
            if r.disputed:
                disputed.append((invoice_id, r))
        self.db.insert(self.tables["Invoice"], INVOICE_COLUMNS, rows)
        self._settle(settled)
        self._open_disputes(disputed)
        self.created += len(records)

    def _due(self, issue_date: date, terms: Terms | None) -> date:
        return due_date_from_terms(issue_date, terms or DEFAULT_TERMS, self.company.calendar_country)

    def _expected_new_rows(self, pending: int) -> int:
        """New invoices the whole file will bring: the file's rows times the share of new ones
        among the rows seen so far (a re-import of a big file with a few new rows is no load)."""
        seen = pending + self.unchanged + len(self.changed) + len(self.credit_notes)
        if not self.file_rows or seen <= 0:
            return pending
        return max(pending, self.file_rows * pending // seen)

    def _create_customers(self, records: Sequence[InvoiceRecord | CreditNoteRecord]) -> None:
        new: dict[str, tuple[str, str]] = {}  # code → (currency, name)
        for r in records:
            if r.customer not in self.customers and r.customer not in new:
                new[r.customer] = (r.currency, r.customer_name)
        if not new:
            return
        ids = self.db.reserve_ids(self.tables["Customer"], len(new))
        now = self.db.now_db
        rows = [(cid, self.company.pk, code, name, "", "", "", currency, "", "", now, now)
                for cid, (code, (currency, name)) in zip(ids, new.items(), strict=True)]
        self.db.insert(self.tables["Customer"], CUSTOMER_COLUMNS, rows)
        for cid, code in zip(ids, new, strict=True):
            self.customers[code] = (cid, None)

    def _create_contracts(self, records: list[InvoiceRecord]) -> None:
        for r in records:
            if r.contract and r.contract not in self.contracts:
                contract = Contract.objects.create(
                    company=self.company, customer_id=self.customers[r.customer][0],
                    number=r.contract)
                self.contracts[r.contract] = contract.pk

    def _settle(self, settled: list[tuple[int, InvoiceRecord]]) -> None:
        if not settled:
            return
        self._clear_orphan_settlements([SETTLE_PREFIX + r.number for _i, r in settled])
        ids = self.db.reserve_ids(self.tables["Payment"], len(settled))
        company_id, now = self.company.pk, self.db.now_db
        payments, allocations = [], []
        for payment_id, (invoice_id, r) in zip(ids, settled, strict=True):
            payments.append((payment_id, company_id, self.customers[r.customer][0],
                             SETTLE_PREFIX + r.number, r.settled_date, r.paid_minor, r.currency,
                             r.source_hash, now))
            allocations.append((company_id, invoice_id, payment_id, r.paid_minor,
                                r.settled_date, now))
        self.db.insert(self.tables["Payment"], PAYMENT_COLUMNS, payments)
        self.db.insert(self.tables["Allocation"], ALLOCATION_COLUMNS, allocations)

    def _clear_orphan_settlements(self, references: list[str]) -> None:
        """Settlement payments left by a deleted invoice would block the new one's: remove them."""
        if self.settle_refs is None:
            self.settle_refs = {ref for (ref,) in self.db.query(
                f'SELECT reference FROM "{self.tables["Payment"]}" WHERE company_id = %s '
                f"AND reference LIKE %s", [self.company.pk, SETTLE_PREFIX + "%"])}
        stale = [ref for ref in references if ref in self.settle_refs]
        t_pay, t_all = self.tables["Payment"], self.tables["Allocation"]
        for chunk in in_chunks(stale):
            marks = ", ".join(["%s"] * len(chunk))
            params = [[self.company.pk, *chunk]]
            self.db.execute_many(
                f'DELETE FROM "{t_all}" WHERE payment_id IN (SELECT id FROM "{t_pay}" '
                f"WHERE company_id = %s AND reference IN ({marks}))", params)
            self.db.execute_many(
                f'DELETE FROM "{t_pay}" WHERE company_id = %s AND reference IN ({marks})', params)
        self.settle_refs.difference_update(stale)

    def _open_disputes(self, disputed: list[tuple[int, InvoiceRecord]]) -> None:
        if disputed:
            self.db.insert(self.tables["Dispute"], DISPUTE_COLUMNS, [
                (self.company.pk, invoice_id, r.issue_date, "imported as disputed", "")
                for invoice_id, r in disputed])

    def finish(self) -> None:
        """Write what is left and apply the changed rows (read before, update, audit)."""
        self.flush()
        self.db.end_bulk_load()
        for chunk in in_chunks(self.changed, 500):
            self._update(list(chunk))
        self._write_credit_notes()

    def _write_credit_notes(self) -> None:
        """Negative rows become credit notes (few): created, updated and audited, or unchanged."""
        records = self.credit_notes
        if not records:
            return
        self._create_customers(records)
        existing: dict[str, CreditNote] = {}
        for chunk in in_chunks(sorted({r.number for r in records})):
            existing.update((c.number, c) for c in CreditNote.objects.filter(
                company=self.company, number__in=chunk))
        new, changed, audits = [], [], []
        for r in records:
            values = {"customer_id": self.customers[r.customer][0], "issue_date": r.issue_date,
                      "amount_minor": r.amount_minor, "currency": r.currency, "reason": r.reason}
            note = existing.get(r.number)
            if note is None:
                new.append(CreditNote(company=self.company, number=r.number, **values))
                continue
            before = {k: getattr(note, k) for k in values}
            keys = [k for k in values if before[k] != values[k]]
            if not keys:
                self.unchanged += 1
                continue
            for k in keys:
                setattr(note, k, values[k])
            changed.append(note)
            audits.append((note, {k: before[k] for k in keys}, {k: values[k] for k in keys}))
        CreditNote.objects.bulk_create(new, batch_size=1000)
        if changed:
            update_objects(changed, ["customer", "issue_date", "amount_minor", "currency",
                                     "reason"])
            record_many(self.actor, self.company, "credit_note.import_update", audits)
        self.created += len(new)
        self.updated += len(changed)

    def _update(self, chunk: list[tuple[int, InvoiceRecord, list[str]]]) -> None:
        t_inv, t_pay, t_all = self.tables["Invoice"], self.tables["Payment"], self.tables["Allocation"]
        ids = [invoice_id for invoice_id, _r, _c in chunk]
        marks = ", ".join(["%s"] * len(ids))
        before = {row[0]: row for row in self.db.query(
            f"SELECT i.id, c.code, i.issue_date, i.due_date, i.amount_minor, i.currency, "
            f"i.paid_minor, i.settled_date, i.is_disputed, i.description, k.number "
            f'FROM "{t_inv}" i JOIN "{self.tables["Customer"]}" c ON c.id = i.customer_id '
            f'LEFT JOIN "ledger_contract" k ON k.id = i.contract_id WHERE i.id IN ({marks})', ids)}
        others: dict[int, list[tuple[date, int]]] = {i: [] for i in ids}
        own: dict[int, list[tuple[date, int]]] = {i: [] for i in ids}  # its SETTLE- payment's
        for invoice_id, minor, applied, reference, number in self.db.query(
                f"SELECT a.invoice_id, a.amount_minor, a.applied_date, p.reference, i.number "
                f'FROM "{t_all}" a JOIN "{t_inv}" i ON i.id = a.invoice_id '
                f'LEFT JOIN "{t_pay}" p ON p.id = a.payment_id WHERE a.invoice_id IN ({marks})', ids):
            mine = own if reference == SETTLE_PREFIX + number else others
            mine[invoice_id].append((as_date(applied), minor))  # type: ignore[arg-type]
        updates, settled, disputed, undisputed, audits, refs = [], [], [], [], [], []
        rehashed: list[tuple[str, int]] = []
        for invoice_id, r, cells in chunk:
            other_minor = sum(m for _d, m in others[invoice_id])
            if other_minor + r.paid_minor > r.amount_minor:
                self.problems.append((RowProblem(
                    r.line, "", "amount", str(r.amount_minor), "amount.below_allocated",
                    gettext_noop("invoice {number}: the amount is less than what is already paid on it"),
                    (("number", r.number),)), cells))
                continue
            old = before[invoice_id]
            self._create_customers([r])
            self._create_contracts([r])
            customer_id, terms = self.customers[r.customer]
            due = r.due_date or self._due(r.issue_date, terms)
            paid = other_minor + r.paid_minor
            dates = [d for d, _m in others[invoice_id]] + ([r.settled_date] if r.paid_minor else [])
            settled_date = max(d for d in dates if d is not None) if paid >= r.amount_minor \
                and dates else None
            contract_id = self.contracts.get(r.contract) if r.contract else None
            was = dict(zip(AUDITED, (old[1], as_date(old[2]), as_date(old[3]), old[4], old[5],
                                     old[6], as_date(old[7]), bool(old[8]), old[9], old[10] or ""),
                           strict=True))
            now_values = dict(zip(AUDITED, (r.customer, r.issue_date, due, r.amount_minor,
                                            r.currency, paid, settled_date, r.disputed,
                                            r.description, r.contract), strict=True))
            keys = [k for k in AUDITED if was[k] != now_values[k]]
            self.existing[r.number] = pack(invoice_id, r.source_hash)
            if not keys and _settlement(own[invoice_id]) == (r.paid_minor, r.settled_date):
                # The row says what the ledger holds, in other words (an export of an invoice
                # made in the app, or whose due date came from terms): only its digest is new.
                rehashed.append((r.source_hash, invoice_id))
                continue
            updates.append((customer_id, r.issue_date, due, r.amount_minor, r.currency,
                            contract_id, r.description, paid, settled_date, r.disputed,
                            r.source_hash, self.db.now_db, invoice_id))
            refs.append(SETTLE_PREFIX + r.number)
            if r.paid_minor:
                settled.append((invoice_id, r))
            if r.disputed and not old[8]:
                disputed.append((invoice_id, r))
            if old[8] and not r.disputed:
                undisputed.append((invoice_id,))
            audits.append((InvoiceRef(invoice_id, r.number),
                           {k: was[k] for k in keys}, {k: now_values[k] for k in keys}))
        self.db.execute_many(f'UPDATE "{t_inv}" SET source_hash = %s WHERE id = %s', rehashed)
        self.unchanged += len(rehashed)
        if not updates:
            return
        ref_marks = ", ".join(["%s"] * len(refs))
        self.db.execute_many(
            f'DELETE FROM "{t_all}" WHERE payment_id IN (SELECT id FROM "{t_pay}" '
            f"WHERE company_id = %s AND reference IN ({ref_marks}))", [[self.company.pk, *refs]])
        self.db.execute_many(
            f'DELETE FROM "{t_pay}" WHERE company_id = %s AND reference IN ({ref_marks})',
            [[self.company.pk, *refs]])
        self.db.execute_many(
            f'UPDATE "{t_inv}" SET customer_id = %s, issue_date = %s, due_date = %s, '
            f"amount_minor = %s, currency = %s, contract_id = %s, description = %s, "
            f"paid_minor = %s, settled_date = %s, is_disputed = %s, source_hash = %s, "
            f"updated_at = %s WHERE id = %s", updates)
        self._settle(settled)
        self._open_disputes(disputed)
        self.db.execute_many(
            f'UPDATE "{self.tables["Dispute"]}" SET resolved_date = %s, resolution = %s '
            f"WHERE invoice_id = %s AND resolved_date IS NULL",
            [(self.as_of, "no longer disputed in an import", i) for (i,) in undisputed])
        record_many(self.actor, self.company, "invoice.import_update", audits)
        self.updated += len(updates)
