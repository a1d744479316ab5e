"""The metrics' receivables history from the daily flows (ledger.models.ReceivableDay).

AR in each currency at each date is the running sum of issued − collected over the days up to
it, and credit sales by day are the issued column: one read of a few hundred rows per currency
and year, instead of the grouped scans of every invoice that `queries.receivables_history` makes.
The split of AR(D) into not yet due and overdue (and the counts) needs each open invoice's due
date, so it comes from the aging query with the one edge D.

The flows are company-wide: a user limited to their own customers (sales rep) gets the scans.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from cashloop.accounts.access import customer_scope
from cashloop.core.aging import OpenAmount
from cashloop.ledger.models import Company, ReceivableDay
from cashloop.reports import queries
from cashloop.reports.queries import ReceivablesHistory, User


def receivables_history(company: Company, dates: Sequence[date], user: User = None,
                        open_split: Sequence[OpenAmount] | None = None) -> ReceivablesHistory:
    """The same history as queries.receivables_history, for ascending `dates` ending at D.

    `open_split`: open amounts at D in bucket 0 (due on or after D) and later buckets, when the
    caller has them already (an aging report as of D); read here otherwise.
    """
    if customer_scope(user, company):
        return queries.receivables_history(company, dates, user)
    as_of = dates[-1]
    history = ReceivablesHistory({d: {} for d in dates}, {}, {}, 0, 0, {})
    running: dict[str, int] = {}
    k, n = 0, len(dates)

    def close_dates_before(day: date | None) -> None:
        nonlocal k
        while k < n and (day is None or dates[k] < day):
            history.ar_at[dates[k]] = {cur: ar for cur, ar in running.items() if ar}
            k += 1

    flows = (ReceivableDay.objects.filter(company_id=company.pk, day__lte=as_of).order_by("day")
             .values_list("day", "currency", "issued_minor", "collected_minor"))
    for day, cur, issued, collected in flows.iterator(chunk_size=5000):
        close_dates_before(day)
        running[cur] = running.get(cur, 0) + issued - collected
        if issued:
            history.daily_sales.setdefault(cur, {})[day] = issued
    close_dates_before(None)
    if open_split is None:
        open_split = queries.open_amounts_by_bucket(company, as_of, [as_of], None, user)
    for line in open_split:
        split = history.not_yet_due if line.bucket == 0 else history.overdue
        split[line.currency] = split.get(line.currency, 0) + line.amount_minor
        history.open_count += line.count
        history.overdue_count += 0 if line.bucket == 0 else line.count
    return history
