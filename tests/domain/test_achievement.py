"""Achievement and pace: pure, no database."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from funnel.domain.achievement import (
    Status,
    achievement_rate,
    actual_cv_rate,
    month_achievement,
    month_share_passed,
    month_status,
    year_to_date,
)
from funnel.domain.grid import fiscal_months


@pytest.mark.parametrize(
    ("actual", "target", "rate"),
    [
        (95, 100, Decimal("95.0")),
        (1, 3, Decimal("33.3")),
        (2, 3, Decimal("66.7")),
        (150, 100, Decimal("150.0")),
        (0, 10, Decimal("0.0")),
        (5, 0, None),  # a zero target shows —, never an error
        (5, None, None),
        (None, 10, None),
    ],
)
def test_achievement_rate(actual, target, rate):
    assert achievement_rate(actual, target) == rate


def test_actual_cv_rate():
    assert actual_cv_rate(20, 2000) == Decimal("1.00")
    assert actual_cv_rate(20, 0) is None
    assert actual_cv_rate(None, 100) is None


@pytest.mark.parametrize(
    ("year", "month", "today", "share"),
    [
        (2026, 3, date(2026, 3, 1), Decimal(1) / 31),  # first day counts
        (2026, 3, date(2026, 3, 31), Decimal(1)),  # last day: the whole month
        (2026, 2, date(2026, 3, 1), Decimal(1)),  # a month that has ended
        (2026, 4, date(2026, 3, 31), Decimal(0)),  # not begun
        (2024, 2, date(2024, 2, 29), Decimal(1)),  # leap year: 29 days
        (2024, 2, date(2024, 2, 15), Decimal(15) / 29),
        (2025, 2, date(2025, 2, 14), Decimal(14) / 28),
        (2025, 12, date(2026, 1, 1), Decimal(1)),  # across a year boundary
    ],
)
def test_month_share_passed(year, month, today, share):
    assert month_share_passed(year, month, today) == share


@pytest.mark.parametrize(
    ("actual", "target", "share", "status"),
    [
        (10, 10, Decimal(1), Status.ACHIEVED),
        (12, 10, Decimal("0.5"), Status.ACHIEVED),  # achieved early
        (5, 10, Decimal("0.5"), Status.ON_PACE),
        (4, 10, Decimal("0.5"), Status.BEHIND),
        (9, 10, Decimal(1), Status.MISSED),  # the month is over: 未達, not 遅れ
        (None, 10, Decimal("0.5"), Status.NO_ACTUAL),
        (3, 0, Decimal("0.5"), Status.NO_TARGET),
        (3, None, Decimal(1), Status.NO_TARGET),
        (3, 10, Decimal(0), Status.UPCOMING),
    ],
)
def test_month_status(actual, target, share, status):
    assert month_status(actual, target, share) == status


def _months(today, targets, actuals, start=1, year=2026):
    return [
        month_achievement(
            year=cal_year,
            month=month,
            target_cv=target,
            target_visits=None,
            actual_cv=actual,
            actual_visits=None,
            today=today,
        )
        for (cal_year, month), target, actual in zip(
            fiscal_months(year, start), targets, actuals, strict=True
        )
    ]


def test_year_to_date_and_projection():
    # Mid-November: 10 full months and 15/30 of November have passed.
    months = _months(date(2026, 11, 15), [10] * 12, [9] * 10 + [2, None])
    ytd = year_to_date(months)
    assert ytd.target == 105  # 100 + 10 × 15/30
    assert ytd.actual == 92
    assert ytd.achievement == Decimal("87.6")
    assert ytd.year_target == 120
    assert ytd.projected == 105  # 92 / 105 of the plan, applied to 120
    assert ytd.projected_achievement == Decimal("87.5")


def test_fiscal_year_starting_in_april():
    # 2026年度 runs April 2026 - March 2027; on 2026-05-31 two months have passed.
    months = _months(date(2026, 5, 31), [10] * 12, [10, 12] + [None] * 10, start=4)
    assert [m.month for m in months][:3] == [4, 5, 6]
    assert months[0].cv_status == Status.ACHIEVED
    assert months[2].cv_status == Status.UPCOMING
    assert months[-1].year == 2027
    ytd = year_to_date(months)
    assert (ytd.target, ytd.actual, ytd.projected) == (20, 22, 132)


def test_seasonal_plan_projects_seasonally():
    targets = [5] * 6 + [20] * 6  # a plan heavy in the second half
    months = _months(date(2026, 6, 30), targets, [5] * 6 + [None] * 6)
    assert year_to_date(months).projected == 150  # on plan: the whole year's target


def test_nothing_passed_projects_nothing():
    ytd = year_to_date(_months(date(2025, 6, 1), [10] * 12, [None] * 12))
    assert (ytd.target, ytd.actual, ytd.projected, ytd.achievement) == (
        0,
        None,
        None,
        None,
    )


def test_nothing_entered_is_no_figure_not_zero():
    """Months have passed but no actual was typed: the actual, its rate and
    the projection are — (None), not 0 and 0.0 %."""
    ytd = year_to_date(_months(date(2026, 6, 15), [10] * 12, [None] * 12))
    assert ytd.target > 0 and ytd.year_target == 120
    assert (ytd.actual, ytd.achievement, ytd.projected) == (None, None, None)
    assert ytd.projected_achievement is None


def test_no_targets_is_no_target_not_zero():
    ytd = year_to_date(_months(date(2026, 6, 15), [None] * 12, [5] * 12))
    assert (ytd.target, ytd.year_target, ytd.achievement) == (None, None, None)
    assert ytd.actual == 30  # January to June: the months that have begun


def test_an_entered_zero_is_a_figure():
    ytd = year_to_date(_months(date(2026, 2, 28), [10] * 12, [0] + [None] * 11))
    assert ytd.actual == 0 and ytd.achievement == Decimal("0.0")


def test_zero_targets_give_no_rates():
    ytd = year_to_date(_months(date(2026, 12, 31), [0] * 12, [3] * 12))
    assert ytd.achievement is None and ytd.projected is None


@given(
    st.integers(min_value=0, max_value=10**8),
    st.integers(min_value=1, max_value=10**8),
)
def test_achievement_rate_is_decimal_with_one_place(actual, target):
    rate = achievement_rate(actual, target)
    assert isinstance(rate, Decimal)
    assert rate.as_tuple().exponent == -1
    assert abs(rate - Decimal(actual) * 100 / target) <= Decimal("0.05")
