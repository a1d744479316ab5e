"""The shell pages: dashboard and profile (API tokens)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from cashloop.accounts.models import ApiToken
from cashloop.accounts.services import create_token
from cashloop.web.context import page_context
from cashloop.web.i18n import refusal_text


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Total AR, overdue, aging chart, DSO trend and the top overdue customers, as of today."""
    from cashloop.config.clock import today
    from cashloop.core.money import format_grouped
    from cashloop.core.problems import Refusal
    from cashloop.reports import services
    from cashloop.reports.views import aging_chart, trend_chart

    ctx = page_context(request)
    as_of = today()
    company = ctx.company
    cur = company.base_currency
    out: dict[str, object] = {"page": ctx, "as_of": as_of, "currency": cur}
    try:
        reports = services.cached_dashboard(company, as_of, user=request.user)
        report, result, top = reports.aging, reports.metrics, reports.top_overdue
    except Refusal as exc:
        out["error"] = refusal_text(exc)
        return render(request, "web/dashboard.html", out)
    minor = report.bucket_minor or ()
    total = sum(minor)
    overdue = total - (minor[0] if minor else 0)
    payload = result.to_json()
    out.update({
        "total_ar": format_grouped(total, cur),
        "overdue": format_grouped(overdue, cur),
        "overdue_pct": payload["overdue_rate_amount"],
        "dso_countback": payload["dso_countback"],
        "dso_standard": payload["dso_standard"],
        "cei": payload["cei"],
        "aging_chart": aging_chart(report),
        "trend_chart": trend_chart(result),
        "top": [{"code": t["code"], "name": t["name"],
                 "overdue": format_grouped(int(t["overdue_minor"]), cur)} for t in top],  # type: ignore[call-overload]
    })
    return render(request, "web/dashboard.html", out)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    new_token = None
    if request.method == "POST":
        new_token = create_token(request.user.get_username(), request.POST.get("name", ""))
        messages.success(request, _("Token created. Copy it now: it is shown only once."))
    tokens = ApiToken.objects.filter(user=request.user).order_by("-created_at")
    if request.method == "POST" and new_token is None:
        return redirect("profile")
    return render(request, "web/profile.html", {"tokens": tokens, "new_token": new_token,
                                                "page": page_context(request)})
