"""Tests for the revenue worksheet (reverse funnel ① … ⑥): tables and properties."""

import dataclasses
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from funnel.domain.numbers import HUNDRED, MAX_COUNT, MAX_YEN, count_needed
from funnel.domain.worksheet import (
    DEFAULT_CHANNELS,
    EVEN,
    NOTHING_LAST_YEAR,
    REFERENCE_RANGES,
    ChannelPlan,
    MonthActuals,
    SpreadProfile,
    WorksheetInput,
    WorksheetResult,
    channel_monthly_leads,
    compare_with_actuals,
    compute,
    last_year_profile,
    monthly_plan,
    outside_reference,
)

D = Decimal


def seed_example(**changes) -> WorksheetInput:
    """The seed's worked example: 5,000万 total, 1,200万 web, 400万 a deal."""
    worksheet = WorksheetInput(
        total_revenue=50_000_000,
        web_revenue=12_000_000,
        unit_price=4_000_000,
        win_rate=D("30"),
        opportunity_rate=D("25"),
        skip_opportunity=False,
        channels=(
            ChannelPlan(name="広告", online=True, meetings=10, meeting_rate=D("10")),
            ChannelPlan(
                name="オーガニック", online=True, meetings=20, meeting_rate=D("30")
            ),
            ChannelPlan(
                name="メルマガ", online=True, meetings=10, meeting_rate=D("20")
            ),
        ),
        cv_rate=D("1"),
    )
    return dataclasses.replace(worksheet, **changes)


EMPTY = WorksheetInput(
    total_revenue=None,
    web_revenue=None,
    unit_price=None,
    win_rate=None,
    opportunity_rate=None,
    skip_opportunity=False,
    channels=DEFAULT_CHANNELS,
    cv_rate=None,
)


# --- table tests -----------------------------------------------------------


def test_seed_worked_example():
    assert compute(seed_example()) == WorksheetResult(
        nonweb_revenue=38_000_000,
        orders=3,
        opportunities=10,
        meetings=40,
        allotted=40,
        unallotted=0,
        # 20 / 30 % is 66.67: the seed writes 66, rounding up gives 67.
        channel_leads=(100, 67, 50),
        leads_total=217,
        online_leads=217,
        visits=21_700,
    )


@pytest.mark.parametrize(
    ("web", "unit_price", "orders"),
    [
        (12_000_000, 4_000_000, 3),
        (12_000_001, 4_000_000, 4),
        (11_999_999, 4_000_000, 3),
        (1, 4_000_000, 1),
        (0, 4_000_000, 0),
    ],
)
def test_orders_round_up(web, unit_price, orders):
    assert compute(seed_example(web_revenue=web, unit_price=unit_price)).orders == (
        orders
    )


def test_skipping_step_3_reads_win_rate_as_meeting_to_order():
    result = compute(seed_example(skip_opportunity=True))
    assert result.opportunities is None
    assert result.meetings == 10  # ceil(3 / 30 %)
    assert result.unallotted == 10 - 40


def test_skipping_step_3_ignores_opportunity_rate():
    result = compute(seed_example(skip_opportunity=True, opportunity_rate=None))
    assert result.meetings == 10


def test_offline_channel_counts_in_leads_total_but_not_visits():
    channels = (
        ChannelPlan(name="広告", online=True, meetings=10, meeting_rate=D("10")),
        ChannelPlan(name="展示会", online=False, meetings=30, meeting_rate=D("25")),
    )
    result = compute(seed_example(channels=channels))
    assert result.channel_leads == (100, 120)
    assert result.leads_total == 220
    assert result.online_leads == 100
    assert result.visits == 10_000


def test_only_offline_channels_give_no_online_leads_or_visits():
    channels = (
        ChannelPlan(name="展示会", online=False, meetings=40, meeting_rate=D("20")),
    )
    result = compute(seed_example(channels=channels))
    assert result.leads_total == 200
    assert result.online_leads is None
    assert result.visits is None


def test_empty_worksheet_gives_none_downstream():
    assert compute(EMPTY) == WorksheetResult(
        nonweb_revenue=None,
        orders=None,
        opportunities=None,
        meetings=None,
        allotted=0,
        unallotted=None,
        channel_leads=(None, None, None),
        leads_total=None,
        online_leads=None,
        visits=None,
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"total_revenue": None}, {"nonweb_revenue": None, "orders": 3}),
        (
            {"web_revenue": None},
            {"nonweb_revenue": None, "orders": None, "meetings": None},
        ),
        ({"unit_price": None}, {"nonweb_revenue": 38_000_000, "orders": None}),
        (
            {"win_rate": None},
            {"orders": 3, "opportunities": None, "meetings": None, "unallotted": None},
        ),
        ({"opportunity_rate": None}, {"opportunities": 10, "meetings": None}),
        ({"cv_rate": None}, {"online_leads": 217, "visits": None}),
        # ③ skipped: the 案件化率 is not needed, its absence blanks nothing.
        (
            {"skip_opportunity": True, "opportunity_rate": None},
            {"opportunities": None, "meetings": 10, "unallotted": -30},
        ),
    ],
)
def test_partial_input_gives_none_downstream(changes, expected):
    result = compute(seed_example(**changes))
    for name, value in expected.items():
        assert getattr(result, name) == value, name
    # The channel side does not depend on the upper funnel.
    assert result.channel_leads == (100, 67, 50)
    assert result.allotted == 40


def test_channel_with_missing_numbers_is_skipped_in_totals():
    channels = (
        ChannelPlan(name="広告", online=True, meetings=10, meeting_rate=D("10")),
        ChannelPlan(name="オーガニック", online=True, meetings=20, meeting_rate=None),
        ChannelPlan(name="メルマガ", online=True, meetings=None, meeting_rate=D("20")),
    )
    result = compute(seed_example(channels=channels))
    assert result.allotted == 30
    assert result.unallotted == 10
    assert result.channel_leads == (100, None, None)
    assert result.leads_total == 100
    assert result.online_leads == 100
    assert result.visits == 10_000


def test_no_channels():
    result = compute(seed_example(channels=()))
    assert result.allotted == 0
    assert result.unallotted == 40
    assert result.channel_leads == ()
    assert result.leads_total is None
    assert result.visits is None


def test_excess_allotment_gives_negative_unallotted():
    channels = (
        ChannelPlan(name="広告", online=True, meetings=50, meeting_rate=D("10")),
    )
    assert compute(seed_example(channels=channels)).unallotted == -10


def test_web_above_total_blanks_only_step_1():
    # The form refuses this: ① has no figure (never a negative one), and the
    # steps that need only the web revenue still compute.
    result = compute(seed_example(total_revenue=10_000_000))
    assert result.nonweb_revenue is None
    assert (result.orders, result.opportunities, result.meetings) == (3, 10, 40)


def test_zero_web_revenue_needs_zero_of_everything_upstream_of_channels():
    result = compute(seed_example(web_revenue=0))
    assert (result.orders, result.opportunities, result.meetings) == (0, 0, 0)
    assert result.unallotted == -40


@pytest.mark.parametrize("bad", [D("0"), D("-5"), D("NaN"), D("Infinity")])
@pytest.mark.parametrize("field", ["win_rate", "opportunity_rate", "cv_rate"])
def test_unusable_rate_gives_none_not_an_error(field, bad):
    result = compute(seed_example(**{field: bad}))
    if field == "win_rate":
        assert result.opportunities is None
        assert result.meetings is None
    elif field == "opportunity_rate":
        assert result.meetings is None
    else:
        assert result.visits is None


def test_zero_meeting_rate_gives_none_for_that_channel():
    channels = (
        ChannelPlan(name="広告", online=True, meetings=10, meeting_rate=D("0")),
        ChannelPlan(name="メルマガ", online=True, meetings=10, meeting_rate=D("20")),
    )
    result = compute(seed_example(channels=channels))
    assert result.channel_leads == (None, 50)
    assert result.leads_total == 50


def test_zero_unit_price_gives_none():
    assert compute(seed_example(unit_price=0)).orders is None


def test_default_channels():
    assert [channel.name for channel in DEFAULT_CHANNELS] == [
        "広告",
        "オーガニック",
        "メルマガ",
    ]
    assert all(channel.online for channel in DEFAULT_CHANNELS)
    assert all(
        channel.meetings is None and channel.meeting_rate is None
        for channel in DEFAULT_CHANNELS
    )


# --- reference coefficients ------------------------------------------------


def test_reference_ranges():
    assert REFERENCE_RANGES == {
        "meeting_rate": (D(20), D(30)),
        "opportunity_rate": (D(40), D(60)),
        "win_rate": (D(20), D(40)),
    }


@pytest.mark.parametrize(
    ("kind", "rate", "outside"),
    [
        ("meeting_rate", D("20"), False),
        ("meeting_rate", D("30"), False),
        ("meeting_rate", D("25.5"), False),
        ("meeting_rate", D("19.99"), True),
        ("meeting_rate", D("30.01"), True),
        ("opportunity_rate", D("40"), False),
        ("opportunity_rate", D("60"), False),
        ("opportunity_rate", D("39.99"), True),
        ("opportunity_rate", D("60.01"), True),
        ("win_rate", D("20"), False),
        ("win_rate", D("40"), False),
        ("win_rate", D("19.99"), True),
        ("win_rate", D("40.01"), True),
        ("win_rate", None, False),
    ],
)
def test_outside_reference_boundaries(kind, rate, outside):
    assert outside_reference(kind, rate) is outside


def test_outside_reference_refuses_floats_and_unknown_kinds():
    with pytest.raises(TypeError):
        outside_reference("win_rate", 25.0)
    with pytest.raises(KeyError):
        outside_reference("cv_rate", D("1"))


# --- properties ------------------------------------------------------------

rates = st.decimals(min_value=D("0.01"), max_value=HUNDRED, places=2)
counts = st.integers(min_value=0, max_value=MAX_COUNT)
yen = st.integers(min_value=0, max_value=MAX_YEN)


def optional(strategy):
    return st.none() | strategy


channel_plans = st.builds(
    ChannelPlan,
    name=st.text(max_size=10),
    online=st.booleans(),
    meetings=optional(counts),
    meeting_rate=optional(rates),
)

worksheet_inputs = st.builds(
    WorksheetInput,
    total_revenue=optional(yen),
    web_revenue=optional(yen),
    unit_price=optional(st.integers(min_value=1, max_value=MAX_YEN)),
    win_rate=optional(rates),
    opportunity_rate=optional(rates),
    skip_opportunity=st.booleans(),
    channels=st.lists(channel_plans, max_size=6).map(tuple),
    cv_rate=optional(rates),
)

# Also rates the caller should have refused (0, negative): still no exception.
loose_rates = st.decimals(min_value=D("-100"), max_value=D("200"), places=2)
loose_inputs = st.builds(
    WorksheetInput,
    total_revenue=optional(st.integers(min_value=-MAX_YEN, max_value=MAX_YEN)),
    web_revenue=optional(st.integers(min_value=-MAX_YEN, max_value=MAX_YEN)),
    unit_price=optional(st.integers(min_value=-MAX_YEN, max_value=MAX_YEN)),
    win_rate=optional(loose_rates),
    opportunity_rate=optional(loose_rates),
    skip_opportunity=st.booleans(),
    channels=st.lists(
        st.builds(
            ChannelPlan,
            name=st.text(max_size=10),
            online=st.booleans(),
            meetings=optional(st.integers(min_value=-MAX_COUNT, max_value=MAX_COUNT)),
            meeting_rate=optional(loose_rates),
        ),
        max_size=6,
    ).map(tuple),
    cv_rate=optional(loose_rates),
)


def covers(needed: int, rate: Decimal, target: int) -> bool:
    return needed * rate / HUNDRED >= target


@given(target=counts, rate=rates)
def test_count_needed_covers_the_target_and_is_minimal(target, rate):
    needed = count_needed(target, rate)
    assert isinstance(needed, int)
    assert covers(needed, rate, target)
    assert (needed - 1) * rate / HUNDRED < target


def assert_whole_or_none(result: WorksheetResult):
    for field in dataclasses.fields(result):
        value = getattr(result, field.name)
        values = value if isinstance(value, tuple) else (value,)
        for item in values:
            assert item is None or (type(item) is int), (field.name, item)
    assert type(result.allotted) is int


@given(worksheet=loose_inputs)
def test_compute_never_raises_and_gives_only_ints_or_none(worksheet):
    assert_whole_or_none(compute(worksheet))


@given(worksheet=worksheet_inputs)
def test_compute_gives_only_ints_or_none(worksheet):
    result = compute(worksheet)
    assert_whole_or_none(result)
    assert len(result.channel_leads) == len(worksheet.channels)


@given(worksheet=worksheet_inputs)
def test_every_rounded_up_result_covers_its_target(worksheet):
    result = compute(worksheet)
    if result.orders is not None:
        assert result.orders * worksheet.unit_price >= worksheet.web_revenue
        assert (result.orders - 1) * worksheet.unit_price < worksheet.web_revenue or (
            result.orders == 0
        )
    if worksheet.skip_opportunity:
        assert result.opportunities is None
        if result.meetings is not None:
            assert covers(result.meetings, worksheet.win_rate, result.orders)
    else:
        if result.opportunities is not None:
            assert covers(result.opportunities, worksheet.win_rate, result.orders)
        if result.meetings is not None:
            assert covers(
                result.meetings, worksheet.opportunity_rate, result.opportunities
            )
    for channel, leads in zip(worksheet.channels, result.channel_leads, strict=True):
        if leads is not None:
            assert covers(leads, channel.meeting_rate, channel.meetings)
    if result.visits is not None:
        assert covers(result.visits, worksheet.cv_rate, result.online_leads)


@given(worksheet=worksheet_inputs)
def test_totals_add_up(worksheet):
    result = compute(worksheet)
    assert result.allotted == sum(c.meetings or 0 for c in worksheet.channels)
    if result.meetings is not None:
        assert result.unallotted == result.meetings - result.allotted
    known = [leads for leads in result.channel_leads if leads is not None]
    assert result.leads_total == (sum(known) if known else None)
    if result.online_leads is not None:
        assert result.online_leads <= result.leads_total


worksheet_fields = [
    "total_revenue",
    "web_revenue",
    "unit_price",
    "win_rate",
    "opportunity_rate",
    "cv_rate",
]
floats = st.floats(allow_nan=False, allow_infinity=False)


@given(field=st.sampled_from(worksheet_fields), value=floats)
def test_floats_in_the_worksheet_are_refused(field, value):
    with pytest.raises(TypeError):
        compute(seed_example(**{field: value}))


@given(field=st.sampled_from(["meetings", "meeting_rate"]), value=floats)
def test_floats_in_a_channel_are_refused(field, value):
    with pytest.raises(TypeError):
        channel = dataclasses.replace(seed_example().channels[0], **{field: value})
        compute(seed_example(channels=(channel,)))


@given(value=floats)
def test_count_needed_refuses_floats(value):
    with pytest.raises(TypeError):
        count_needed(value, D("10"))
    with pytest.raises(TypeError):
        count_needed(10, value)


# --- the plan beside the year's actuals ----------------------------------------


def _stages(comparison):
    return {stage.stage: (stage.planned, stage.implied) for stage in comparison.stages}


def test_a_whole_year_of_actuals_against_the_monthly_seed_example():
    """Twelve months passed, 108 CV and 10,000 visits each: the seed's plan
    (217 online leads a month) for twelve periods beside what they imply."""
    months = [MonthActuals(D(1), recorded=True, cv=108, visits=10_000)] * 12
    comparison = compare_with_actuals(seed_example(), months, monthly=True)
    assert comparison.elapsed == 12
    assert comparison.has_actuals
    assert _stages(comparison) == {
        "visits": (260_400, 120_000),
        "online_leads": (2_604, 1_296),
        "meetings": (480, 238),  # floor(1,296 × 40 / 217)
        "opportunities": (120, 59),
        "orders": (36, 17),
        "revenue": (144_000_000, 68_000_000),
    }


def test_an_annual_worksheet_is_compared_for_the_share_of_its_year_passed():
    """Six months and a half of a month passed: 6.5 / 12 of the annual plan."""
    months = (
        [MonthActuals(D(1), recorded=True, cv=10, visits=None)] * 6
        + [MonthActuals(D("0.5"))]
        + [MonthActuals(D(0))] * 5
    )
    comparison = compare_with_actuals(seed_example(), months, monthly=False)
    assert comparison.elapsed == D("6.5")
    planned, implied = _stages(comparison)["online_leads"]
    assert planned == 118  # 217 × 6.5 / 12 = 117.54…, rounded half up
    assert implied == 60
    # No visits were recorded: nothing implied, rather than zero.
    assert _stages(comparison)["visits"] == (11_754, None)  # 21,700 × 6.5 / 12


def test_months_not_yet_begun_and_months_without_actuals_count_for_nothing():
    months = [
        MonthActuals(D(1)),  # passed, nothing recorded
        MonthActuals(D(0), recorded=True, cv=500, visits=9_000),  # not begun
    ] + [MonthActuals(D(0))] * 10
    comparison = compare_with_actuals(seed_example(), months, monthly=True)
    assert not comparison.has_actuals
    assert comparison.elapsed == 1
    # Nothing recorded: nothing implied (not zero), and no stage is short.
    assert _stages(comparison)["online_leads"] == (217, None)
    assert _stages(comparison)["visits"] == (21_700, None)
    assert not any(stage.short or stage.gap for stage in comparison.stages)


@given(field=st.sampled_from(["passed", "cv", "visits"]), value=floats)
def test_floats_in_a_month_of_actuals_are_refused(field, value):
    with pytest.raises(TypeError):
        MonthActuals(**{"passed": D(1), field: value})


# --- 目標設定に反映: spreading an annual worksheet over the months -------------

# Last year's actual CV数 in fiscal order: a busy spring and autumn.
LAST_YEAR = (30, 20, 10, 10, 10, 20, 30, 20, 10, 10, 10, 20)  # 200


def test_an_annual_plan_follows_last_years_profile_to_the_exact_total():
    profile = last_year_profile(LAST_YEAR, [None] * 12)
    plan = monthly_plan(compute(seed_example()), D("1"), annual=True, profile=profile)
    counts = [count for count, _rate in plan]
    # 217 × 30 / 200 = 32.55, × 20 / 200 = 21.7, × 10 / 200 = 10.85: the
    # floors (32, 21, 10) add up to 208; the 9 left go to the largest
    # remainders, the six .85 and then three of the four .7 (earlier first).
    assert counts == [32, 22, 11, 11, 11, 22, 32, 22, 11, 11, 11, 21]
    assert sum(counts) == 217
    assert {rate for _count, rate in plan} == {D("1")}
    assert profile.fell_back == () and not profile.empty


def test_a_month_without_an_actual_weighs_by_last_years_target():
    actuals = [None, None, *LAST_YEAR[2:]]
    targets = [60, 40] + [999] * 10  # only the months without an actual count
    profile = last_year_profile(actuals, targets)
    assert profile.weights == (60, 40, *LAST_YEAR[2:])
    assert profile.fell_back == (0, 1)
    counts = [
        c
        for c, _r in monthly_plan(
            compute(seed_example()), D("1"), annual=True, profile=profile
        )
    ]
    assert sum(counts) == 217
    assert counts[0] > counts[1] > counts[2]


def test_nothing_last_year_spreads_evenly():
    profile = last_year_profile([None] * 12, [None] * 12)
    assert profile.empty
    assert last_year_profile([0] * 12, [None] * 12).empty
    assert NOTHING_LAST_YEAR.empty and not EVEN.empty
    result = compute(seed_example())
    assert monthly_plan(result, D("1"), annual=True, profile=profile) == monthly_plan(
        result, D("1"), annual=True
    )
    counts = [c for c, _r in monthly_plan(result, D("1"), annual=True, profile=profile)]
    assert counts == [19] + [18] * 11


def test_each_channel_follows_its_own_profile():
    result = compute(seed_example())  # 広告 100, オーガニック 67, メルマガ 50
    spring = SpreadProfile((1,) * 3 + (0,) * 9)
    leads = channel_monthly_leads(
        result,
        annual=True,
        profiles=[spring, None, last_year_profile(LAST_YEAR, [None] * 12)],
    )
    assert leads[0] == (34, 33, 33) + (0,) * 9
    assert leads[1] == (6,) * 7 + (5,) * 5  # even: 67 = 5 × 12 + 7
    # 50 × 30 / 200 = 7.5, × 10 / 200 = 2.5: the floors leave 4 for eight
    # equal remainders of .5, given to the earliest.
    assert leads[2] == (8, 5, 3, 3, 3, 5, 7, 5, 2, 2, 2, 5)
    assert [sum(months) for months in leads] == [100, 67, 50]


def test_a_monthly_worksheet_takes_no_profile():
    result = compute(seed_example())
    assert monthly_plan(result, D("1"), annual=False) == ((217, D("1")),) * 12
    with pytest.raises(ValueError):
        monthly_plan(result, D("1"), annual=False, profile=EVEN)
    with pytest.raises(ValueError):
        channel_monthly_leads(result, annual=False, profiles=[EVEN] * 3)


def test_a_profile_has_twelve_whole_weights():
    with pytest.raises(ValueError):
        SpreadProfile((1,) * 11)
    with pytest.raises(TypeError):
        SpreadProfile((1.5,) + (1,) * 11)
    with pytest.raises(TypeError):
        last_year_profile([1.0] * 12, [None] * 12)


profiles = st.lists(st.integers(0, 10_000), min_size=12, max_size=12).map(
    lambda weights: SpreadProfile(tuple(weights))
)


@given(
    meetings=st.lists(optional(st.integers(0, 100_000)), min_size=1, max_size=6),
    channel_profiles=st.lists(optional(profiles), min_size=6, max_size=6),
    total_profile=optional(profiles),
)
def test_every_spread_adds_up_exactly_and_follows_its_weights(
    meetings, channel_profiles, total_profile
):
    worksheet = seed_example(
        channels=tuple(
            ChannelPlan(name=f"c{i}", online=True, meetings=m, meeting_rate=D("25"))
            for i, m in enumerate(meetings)
        )
    )
    result = compute(worksheet)
    chosen = channel_profiles[: len(meetings)]
    leads = channel_monthly_leads(result, annual=True, profiles=chosen)
    for months, total, profile in zip(leads, result.channel_leads, chosen, strict=True):
        if total is None:
            assert months is None
            continue
        assert sum(months) == total and all(type(m) is int for m in months)
        if profile is not None and not profile.empty:
            # A month that weighed nothing last year gets nothing.
            assert all(
                m == 0 for m, w in zip(months, profile.weights, strict=True) if w == 0
            )
    plan = monthly_plan(result, D("1"), annual=True, profile=total_profile)
    if plan is not None:
        assert sum(count for count, _rate in plan) == result.online_leads
