from datetime import date, timedelta

import chinese_calendar
from hypothesis import given
from hypothesis import strategies as st

from cashloop.core.business_calendar import (
    BusinessCalendar,
    add_business_days,
    business_days_between,
    calendar_for,
    roll_backward,
    roll_forward,
)

CN = calendar_for("CN")
US = calendar_for("US")
days = st.dates(min_value=date(2005, 1, 1), max_value=date(2035, 12, 31))


def test_chinese_national_day_week_is_not_business_days():
    national_day = [date(2024, 10, d) for d in range(1, 8)]
    assert not any(CN.is_business_day(d) for d in national_day)
    assert CN.is_business_day(date(2024, 10, 8))


def test_chinese_make_up_saturday_and_sunday_are_business_days():
    # 调休: the weekend days worked to pay for the National Day week.
    assert date(2024, 9, 29).weekday() == 6 and date(2024, 10, 12).weekday() == 5
    assert CN.is_business_day(date(2024, 9, 29))
    assert CN.is_business_day(date(2024, 10, 12))
    assert not CN.is_business_day(date(2024, 10, 13))


def test_chinese_calendar_agrees_with_the_package_over_2024():
    day = date(2024, 1, 1)
    while day.year == 2024:
        assert CN.is_business_day(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


def test_china_beyond_the_package_years_falls_back_to_holidays_and_weekends():
    assert not CN.is_business_day(date(2031, 10, 1))  # National Day from `holidays`
    assert CN.is_business_day(date(2031, 10, 8))
    assert not CN.is_business_day(date(2031, 10, 11))  # a Saturday, no 调休 data


def test_us_independence_day_is_a_holiday():
    assert not US.is_business_day(date(2024, 7, 4))
    assert US.is_holiday(date(2024, 7, 4))
    assert US.is_business_day(date(2024, 7, 5))


def test_unknown_country_has_weekends_only():
    nowhere = calendar_for("ZZ")
    assert nowhere.is_business_day(date(2024, 10, 1))
    assert not nowhere.is_business_day(date(2024, 10, 5))


def test_calendars_are_cached_per_country():
    assert calendar_for("cn") is calendar_for("CN")


def test_due_date_on_national_day_rolls_to_the_next_workday():
    assert roll_forward(date(2024, 10, 1), CN) == date(2024, 10, 8)
    assert roll_forward(date(2024, 10, 12), CN) == date(2024, 10, 12)
    assert roll_backward(date(2024, 10, 6), CN) == date(2024, 9, 30)


def test_add_business_days_counts_make_up_days():
    assert add_business_days(date(2024, 9, 27), 1, CN) == date(2024, 9, 29)
    assert add_business_days(date(2024, 9, 30), 1, CN) == date(2024, 10, 8)
    assert add_business_days(date(2024, 10, 8), -1, CN) == date(2024, 9, 30)
    assert add_business_days(date(2024, 10, 5), 0, CN) == date(2024, 10, 8)


def test_explicit_holidays_and_workdays_override_the_country():
    custom = BusinessCalendar("US", holidays=frozenset({date(2024, 7, 5)}),
                              workdays=frozenset({date(2024, 7, 6)}))
    assert not custom.is_business_day(date(2024, 7, 5))
    assert custom.is_business_day(date(2024, 7, 6))


@given(days, st.sampled_from(["CN", "US", "DE", "ZZ"]))
def test_roll_forward_is_a_business_day_never_earlier(d, country):
    cal = calendar_for(country)
    rolled = roll_forward(d, cal)
    assert rolled >= d and cal.is_business_day(rolled)
    assert all(not cal.is_business_day(d + timedelta(days=i)) for i in range((rolled - d).days))


@given(days, st.integers(min_value=-40, max_value=40))
def test_add_business_days_moves_exactly_n_business_days(d, n):
    result = add_business_days(d, n, CN)
    assert CN.is_business_day(result)
    if n > 0:
        assert business_days_between(d, result, CN) == n
    elif n < 0:
        # (result, d] holds the |n| - 1 business days in between, and d itself when it is one.
        assert business_days_between(result, d, CN) == -n - 1 + CN.is_business_day(d)
    else:
        assert result == roll_forward(d, CN)
