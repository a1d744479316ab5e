"""Settlement of invoices by allocations (核销): when an invoice is paid, and splitting a payment.

Invariants: an invoice's paid amount is the sum of its allocations and never exceeds its amount;
its settled date is the applied date on which the running total of its allocations, taken in
applied-date order, first reaches the amount (None while anything is open). So the order in which
allocations are recorded or removed never changes the result. Auto-allocation pays the oldest due
invoice first (FIFO, as ERPs clear open items), never more than each invoice's open amount.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Settlement:
    """An invoice's state derived from its allocations."""

    paid_minor: int
    settled_date: date | None


def settled_date_for(amount_minor: int, allocations: Iterable[tuple[date, int]]) -> date | None:
    """The applied date on which allocations, in date order, reach `amount_minor`; None if never."""
    running = 0
    for applied_date, minor in sorted(allocations, key=lambda a: a[0]):
        running += minor
        if running >= amount_minor:
            return applied_date
    return None


def settlement_for(amount_minor: int, allocations: Sequence[tuple[date, int]]) -> Settlement:
    """Paid amount and settled date of an invoice of `amount_minor` with these allocations."""
    return Settlement(
        paid_minor=sum(minor for _, minor in allocations),
        settled_date=settled_date_for(amount_minor, allocations),
    )


@dataclass(frozen=True, slots=True)
class OpenItem:
    """An invoice that may receive money: its key, due date and open amount in minor units."""

    key: Hashable
    due_date: date
    open_minor: int
    issue_date: date | None = None


def oldest_first(available_minor: int, items: Iterable[OpenItem]) -> list[tuple[Hashable, int]]:
    """Split `available_minor` over open items, oldest due first; each gets at most its open amount.

    Ties on due date go to the earlier issue date, then to the order given. Items with nothing
    open are skipped; what cannot be placed stays unallocated (the parts sum to ≤ available).
    """
    if available_minor < 0:
        raise ValueError("cannot allocate a negative amount")
    ordered = sorted(
        enumerate(items),
        key=lambda pair: (pair[1].due_date, pair[1].issue_date or pair[1].due_date, pair[0]),
    )
    rest = available_minor
    parts: list[tuple[Hashable, int]] = []
    for _, item in ordered:
        if rest == 0:
            break
        if item.open_minor <= 0:
            continue
        take = min(rest, item.open_minor)
        parts.append((item.key, take))
        rest -= take
    return parts
