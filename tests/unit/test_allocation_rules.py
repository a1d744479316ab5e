"""Settlement rules of core.settlement: settled date and oldest-first splitting."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from cashloop.core.settlement import OpenItem, oldest_first, settled_date_for, settlement_for

D = date(2024, 1, 1)


def test_invoice_is_settled_on_the_day_allocations_reach_its_amount():
    allocations = [(D + timedelta(days=9), 40), (D, 50), (D + timedelta(days=3), 10)]
    assert settled_date_for(100, allocations) == D + timedelta(days=9)
    assert settled_date_for(60, allocations) == D + timedelta(days=3)


def test_partly_paid_invoice_has_no_settled_date():
    assert settled_date_for(100, [(D, 99)]) is None
    assert settlement_for(100, [(D, 60), (D, 39)]).paid_minor == 99


def test_oldest_due_invoice_is_paid_first_and_rest_is_left_over():
    items = [OpenItem("new", D + timedelta(days=30), 500), OpenItem("old", D, 300),
             OpenItem("paid", D - timedelta(days=5), 0)]
    assert oldest_first(600, items) == [("old", 300), ("new", 300)]
    assert oldest_first(1000, items) == [("old", 300), ("new", 500)]


allocation_lists = st.lists(
    st.tuples(st.dates(min_value=D, max_value=D + timedelta(days=400)), st.integers(1, 10_000)),
    max_size=20)


@given(st.integers(1, 50_000), allocation_lists)
def test_settled_date_is_the_first_day_the_dated_total_reaches_the_amount(amount, allocations):
    direct = None
    for day in sorted({d for d, _ in allocations}):
        if sum(m for d, m in allocations if d <= day) >= amount:
            direct = day
            break
    assert settled_date_for(amount, allocations) == direct
    assert settled_date_for(amount, list(reversed(allocations))) == direct


@given(st.integers(0, 100_000), st.lists(st.tuples(st.dates(), st.integers(0, 20_000)), max_size=15))
def test_oldest_first_never_exceeds_what_is_available_or_open(available, rows):
    items = [OpenItem(i, due, open_minor) for i, (due, open_minor) in enumerate(rows)]
    parts = oldest_first(available, items)
    assert sum(m for _, m in parts) == min(available, sum(i.open_minor for i in items))
    for key, minor in parts:
        assert 0 < minor <= items[key].open_minor
    paid_dues = [items[k].due_date for k, _ in parts]
    assert paid_dues == sorted(paid_dues)
