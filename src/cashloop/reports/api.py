"""GET /api/reports/aging and /api/reports/metrics: the same query options and JSON as the CLI.

Reports are limited to the customers the caller may see (a sales rep sees their own). Refusals
(bad buckets, unknown --by, missing exchange rate) become JSON errors through config.api.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema

from cashloop.config.clock import today
from cashloop.ledger.services.companies import company_by_code
from cashloop.reports import services

router = Router(tags=["reports"])


class AgingParams(Schema):
    as_of: date | None = None
    buckets: str = "30,60,90"
    by: Literal["customer", "sales_rep", "department", "currency"] | None = None
    currency: str | None = None
    company: str | None = None
    format: Literal["json", "csv", "xlsx"] = "json"


class MetricsParams(Schema):
    as_of: date | None = None
    period_days: int = 90
    currency: str | None = None
    company: str | None = None


@router.get("/aging", summary="Aging (账龄) as of a date", response=dict[str, Any])
def aging(request: HttpRequest, params: Query[AgingParams]):  # type: ignore[type-arg]
    """Open amounts by days-overdue bucket; `rows` only with `by`. csv/xlsx download with `format`."""
    report = services.cached_aging_report(
        company_by_code(params.company), params.as_of or today(),
        services.parse_buckets(params.buckets), params.by, params.currency, request.user,
    )
    if params.format == "json":
        return report.to_json()
    from cashloop.reports import export

    name = f"aging-{report.as_of.isoformat()}.{params.format}"
    if params.format == "csv":
        response = HttpResponse(export.aging_csv(report), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            export.aging_xlsx(report),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.get("/metrics", summary="Collection metrics: DSO, CEI, turnover", response=dict[str, Any])
def metrics(request: HttpRequest, params: Query[MetricsParams]):  # type: ignore[type-arg]
    """DSO (standard, countback), best possible DSO, ADD, CEI, AR turnover, overdue rates, DSO trend."""
    result = services.cached_collection_metrics(
        company_by_code(params.company), params.as_of or today(), params.period_days,
        params.currency, request.user,
    )
    return result.to_json()
