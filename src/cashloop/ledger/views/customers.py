"""Customer pages: the list (search, filters, sorting, paging; htmx swaps the table in place),
the customer page and the create/edit form for roles that may write.

Thin adapter: parse the request, call `ledger.queries.customers` or `ledger.services.customers`
within the user's scope, render. Sales reps see only their customers (others are 404); auditors see
no edit controls and their POSTs are refused (403).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cashloop.accounts.access import WRITE_ROLES
from cashloop.accounts.models import Role
from cashloop.audit.services import Actor
from cashloop.config.clock import today
from cashloop.core.money import format_minor
from cashloop.core.problems import Forbidden, Invalid, NotFound, Refusal
from cashloop.exports.downloads import download
from cashloop.ledger.models import Company, Customer, PaymentTerms, SalesRep
from cashloop.ledger.queries import customer_detail as customer_page
from cashloop.ledger.queries import customers as queries
from cashloop.ledger.services import customers as services
from cashloop.web.context import PageContext, page_context
from cashloop.web.i18n import refusal_text

PAGE_SIZES = (25, 50, 100, 200)
# Who reads the audit log (the audit page enforces it; here it only decides whether to link).
AUDIT_READERS = frozenset({Role.ADMIN, Role.FINANCE_MANAGER, Role.AUDITOR})
FILTER_NAMES = ("q", "sales_rep", "department", "tier", "currency", "country", "has_overdue")
SORT_LABELS = {
    "code": gettext_lazy("Code"), "name": gettext_lazy("Name"),
    "open_balance": gettext_lazy("Open balance"), "overdue": gettext_lazy("Overdue"),
    "credit_use": gettext_lazy("Credit used"),
}


def _int(text: str | None, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(high, int(text or default)))
    except ValueError:
        return default


def _filters(request: HttpRequest) -> tuple[queries.CustomerFilters, int, int]:
    get = request.GET
    per = _int(get.get("per"), 50, 1, queries.MAX_LIMIT)
    if per not in PAGE_SIZES:
        per = 50
    page = _int(get.get("page"), 1, 1, 10**6)
    overdue = {"yes": True, "no": False}.get(get.get("has_overdue", ""))
    sort = get.get("sort", "code")
    filters = queries.CustomerFilters(
        search=get.get("q", "")[:200], sales_rep=get.get("sales_rep", "")[:120],
        department=get.get("department", "")[:100], tier=get.get("tier", "")[:8],
        currency=get.get("currency", "")[:3], country=get.get("country", "")[:2],
        has_overdue=overdue, sort=sort if sort in queries.SORT_CHOICES else "code",
        limit=per, offset=(page - 1) * per,
    )
    return filters, page, per


def _query(request: HttpRequest, **changes: Any) -> str:
    """The current list query string with some parameters changed (empty ones dropped)."""
    params = {k: v for k, v in request.GET.items() if k in (*FILTER_NAMES, "sort", "per", "page")}
    params.update({k: str(v) for k, v in changes.items()})
    return urlencode({k: v for k, v in params.items() if v not in ("", None)})


@login_required
def customer_list(request: HttpRequest) -> HttpResponse:
    ctx = page_context(request)
    filters, page_no, per = _filters(request)
    page = queries.customer_page(ctx.company, request.user, filters, today())
    pages = max(1, -(-page.count // per))
    current = filters.sort.lstrip("-")
    sort_links = {
        key: {
            "label": label,
            "query": _query(request, sort=key if filters.sort != key else f"-{key}", page=1),
            "arrow": ("▲" if filters.sort == key else "▼" if filters.sort == f"-{key}" else "")
            if key == current else "",
        }
        for key, label in SORT_LABELS.items()
    }
    context = {
        "page": ctx, "list": page, "rows": page.rows, "can_write": ctx.role in WRITE_ROLES,
        "export_query": _query(request, sort="", per="", page=""),
        "choices": queries.filter_choices(ctx.company, request.user) if not request.htmx else {},
        "params": {name: request.GET.get(name, "") for name in FILTER_NAMES},
        "sort": filters.sort, "per": per, "page_sizes": PAGE_SIZES, "page_no": page_no,
        "pages": pages, "sort_links": sort_links,
        "prev_query": _query(request, page=page_no - 1) if page_no > 1 else None,
        "next_query": _query(request, page=page_no + 1) if page_no < pages else None,
    }
    template = "ledger/customer_list_table.html" if request.htmx else "ledger/customer_list.html"
    return render(request, template, context)


@login_required
def customer_export(request: HttpRequest) -> HttpResponseBase:
    """The customers the list's filters select (all pages), as a file the importer reads back."""
    ctx = page_context(request)
    filters, _page_no, _per = _filters(request)
    rows = queries.filtered_customers(ctx.company, request.user, filters, today())
    try:
        return download("customers", request.GET.get("format", "csv"), ctx.company, request.user,
                        customers=rows)
    except Refusal as exc:
        raise Http404(refusal_text(exc)) from exc


def _as_of(request: HttpRequest) -> date:
    """The page's as-of date (`?as_of=YYYY-MM-DD`, as the aging report's drill-down passes it)."""
    try:
        return date.fromisoformat(request.GET.get("as_of", ""))
    except ValueError:
        return today()


def _customer_or_404(ctx: PageContext, request: HttpRequest, code: str) -> Customer:
    try:
        return services.customer_for(ctx.company, code, request.user)
    except NotFound as exc:
        raise Http404(refusal_text(exc)) from exc


@login_required
def customer_detail(request: HttpRequest, code: str) -> HttpResponse:
    ctx = page_context(request)
    customer = _customer_or_404(ctx, request, code)
    detail = customer_page.customer_detail(ctx.company, customer, _as_of(request))
    return render(request, "ledger/customer_detail.html", {
        "page": ctx, "customer": customer, "detail": detail, "can_write": ctx.role in WRITE_ROLES,
        "can_audit": ctx.role in AUDIT_READERS,
    })


class CustomerForm(forms.Form):
    """The form's shape only; the service checks meaning and names the field it refuses."""

    code = forms.CharField(label=gettext_lazy("Code"), max_length=64)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200, required=False)
    tax_id = forms.CharField(label=gettext_lazy("Tax id"), max_length=64, required=False)
    industry = forms.CharField(label=gettext_lazy("Industry"), max_length=100, required=False)
    country = forms.CharField(label=gettext_lazy("Country"), max_length=2, required=False)
    currency = forms.CharField(label=gettext_lazy("Currency"), max_length=3)
    sales_rep = forms.ChoiceField(label=gettext_lazy("Sales rep"), required=False)
    department = forms.CharField(label=gettext_lazy("Department"), max_length=100, required=False)
    tier = forms.CharField(label=gettext_lazy("Tier"), max_length=8, required=False)
    payment_terms = forms.ChoiceField(label=gettext_lazy("Payment terms"), required=False)
    credit_limit = forms.CharField(label=gettext_lazy("Credit limit"), max_length=24, required=False,
                                   help_text=gettext_lazy("in the customer's currency"))

    def __init__(self, company: Company, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        none = [("", "—")]
        reps = SalesRep.objects.filter(company=company).order_by("name").values_list("name", flat=True)
        terms = PaymentTerms.objects.filter(company=company).order_by("code").values_list("code", flat=True)
        self.fields["sales_rep"].choices = none + [(r, r) for r in reps]
        self.fields["payment_terms"].choices = none + [(t, t) for t in terms]


def _initial(company: Company, customer: Customer | None) -> dict[str, Any]:
    if customer is None:
        return {"currency": company.base_currency}
    currency = customer.currency or company.base_currency
    return {
        "code": customer.code, "name": customer.name, "tax_id": customer.tax_id,
        "industry": customer.industry, "country": customer.country, "currency": currency,
        "sales_rep": customer.sales_rep.name if customer.sales_rep else "",
        "department": customer.department, "tier": customer.tier,
        "payment_terms": customer.payment_terms.code if customer.payment_terms else "",
        "credit_limit": "" if customer.credit_limit_minor is None
        else format_minor(customer.credit_limit_minor, currency),
    }


def _edit(request: HttpRequest, code: str | None) -> HttpResponse:
    ctx = page_context(request)
    customer = _customer_or_404(ctx, request, code) if code is not None else None
    if ctx.role not in WRITE_ROLES:
        raise PermissionDenied(_("Your role may read but not change customers."))
    form = CustomerForm(ctx.company, request.POST or None, initial=_initial(ctx.company, customer))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            fields = dict(form.cleaned_data)
            if customer is not None:  # only what changed, so the audit entry says what was done
                before = _initial(ctx.company, customer)
                changed = {k for k, v in fields.items() if str(v) != str(before.get(k, ""))}
                if "currency" in changed:  # the limit is read again in the new currency
                    changed.add("credit_limit")
                fields = {k: v for k, v in fields.items() if k in changed}
            actor = Actor.of(request.user, "web")
            try:
                if customer is None:
                    saved = services.create_customer(actor, ctx.company, fields)
                else:
                    saved = services.update_customer(actor, ctx.company, customer.code, fields)
            except Forbidden as exc:
                raise PermissionDenied(refusal_text(exc)) from exc
            except Invalid as exc:
                problem = exc.problems[0] if exc.problems else None
                name = problem.field if problem and problem.field in form.fields else None
                form.add_error(name, refusal_text(exc))
            else:
                messages.success(request, _("Customer %(code)s saved.") % {"code": saved.code})
                return redirect("customer_detail", code=saved.code)
        status = 422
    return render(request, "ledger/customer_form.html",
                  {"page": ctx, "form": form, "customer": customer}, status=status)


@login_required
def customer_contact_add(request: HttpRequest, code: str) -> HttpResponse:
    """Add a contact from the customer page (POST only); refusals come back as page messages."""
    ctx = page_context(request)
    customer = _customer_or_404(ctx, request, code)
    if request.method != "POST":
        return redirect("customer_detail", code=customer.code)
    if ctx.role not in WRITE_ROLES:
        raise PermissionDenied(_("Your role may read but not change customers."))
    fields = {name: request.POST.get(name, "")[:300] for name in ("name", "role", "email", "phone",
                                                                   "language")}
    fields["is_primary"] = request.POST.get("is_primary") == "on"
    try:
        services.add_contact(Actor.of(request.user, "web"), ctx.company, customer.code, fields)
    except Forbidden as exc:
        raise PermissionDenied(refusal_text(exc)) from exc
    except Invalid as exc:
        messages.error(request, refusal_text(exc))
    else:
        messages.success(request, _("Contact added."))
    return redirect("customer_detail", code=customer.code)


@login_required
def customer_new(request: HttpRequest) -> HttpResponse:
    return _edit(request, None)


@login_required
def customer_edit(request: HttpRequest, code: str) -> HttpResponse:
    return _edit(request, code)


urlpatterns = [
    path("customers/", customer_list, name="customer_list"),
    # '-' cannot clash with a customer code: codes never contain '/'.
    path("customers/-/new/", customer_new, name="customer_new"),
    path("customers/-/export/", customer_export, name="customer_export"),
    path("customers/<str:code>/", customer_detail, name="customer_detail"),
    path("customers/<str:code>/edit/", customer_edit, name="customer_edit"),
    path("customers/<str:code>/contacts/", customer_contact_add, name="customer_contact_add"),
]
