"""Users, their roles per company, and API tokens."""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import OperationalError, transaction
from django.utils import timezone

from cashloop.accounts.models import ApiToken, Membership, Role
from cashloop.core.problems import Invalid, NotFound, gettext_noop
from cashloop.ledger.models import Company, SalesRep

TOKEN_PREFIX = "cl_"
TOKEN_TOUCH = timedelta(minutes=10)  # how precisely a token's last use is kept


@transaction.atomic
def add_user(
    username: str, role: str, company: Company, password: str | None = None,
    email: str = "", sales_rep_name: str | None = None,
) -> tuple[AbstractBaseUser, str | None]:
    """Create or update a login with a role in `company`; returns the user and a new password if made."""
    if role not in Role.values:
        raise Invalid(gettext_noop("unknown role {value}; choose one of: {roles}"),
                      value=repr(role), roles=", ".join(Role.values))
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username, defaults={"email": email})
    new_password = None
    if created or password:
        new_password = password or secrets.token_urlsafe(9)
        user.set_password(new_password)
    user.is_staff = role == Role.ADMIN
    user.is_superuser = role == Role.ADMIN
    user.save()
    Membership.objects.update_or_create(user=user, company=company, defaults={"role": role})
    if role == Role.SALES_REP:
        rep, _ = SalesRep.objects.get_or_create(
            company=company, name=sales_rep_name or username, defaults={"user": user}
        )
        if rep.user_id != user.pk:
            rep.user = user
            rep.save(update_fields=["user"])
    return user, new_password if created or password else None


def role_of(user: AbstractBaseUser, company: Company) -> str | None:
    if getattr(user, "is_superuser", False):
        return Role.ADMIN
    membership = Membership.objects.filter(user=user, company=company).first()
    return membership.role if membership else None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(username: str, name: str = "") -> str:
    """A new API token for `username`; only its digest is kept, so show it to the user now."""
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None:
        raise NotFound(gettext_noop("no user {value}"), value=repr(username))
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, name=name, prefix=token[:10], digest=_digest(token))
    return token


def user_for_token(token: str) -> AbstractBaseUser | None:
    found = ApiToken.objects.select_related("user").filter(digest=_digest(token)).first()
    if found is None or not found.user.is_active:
        return None
    now = timezone.now()
    # Written at most every TOKEN_TOUCH, and never failing the request: a client polling
    # a background import would otherwise write on every GET, and on SQLite each write waits for
    # the import's write lock (held until it ends), up to the busy timeout.
    if found.last_used_at is None or now - found.last_used_at >= TOKEN_TOUCH:
        with contextlib.suppress(OperationalError), transaction.atomic():
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
    return found.user
