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


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    ctx = page_context(request)
    return render(request, "web/dashboard.html", {"page": ctx})


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
