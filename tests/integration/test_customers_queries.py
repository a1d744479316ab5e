"""Customer list and customer page reads: balances equal a direct computation, fixed query counts."""

from datetime import date, timedelta

import pytest

from cashloop.accounts.services import add_user
from cashloop.ledger.models import Allocation, Company, Contact, Customer, Invoice, Payment, SalesRep
from cashloop.ledger.queries import customer_detail as detail_q
from cashloop.ledger.queries import customers as q

AS_OF = date(2024, 6, 30)


def make_invoice(company: Company, customer: Customer, number: str, amount: int, due: date,
                 paid: int = 0, settled: date | None = None, currency: str | None = None) -> Invoice:
    return Invoice.objects.create(
        company=company, customer=customer, number=number, issue_date=due - timedelta(days=30),
        due_date=due, amount_minor=amount, paid_minor=paid, settled_date=settled,
        currency=currency or customer.currency or company.base_currency)


def make_book(company: Company, customers: int = 12) -> list[Customer]:
    """Customers C00.. with a mix of open, partly paid, overdue and settled invoices."""
    reps = [SalesRep.objects.create(company=company, name=n) for n in ("Rep A", "Rep B")]
    out = []
    for i in range(customers):
        c = Customer.objects.create(
            company=company, code=f"C{i:02d}", name=f"Customer {chr(90 - i)}", currency="CNY",
            tax_id=f"91310000MA{i:08d}", sales_rep=reps[i % 2], tier="AB"[i % 2],
            department=("North", "South", "East")[i % 3], country="CN",
            credit_limit_minor=(i + 1) * 100_000 if i % 4 else None)
        for k in range(i % 5):
            make_invoice(company, c, f"I{i:02d}-{k}", 10_000 * (k + 1) + i,
                         AS_OF + timedelta(days=40 - 25 * k), paid=1_000 * k)
        make_invoice(company, c, f"S{i:02d}", 5_000, AS_OF - timedelta(days=60), paid=5_000,
                     settled=AS_OF - timedelta(days=50))
        out.append(c)
    return out


def direct_balances(company: Company, as_of: date) -> dict[str, tuple[int, int]]:
    """Per customer (open, overdue) by walking every invoice: the reference result."""
    out: dict[str, tuple[int, int]] = {}
    for inv in Invoice.objects.select_related("customer").filter(company=company):
        if inv.settled_date is not None or inv.currency != (inv.customer.currency or "CNY"):
            continue
        open_, overdue = out.get(inv.customer.code, (0, 0))
        amount = inv.amount_minor - inv.paid_minor
        out[inv.customer.code] = (open_ + amount, overdue + (amount if inv.due_date < as_of else 0))
    return out


def direct_open_as_of(company: Company, as_of: date) -> dict[str, tuple[int, int]]:
    """Per customer (open, overdue) on `as_of` as the aging report counts it: issued by then, not
    settled by then (these fixtures record payments on the invoice, not as allocations)."""
    out: dict[str, tuple[int, int]] = {}
    for inv in Invoice.objects.select_related("customer").filter(company=company):
        if inv.issue_date > as_of or (inv.settled_date is not None and inv.settled_date <= as_of):
            continue
        later = sum(a.amount_minor for a in inv.allocations.all() if a.applied_date > as_of)
        amount = inv.amount_minor - inv.paid_minor + later
        open_, overdue = out.get(inv.customer.code, (0, 0))
        out[inv.customer.code] = (open_ + amount, overdue + (amount if inv.due_date < as_of else 0))
    return out


def test_list_balances_match_direct_computation_for_every_sort(company):
    make_book(company)
    expected = direct_balances(company, AS_OF)
    for sort in q.SORT_CHOICES:
        page = q.customer_page(company, None, q.CustomerFilters(sort=sort, limit=500), AS_OF)
        assert page.count == 12
        assert len(page.rows) == 12
        for row in page.rows:
            assert (row.open_minor, row.overdue_minor) == expected.get(row.code, (0, 0)), sort


def test_sort_by_open_balance_orders_and_pages_in_sql(company):
    make_book(company)
    expected = direct_balances(company, AS_OF)
    codes = sorted((c.code for c in Customer.objects.all()),
                   key=lambda code: (-expected.get(code, (0, 0))[0], code))
    first = q.customer_page(company, None, q.CustomerFilters(sort="-open_balance", limit=5), AS_OF)
    second = q.customer_page(company, None, q.CustomerFilters(sort="-open_balance", limit=5, offset=5),
                             AS_OF)
    assert [r.code for r in first.rows + second.rows] == codes[:10]
    asc = q.customer_page(company, None, q.CustomerFilters(sort="open_balance", limit=3), AS_OF)
    assert all(r.open_minor == 0 for r in asc.rows)


def test_sort_by_credit_use_puts_customers_without_limit_last(company):
    make_book(company)
    rows = q.customer_page(company, None, q.CustomerFilters(sort="-credit_use", limit=500), AS_OF).rows
    uses = [r.credit_use_pct for r in rows]
    with_limit = [u for u in uses if u is not None]
    assert uses[: len(with_limit)] == with_limit
    assert with_limit == sorted(with_limit, reverse=True)


def test_search_and_filters(company):
    make_book(company)
    expected = direct_balances(company, AS_OF)

    def codes(**kw):
        return [r.code for r in q.customer_page(company, None, q.CustomerFilters(limit=500, **kw),
                                                AS_OF).rows]

    assert codes(search="c03") == ["C03"]
    assert codes(search="Customer Z") == ["C00"]
    assert codes(search="MA00000011") == ["C11"]
    assert codes(sales_rep="Rep B") == [f"C{i:02d}" for i in range(1, 12, 2)]
    assert codes(tier="A", department="North") == ["C00", "C06"]
    assert codes(has_overdue=True) == sorted(c for c, (_, o) in expected.items() if o > 0)
    assert set(codes(has_overdue=False)).isdisjoint(codes(has_overdue=True))
    assert codes(currency="USD") == []
    assert codes(country="CN")[:2] == ["C00", "C01"]
    assert codes(sort="-name")[0] == "C00"


def test_foreign_currency_invoices_are_not_added_to_the_row(company):
    c = Customer.objects.create(company=company, code="X", currency="CNY")
    make_invoice(company, c, "CNY1", 1000, AS_OF - timedelta(days=1))
    make_invoice(company, c, "USD1", 7000, AS_OF - timedelta(days=1), currency="USD")
    for sort in ("code", "-open_balance"):
        row = q.customer_page(company, None, q.CustomerFilters(sort=sort), AS_OF).rows[0]
        assert (row.currency, row.open_minor, row.overdue_minor) == ("CNY", 1000, 1000)


@pytest.mark.parametrize(("sort", "limit", "queries"), [
    ("code", 500, 4),  # count, page ids, customers, balances
    ("-open_balance", 2, 4),  # count, ordered head, customers, balances
    ("-open_balance", 500, 5),  # ... and the customers with nothing open after the head
])
def test_list_query_count_does_not_grow_with_customers(company, django_assert_num_queries, sort,
                                                       limit, queries):
    make_book(company, customers=4)
    with django_assert_num_queries(queries):
        q.customer_page(company, None, q.CustomerFilters(sort=sort, limit=limit), AS_OF)
    make_book_more = [Customer(company=company, code=f"Z{i:03d}") for i in range(60)]
    Customer.objects.bulk_create(make_book_more)
    with django_assert_num_queries(queries):
        page = q.customer_page(company, None, q.CustomerFilters(sort=sort, limit=limit), AS_OF)
    assert len(page.rows) == min(limit, 64)


def test_balance_sort_pages_cross_from_owing_customers_to_the_rest(company):
    make_book(company)
    expected = direct_balances(company, AS_OF)
    everyone = [r.code for r in q.customer_page(
        company, None, q.CustomerFilters(sort="-open_balance", limit=500), AS_OF).rows]
    for sort in ("-open_balance", "open_balance", "-overdue", "overdue", "-credit_use", "credit_use"):
        full = [r.code for r in q.customer_page(
            company, None, q.CustomerFilters(sort=sort, limit=500), AS_OF).rows]
        paged = [r.code for off in range(0, 12, 5) for r in q.customer_page(
            company, None, q.CustomerFilters(sort=sort, limit=5, offset=off), AS_OF).rows]
        assert paged == full and sorted(full) == sorted(everyone), sort
    ascending = [expected.get(code, (0, 0))[0] for code in [r.code for r in q.customer_page(
        company, None, q.CustomerFilters(sort="open_balance", limit=500), AS_OF).rows]]
    assert ascending == sorted(ascending)
    rep_only = q.customer_page(company, None, q.CustomerFilters(sort="-overdue", sales_rep="Rep A",
                                                                limit=500), AS_OF)
    assert rep_only.count == 6 and {r.sales_rep for r in rep_only.rows} == {"Rep A"}
    overdue = [r.overdue_minor for r in rep_only.rows]
    assert overdue == sorted(overdue, reverse=True)


def test_sales_rep_list_holds_only_their_customers(company):
    make_book(company, customers=6)
    user, _ = add_user("rep.a", "sales_rep", company, sales_rep_name="Rep A")
    page = q.customer_page(company, user, q.CustomerFilters(limit=500), AS_OF)
    assert page.count == 3 and [r.code for r in page.rows] == ["C00", "C02", "C04"]
    stranger, _ = add_user("nobody", "collector", Company.objects.create(code="OTHER", name="o"))
    assert q.customer_page(company, stranger, q.CustomerFilters(), AS_OF).count == 0


def test_customer_aging_buckets_add_up_and_use_due_date_edges(company):
    c = Customer.objects.create(company=company, code="AG", currency="CNY")
    for days, amount in ((-5, 1), (0, 2), (1, 4), (30, 8), (31, 16), (60, 32), (61, 64), (90, 128),
                         (91, 256), (400, 512)):
        make_invoice(company, c, f"A{days}", amount, AS_OF - timedelta(days=days))
    aging = detail_q.customer_aging(company, c, AS_OF)
    assert len(aging) == 1
    assert [b.amount_minor for b in aging[0].buckets] == [3, 12, 48, 192, 768]
    assert aging[0].total_minor == 1023


def test_days_late_plain_and_weighted(company):
    c = Customer.objects.create(company=company, code="L", currency="CNY")
    due = date(2024, 1, 31)
    make_invoice(company, c, "E", 300, due, paid=300, settled=due - timedelta(days=3))  # early: 0
    make_invoice(company, c, "L10", 100, due, paid=100, settled=due + timedelta(days=10))
    make_invoice(company, c, "L40", 100, due, paid=100, settled=due + timedelta(days=40))
    late = detail_q.days_late(company, c, "CNY")
    assert late.invoice_count == 3
    assert str(late.average_days) == "16.7"  # (0 + 10 + 40) / 3
    assert str(late.weighted_days) == "10.0"  # (300×0 + 100×10 + 100×40) / 500


def test_customer_detail_collects_page_parts_in_few_queries(company, django_assert_max_num_queries):
    c = make_book(company, customers=5)[4]
    Contact.objects.create(customer=c, name="刘洋", email="liu@example.cn")
    inv = Invoice.objects.filter(customer=c).first()
    pay = Payment.objects.create(company=company, customer=c, reference="P1", received_date=AS_OF,
                                 amount_minor=100, currency="CNY")
    Allocation.objects.create(company=company, invoice=inv, payment=pay, amount_minor=100,
                              applied_date=AS_OF)
    with django_assert_max_num_queries(10):
        detail = detail_q.customer_detail(company, c, AS_OF)
        assert [a.invoice.number for p in detail.payments for a in p.allocations.all()] == [inv.number]
    expected = direct_open_as_of(company, AS_OF)["C04"]
    assert (detail.open_minor, detail.overdue_minor) == expected
    assert detail.open_items_count == 3  # the fourth open invoice is issued after AS_OF
    assert [x.name for x in detail.contacts] == ["刘洋"]


@pytest.mark.parametrize("has_overdue", [True, False])
def test_balance_sort_with_overdue_filter_matches_code_sort(company, has_overdue):
    make_book(company)
    by_code = q.customer_page(company, None, q.CustomerFilters(has_overdue=has_overdue, limit=500), AS_OF)
    for sort in ("-open_balance", "open_balance", "-credit_use"):
        by_balance = q.customer_page(
            company, None, q.CustomerFilters(has_overdue=has_overdue, sort=sort, limit=500), AS_OF)
        assert by_balance.count == by_code.count
        assert sorted(r.code for r in by_balance.rows) == [r.code for r in by_code.rows], sort


def test_customer_page_as_of_a_past_date_shows_what_was_open_then(company):
    c = Customer.objects.create(company=company, code="P1", name="Past", currency="CNY")
    inv = make_invoice(company, c, "PAST-1", 50_000, AS_OF - timedelta(days=30), paid=50_000,
                       settled=AS_OF - timedelta(days=5))
    pay = Payment.objects.create(company=company, customer=c, reference="PP1", amount_minor=50_000,
                                 received_date=AS_OF - timedelta(days=20), currency="CNY")
    Allocation.objects.create(company=company, invoice=inv, payment=pay, amount_minor=20_000,
                              applied_date=AS_OF - timedelta(days=20))
    Allocation.objects.create(company=company, invoice=inv, payment=pay, amount_minor=30_000,
                              applied_date=AS_OF - timedelta(days=5))

    then = detail_q.customer_detail(company, c, AS_OF - timedelta(days=10))
    assert [(i.number, i.open_minor, i.days_overdue) for i in then.open_items] == [("PAST-1", 30_000, 20)]
    assert (then.open_minor, then.overdue_minor) == (30_000, 30_000)
    assert [b.amount_minor for b in then.aging[0].buckets] == [0, 30_000, 0, 0, 0]

    now = detail_q.customer_detail(company, c, AS_OF)
    assert now.open_items == [] and now.open_minor == 0
    before_issue = detail_q.customer_detail(company, c, inv.issue_date - timedelta(days=1))
    assert before_issue.open_items == [] and before_issue.payments == []


def test_balance_sort_reads_open_invoices_by_customer_on_sqlite(company, monkeypatch):
    """SQLite is told the index (ledger.queries.hints); the page is the one the plain query gives."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_book(company, 30)
    pages = {}
    for sort in ("-open_balance", "overdue", "-credit_use", "credit_use"):
        for offset in (0, 7, 25):
            filters = q.CustomerFilters(sort=sort, limit=10, offset=offset)
            with CaptureQueriesContext(connection) as ctx:
                pages[sort, offset] = [r.code for r in q.customer_page(company, None, filters, AS_OF).rows]
            hinted = any("INDEXED BY" in query["sql"] for query in ctx.captured_queries)
            assert hinted == (connection.vendor == "sqlite")
            assert len(pages[sort, offset]) == min(10, 30 - offset)
    monkeypatch.setattr(q, "rows_with_index", lambda queryset, _t, _i: [tuple(r) for r in queryset])
    monkeypatch.setattr(q, "count_with_index", lambda queryset, _t, _i: queryset.count())
    for (sort, offset), codes in pages.items():
        filters = q.CustomerFilters(sort=sort, limit=10, offset=offset)
        assert [r.code for r in q.customer_page(company, None, filters, AS_OF).rows] == codes


def test_index_hint_goes_after_the_first_read_of_the_table():
    from cashloop.ledger.queries.hints import _hinted

    t, i = '"ledger_invoice"', '"idx"'
    assert _hinted(f'SELECT a FROM {t} INNER JOIN "c" ON x WHERE y', t, i) == (
        f'SELECT a FROM {t} INDEXED BY {i} INNER JOIN "c" ON x WHERE y')
    assert _hinted(f'SELECT 1 FROM "c" WHERE NOT (id IN (SELECT U0.x FROM {t} U0 WHERE y))', t, i) == (
        f'SELECT 1 FROM "c" WHERE NOT (id IN (SELECT U0.x FROM {t} U0 INDEXED BY {i} WHERE y))')
    assert _hinted('SELECT 1 FROM "ledger_invoices_x" WHERE y', t, i) is None
