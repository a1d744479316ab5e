"""Business calendars: which days a due date may fall on, and business-day arithmetic.

A business day is a weekday (Monday–Friday) that is not a public holiday, or a weekend day that is
a make-up working day (调休). China ('CN') follows the State Council's yearly notice as published by
the `chinese_calendar` package (statutory holidays and 调休 workdays); outside the years that
package covers, and for every other country, the `holidays` package gives public holidays and
Saturday/Sunday are the weekend. An unknown country has weekends only.

Invariant: `roll_forward(d)` is a business day and never before `d`; holiday data is read once per
(country, year) and cached, so calendars are cheap to ask for and compare.
"""

from __future__ import annotations

import calendar as _gregorian
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar
import holidays as _holidays

WEEKEND = frozenset({5, 6})  # Saturday, Sunday (date.weekday())
# A calendar with no business day within this many days is a configuration error, not a rule.
_MAX_SEARCH_DAYS = 3660


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """A country's business days; `holidays`/`workdays` add explicit days on top (tests, overrides)."""

    country: str = ""
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()  # weekend days that are worked (调休)

    def is_business_day(self, d: date) -> bool:
        if d in self.workdays:
            return True
        if d in self.holidays:
            return False
        year_holidays, year_workdays = _country_year(self.country, d.year)
        if d in year_workdays:
            return True
        if d in year_holidays:
            return False
        return d.weekday() not in WEEKEND

    def is_holiday(self, d: date) -> bool:
        """A weekday that is not worked because of a public holiday."""
        return d.weekday() not in WEEKEND and not self.is_business_day(d)


def calendar_for(country: str) -> BusinessCalendar:
    """The calendar of an ISO 3166 country code ('CN', 'US'); unknown codes have weekends only."""
    return _calendar(_normalise(country))


@lru_cache(maxsize=64)
def _calendar(country: str) -> BusinessCalendar:
    return BusinessCalendar(country=country)


def roll_forward(d: date, calendar: BusinessCalendar) -> date:
    """`d` when it is a business day, else the next business day (遇节假日顺延)."""
    day = d
    for _ in range(_MAX_SEARCH_DAYS):
        if calendar.is_business_day(day):
            return day
        day += timedelta(days=1)
    raise ValueError(f"no business day within {_MAX_SEARCH_DAYS} days after {d} on {calendar.country!r}")


def roll_backward(d: date, calendar: BusinessCalendar) -> date:
    """`d` when it is a business day, else the previous business day."""
    day = d
    for _ in range(_MAX_SEARCH_DAYS):
        if calendar.is_business_day(day):
            return day
        day -= timedelta(days=1)
    raise ValueError(f"no business day within {_MAX_SEARCH_DAYS} days before {d} on {calendar.country!r}")


def add_business_days(d: date, n: int, calendar: BusinessCalendar) -> date:
    """The n-th business day after `d` (before it when n < 0), `d` itself not counted.

    n = 0 rolls `d` forward to a business day. From a Saturday, +1 is the next business day.
    """
    if n == 0:
        return roll_forward(d, calendar)
    step = timedelta(days=1 if n > 0 else -1)
    remaining = abs(n)
    day = d
    searched = 0
    while remaining:
        day += step
        searched += 1
        if searched > _MAX_SEARCH_DAYS + abs(n) * 7:
            raise ValueError(f"too few business days near {d} on {calendar.country!r}")
        if calendar.is_business_day(day):
            remaining -= 1
    return day


def business_days_between(start: date, end: date, calendar: BusinessCalendar) -> int:
    """Business days in (start, end]; negative when end is before start."""
    if end < start:
        return -business_days_between(end, start, calendar)
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        count += calendar.is_business_day(day)
    return count


def end_of_month(d: date) -> date:
    """The last calendar day of d's month."""
    return d.replace(day=_gregorian.monthrange(d.year, d.month)[1])


def _normalise(country: str) -> str:
    return (country or "").strip().upper()


@lru_cache(maxsize=512)
def _country_year(country: str, year: int) -> tuple[frozenset[date], frozenset[date]]:
    """(holidays on weekdays or weekends, worked weekend days) of one country and year."""
    if not country:
        return frozenset(), frozenset()
    if country == "CN":
        cn = _china_year(year)
        if cn is not None:
            return cn
    try:
        days = _holidays.country_holidays(country, years=year)
    except (NotImplementedError, KeyError):
        return frozenset(), frozenset()
    return frozenset(days.keys()), frozenset()


def _china_year(year: int) -> tuple[frozenset[date], frozenset[date]] | None:
    """China's holidays and 调休 workdays from chinese_calendar, or None outside its years."""
    first = date(year, 1, 1)
    try:
        chinese_calendar.is_workday(first)
        chinese_calendar.is_workday(date(year, 12, 31))
    except NotImplementedError:
        return None
    off: set[date] = set()
    worked: set[date] = set()
    day = first
    while day.year == year:
        workday = chinese_calendar.is_workday(day)
        weekend = day.weekday() in WEEKEND
        if weekend and workday:
            worked.add(day)
        elif not weekend and not workday:
            off.add(day)
        day += timedelta(days=1)
    return frozenset(off), frozenset(worked)
