from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from funnel.domain.channels import PlanChannel, channel_month, channel_plan
from funnel.domain.grid import visits_needed

ADS = PlanChannel(1, "広告", True)
ORGANIC = PlanChannel(2, "オーガニック", True)
EXPO = PlanChannel(3, "展示会", False)
MONTHS = (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)


def test_visits_are_rounded_up_per_channel_then_summed():
    plan = channel_plan(
        [ADS, ORGANIC],
        MONTHS,
        {(1, 4): (7, Decimal(3)), (2, 4): (7, Decimal(3))},
    )
    april = plan.months[0]
    assert (april.cv_count, april.visits) == (14, 468)
    assert visits_needed(14, Decimal(3)) == 467
    assert april.cv_rate == Decimal("2.99")


def test_leads_of_a_channel_that_is_not_web_stay_out_of_the_grid():
    plan = channel_plan(
        [ADS, EXPO],
        MONTHS,
        {(1, 5): (10, Decimal(2)), (3, 5): (30, Decimal(5))},
    )
    may = plan.months[1]
    assert (may.cv_count, may.visits, may.offline_leads, may.leads) == (
        10,
        500,
        30,
        40,
    )
    expo_may = plan.channels[1].months[1]
    assert (expo_may.cv_rate, expo_may.visits) == (None, None)
    assert plan.grid_values() == {5: (10, Decimal("2.00"))}


def test_an_empty_month_has_no_figures_and_a_half_filled_one_is_incomplete():
    plan = channel_plan([ADS, ORGANIC], MONTHS, {(1, 6): (5, None)})
    april, _may, june = plan.months[:3]
    assert (april.cv_count, april.visits, april.cv_rate, april.leads) == (
        None,
        None,
        None,
        None,
    )
    assert june.incomplete and june.cv_count == 5 and june.visits is None
    assert plan.channels[0].cv_count == 5 and plan.channels[1].cv_count is None


def test_the_rate_counts_only_channels_with_visits():
    plan = channel_plan(
        [ADS, ORGANIC], MONTHS, {(1, 4): (10, Decimal(1)), (2, 4): (90, None)}
    )
    april = plan.months[0]
    assert (april.cv_count, april.visits, april.cv_rate) == (100, 1000, Decimal(1))


counts = st.one_of(st.none(), st.integers(0, 100_000))
rates = st.one_of(st.none(), st.decimals("0.01", "100", places=2, allow_nan=False))


@given(st.lists(st.tuples(st.booleans(), counts, rates), min_size=1, max_size=8))
def test_month_sums_are_the_channels_sums(cells):
    channels = [
        PlanChannel(i, f"c{i}", online) for i, (online, _c, _r) in enumerate(cells)
    ]
    values = {(i, 4): (count, rate) for i, (_o, count, rate) in enumerate(cells)}
    month = channel_plan(channels, MONTHS, values).months[0]
    singles = [channel_month(ch, 4, *values[ch.id, 4]) for ch in channels]
    web = [cell for cell in singles if cell.channel.online]
    assert month.visits == (
        sum(c.visits for c in web if c.visits is not None)
        if any(c.visits is not None for c in web)
        else None
    )
    # Rounding up per channel never plans fewer visits than the total would.
    with_visits = [c for c in web if c.visits is not None]
    if with_visits and all(c.cv_rate == with_visits[0].cv_rate for c in with_visits):
        total = sum(c.cv_count for c in with_visits)
        assert month.visits >= visits_needed(total, with_visits[0].cv_rate)
