"""Achievement per channel and the channel furthest behind: pure, no database."""

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from funnel.domain.channel_achievement import (
    by_achievement,
    channel_achievements,
    furthest_behind,
)
from funnel.domain.channels import PlanChannel, channel_plan
from funnel.domain.grid import fiscal_months

AD = PlanChannel(1, "広告", True)
ORGANIC = PlanChannel(2, "オーガニック", True)
FAIR = PlanChannel(3, "展示会", False)
MONTHS = fiscal_months(2026, 4)
# The year's end: every month has passed, the year to date is the year.
AFTER = date(2027, 4, 1)


def plan(values, channels=(AD, ORGANIC, FAIR)):
    return channel_plan(channels, [m for _y, m in MONTHS], values)


def test_each_channel_against_its_own_target():
    goals = {
        (AD.id, 4): (8, Decimal("2")),
        (ORGANIC.id, 4): (10, Decimal("1")),
        (FAIR.id, 4): (20, None),
    }
    actuals = {(AD.id, 4): (5, 300), (ORGANIC.id, 4): (10, 900), (FAIR.id, 4): (30, 7)}
    result = channel_achievements(plan(goals), actuals, MONTHS, AFTER)
    ad, organic, fair = result
    assert ad.months[0].target_visits == 400  # ceil(8 / 2 %)
    assert ad.achievement == Decimal("62.5")
    assert ad.visits_to_date.achievement == Decimal("75.0")
    assert organic.achievement == Decimal("100.0")
    assert fair.achievement == Decimal("150.0")
    # A channel that is not Web has leads, no visits.
    assert fair.visits_to_date is None
    assert fair.months[0].actual_visits is None
    assert [a.channel for a in by_achievement(result)] == [AD, ORGANIC, FAIR]
    assert furthest_behind(result).channel == AD


def test_no_figure_is_last_and_never_furthest_behind():
    goals = {(AD.id, 4): (8, Decimal("2")), (ORGANIC.id, 4): (10, Decimal("1"))}
    actuals = {(ORGANIC.id, 4): (12, 900)}
    result = channel_achievements(plan(goals), actuals, MONTHS, AFTER)
    assert [a.achievement for a in result] == [None, Decimal("120.0"), None]
    assert [a.channel for a in by_achievement(result)] == [ORGANIC, AD, FAIR]
    # Every channel with a figure is on target: nobody is behind.
    assert furthest_behind(result) is None
    assert furthest_behind([]) is None


def test_the_year_to_date_counts_the_current_month_pro_rata():
    goals = {(AD.id, 4): (30, Decimal("1")), (AD.id, 5): (31, Decimal("1"))}
    actuals = {(AD.id, 4): (30, None), (AD.id, 5): (5, None)}
    (ad,) = channel_achievements(plan(goals, (AD,)), actuals, MONTHS, date(2026, 5, 10))
    assert ad.to_date.target == 40  # 30 + 31 × 10/31
    assert ad.to_date.actual == 35
    assert ad.achievement == Decimal("87.5")


@given(
    st.dictionaries(
        st.tuples(st.sampled_from([1, 2, 3]), st.sampled_from([4, 5, 6])),
        st.tuples(st.integers(0, 500), st.integers(0, 5000)),
    ),
    st.dictionaries(
        st.tuples(st.sampled_from([1, 2, 3]), st.sampled_from([4, 5, 6])),
        st.tuples(st.integers(1, 500), st.decimals("0.5", "50", places=2)),
    ),
)
def test_ordered_by_achievement_ascending(actuals, goals):
    result = by_achievement(channel_achievements(plan(goals), actuals, MONTHS, AFTER))
    rates = [a.achievement for a in result if a.achievement is not None]
    assert rates == sorted(rates)
    assert all(a.achievement is None for a in result[len(rates) :])
    behind = furthest_behind(result)
    if behind is not None:
        assert behind.achievement == rates[0] < 100
