"""Who may see and change what: one rule set shared by pages, API, CLI and exports.

A sales rep sees and acts only on the customers they own; an auditor reads everything and
changes nothing; admin, finance manager and collector see the whole company.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from cashloop.accounts.models import Role
from cashloop.accounts.services import role_of
from cashloop.core.problems import Forbidden, gettext_noop
from cashloop.ledger.models import Company

WRITE_ROLES = frozenset({Role.ADMIN, Role.FINANCE_MANAGER, Role.COLLECTOR, Role.SALES_REP})
AUDIT_READERS = frozenset({Role.ADMIN, Role.FINANCE_MANAGER, Role.AUDITOR})


def customer_scope(user: AbstractBaseUser | AnonymousUser | None, company: Company,
                   prefix: str = "") -> Q:
    """A filter limiting rows (customers, or rows reaching a customer via `prefix`) to the user's."""
    if user is None:  # the CLI acting as the operator of the install
        return Q()
    role = role_of(user, company)  # type: ignore[arg-type]
    if role is None:
        return Q(pk__in=[])
    if role == Role.SALES_REP:
        return Q(**{f"{prefix}sales_rep__user": user})
    return Q()


def scoped(queryset: QuerySet, user: AbstractBaseUser | AnonymousUser | None, company: Company,
           prefix: str = "") -> QuerySet:
    return queryset.filter(customer_scope(user, company, prefix))


def require_write(user: AbstractBaseUser | AnonymousUser | None, company: Company) -> None:
    """Refuse a change by a user whose role only reads (auditor) or who has no role here."""
    if user is None:
        return
    role = role_of(user, company)  # type: ignore[arg-type]
    if role not in WRITE_ROLES:
        raise Forbidden(gettext_noop("your role may read but not change the ledger"))


def require_role(user: AbstractBaseUser | AnonymousUser | None, company: Company,
                 roles: frozenset[str]) -> None:
    if user is None:
        return
    if role_of(user, company) not in roles:  # type: ignore[arg-type]
        raise Forbidden(gettext_noop("your role may not do this"))
