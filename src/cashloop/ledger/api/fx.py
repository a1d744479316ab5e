"""Dated exchange rates over the API: GET and POST /api/ledger/fx/rates. Rates are strings."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from cashloop.accounts.access import require_write
from cashloop.audit.services import Actor
from cashloop.core.fx import parse_rate, rate_text
from cashloop.core.problems import Invalid, Problem
from cashloop.ledger.queries.fx import rates
from cashloop.ledger.services.companies import default_company
from cashloop.ledger.services.fx import store_rate

router = Router(tags=["fx"])

MAX_LIMIT = 1000


class RateOut(Schema):
    from_currency: str = Field(..., alias="from", serialization_alias="from")
    to_currency: str = Field(..., alias="to", serialization_alias="to")
    rate_date: date = Field(..., alias="date", serialization_alias="date")
    rate: str = Field(..., description="units of `to` per unit of `from`, as a decimal string")


class RateIn(Schema):
    from_currency: str = Field(..., alias="from", description="ISO 4217 code, e.g. USD")
    to_currency: str = Field(..., alias="to", description="ISO 4217 code, e.g. CNY")
    rate_date: date = Field(..., alias="date")
    rate: str = Field(..., description="a decimal string, e.g. \"7.1234\" (never a JSON number)")
    source: str = ""


class RatePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[RateOut]


class RateFilters(Schema):
    from_currency: str | None = Field(None, alias="from")
    to_currency: str | None = Field(None, alias="to")
    limit: int = Field(100, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=1_000_000_000)


def _rate_json(obj) -> dict[str, str]:
    return {"from": obj.from_currency, "to": obj.to_currency, "date": obj.rate_date.isoformat(),
            "rate": rate_text(obj.rate)}


@router.get("/fx/rates", response=RatePage, by_alias=True, summary="List exchange rates")
def list_rates(request: HttpRequest, filters: Query[RateFilters]) -> dict:
    """Stored rates, newest first within each pair; filter by `from` and `to`."""
    rows = rates(filters.from_currency, filters.to_currency)
    page = rows[filters.offset: filters.offset + filters.limit]
    return {"count": rows.count(), "limit": filters.limit, "offset": filters.offset,
            "items": [_rate_json(r) for r in page]}


@router.post("/fx/rates", response={201: RateOut}, by_alias=True, summary="Set an exchange rate")
def set_rate(request: HttpRequest, payload: RateIn) -> tuple[int, dict]:
    """Set the rate of a pair from a date on (replacing that date's rate); needs a write role."""
    require_write(request.user, default_company())
    value = parse_rate(payload.rate)
    if isinstance(value, Problem):
        raise Invalid(value.text(), (value.at("request"),))
    obj, _ = store_rate(payload.from_currency, payload.to_currency, value, payload.rate_date,
                        Actor.of(request.user, "api"), payload.source)
    return 201, _rate_json(obj)
