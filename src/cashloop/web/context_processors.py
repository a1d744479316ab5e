"""Template context every page gets: the user's role in the company shown, for the navigation."""

from __future__ import annotations

from django.http import HttpRequest

from cashloop.accounts.access import AUDIT_READERS, WRITE_ROLES


def navigation(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from cashloop.core.problems import Refusal
    from cashloop.web.context import page_context

    try:
        role = page_context(request).role
    except Refusal:  # no company yet
        return {"nav_can_write": False, "nav_can_audit": False}
    return {"nav_can_write": role in WRITE_ROLES, "nav_can_audit": role in AUDIT_READERS}
