"""The REST API: one NinjaAPI, each app's router mounted under /api/, errors as JSON."""

from __future__ import annotations

import importlib

from django.db import DataError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyHeader, HttpBearer, django_auth

from cashloop.core.problems import Refusal, gettext_noop
from cashloop.web.i18n import problem_json, refusal_text

API_ROUTERS = (
    ("ledger", "cashloop.ledger.api"),
    ("reports", "cashloop.reports.api"),
    ("imports", "cashloop.imports.api"),
    ("", "cashloop.jobs.api"),  # its paths name themselves: /api/jobs, /api/jobs/{id}
    ("exports", "cashloop.exports.api"),
)


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>` with a token from the profile page or `cashloop user token`."""

    def authenticate(self, request: HttpRequest, token: str):  # type: ignore[override]
        from cashloop.accounts.services import user_for_token

        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


class TokenHeader(APIKeyHeader):
    """`Authorization: Token <token>`, as Django REST framework clients send it."""

    param_name = "Authorization"

    def authenticate(self, request: HttpRequest, key: str | None):  # type: ignore[override]
        from cashloop.accounts.services import user_for_token

        if not key or not key.startswith("Token "):
            return None
        user = user_for_token(key[6:].strip())
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="Cashloop API",
    version="1",
    description="Receivables ledger, aging and collection metrics. Amounts are strings.",
    auth=[BearerToken(), TokenHeader(), django_auth],
    urls_namespace="api",
)


def _error(request: HttpRequest, status: int, code: str, message: str,
           problems: list[dict] | None = None) -> HttpResponse:
    return api.create_response(
        request, {"code": code, "message": message, "problems": problems or []}, status=status
    )


@api.exception_handler(Refusal)
def on_refusal(request: HttpRequest, exc: Refusal) -> HttpResponse:
    # Messages for people: translated into the request's language (the CLI's JSON stays English).
    return _error(request, exc.http_status, exc.code, refusal_text(exc),
                  [problem_json(p) for p in exc.problems])


@api.exception_handler(NinjaValidationError)
def on_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    problems = [
        {"source": "request", "field": ".".join(str(x) for x in e.get("loc", [])),
         "code": str(e.get("type", "invalid")), "severity": "error", "message": e.get("msg", "")}
        for e in exc.errors
    ]
    return _error(request, 422, "invalid", gettext("the request is not valid"), problems)


@api.exception_handler(AuthenticationError)
def on_auth(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "unauthorized", gettext("a valid token or login is required"))


@api.exception_handler(DataError)
def on_data_error(request: HttpRequest, exc: DataError) -> HttpResponse:
    # The database refused a value the schema let through (a number or date beyond its range).
    return _error(request, 422, "out_of_range", gettext("a value in the request is out of range"))


@api.exception_handler(OverflowError)
def on_overflow(request: HttpRequest, exc: OverflowError) -> HttpResponse:
    return _error(request, 422, "out_of_range", gettext("a date or number in the request is out of range"))


# Django Ninja's own refusals, marked so that the catalog translates them like ours.
NINJA_MESSAGES = (gettext_noop("Cannot parse request body"), gettext_noop("CSRF check Failed"))


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, "error", gettext(str(exc)))


for prefix, module_name in API_ROUTERS:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is None or not module_name.startswith(exc.name):
            raise
        continue
    api.add_router(f"/{prefix}/" if prefix else "/", module.router)
