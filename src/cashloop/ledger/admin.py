"""The admin for every ledger table: lists with amounts formatted, search and filters.

Only admins are staff (accounts.services.add_user), and only superusers may add, change or delete
here, so an auditor can never change anything through the admin. Every change made here is written
to the audit log (channel 'admin') like a service's. Amounts and settlement fields that services
keep consistent (paid amounts, settled dates, payments, allocations, credit notes) are read-only:
change them through the import, the API or the CLI, which keep the invariants under row locks.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.forms import ModelForm
from django.http import HttpRequest

from cashloop.audit.services import Actor, changed_fields, record
from cashloop.core.money import format_grouped, is_currency_code
from cashloop.ledger.models import (
    Allocation,
    Company,
    Contact,
    Contract,
    CreditNote,
    Customer,
    Dispute,
    ExchangeRate,
    Invoice,
    InvoiceInstalment,
    Payment,
    PaymentTerms,
    SalesRep,
)


def _fmt(minor: int | None, currency: str) -> str:
    if minor is None:
        return "—"
    return format_grouped(minor, currency) if is_currency_code(currency) else str(minor)


def _company_of(obj: Model) -> Company | None:
    if isinstance(obj, Company):
        return obj
    for path in ("company", "customer.company", "invoice.company"):
        target: Any = obj
        for part in path.split("."):
            target = getattr(target, part, None)
        if isinstance(target, Company):
            return target
    return None


def _snapshot(obj: Model) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields
            if f.attname not in ("id", "created_at", "updated_at")}


class AuditedAdmin(admin.ModelAdmin):
    """Superusers change; other staff only look. Saves and deletes go to the audit log."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return bool(request.user.is_superuser)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return bool(request.user.is_superuser)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return bool(request.user.is_superuser)

    def save_model(self, request: HttpRequest, obj: Model, form: ModelForm, change: bool) -> None:
        before = _snapshot(type(obj).objects.get(pk=obj.pk)) if change and obj.pk else None
        super().save_model(request, obj, form, change)
        after = _snapshot(obj)
        if before is not None:
            before, after = changed_fields(before, after)
            if not after:
                return
        action = f"{obj._meta.model_name}.{'update' if change else 'create'}"
        record(Actor.of(request.user, "admin"), _company_of(obj), action, obj, before, after)

    def save_formset(self, request: HttpRequest, form: ModelForm, formset: Any, change: bool) -> None:
        """Inline rows (contacts, ...) are audited one by one like the main object."""
        actor = Actor.of(request.user, "admin")
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            record(actor, _company_of(obj), f"{obj._meta.model_name}.delete", obj, _snapshot(obj), None)
            obj.delete()
        for obj in instances:
            before = _snapshot(type(obj).objects.get(pk=obj.pk)) if obj.pk else None
            obj.save()
            after = _snapshot(obj)
            if before is not None:
                before, after = changed_fields(before, after)
                if not after:
                    continue
            action = f"{obj._meta.model_name}.{'update' if before is not None else 'create'}"
            record(actor, _company_of(obj), action, obj, before, after)
        formset.save_m2m()

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        record(Actor.of(request.user, "admin"), _company_of(obj), f"{obj._meta.model_name}.delete",
               obj, _snapshot(obj), None)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


class ReadOnlyAdmin(AuditedAdmin):
    """Tables whose rows only services may write (they keep cross-row invariants)."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Company)
class CompanyAdmin(AuditedAdmin):
    list_display = ("code", "name", "base_currency", "calendar_country", "is_default")
    search_fields = ("code", "name")


@admin.register(SalesRep)
class SalesRepAdmin(AuditedAdmin):
    list_display = ("name", "company", "user", "email")
    list_filter = ("company",)
    search_fields = ("name", "email")
    list_select_related = ("company", "user")


@admin.register(PaymentTerms)
class PaymentTermsAdmin(AuditedAdmin):
    list_display = ("code", "name", "spec", "net_days", "end_of_month", "discount_rate",
                    "discount_days", "late_interest_rate", "roll_to_business_day", "company")
    list_filter = ("company", "end_of_month", "roll_to_business_day")
    search_fields = ("code", "name", "spec")


@admin.register(ExchangeRate)
class ExchangeRateAdmin(AuditedAdmin):
    list_display = ("from_currency", "to_currency", "rate_date", "rate", "source")
    list_filter = ("from_currency", "to_currency")
    date_hierarchy = "rate_date"


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(Customer)
class CustomerAdmin(AuditedAdmin):
    list_display = ("code", "name", "tax_id", "country", "currency", "sales_rep", "department",
                    "tier", "credit_limit", "payment_terms")
    list_filter = ("company", "tier", "currency", "country", "department", "sales_rep")
    search_fields = ("code", "name", "tax_id")
    list_select_related = ("sales_rep", "payment_terms")
    autocomplete_fields = ("sales_rep",)
    inlines = (ContactInline,)

    @admin.display(description="credit limit", ordering="credit_limit_minor")
    def credit_limit(self, obj: Customer) -> str:
        return _fmt(obj.credit_limit_minor, obj.currency or obj.company.base_currency) \
            if obj.credit_limit_minor is not None else "—"

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("company")


@admin.register(Contact)
class ContactAdmin(AuditedAdmin):
    list_display = ("name", "customer", "role", "email", "phone", "language", "is_primary")
    list_filter = ("language", "is_primary")
    search_fields = ("name", "email", "phone", "customer__code", "customer__name")
    list_select_related = ("customer",)
    raw_id_fields = ("customer",)


@admin.register(Contract)
class ContractAdmin(AuditedAdmin):
    list_display = ("number", "customer", "start_date", "end_date", "payment_terms",
                    "late_interest_rate")
    list_filter = ("company", "payment_terms")
    search_fields = ("number", "customer__code", "customer__name", "description")
    list_select_related = ("customer", "payment_terms")
    raw_id_fields = ("customer",)


class InstalmentInline(admin.TabularInline):
    model = InvoiceInstalment
    extra = 0
    readonly_fields = ("sequence", "due_date", "amount_minor")
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Invoice)
class InvoiceAdmin(AuditedAdmin):
    list_display = ("number", "customer", "issue_date", "due_date", "amount", "paid", "open",
                    "currency", "settled_date", "is_disputed")
    list_filter = ("company", "currency", "is_disputed", ("settled_date", admin.EmptyFieldListFilter))
    search_fields = ("number", "customer__code", "customer__name", "description")
    date_hierarchy = "due_date"
    list_select_related = ("customer",)
    raw_id_fields = ("customer", "contract")
    readonly_fields = ("amount_minor", "currency", "paid_minor", "settled_date", "source_hash")
    show_full_result_count = False  # a million invoices: skip the unfiltered COUNT(*)
    inlines = (InstalmentInline,)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # invoices come from imports, the API or the CLI, with due dates from terms

    @admin.display(description="amount", ordering="amount_minor")
    def amount(self, obj: Invoice) -> str:
        return _fmt(obj.amount_minor, obj.currency)

    @admin.display(description="paid", ordering="paid_minor")
    def paid(self, obj: Invoice) -> str:
        return _fmt(obj.paid_minor, obj.currency)

    @admin.display(description="open")
    def open(self, obj: Invoice) -> str:
        return _fmt(obj.amount_minor - obj.paid_minor, obj.currency)


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnlyAdmin):
    list_display = ("number", "customer", "issue_date", "amount", "currency", "reason")
    list_filter = ("company", "currency")
    search_fields = ("number", "customer__code", "customer__name")
    list_select_related = ("customer",)

    @admin.display(description="amount", ordering="amount_minor")
    def amount(self, obj: CreditNote) -> str:
        return _fmt(obj.amount_minor, obj.currency)


class AllocationInline(admin.TabularInline):
    model = Allocation
    fk_name = "payment"
    extra = 0
    fields = ("invoice", "amount_minor", "applied_date")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("reference", "customer", "received_date", "amount", "currency")
    list_filter = ("company", "currency")
    search_fields = ("reference", "customer__code", "customer__name")
    date_hierarchy = "received_date"
    list_select_related = ("customer",)
    show_full_result_count = False
    inlines = (AllocationInline,)

    @admin.display(description="amount", ordering="amount_minor")
    def amount(self, obj: Payment) -> str:
        return _fmt(obj.amount_minor, obj.currency)


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdmin):
    list_display = ("invoice", "payment", "credit_note", "amount", "applied_date")
    list_filter = ("company",)
    search_fields = ("invoice__number", "payment__reference", "credit_note__number")
    date_hierarchy = "applied_date"
    list_select_related = ("invoice", "payment", "credit_note")
    show_full_result_count = False

    @admin.display(description="amount", ordering="amount_minor")
    def amount(self, obj: Allocation) -> str:
        return _fmt(obj.amount_minor, obj.invoice.currency)


@admin.register(Dispute)
class DisputeAdmin(AuditedAdmin):
    list_display = ("invoice", "opened_date", "resolved_date", "disputed_amount", "reason")
    list_filter = ("company", ("resolved_date", admin.EmptyFieldListFilter))
    search_fields = ("invoice__number", "reason", "resolution")
    list_select_related = ("invoice",)
    raw_id_fields = ("invoice",)

    @admin.display(description="disputed amount", ordering="amount_minor")
    def disputed_amount(self, obj: Dispute) -> str:
        return _fmt(obj.amount_minor, obj.invoice.currency)
