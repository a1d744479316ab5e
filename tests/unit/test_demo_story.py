"""The demo story is pure, deterministic and tells a consistent, live receivables story."""

import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal
from functools import cache

import pytest

from cashloop.demo import identities
from cashloop.demo.story import HISTORY_DAYS, SALES_LOGIN_REP, TERMS, build_story, due_date_for

DATES = (date(2025, 6, 30), date(2024, 2, 29), date(2026, 1, 1))
BUCKETS = ("not yet due", "1-30", "31-60", "61-90", "over 90")


@cache
def story(as_of: date):
    return build_story(as_of)


def bucket(as_of: date, due_date: date) -> str:
    overdue = (as_of - due_date).days
    if overdue <= 0:
        return "not yet due"
    if overdue <= 30:
        return "1-30"
    if overdue <= 60:
        return "31-60"
    return "61-90" if overdue <= 90 else "over 90"


def test_story_imports_no_django():
    code = ("import sys, cashloop.demo.story\n"
            "print([m for m in sys.modules if m == 'django' or m.startswith('django.')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_same_as_of_gives_the_same_story_and_another_date_another():
    assert build_story(DATES[0]) == story(DATES[0])
    assert story(DATES[0]).invoices != build_story(DATES[0] - timedelta(days=1)).invoices


@pytest.mark.parametrize("as_of", DATES)
def test_nothing_happens_after_as_of(as_of):
    s = story(as_of)
    start = as_of - timedelta(days=HISTORY_DAYS)
    assert all(start <= i.issue_date <= as_of for i in s.invoices)
    assert all(p.received_date <= as_of for p in s.payments)
    assert all(n.issue_date <= as_of for n in s.credit_notes)
    assert all(a.applied_date <= as_of for a in s.allocations)
    assert all(d.opened_date <= as_of and (d.resolved_date or as_of) <= as_of for d in s.disputes)
    assert all(r.rate_date <= as_of for r in s.rates)


@pytest.mark.parametrize("as_of", DATES)
def test_paid_and_settled_date_follow_the_allocations(as_of):
    s = story(as_of)
    by_invoice = defaultdict(list)
    for a in s.allocations:
        assert a.amount_minor > 0
        assert (a.payment_reference is None) != (a.credit_note_number is None)
        by_invoice[a.invoice_number].append(a)
    for inv in s.invoices:
        allocs = sorted(by_invoice[inv.number], key=lambda a: a.applied_date)
        assert inv.paid_minor == sum(a.amount_minor for a in allocs) <= inv.amount_minor
        if inv.paid_minor == inv.amount_minor:
            assert inv.settled_date == allocs[-1].applied_date
        else:
            assert inv.settled_date is None
        if inv.is_disputed:
            assert inv.settled_date is None


@pytest.mark.parametrize("as_of", DATES)
def test_payments_and_credit_notes_are_fully_allocated_on_their_date(as_of):
    s = story(as_of)
    paid, credited = Counter(), Counter()
    for a in s.allocations:
        if a.payment_reference:
            paid[a.payment_reference] += a.amount_minor
        else:
            credited[a.credit_note_number] += a.amount_minor
    assert all(paid[p.reference] == p.amount_minor for p in s.payments)
    assert all(credited[n.number] == n.amount_minor for n in s.credit_notes)
    assert any(count > 1 for count in Counter(a.payment_reference for a in s.allocations
                                              if a.payment_reference).values())


@pytest.mark.parametrize("as_of", DATES)
def test_open_items_in_every_aging_bucket_also_for_the_sales_login(as_of):
    s = story(as_of)
    own = {c.code for c in s.customers if c.sales_rep == SALES_LOGIN_REP}
    open_items = [i for i in s.invoices if i.settled_date is None]
    assert {bucket(as_of, i.due_date) for i in open_items} == set(BUCKETS)
    assert {bucket(as_of, i.due_date) for i in open_items if i.customer_code in own} == set(BUCKETS)
    assert any(0 < i.paid_minor < i.amount_minor for i in open_items)  # partly paid
    assert any(i.is_disputed for i in open_items)


def test_a_few_hundred_customers_across_tiers_reps_and_two_currencies():
    s = story(DATES[0])
    assert len(s.customers) == 300
    assert 8_000 <= len(s.invoices) <= 15_000
    assert set(Counter(c.tier for c in s.customers)) == {"A", "B", "C"}
    assert len({c.sales_rep for c in s.customers}) == 6
    assert len({c.department for c in s.customers}) == 3
    assert 0.05 <= sum(c.currency == "USD" for c in s.customers) / len(s.customers) <= 0.15
    assert {i.currency for i in s.invoices} == {"CNY", "USD"}
    languages = Counter(p.language for c in s.customers for p in c.contacts)
    assert languages["zh-hans"] > languages["en"] > 0
    assert {c.terms_code for c in s.customers} == {t.code for t in TERMS}
    assert len({c.name for c in s.customers}) == len(s.customers)


def test_tier_c_pays_late_and_tier_a_on_time():
    s = story(DATES[0])
    tier = {c.code: c.tier for c in s.customers}
    late = defaultdict(list)
    for inv in s.invoices:
        if inv.settled_date:
            late[tier[inv.customer_code]].append((inv.settled_date - inv.due_date).days)
    assert sum(late["A"]) / len(late["A"]) < 10
    assert sum(late["C"]) / len(late["C"]) > 30


def test_due_dates_follow_each_customers_terms():
    s = story(DATES[0])
    terms = {t.code: t for t in TERMS}
    term_of = {c.code: terms[c.terms_code] for c in s.customers}
    assert all(i.due_date == due_date_for(term_of[i.customer_code], i.issue_date) for i in s.invoices)
    assert due_date_for(terms["EOM+30"], date(2025, 2, 10)) == date(2025, 3, 30)


def test_usd_rates_cover_the_whole_history_within_a_realistic_range():
    s = story(DATES[0])
    first_usd = min(i.issue_date for i in s.invoices if i.currency == "USD")
    assert min(r.rate_date for r in s.rates) <= first_usd
    assert all(Decimal("7.05") <= r.rate <= Decimal("7.35") for r in s.rates)
    assert s.latest_rate("USD", "CNY").rate_date == DATES[0].replace(day=1)


def test_chinese_tax_ids_carry_valid_check_characters():
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    for c in story(DATES[0]).customers:
        if c.country != "CN":
            continue
        total = sum(chars.index(ch) * w for ch, w in zip(c.tax_id[:17], weights, strict=True))
        assert len(c.tax_id) == 18 and c.tax_id[17] == chars[(31 - total % 31) % 31]
        assert c.tax_id.startswith("91")


def test_organisation_code_check_character():
    import random

    code = identities.organisation_code(random.Random(1))
    value = [int(ch) if ch.isdigit() else ord(ch) - 55 for ch in code[:8]]
    check = 11 - sum(v * w for v, w in zip(value, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    assert code[8] == {10: "X", 11: "0"}.get(check, str(check))
