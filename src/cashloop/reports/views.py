"""Aging and collection-metrics pages (htmx re-renders the report body when a selector changes)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cashloop.config.clock import today
from cashloop.core import aging as core_aging
from cashloop.core.metrics import CollectionMetrics
from cashloop.core.money import format_grouped
from cashloop.core.problems import Refusal
from cashloop.ledger.models import Company
from cashloop.reports import services
from cashloop.reports.cache import cached
from cashloop.reports.queries import User
from cashloop.web.context import page_context
from cashloop.web.i18n import refusal_text

PAGE_ROWS = 200  # rows shown on the aging page; the export has them all

BY_CHOICES = (
    ("", _("No grouping")), ("customer", _("Customer")), ("sales_rep", _("Sales rep")),
    ("department", _("Department")), ("currency", _("Currency")),
)


@dataclass(frozen=True)
class MetricInfo:
    key: str
    name_en: str | Promise
    name_zh: str
    formula: str | Promise
    unit: str | Promise


METRICS_INFO = (
    MetricInfo("dso_standard", _("DSO, standard method"), "应收账款周转天数（标准法）",
               _("AR(D) / credit sales of the last P days × P"), _("days")),
    MetricInfo("dso_countback", _("DSO, countback method"), "应收账款周转天数（倒推法）",
               _("walk back month by month from D's month (1st to D): while AR left ≥ the month's "
                 "credit sales S, add its L days and subtract S; then add L × AR left / S"),
               _("days")),
    MetricInfo("best_possible_dso", _("Best possible DSO"), "最佳可能 DSO",
               _("not-yet-due AR(D) / credit sales × P"), _("days")),
    MetricInfo("average_days_delinquent", _("Average days delinquent (ADD)"), "平均逾期天数 (ADD)",
               _("DSO (standard) − best possible DSO"), _("days")),
    MetricInfo("cei", _("Collection effectiveness index (CEI)"), "回款有效性指数 (CEI)",
               _("(AR(D−P) + credit sales − AR(D)) / (AR(D−P) + credit sales − overdue AR(D)) × 100"),
               _("percent")),
    MetricInfo("ar_turnover", _("AR turnover"), "应收账款周转率",
               _("credit sales / ((AR(D−P) + AR(D)) / 2)"), _("times")),
    MetricInfo("ar_turnover_days", _("AR turnover days"), "应收账款周转天数（周转率法）",
               _("P / AR turnover"), _("days")),
    MetricInfo("overdue_rate_amount", _("Overdue rate by amount"), "逾期率（金额）",
               _("overdue AR(D) / AR(D) × 100"), _("percent")),
    MetricInfo("overdue_rate_count", _("Overdue rate by count"), "逾期率（笔数）",
               _("overdue open invoices / open invoices × 100"), _("percent")),
)


def _as_of(request: HttpRequest) -> date:
    try:
        return date.fromisoformat(request.GET.get("as_of", "").strip())
    except ValueError:
        return today()


def bucket_label(bucket: core_aging.Bucket) -> str:
    """A bucket's label for pages, in the active language (the JSON keeps its English label)."""
    if bucket.from_days is None:
        return str(_("not yet due"))
    if bucket.to_days is None:
        return str(_("over %(n)s") % {"n": bucket.from_days - 1})
    return bucket.label


def aging_chart(report: core_aging.AgingReport) -> dict[str, object]:
    """Bucket labels and amounts (major units, as text) for the Plotly bar chart."""
    amounts = report.to_json()["buckets"]
    return {"labels": [bucket_label(b) for b in report.buckets],
            "amounts": [b["amount"] for b in amounts], "currency": report.currency}


def trend_chart(result: CollectionMetrics) -> dict[str, object]:
    trend = result.to_json()["dso_trend"]
    return {"months": [p["month"] for p in trend],
            "standard": [p["dso_standard"] for p in trend],
            "countback": [p["dso_countback"] for p in trend]}


def _aging_for_page(company: Company, as_of: date, buckets: core_aging.Buckets, by: str | None,
                    currency: str, user: User) -> tuple[core_aging.AgingReport, int]:
    """The report with only the rows the page shows (largest first), and how many more there are.

    Cached as such (reports.cache): grouped by customer, the whole report is 100,000 rows that
    would be unpickled and sorted on every request for the 200 shown.
    """
    def compute() -> tuple[core_aging.AgingReport, int]:
        if by == "customer":  # 100,000 rows at most: only the shown ones are built
            return services.aging_largest_customers(company, as_of, buckets, currency, PAGE_ROWS,
                                                    user)
        report = services.aging_report(company, as_of, buckets, by, currency, user)
        ordered = (sorted(report.rows, key=lambda r: -r.total_minor) if by != "currency"
                   else list(report.rows))
        return replace(report, rows=tuple(ordered[:PAGE_ROWS])), max(0, len(ordered) - PAGE_ROWS)

    options = (buckets.limits, services.check_by(by), services.reporting_currency(company, currency),
               PAGE_ROWS)
    return cached("aging_page", company, as_of, options, user,
                  compute)


@login_required
def aging_page(request: HttpRequest) -> HttpResponse:
    page = page_context(request)
    as_of = _as_of(request)
    by = request.GET.get("by") or None
    buckets_text = request.GET.get("buckets") or "30,60,90"
    currency = request.GET.get("currency") or page.company.base_currency
    error, report, rows, more = None, None, [], 0
    try:
        report, more = _aging_for_page(page.company, as_of, services.parse_buckets(buckets_text),
                                       by, currency, request.user)
    except Refusal as exc:
        error = refusal_text(exc)
    if report is not None:
        rows = [{"key": r.key, "name": r.name, "currency": r.currency,
                 "amounts": [format_grouped(v, r.currency) for v in r.bucket_minor],
                 "total": format_grouped(r.total_minor, r.currency)} for r in report.rows]
    ctx = {
        "page": page, "as_of": as_of, "by": by or "", "buckets_text": buckets_text,
        "currency": currency, "by_choices": BY_CHOICES, "error": error, "report": report,
        "rows": rows, "more": more,
        "totals": ([format_grouped(v, report.currency) for v in report.bucket_minor]
                   if report and report.bucket_minor is not None and report.currency else None),
        "total": (format_grouped(report.total_minor, report.currency)
                  if report and report.total_minor is not None and report.currency else None),
        "chart": aging_chart(report) if report and report.currency else None,
        "query": request.GET.urlencode(),
    }
    template = "reports/_aging_body.html" if request.htmx else "reports/aging.html"  # type: ignore[attr-defined]
    return render(request, template, ctx)


@login_required
def metrics_page(request: HttpRequest) -> HttpResponse:
    page = page_context(request)
    as_of = _as_of(request)
    currency = request.GET.get("currency") or page.company.base_currency
    try:
        period_days = int(request.GET.get("period_days") or 90)
    except ValueError:
        period_days = 90
    error, result, cards, inputs = None, None, [], {}
    try:
        result = services.cached_collection_metrics(page.company, as_of, period_days, currency,
                                             request.user)
    except Refusal as exc:
        error = refusal_text(exc)
    if result is not None:
        payload = result.to_json()
        cards = [{"info": info, "value": payload[info.key]} for info in METRICS_INFO]
        inputs = payload["inputs"]
    ctx = {"page": page, "as_of": as_of, "currency": currency, "period_days": period_days,
           "error": error, "result": result, "cards": cards, "inputs": inputs,
           "chart": trend_chart(result) if result else None}
    template = "reports/_metrics_body.html" if request.htmx else "reports/metrics.html"  # type: ignore[attr-defined]
    return render(request, template, ctx)
