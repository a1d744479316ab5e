"""Invoice pages: the list (filters, sorting, htmx paging) and the invoice with its payments.

Thin adapter over ledger.queries.documents and the ledger services. Invoice numbers may contain
'/', so they travel with the path converter; the action routes come before the detail route so
they win. Refusals become page messages; nothing reaches the user as a traceback.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cashloop.accounts.access import WRITE_ROLES
from cashloop.audit.services import Actor
from cashloop.config.clock import today
from cashloop.core.money import format_grouped
from cashloop.core.problems import NotFound, Refusal
from cashloop.exports.downloads import download
from cashloop.ledger.models import Invoice
from cashloop.ledger.queries import documents as q
from cashloop.ledger.services import allocations, disputes, payments
from cashloop.ledger.services.checks import parse_minor
from cashloop.web.context import page_context
from cashloop.web.i18n import refusal_text

AMOUNT = r"^\s*\d{1,3}(,?\d{3}){0,4}(\.\d{1,4})?\s*$"  # 1234.5 or 1,234.50
SORT_CHOICES = [(key, key) for key in q.SORTS]


class InvoiceFilterForm(forms.Form):
    customer = forms.CharField(required=False, max_length=64, label=gettext_lazy("Customer code"))
    number = forms.CharField(required=False, max_length=64, label=gettext_lazy("Number starts with"))
    status = forms.ChoiceField(required=False, label=gettext_lazy("Status"), choices=[
        ("", gettext_lazy("All")), ("open", gettext_lazy("Open")),
        ("overdue", gettext_lazy("Overdue")), ("settled", gettext_lazy("Settled")),
        ("disputed", gettext_lazy("Disputed"))])
    currency = forms.RegexField(required=False, regex=r"^[A-Z]{3}$", label=gettext_lazy("Currency"))
    sales_rep = forms.CharField(required=False, max_length=120, label=gettext_lazy("Sales rep"))
    issue_from = forms.DateField(required=False, label=gettext_lazy("Issued from"))
    issue_to = forms.DateField(required=False, label=gettext_lazy("Issued to"))
    due_from = forms.DateField(required=False, label=gettext_lazy("Due from"))
    due_to = forms.DateField(required=False, label=gettext_lazy("Due to"))
    amount_min = forms.RegexField(required=False, regex=AMOUNT, label=gettext_lazy("Amount from"))
    amount_max = forms.RegexField(required=False, regex=AMOUNT, label=gettext_lazy("Amount to"))
    sort = forms.ChoiceField(required=False, choices=SORT_CHOICES, widget=forms.HiddenInput)
    offset = forms.IntegerField(required=False, min_value=0, max_value=10_000_000,
                                widget=forms.HiddenInput)


class PaymentForm(forms.Form):
    reference = forms.CharField(max_length=100, label=gettext_lazy("Payment reference"))
    received_date = forms.DateField(label=gettext_lazy("Received on"))
    amount = forms.RegexField(regex=AMOUNT, label=gettext_lazy("Amount received"))
    apply_amount = forms.RegexField(required=False, regex=AMOUNT,
                                    label=gettext_lazy("Apply to this invoice"))


class AllocateForm(forms.Form):
    payment = forms.CharField(max_length=100, label=gettext_lazy("Payment"))
    amount = forms.RegexField(regex=AMOUNT, label=gettext_lazy("Amount"))
    applied_date = forms.DateField(required=False, label=gettext_lazy("Applied on"))


class DisputeForm(forms.Form):
    reason = forms.CharField(max_length=500, required=False, label=gettext_lazy("Reason"))
    amount = forms.RegexField(required=False, regex=AMOUNT, label=gettext_lazy("Disputed amount"))


class ResolveForm(forms.Form):
    resolution = forms.CharField(max_length=500, required=False, label=gettext_lazy("Resolution"))


def _money(minor: int | None, currency: str) -> str:
    return "" if minor is None else format_grouped(minor, currency)


def _row(inv: Invoice, as_of: date) -> dict:
    return {"invoice": inv, "amount": _money(inv.amount_minor, inv.currency),
            "paid": _money(inv.paid_minor, inv.currency),
            "open": _money(inv.amount_minor - inv.paid_minor, inv.currency),
            "status": q.status_of(inv, as_of), "days_overdue": q.days_overdue(inv, as_of)}


def _filters(form: InvoiceFilterForm, base_currency: str) -> q.InvoiceFilters:
    data = form.cleaned_data
    currency = data.get("currency") or base_currency

    def amount(name: str) -> int | None:
        return parse_minor(data[name], currency, name) if data.get(name) else None

    return q.InvoiceFilters(
        customer=data.get("customer") or None, status=data.get("status") or None,
        currency=data.get("currency") or None, sales_rep=data.get("sales_rep") or None,
        number=data.get("number") or None, issue_from=data.get("issue_from"),
        issue_to=data.get("issue_to"), due_from=data.get("due_from"), due_to=data.get("due_to"),
        amount_min_minor=amount("amount_min"), amount_max_minor=amount("amount_max"))


@login_required
def invoice_list(request: HttpRequest) -> HttpResponse:
    ctx = page_context(request)
    form = InvoiceFilterForm(request.GET)  # every field is optional: no query means no filter
    as_of = today()
    page, error, filtered = None, None, False
    if not form.is_valid():
        error = _("Some filters are not valid; showing no invoices until they are fixed.")
    else:
        try:
            filters = _filters(form, ctx.company.base_currency)
        except Refusal as exc:
            error = refusal_text(exc)
        else:
            filtered = filters != q.InvoiceFilters()
            sort = form.cleaned_data.get("sort") or q.DEFAULT_SORT
            page = q.invoice_page(request.user, ctx.company, filters, as_of, sort,
                                  offset=form.cleaned_data.get("offset") or 0)
    params = _list_params(request)
    sort = request.GET.get("sort") or q.DEFAULT_SORT
    context = {
        "page": ctx, "form": form, "error": error, "result": page,
        "rows": [_row(inv, as_of) for inv in page.items] if page else [],
        "sort": sort, "query": urlencode(params), "as_of": as_of, "filtered": filtered,
        "sort_next": {c: f"-{c}" if sort == c else c
                      for c in ("number", "customer", "issue_date", "due_date", "amount")},
        "prev_offset": max(0, page.offset - page.limit) if page and page.offset else None,
        "next_offset": page.offset + page.limit if page and page.has_next else None,
        "last_shown": (page.offset + len(page.items)) if page else 0,
    }
    template = "ledger/invoice_table.html" if request.htmx else "ledger/invoice_list.html"
    return render(request, template, context)


@login_required
def invoice_detail(request: HttpRequest, number: str) -> HttpResponse:
    ctx = page_context(request)
    try:
        inv = q.invoice_detail(request.user, ctx.company, number)
    except NotFound:
        return render(request, "ledger/invoice_missing.html", {"page": ctx, "number": number},
                      status=404)
    as_of = today()
    can_write = ctx.role in WRITE_ROLES
    open_minor = inv.amount_minor - inv.paid_minor
    context = {
        "page": ctx, "invoice": inv, "row": _row(inv, as_of), "as_of": as_of,
        "can_write": can_write,
        "allocations": [{"a": a, "amount": _money(a.amount_minor, inv.currency)}
                        for a in inv.allocations.all()],
        "instalments": [{"i": i, "amount": _money(i.amount_minor, inv.currency)}
                        for i in inv.instalments.all()],
        "disputes": [{"d": d, "amount": _money(d.amount_minor, inv.currency)}
                     for d in inv.disputes.all()],
        "open_payments": [
            {"p": p, "rest": _money(p.amount_minor - p.allocated_minor, p.currency)}
            for p in q.open_payments_of(request.user, ctx.company, inv.customer_id, inv.currency)
        ] if can_write and open_minor > 0 else [],
        "payment_form": PaymentForm(initial={"received_date": as_of,
                                             "apply_amount": _money(open_minor, inv.currency)}),
        "allocate_form": AllocateForm(initial={"amount": _money(open_minor, inv.currency)}),
        "dispute_form": DisputeForm(), "resolve_form": ResolveForm(),
    }
    return render(request, "ledger/invoice_detail.html", context)


def _act(request: HttpRequest, number: str, form_class: type[forms.Form], action) -> HttpResponse:
    """Validate a posted form, run one service through `action`, report the outcome as a message."""
    ctx = page_context(request)
    form = form_class(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label if field in form.fields else field}: "
                                    f"{' '.join(errors)}")
    else:
        try:
            inv = q.invoice_by_number(request.user, ctx.company, number)
            done = action(ctx.company, Actor.of(request.user, "web"), inv, form.cleaned_data)
            messages.success(request, done)
        except Refusal as exc:
            messages.error(request, refusal_text(exc))
    return redirect("invoice_detail", number=number)


@login_required
@require_POST
def record_payment(request: HttpRequest, number: str) -> HttpResponse:
    def action(company, actor, inv, data):
        apply_text = data.get("apply_amount") or ""
        lines = []
        if apply_text.strip():
            lines = [allocations.AllocationLine(
                inv.number, parse_minor(apply_text, inv.currency, "apply_amount"))]
        payments.create_payment(
            actor, company, reference=data["reference"], customer_code=inv.customer.code,
            received_date=data["received_date"], currency=inv.currency,
            amount_minor=parse_minor(data["amount"], inv.currency, "amount"), allocations=lines)
        return _("Payment recorded.")
    return _act(request, number, PaymentForm, action)


@login_required
@require_POST
def allocate_payment(request: HttpRequest, number: str) -> HttpResponse:
    def action(company, actor, inv, data):
        line = allocations.AllocationLine(inv.number, parse_minor(data["amount"], inv.currency,
                                                                  "amount"), data.get("applied_date"))
        allocations.allocate(actor, company, [line], payment_reference=data["payment"])
        return _("Payment allocated.")
    return _act(request, number, AllocateForm, action)


@login_required
@require_POST
def remove_allocation(request: HttpRequest, number: str, allocation_id: int) -> HttpResponse:
    def action(company, actor, inv, data):
        allocations.delete_allocation(actor, company, allocation_id)
        return _("Allocation removed.")
    return _act(request, number, forms.Form, action)


@login_required
@require_POST
def open_dispute(request: HttpRequest, number: str) -> HttpResponse:
    def action(company, actor, inv, data):
        amount = parse_minor(data["amount"], inv.currency, "amount") if data.get("amount") else None
        disputes.open_dispute(actor, company, inv.number, today(), data.get("reason", ""), amount)
        return _("Dispute opened.")
    return _act(request, number, DisputeForm, action)


@login_required
@require_POST
def resolve_dispute(request: HttpRequest, number: str, dispute_id: int) -> HttpResponse:
    def action(company, actor, inv, data):
        if not inv.disputes.filter(pk=dispute_id).exists():
            raise NotFound(_("This dispute is not on this invoice."))
        disputes.resolve_dispute(actor, company, dispute_id, today(), data.get("resolution", ""))
        return _("Dispute resolved.")
    return _act(request, number, ResolveForm, action)


@login_required
def invoice_export(request: HttpRequest) -> HttpResponseBase:
    """The invoices the list's filters select (all pages), as a file the importer reads back;
    with no filter, all invoices and credit notes the user may see (the CLI's export)."""
    ctx = page_context(request)
    form = InvoiceFilterForm(request.GET)
    back = redirect(f"{reverse('invoice_list')}?{urlencode(_list_params(request))}")
    if not form.is_valid():
        return back  # the list says which filter is wrong
    try:
        filters = _filters(form, ctx.company.base_currency)
    except Refusal:
        return back
    narrowed = {} if filters == q.InvoiceFilters() else {
        "invoices": q.filtered_invoices(request.user, ctx.company, filters, today())}
    try:
        return download("invoices", request.GET.get("format", "csv"), ctx.company, request.user,
                        **narrowed)
    except Refusal as exc:
        raise Http404(refusal_text(exc)) from exc


def _list_params(request: HttpRequest) -> dict[str, str]:
    """The list's filters in the query string, without paging, sorting or an export format."""
    return {k: v for k, v in request.GET.items() if k not in ("offset", "sort", "format") and v}


urlpatterns = [
    path("invoices/", invoice_list, name="invoice_list"),
    # Outside invoices/: an invoice number may contain '/', so no path there is safe to take.
    path("exports/invoices/", invoice_export, name="invoice_export"),
    path("invoices/<path:number>/record-payment/", record_payment, name="invoice_record_payment"),
    path("invoices/<path:number>/allocate/", allocate_payment, name="invoice_allocate"),
    path("invoices/<path:number>/allocations/<int:allocation_id>/remove/", remove_allocation,
         name="invoice_remove_allocation"),
    path("invoices/<path:number>/disputes/open/", open_dispute, name="invoice_open_dispute"),
    path("invoices/<path:number>/disputes/<int:dispute_id>/resolve/", resolve_dispute,
         name="invoice_resolve_dispute"),
    path("invoices/<path:number>/", invoice_detail, name="invoice_detail"),
]
