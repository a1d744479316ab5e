"""Per-request context shared by every page: the company shown and the user's role in it."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from cashloop.accounts.services import role_of
from cashloop.ledger.models import Company
from cashloop.ledger.services.companies import company_by_code


@dataclass(frozen=True)
class PageContext:
    company: Company
    role: str | None


def page_context(request: HttpRequest) -> PageContext:
    """The company shown and the user's role, worked out once per request."""
    cached = getattr(request, "_cashloop_page", None)
    if cached is not None:
        return cached
    code = request.GET.get("company") or request.session.get("company")
    company = company_by_code(code)
    if code:
        request.session["company"] = company.code
    ctx = PageContext(company=company, role=role_of(request.user, company))  # type: ignore[arg-type]
    request._cashloop_page = ctx  # type: ignore[attr-defined]
    return ctx
