"""Bulk input of the goal grid: 全月に適用, a year spread over its months by a
profile, last year's CV as that profile. Pure, no database."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from funnel.domain.grid import (
    MONTHS,
    fill_all,
    last_year_weights,
    spread_total,
    spread_year,
)


def test_fill_all_puts_the_source_month_everywhere():
    values = {m: (None, None) for m in MONTHS} | {4: (20, Decimal("1.5"))}
    assert fill_all(values, 4) == {m: (20, Decimal("1.5")) for m in MONTHS}


def test_fill_all_leaves_a_field_the_source_month_has_empty():
    # None in the result: the caller leaves that field as it is.
    values = {m: (m, Decimal(2)) for m in MONTHS} | {1: (None, Decimal("0.5"))}
    assert fill_all(values, 1) == {m: (None, Decimal("0.5")) for m in MONTHS}


def test_fill_all_refuses_an_unknown_month():
    with pytest.raises(ValueError):
        fill_all({1: (1, None)}, 2)


def test_fill_all_refuses_floats():
    with pytest.raises(TypeError):
        fill_all({1: (1, 1.5)}, 1)


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        (1200, [100] * 12),
        (0, [0] * 12),
        # 1,000 / 12 = 83.33…: four months get the extra one, the earliest first.
        (1000, [84, 84, 84, 84, 83, 83, 83, 83, 83, 83, 83, 83]),
        (5, [1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]),
    ],
)
def test_spread_evenly_adds_up_exactly(total, expected):
    months = spread_year(total, Decimal(1), [1] * 12)
    assert [count for count, _rate in months] == expected
    assert sum(count for count, _rate in months) == total
    assert {rate for _count, rate in months} == {Decimal(1)}


def test_spread_by_last_years_profile():
    weights = [10, 10, 20, 0, 0, 0, 0, 0, 0, 0, 0, 60]
    months = spread_year(1000, Decimal("1.2"), weights)
    assert [count for count, _rate in months] == [
        100,
        100,
        200,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        600,
    ]


def test_spread_by_weights_with_remainders_adds_up_exactly():
    counts = [c for c, _r in spread_year(100, None, [1, 1, 1])]
    assert counts == [34, 33, 33]


def test_spread_keeps_the_months_rates_when_no_rate_is_given():
    assert {rate for _c, rate in spread_year(12, None, [1] * 12)} == {None}


def test_weights_all_zero_spread_evenly():
    assert [c for c, _r in spread_year(24, Decimal(1), [0] * 12)] == [2] * 12


@pytest.mark.parametrize(
    ("total", "rate", "weights", "error"),
    [
        (1.5, Decimal(1), [1] * 12, TypeError),
        (12, 1.5, [1] * 12, TypeError),
        (12, Decimal(1), [1.0] * 12, TypeError),
        (-1, Decimal(1), [1] * 12, ValueError),
        (12, Decimal(1), [1, -1], ValueError),
    ],
)
def test_spread_refuses_floats_and_negatives(total, rate, weights, error):
    with pytest.raises(error):
        spread_year(total, rate, weights)


@given(
    total=st.integers(min_value=0, max_value=100_000_000),
    weights=st.lists(
        st.integers(min_value=0, max_value=10**6), min_size=12, max_size=12
    ),
)
def test_spread_always_adds_up_to_the_total(total, weights):
    counts = [c for c, _r in spread_year(total, Decimal(1), weights)]
    assert sum(counts) == total
    assert all(c >= 0 for c in counts)
    if any(weights):
        # A month with no weight gets nothing; the parts stay within one of
        # their exact share.
        weight_sum = sum(weights)
        for count, weight in zip(counts, weights, strict=True):
            share = Decimal(total) * weight / weight_sum
            assert share - 1 < count < share + 1
            if weight == 0:
                assert count == 0


@given(
    total=st.integers(min_value=0, max_value=10**6),
    weights=st.lists(
        st.decimals(min_value=0, max_value=1000, places=2), min_size=1, max_size=24
    ),
)
def test_spread_by_decimal_weights_adds_up(total, weights):
    assert sum(spread_total(total, weights)) == total


# --- 前年の実績比 -------------------------------------------------------------------


def test_last_year_weights_prefer_actuals_and_name_the_fallbacks():
    actuals = [10, None, 0, None] + [None] * 8
    targets = [99, 20, 99, None] + [5] * 8
    weights, fell_back = last_year_weights(actuals, targets)
    # An actual of 0 is an actual: it weighs 0, not the target.
    assert weights == [10, 20, 0, 0] + [5] * 8
    assert fell_back == [1, *range(4, 12)]


def test_last_year_weights_refuse_floats_and_a_mismatch():
    with pytest.raises(TypeError):
        last_year_weights([1.0], [1])
    with pytest.raises(ValueError):
        last_year_weights([1, 2], [1])


@given(
    st.lists(st.one_of(st.none(), st.integers(0, 10**6)), min_size=12, max_size=12),
    st.lists(st.one_of(st.none(), st.integers(0, 10**6)), min_size=12, max_size=12),
)
def test_last_year_weights_take_each_months_actual_else_its_target(actuals, targets):
    weights, fell_back = last_year_weights(actuals, targets)
    for i, (actual, target) in enumerate(zip(actuals, targets, strict=True)):
        expected = actual if actual is not None else (target or 0)
        assert weights[i] == expected
        assert (i in fell_back) == (actual is None and target is not None)
