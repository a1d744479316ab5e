"""The audit log page: who changed which money or credit fact, when, from what to what.

Readable by admin, finance manager and auditor (others get 403), limited to the company shown.
Filters: object type and id (or text in the object's name), action, actor and a date range
(dates in the install's time zone). Paged, newest first, a fixed number of queries per page.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from cashloop.accounts.access import AUDIT_READERS
from cashloop.audit.models import AuditEntry
from cashloop.core.money import format_grouped, is_currency_code
from cashloop.ledger.models import Company
from cashloop.web.context import page_context
from cashloop.web.paging import page_number, pager

PAGE_SIZE = 100
FILTERS = ("object_type", "object_id", "object", "action", "actor", "date_from", "date_to")


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def entries(company: Company, params: dict[str, str]) -> QuerySet:
    """The company's audit entries matching the page's filters, newest first."""
    rows = AuditEntry.objects.filter(company=company)
    for name in ("object_type", "object_id", "action"):
        if value := params.get(name, "").replace("\x00", "").strip():
            rows = rows.filter(**{name: value[:64]})
    if text := params.get("object", "").replace("\x00", "").strip()[:200]:
        rows = rows.filter(Q(object_repr__icontains=text) | Q(object_id=text[:64]))
    if actor := params.get("actor", "").replace("\x00", "").strip()[:150]:
        rows = rows.filter(actor_name=actor)
    if first := _day(params.get("date_from", "")):
        rows = rows.filter(at__gte=_start_of(first))
    if last := _day(params.get("date_to", "")):
        rows = rows.filter(at__lt=_start_of(last + timedelta(days=1)))
    return rows.order_by("-at", "-id")


def shown_values(values: dict | None, other: dict | None) -> list[tuple[str, str]]:
    """An entry's values for people: amounts in minor units shown as money when the currency is known."""
    if not values:
        return []
    currency = values.get("currency") or (other or {}).get("currency")
    rows = []
    for key, value in values.items():
        if (key.endswith("_minor") and isinstance(value, int) and not isinstance(value, bool)
                and isinstance(currency, str) and is_currency_code(currency)):
            rows.append((key.removesuffix("_minor"), f"{format_grouped(value, currency)} {currency}"))
        else:
            rows.append((key, "—" if value is None else str(value)))
    return rows


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    ctx = page_context(request)
    if ctx.role not in AUDIT_READERS:
        raise PermissionDenied(_("Only admins, finance managers and auditors read the audit log."))
    params = {name: request.GET.get(name, "") for name in FILTERS}
    rows = entries(ctx.company, params)
    page_no = page_number(request.GET.get("page"))
    count = rows.count()
    shown = list(rows[(page_no - 1) * PAGE_SIZE: page_no * PAGE_SIZE])
    for entry in shown:
        entry.before_rows = shown_values(entry.before, entry.after)
        entry.after_rows = shown_values(entry.after, entry.before)
    kept = {k: v for k, v in params.items() if v}
    base = AuditEntry.objects.filter(company=ctx.company)
    return render(request, "audit/audit_log.html", {
        "page": ctx, "entries": shown, "count": count, "params": params,
        **pager(page_no, count, PAGE_SIZE, kept),
        "actions": base.order_by("action").values_list("action", flat=True).distinct(),
        "object_types": base.order_by("object_type").values_list("object_type", flat=True).distinct(),
    })
