"""Invoices, payments, allocations, credit notes and disputes over the API (/api/ledger/...).

Thin adapter: parse (precise schemas, amounts as strings beside their currency), call one query
or service, render. Refusals become {"code", "message", "problems"} in config.api. Invoice
numbers and payment references may contain '/', so their path parameters use the path converter;
the longer routes (…/disputes) are declared first so they win.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema
from ninja.responses import codes_4xx

from cashloop.audit.services import Actor
from cashloop.config.clock import today
from cashloop.core.money import format_minor
from cashloop.core.problems import Problem
from cashloop.ledger.models import Allocation, Company, CreditNote, Dispute, Invoice, Payment
from cashloop.ledger.queries import documents as q
from cashloop.ledger.services import allocations as alloc_svc
from cashloop.ledger.services import checks, credit_notes, disputes, invoices, payments
from cashloop.ledger.services.companies import company_by_code

router = Router(tags=["invoices"])

TEXT = r"^[^\x00-\x1f]+$"  # one line, no control characters (PostgreSQL refuses NUL)
FREE_TEXT = r"^[^\x00]*$"
AMOUNT = r"^\d{1,13}(\.\d{1,4})?$"
CURRENCY = r"^[A-Z]{3}$"
Code = Annotated[str, Field(min_length=1, max_length=64, pattern=TEXT)]
Reference = Annotated[str, Field(min_length=1, max_length=100, pattern=TEXT)]
AmountText = Annotated[str, Field(max_length=18, pattern=AMOUNT, examples=["1234.50"])]
Currency = Annotated[str, Field(pattern=CURRENCY, min_length=3, max_length=3, examples=["CNY"])]
Note = Annotated[str, Field(max_length=500, pattern=FREE_TEXT)]
CompanyCode = Query(None, max_length=32, pattern=TEXT, description="company code (default company)")
PageLimit = Query(50, ge=1, le=q.MAX_LIMIT)
PageOffset = Query(0, ge=0, le=10_000_000)


class ProblemOut(Schema):
    source: str
    field: str | None
    code: str
    severity: str
    message: str


class ErrorOut(Schema):
    code: str
    message: str
    problems: list[ProblemOut]


ERRORS = {codes_4xx: ErrorOut}


class AllocationOut(Schema):
    id: int
    invoice: str
    payment: str | None
    credit_note: str | None
    applied_date: date
    amount: str
    currency: str


class InstalmentOut(Schema):
    sequence: int
    due_date: date
    amount: str


class DisputeOut(Schema):
    id: int
    invoice: str
    opened_date: date
    resolved_date: date | None
    reason: str
    amount: str | None
    resolution: str


class InvoiceOut(Schema):
    number: str
    customer: str
    customer_name: str
    sales_rep: str | None
    issue_date: date
    due_date: date
    currency: str
    amount: str
    paid_amount: str
    open_amount: str
    settled_date: date | None
    is_disputed: bool
    status: Literal["open", "overdue", "settled"]
    days_overdue: int
    description: str
    warnings: list[ProblemOut] = []


class InvoiceDetailOut(InvoiceOut):
    allocations: list[AllocationOut]
    instalments: list[InstalmentOut]
    disputes: list[DisputeOut]


class InvoiceListOut(Schema):
    count: int
    count_exact: bool
    items: list[InvoiceOut]


class InvoiceIn(Schema):
    number: Code
    customer: Code
    issue_date: date
    due_date: date | None = None
    amount: AmountText
    currency: Currency
    description: Note = ""
    contract: Code | None = None


class InvoicePatch(Schema):
    issue_date: date | None = None
    due_date: date | None = None
    amount: AmountText | None = None
    currency: Currency | None = None
    description: Note | None = None


class LineIn(Schema):
    invoice: Code
    amount: AmountText
    applied_date: date | None = None


class PaymentIn(Schema):
    reference: Reference
    customer: Code
    received_date: date
    amount: AmountText
    currency: Currency
    allocations: list[LineIn] = Field([], max_length=200)
    auto_allocate: bool = False
    allow_other_customer: bool = False


class PaymentOut(Schema):
    reference: str
    customer: str
    received_date: date
    currency: str
    amount: str
    allocated_amount: str
    unallocated_amount: str


class CreditNoteIn(Schema):
    number: Code
    customer: Code
    issue_date: date
    amount: AmountText
    currency: Currency
    reason: Note = ""
    allocations: list[LineIn] = Field([], max_length=200)


class CreditNoteOut(Schema):
    number: str
    customer: str
    issue_date: date
    currency: str
    amount: str
    allocated_amount: str
    reason: str


class AllocateIn(Schema):
    payment: Reference | None = None
    credit_note: Code | None = None
    lines: list[LineIn] = Field(..., min_length=1, max_length=200)
    allow_other_customer: bool = False


class ListOut(Schema):
    count: int


class PaymentListOut(ListOut):
    items: list[PaymentOut]


class CreditNoteListOut(ListOut):
    items: list[CreditNoteOut]


class AllocationListOut(ListOut):
    items: list[AllocationOut]


class DisputeIn(Schema):
    opened_date: date | None = None
    reason: Note = ""
    amount: AmountText | None = None


class ResolveIn(Schema):
    resolved_date: date | None = None
    resolution: Note = ""


class InvoiceQuery(Schema):
    customer: Code | None = None
    status: Literal["open", "overdue", "settled", "disputed"] | None = None
    currency: Currency | None = None
    issue_from: date | None = None
    issue_to: date | None = None
    due_from: date | None = None
    due_to: date | None = None
    amount_min: AmountText | None = None
    amount_max: AmountText | None = None
    sales_rep: Annotated[str, Field(max_length=120, pattern=TEXT)] | None = None
    number: Code | None = None
    sort: Literal[tuple(q.SORTS)] = q.DEFAULT_SORT  # type: ignore[valid-type]
    limit: int = Field(50, ge=1, le=q.MAX_LIMIT)
    offset: int = Field(0, ge=0, le=10_000_000)


def _minor(text: str, currency: str, field: str) -> int:
    return checks.parse_minor(text, currency, field)


def _money(minor: int | None, currency: str) -> str | None:
    return None if minor is None else format_minor(minor, currency)


def _ctx(request: HttpRequest, company: str | None) -> tuple[Company, Actor]:
    return company_by_code(company), Actor.of(request.user, "api")


def _lines(lines: list[LineIn], currency_of: dict[str, str], fallback: str) -> list:
    return [alloc_svc.AllocationLine(
        line.invoice, _minor(line.amount, currency_of.get(line.invoice, fallback),
                             f"allocations.{i}.amount"), line.applied_date)
        for i, line in enumerate(lines)]


def _invoice_currencies(company: Company, lines: list[LineIn]) -> dict[str, str]:
    numbers = {line.invoice for line in lines}
    return dict(Invoice.objects.filter(company=company, number__in=numbers)
                .values_list("number", "currency"))


def invoice_json(inv: Invoice, as_of: date, warnings: tuple[Problem, ...] = ()) -> dict:
    return {
        "number": inv.number, "customer": inv.customer.code, "customer_name": inv.customer.name,
        "sales_rep": inv.customer.sales_rep.name if inv.customer.sales_rep else None,
        "issue_date": inv.issue_date, "due_date": inv.due_date, "currency": inv.currency,
        "amount": _money(inv.amount_minor, inv.currency),
        "paid_amount": _money(inv.paid_minor, inv.currency),
        "open_amount": _money(inv.amount_minor - inv.paid_minor, inv.currency),
        "settled_date": inv.settled_date, "is_disputed": inv.is_disputed,
        "status": q.status_of(inv, as_of), "days_overdue": q.days_overdue(inv, as_of),
        "description": inv.description, "warnings": [w.to_json() for w in warnings],
    }


def allocation_json(a: Allocation) -> dict:
    return {"id": a.pk, "invoice": a.invoice.number, "applied_date": a.applied_date,
            "payment": a.payment.reference if a.payment_id else None,
            "credit_note": a.credit_note.number if a.credit_note_id else None,
            "amount": _money(a.amount_minor, a.invoice.currency), "currency": a.invoice.currency}


def dispute_json(d: Dispute, inv: Invoice) -> dict:
    return {"id": d.pk, "invoice": inv.number, "opened_date": d.opened_date,
            "resolved_date": d.resolved_date, "reason": d.reason, "resolution": d.resolution,
            "amount": _money(d.amount_minor, inv.currency)}


def payment_json(p: Payment, allocated: int) -> dict:
    return {"reference": p.reference, "customer": p.customer.code, "received_date": p.received_date,
            "currency": p.currency, "amount": _money(p.amount_minor, p.currency),
            "allocated_amount": _money(allocated, p.currency),
            "unallocated_amount": _money(p.amount_minor - allocated, p.currency)}


def credit_note_json(c: CreditNote, allocated: int) -> dict:
    return {"number": c.number, "customer": c.customer.code, "issue_date": c.issue_date,
            "currency": c.currency, "amount": _money(c.amount_minor, c.currency),
            "allocated_amount": _money(allocated, c.currency), "reason": c.reason}


@router.get("/invoices", response={200: InvoiceListOut, **ERRORS})
def list_invoices(request: HttpRequest, filters: Query[InvoiceQuery], company: str | None = CompanyCode):
    co, actor = _ctx(request, company)
    amount_currency = filters.currency or co.base_currency
    f = q.InvoiceFilters(
        customer=filters.customer, status=filters.status, currency=filters.currency,
        issue_from=filters.issue_from, issue_to=filters.issue_to, due_from=filters.due_from,
        due_to=filters.due_to, sales_rep=filters.sales_rep, number=filters.number,
        amount_min_minor=(_minor(filters.amount_min, amount_currency, "amount_min")
                          if filters.amount_min else None),
        amount_max_minor=(_minor(filters.amount_max, amount_currency, "amount_max")
                          if filters.amount_max else None),
    )
    as_of = today()
    page = q.invoice_page(actor.user, co, f, as_of, filters.sort, filters.limit, filters.offset)
    return {"count": page.count, "count_exact": page.count_exact,
            "items": [invoice_json(inv, as_of) for inv in page.items]}


@router.post("/invoices", response={201: InvoiceOut, **ERRORS})
def create_invoice(request: HttpRequest, body: InvoiceIn, company: str | None = CompanyCode):
    co, actor = _ctx(request, company)
    inv, warnings = invoices.create_invoice(
        actor, co, number=body.number, customer_code=body.customer, issue_date=body.issue_date,
        due_date=body.due_date, amount_minor=_minor(body.amount, body.currency, "amount"),
        currency=body.currency, description=body.description, contract_number=body.contract)
    inv = q.invoice_by_number(actor.user, co, inv.number)
    return 201, invoice_json(inv, today(), warnings)


@router.get("/invoices/{path:number}/disputes", response={200: list[DisputeOut], **ERRORS})
def list_disputes(request: HttpRequest, number: str = Path(..., max_length=64, pattern=TEXT),
                  company: str | None = CompanyCode):
    co, actor = _ctx(request, company)
    inv = q.invoice_detail(actor.user, co, number)
    return [dispute_json(d, inv) for d in inv.disputes.all()]


@router.post("/invoices/{path:number}/disputes", response={201: DisputeOut, **ERRORS})
def open_dispute(request: HttpRequest, body: DisputeIn,
                 number: str = Path(..., max_length=64, pattern=TEXT),
                 company: str | None = CompanyCode):
    co, actor = _ctx(request, company)
    inv = q.invoice_by_number(actor.user, co, number)
    amount = _minor(body.amount, inv.currency, "amount") if body.amount else None
    dispute = disputes.open_dispute(actor, co, number, body.opened_date or today(), body.reason,
                                    amount)
    return 201, dispute_json(dispute, inv)


@router.get("/invoices/{path:number}", response={200: InvoiceDetailOut, **ERRORS})
def get_invoice(request: HttpRequest, number: str = Path(..., max_length=64, pattern=TEXT),
                company: str | None = CompanyCode):
    co, actor = _ctx(request, company)
    inv = q.invoice_detail(actor.user, co, number)
    out = invoice_json(inv, today())
    out["allocations"] = [allocation_json(a) for a in inv.allocations.all()]
    out["instalments"] = [{"sequence": i.sequence, "due_date": i.due_date,
                           "amount": _money(i.amount_minor, inv.currency)}
                          for i in inv.instalments.all()]
    out["disputes"] = [dispute_json(d, inv) for d in inv.disputes.all()]
    return out


@router.patch("/invoices/{path:number}", response={200: InvoiceOut, **ERRORS})
def update_invoice(request: HttpRequest, body: InvoicePatch,
                   number: str = Path(..., max_length=64, pattern=TEXT),
                   company: str | None = CompanyCode):
    co, actor = _ctx(request, company)
    current = q.invoice_by_number(actor.user, co, number)
    currency = body.currency or current.currency
    inv, warnings = invoices.update_invoice(
        actor, co, number, issue_date=body.issue_date, due_date=body.due_date,
        amount_minor=_minor(body.amount, currency, "amount") if body.amount else None,
        currency=body.currency, description=body.description)
    return invoice_json(q.invoice_by_number(actor.user, co, inv.number), today(), warnings)


@router.get("/payments", response={200: PaymentListOut, **ERRORS})
def list_payments(request: HttpRequest, customer: Code | None = None,
                  unallocated: bool = False, limit: int = PageLimit,
                  offset: int = PageOffset, company: str | None = CompanyCode):
    co, actor = _ctx(request, company)
    count, items = q.payment_list(actor.user, co, customer, unallocated, limit, offset)
    return {"count": count, "items": [payment_json(p, p.allocated_minor) for p in items]}


@router.post("/payments", response={201: PaymentOut, **ERRORS})
def create_payment(request: HttpRequest, body: PaymentIn, company: str | None = CompanyCode):
    co, actor = _ctx(request, company)
    lines = _lines(body.allocations, _invoice_currencies(co, body.allocations), body.currency)
    payment = payments.create_payment(
        actor, co, reference=body.reference, customer_code=body.customer,
        received_date=body.received_date, amount_minor=_minor(body.amount, body.currency, "amount"),
        currency=body.currency, allocations=lines, auto_allocate=body.auto_allocate,
        allow_other_customer=body.allow_other_customer)
    return 201, payment_json(payment, alloc_svc.allocated_minor(payment))


@router.get("/payments/{path:reference}", response={200: PaymentOut, **ERRORS})
def get_payment(request: HttpRequest, reference: str = Path(..., max_length=100, pattern=TEXT),
                company: str | None = CompanyCode):
    co, actor = _ctx(request, company)
    payment = q.payment_by_reference(actor.user, co, reference)
    return payment_json(payment, alloc_svc.allocated_minor(payment))


@router.delete("/payments/{path:reference}", response={204: None, **ERRORS})
def delete_payment(request: HttpRequest, reference: str = Path(..., max_length=100, pattern=TEXT),
                   company: str | None = CompanyCode):
    co, actor = _ctx(request, company)
    payments.delete_payment(actor, co, reference)
    return 204, None


@router.get("/allocations", response={200: AllocationListOut, **ERRORS})
def list_allocations(request: HttpRequest, invoice: Code | None = None,
                     payment: Reference | None = None, credit_note: Code | None = None,
                     limit: int = PageLimit,
                     offset: int = PageOffset, company: str | None = CompanyCode):
    co, actor = _ctx(request, company)
    count, items = q.allocation_list(actor.user, co, invoice, payment, credit_note, limit, offset)
    return {"count": count, "items": [allocation_json(a) for a in items]}


@router.post("/allocations", response={201: AllocationListOut, **ERRORS})
def create_allocations(request: HttpRequest, body: AllocateIn, company: str | None = CompanyCode):
    co, actor = _ctx(request, company)
    currencies = _invoice_currencies(co, body.lines)
    lines = _lines(body.lines, currencies, co.base_currency)
    made = alloc_svc.allocate(actor, co, lines, payment_reference=body.payment,
                              credit_note_number=body.credit_note,
                              allow_other_customer=body.allow_other_customer)
    return 201, {"count": len(made), "items": [allocation_json(a) for a in made]}


@router.delete("/allocations/{int:allocation_id}", response={204: None, **ERRORS})
def delete_allocation(request: HttpRequest, allocation_id: int = Path(..., ge=1, le=2**62),
                      company: str | None = CompanyCode):
    co, actor = _ctx(request, company)
    alloc_svc.delete_allocation(actor, co, allocation_id)
    return 204, None


@router.get("/credit-notes", response={200: CreditNoteListOut, **ERRORS})
def list_credit_notes(request: HttpRequest, customer: Code | None = None,
                      limit: int = PageLimit,
                      offset: int = PageOffset, company: str | None = CompanyCode):
    co, actor = _ctx(request, company)
    count, items = q.credit_note_list(actor.user, co, customer, limit, offset)
    return {"count": count, "items": [credit_note_json(c, c.allocated_minor) for c in items]}


@router.post("/credit-notes", response={201: CreditNoteOut, **ERRORS})
def create_credit_note(request: HttpRequest, body: CreditNoteIn, company: str | None = CompanyCode):
    co, actor = _ctx(request, company)
    lines = _lines(body.allocations, _invoice_currencies(co, body.allocations), body.currency)
    note = credit_notes.create_credit_note(
        actor, co, number=body.number, customer_code=body.customer, issue_date=body.issue_date,
        amount_minor=_minor(body.amount, body.currency, "amount"), currency=body.currency,
        reason=body.reason, allocations=lines)
    return 201, credit_note_json(note, alloc_svc.allocated_minor(note))


@router.post("/disputes/{int:dispute_id}/resolve", response={200: DisputeOut, **ERRORS})
def resolve_dispute(request: HttpRequest, body: ResolveIn,
                    dispute_id: int = Path(..., ge=1, le=2**62), company: str | None = CompanyCode):
    co, actor = _ctx(request, company)
    dispute = disputes.resolve_dispute(actor, co, dispute_id, body.resolved_date or today(),
                                       body.resolution)
    return dispute_json(dispute, dispute.invoice)
