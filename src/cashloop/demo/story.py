"""The demo company's story: two years of a manufacturer's receivables up to an as-of date.

Pure and deterministic: `build_story(as_of)` seeds `random.Random` from the as-of date alone (no
clock, no database), so the same date always gives the same records and another date other ones.
Invariants the writer and the tests rely on:
- nothing happens after `as_of`: issue, payment, allocation, dispute and rate dates are on or before
  it (due dates of items not yet due are later, as they should be);
- an invoice's `paid_minor` is the sum of its allocations and its `settled_date` the applied date on
  which they reached its amount (None while open); a payment or credit note is fully allocated;
- open items sit in every aging bucket as of `as_of` (not yet due, 1–30, 31–60, 61–90, over 90).
Customers pay by habit: tier A on time (some take the 2/10 discount), tier B a little late, tier C
30–120 days late with partial payments and a few stalled invoices; many pay in a monthly payment
run on the 25th, one payment covering several invoices.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cache

from cashloop.core.money import allocate
from cashloop.core.problems import Problem
from cashloop.core.terms import PaymentTerms, parse_terms
from cashloop.core.terms import due_date_for as core_due_date_for
from cashloop.demo import identities as ids
from cashloop.demo.records import (
    AllocationRecord,
    ContactRecord,
    ContractRecord,
    CreditNoteRecord,
    CustomerRecord,
    DisputeRecord,
    InvoiceRecord,
    PaymentRecord,
    RateRecord,
    SalesRepRecord,
    Story,
    TermsRecord,
)

COMPANY_CODE = "DEMO"
COMPANY_NAME = "华东精密制造有限公司"
BASE_CURRENCY = "CNY"
FOREIGN_CURRENCY = "USD"
HISTORY_DAYS = 730
CUSTOMERS = 300
# Days overdue of the stalled invoices that make sure every aging bucket has open items.
ANCHOR_DAYS_OVERDUE = (-25, 12, 45, 75, 150)

SALES_REPS = (
    SalesRepRecord("张伟", "zhang.wei@hdjm.example.cn", ids.EAST),
    SalesRepRecord("李娜", "li.na@hdjm.example.cn", ids.EAST),
    SalesRepRecord("王强", "wang.qiang@hdjm.example.cn", ids.SOUTH),
    SalesRepRecord("刘洋", "liu.yang@hdjm.example.cn", ids.SOUTH),
    SalesRepRecord("陈静", "chen.jing@hdjm.example.cn", ids.NORTH_OVERSEAS),
    SalesRepRecord("赵磊", "zhao.lei@hdjm.example.cn", ids.NORTH_OVERSEAS),
)
SALES_LOGIN_REP = "张伟"  # the sales_rep login sees only this rep's customers

TERMS = (
    TermsRecord("NET30", "30天付款 / Net 30", "NET30", 30, False, None, None),
    TermsRecord("NET60", "60天付款 / Net 60", "NET60", 60, False, None, None),
    TermsRecord("EOM+30", "月结30天 / End of month + 30", "EOM+30", 30, True, None, None),
    TermsRecord("2/10N30", "10天内付款折扣2% / 2/10 net 30", "2/10 net 30", 30, False,
                Decimal("0.02"), 10),
)
_TERMS_BY_CODE = {t.code: t for t in TERMS}
# Terms each tier is offered, with weights.
_TIER_TERMS = {
    "A": (("NET60", 4), ("EOM+30", 3), ("2/10N30", 3)),
    "B": (("NET30", 4), ("NET60", 2), ("EOM+30", 3), ("2/10N30", 1)),
    "C": (("NET30", 7), ("EOM+30", 3)),
}
_DISPUTE_REASONS = ("数量短缺", "单价与合同不符", "质量问题退换", "重复开票", "未按约定交期到货")


@dataclass(frozen=True, slots=True)
class Habit:
    """How a customer buys and pays; hidden behind the records, it shapes their history."""

    gap_days: int  # mean days between invoices
    median_major: int  # median invoice amount, major units of the customer's currency
    delay_mean_days: int  # payment date − due date, on average
    delay_sd_days: int
    partial_pct: int  # share of invoices paid in two parts
    stall_permille: int  # invoices never paid
    takes_discount: bool
    pays_in_runs: bool  # pays on the 25th, one payment for all invoices then payable


@dataclass(slots=True)
class _Draft:
    customer: CustomerRecord
    issue_date: date
    due_date: date
    amount_minor: int
    description: str
    contract_number: str | None
    # (date, amount, kind): kind 'payment' or a credit note reason
    events: list[tuple[date, int, str]] = field(default_factory=list)
    dispute: tuple[date, date | None, str, int | None, str] | None = None


def due_date_for(terms: TermsRecord, issue_date: date) -> date:
    """The due date core.terms gives the terms' spec (the demo's terms do not roll to business days)."""
    return core_due_date_for(_parsed(terms.spec), issue_date)


@cache
def _parsed(spec: str) -> PaymentTerms:
    parsed = parse_terms(spec)
    if isinstance(parsed, Problem):
        raise ValueError(f"demo terms {spec!r} do not parse: {parsed.text()}")
    return parsed


def build_story(as_of: date, customers: int = CUSTOMERS) -> Story:
    """The demo company's records as of `as_of`, the same for the same date."""
    rng = random.Random(f"cashloop-demo/{as_of.isoformat()}")
    start = as_of - timedelta(days=HISTORY_DAYS)
    custs, habits = _customers(rng, customers)
    contracts = _contracts(rng, custs, start)
    contract_of = {c.customer_code: c.number for c in contracts}
    drafts: list[_Draft] = []
    for cust in custs:
        drafts.extend(_history(rng, cust, habits[cust.code], contract_of.get(cust.code), start, as_of))
    drafts.extend(_anchors(rng, custs, as_of))
    return _assemble(as_of, custs, contracts, drafts, _rates(rng, start, as_of))


def _customers(rng: random.Random, count: int) -> tuple[list[CustomerRecord], dict[str, Habit]]:
    custs: list[CustomerRecord] = []
    habits: dict[str, Habit] = {}
    names: set[str] = set()
    for n in range(1, count + 1):
        code = f"C{n:05d}"
        tier = rng.choices("ABC", weights=(2, 5, 3))[0]
        foreign = rng.random() < 0.10
        terms_code = (rng.choice(("NET30", "NET60")) if foreign
                      else _weighted(rng, _TIER_TERMS[tier]))
        industry, word, _ = rng.choice(ids.INDUSTRIES)
        if foreign:
            country, suffix = rng.choice(ids.FOREIGN_COUNTRIES)
            department, currency = ids.NORTH_OVERSEAS, FOREIGN_CURRENCY
            name = _unique(names, lambda c=suffix: f"{rng.choice(ids.FOREIGN_WORDS)} "
                                                    f"{rng.choice(ids.FOREIGN_TRADES)} {c}")
            slug = name.split()[0].lower()
            tax_id = f"{country}{rng.randint(10**8, 10**9 - 1)}"
            contacts = _foreign_contacts(rng, slug, n)
        else:
            city = rng.choice(ids.CITIES)
            country, department, currency = "CN", city.department, BASE_CURRENCY
            brand, brand_py = rng.choice(ids.BRANDS)
            name = _unique(names, lambda city=city, brand=brand, word=word: (
                f"{city.name}{brand}{word}"
                f"{rng.choice(('有限公司', '有限公司', '股份有限公司', '科技有限公司'))}"))
            tax_id = ids.credit_code(rng, city.region_code)
            contacts = _chinese_contacts(rng, city, f"{brand_py}{n}")
        rep = rng.choice([r.name for r in SALES_REPS if r.department == department])
        habit = _habit(rng, tier, foreign)
        terms = _TERMS_BY_CODE[terms_code]
        # About 1.5 months of sales beyond the terms' days, rounded up to 10,000.
        monthly_major = habit.median_major * 30 // habit.gap_days * 6 // 5
        limit_major = -(-monthly_major * (terms.net_days + 45) // 30 // 10_000) * 10_000
        custs.append(CustomerRecord(
            code=code, name=name, tax_id=tax_id, industry=industry, country=country,
            currency=currency, sales_rep=rep, department=department,
            credit_limit_minor=limit_major * 100, tier=tier, terms_code=terms_code,
            contacts=contacts,
        ))
        habits[code] = habit
    return custs, habits


def _habit(rng: random.Random, tier: str, foreign: bool) -> Habit:
    scale = 7 if foreign else 1  # USD invoices are about a seventh of the CNY ones
    if tier == "A":
        return Habit(rng.randint(7, 14), rng.randint(40_000, 120_000) // scale, rng.randint(-4, 4), 3,
                     2, 0, rng.random() < 0.8, rng.random() < 0.6)
    if tier == "B":
        return Habit(rng.randint(14, 28), rng.randint(15_000, 50_000) // scale, rng.randint(2, 20), 7,
                     6, 2, rng.random() < 0.4, rng.random() < 0.4)
    return Habit(rng.randint(20, 40), rng.randint(5_000, 20_000) // scale, rng.randint(30, 120), 20,
                 15, 20, False, rng.random() < 0.1)


def _chinese_contacts(rng: random.Random, city: ids.City, domain: str) -> tuple[ContactRecord, ...]:
    contacts = []
    for i in range(1 + (rng.random() < 0.5)):
        name, local = ids.person(rng)
        language = "en" if rng.random() < 0.05 else "zh-hans"
        phone = ids.mobile(rng) if rng.random() < 0.7 else ids.landline(rng, city)
        contacts.append(ContactRecord(name, ids.CONTACT_ROLES[0 if i == 0 else rng.randint(1, 2)],
                                      f"{local}@{domain}.example.cn", phone, language, i == 0))
    return tuple(contacts)


def _foreign_contacts(rng: random.Random, slug: str, n: int) -> tuple[ContactRecord, ...]:
    name = rng.choice(ids.ENGLISH_NAMES)
    email = f"{name.lower().replace(' ', '.')}@{slug}{n}.example.com"
    phone = f"+1 555 {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
    return (ContactRecord(name, "Accounts Payable", email, phone, "en", True),)


def _contracts(rng: random.Random, custs: list[CustomerRecord], start: date) -> list[ContractRecord]:
    """One framework contract (框架合同) per tier-A customer, signed before the history starts."""
    contracts = []
    for cust in custs:
        if cust.tier != "A":
            continue
        signed = start - timedelta(days=rng.randint(30, 400))
        contracts.append(ContractRecord(
            number=f"HT{signed.year}-{cust.code[1:]}", customer_code=cust.code, start_date=signed,
            terms_code=cust.terms_code,
            late_interest_rate=Decimal("0.1825") if rng.random() < 0.5 else None,  # 万分之五/日
            description="年度采购框架合同",
        ))
    return contracts


def _history(rng: random.Random, cust: CustomerRecord, habit: Habit, contract: str | None,
             start: date, as_of: date) -> list[_Draft]:
    terms = _TERMS_BY_CODE[cust.terms_code]
    drafts = []
    issue = start + timedelta(days=rng.randint(0, habit.gap_days))
    while issue <= as_of:
        major = max(100 if cust.currency == BASE_CURRENCY else 20,
                    int(rng.lognormvariate(math.log(habit.median_major), 0.5)))
        cents = rng.choice((0, 0, 0, 50, rng.randrange(100)))
        draft = _Draft(cust, issue, due_date_for(terms, issue), major * 100 + cents,
                       _description(rng, cust, issue), contract)
        _settle(rng, draft, habit, terms, as_of)
        drafts.append(draft)
        issue += timedelta(days=1 + int(rng.expovariate(1 / habit.gap_days)))
    return drafts


def _description(rng: random.Random, cust: CustomerRecord, issue: date) -> str:
    product = next(p for i, _, p in ids.INDUSTRIES if i == cust.industry)
    if cust.currency == BASE_CURRENCY:
        return f"{product} 货款 {issue:%Y年%m月} 第{rng.randint(1, 9)}批"
    return f"Precision parts, PO {rng.randint(40000, 99999)}"


def _settle(rng: random.Random, draft: _Draft, habit: Habit, terms: TermsRecord, as_of: date) -> None:
    """Schedule the draft's payments and credits by the customer's habit; keep those ≤ as_of."""
    remaining = draft.amount_minor
    run = (lambda d: _payment_run(d, as_of)) if habit.pays_in_runs else (lambda d: d)
    events = draft.events
    if rng.random() < (0.06 if draft.customer.tier == "C" else 0.03):
        opened = draft.issue_date + timedelta(days=rng.randint(3, 30))
        if opened <= as_of:
            reason = rng.choice(_DISPUTE_REASONS)
            resolved = opened + timedelta(days=rng.randint(7, 90))
            if resolved > as_of:  # still open: the customer holds the whole invoice
                draft.dispute = (opened, None, reason, None, "")
                return
            if rng.random() < 0.6:
                credit = max(1, remaining * rng.randint(5, 30) // 100)
                events.append((resolved, credit, "争议解决：价格折让"))
                draft.dispute = (opened, resolved, reason, credit, "开具红字发票（贷项通知单）")
                remaining -= credit
            else:
                draft.dispute = (opened, resolved, reason, None, "客户撤回争议，全额付款")
            events.append((run(resolved + timedelta(days=rng.randint(3, 30))), remaining, "payment"))
            _drop_after(draft, as_of)
            return
    if rng.random() < 0.015:
        returned = max(1, remaining * rng.randint(5, 20) // 100)
        events.append((draft.issue_date + timedelta(days=rng.randint(5, 25)), returned, "退货"))
        remaining -= returned
    if rng.randrange(1000) < habit.stall_permille:
        _drop_after(draft, as_of)
        return
    if terms.discount_rate is not None and terms.discount_days and habit.takes_discount \
            and rng.random() < 0.85:
        paid_on = draft.issue_date + timedelta(days=rng.randint(3, terms.discount_days))
        cash, discount = allocate(remaining, [1 - terms.discount_rate, terms.discount_rate])
        events.append((paid_on, cash, "payment"))
        if discount:
            events.append((paid_on, discount, f"现金折扣 {terms.spec}"))
    else:
        delay = round(rng.gauss(habit.delay_mean_days, habit.delay_sd_days))
        paid_on = run(max(draft.issue_date, draft.due_date + timedelta(days=delay)))
        if rng.randrange(100) < habit.partial_pct:
            first = remaining * rng.randint(30, 70) // 100
            events.append((paid_on, first, "payment"))
            events.append((run(paid_on + timedelta(days=rng.randint(14, 60))), remaining - first,
                           "payment"))
        else:
            events.append((paid_on, remaining, "payment"))
    _drop_after(draft, as_of)


def _drop_after(draft: _Draft, as_of: date) -> None:
    draft.events[:] = sorted((e for e in draft.events if e[0] <= as_of and e[1] > 0),
                             key=lambda e: (e[0], e[2] != "payment"))


def _payment_run(day: date, as_of: date) -> date:
    """The customer's next payment run on the 25th, or `day` itself if that run is after as_of."""
    run = day.replace(day=25) if day.day <= 25 else (day.replace(day=1) + timedelta(days=32)).replace(day=25)
    return run if run <= as_of else day


def _anchors(rng: random.Random, custs: list[CustomerRecord], as_of: date) -> list[_Draft]:
    """Stalled invoices whose due dates put open items in every aging bucket, whatever the story."""
    net = [c for c in custs if not _TERMS_BY_CODE[c.terms_code].end_of_month]
    late = [c for c in net if c.tier == "C"] or net
    own = [c for c in net if c.sales_rep == SALES_LOGIN_REP] or net
    drafts = []
    for overdue in ANCHOR_DAYS_OVERDUE:
        for cust in (rng.choice(late), rng.choice(own)):
            terms = _TERMS_BY_CODE[cust.terms_code]
            due = as_of - timedelta(days=overdue)
            issue = min(as_of, due - timedelta(days=terms.net_days))
            amount = rng.randint(8_000, 60_000) * 100 // (7 if cust.currency != BASE_CURRENCY else 1)
            drafts.append(_Draft(cust, issue, due_date_for(terms, issue), amount,
                                 _description(rng, cust, issue), None))
    return drafts


def _rates(rng: random.Random, start: date, as_of: date) -> list[RateRecord]:
    """Monthly USD→CNY rates from the month the history starts, a walk within 7.05–7.35."""
    rates = []
    rate_e4 = rng.randint(71_000, 72_500)
    month = start.replace(day=1)
    while month <= as_of:
        rates.append(RateRecord(FOREIGN_CURRENCY, BASE_CURRENCY, month, Decimal(rate_e4).scaleb(-4)))
        rate_e4 = min(73_500, max(70_500, rate_e4 + rng.randint(-250, 250)))
        month = (month + timedelta(days=32)).replace(day=1)
    return rates


def _assemble(as_of: date, custs: list[CustomerRecord], contracts: list[ContractRecord],
              drafts: list[_Draft], rates: list[RateRecord]) -> Story:
    drafts.sort(key=lambda d: (d.issue_date, d.customer.code, d.amount_minor))
    invoices, disputes, allocations = [], [], []
    credit_notes: list[CreditNoteRecord] = []
    paid: dict[tuple[str, date, str], list[tuple[str, int]]] = {}
    for n, draft in enumerate(drafts, 1):
        number = f"INV{draft.issue_date:%Y%m}-{n:05d}"
        cust = draft.customer
        total, settled = 0, None
        for day, amount, kind in draft.events:
            total += amount
            if total == draft.amount_minor:
                settled = day
            if kind == "payment":
                parts = paid.setdefault((cust.code, day, cust.currency), [])
                if parts and parts[-1][0] == number:  # two instalments on one payment run
                    parts[-1] = (number, parts[-1][1] + amount)
                else:
                    parts.append((number, amount))
            else:
                cn = f"CN{day:%Y%m}-{len(credit_notes) + 1:05d}"
                credit_notes.append(CreditNoteRecord(cn, cust.code, day, amount, cust.currency, kind))
                allocations.append(AllocationRecord(number, None, cn, amount, day))
        if draft.dispute:
            opened, resolved, reason, part, resolution = draft.dispute
            disputes.append(DisputeRecord(number, opened, resolved, reason, part, resolution))
        invoices.append(InvoiceRecord(
            number=number, customer_code=cust.code, issue_date=draft.issue_date,
            due_date=draft.due_date, amount_minor=draft.amount_minor, currency=cust.currency,
            contract_number=draft.contract_number, description=draft.description,
            paid_minor=total, settled_date=settled,
            is_disputed=draft.dispute is not None and draft.dispute[1] is None,
        ))
    payments = []
    for n, ((code, day, currency), parts) in enumerate(sorted(paid.items()), 1):
        reference = f"RC{day:%Y%m%d}-{n:05d}"
        payments.append(PaymentRecord(reference, code, day, sum(a for _, a in parts), currency))
        allocations.extend(AllocationRecord(num, reference, None, a, day) for num, a in parts)
    return Story(
        as_of=as_of, company_code=COMPANY_CODE, company_name=COMPANY_NAME,
        base_currency=BASE_CURRENCY, sales_reps=SALES_REPS, terms=TERMS, customers=tuple(custs),
        contracts=tuple(contracts), invoices=tuple(invoices), credit_notes=tuple(credit_notes),
        payments=tuple(payments), allocations=tuple(allocations), disputes=tuple(disputes),
        rates=tuple(rates),
    )


def _weighted(rng: random.Random, options: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def _unique(seen: set[str], make) -> str:  # type: ignore[no-untyped-def]
    for _ in range(1000):
        name = make()
        if name not in seen:
            seen.add(name)
            return name
    raise RuntimeError("demo name pools exhausted")
