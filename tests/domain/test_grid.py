"""Visits, totals and spreading a year: pure, no database."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from funnel.domain.grid import month_figures, spread_total, visits_needed, year_totals


def test_visits_example_from_domain():
    assert visits_needed(20, Decimal(1)) == 2000


@pytest.mark.parametrize(("cv", "rate"), [(None, Decimal(1)), (20, None), (None, None)])
def test_month_with_missing_input_has_no_visits(cv, rate):
    assert visits_needed(cv, rate) is None


def test_year_totals():
    months = [
        month_figures(1, 20, Decimal(1)),
        month_figures(2, 30, Decimal("1.5")),
        month_figures(3, 5, None),
        month_figures(4, None, None),
    ]
    totals = year_totals(months)
    assert totals.cv_count == 55
    assert totals.visits == 4000
    # The month without a rate has no visits and does not skew the rate.
    assert totals.cv_rate == Decimal("1.25")


def test_empty_year_totals():
    totals = year_totals([month_figures(m, None, None) for m in range(1, 13)])
    assert (totals.cv_count, totals.visits, totals.cv_rate) == (0, 0, None)


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        (217, [1] * 12, [19] + [18] * 11),
        (12, [1] * 12, [1] * 12),
        (0, [1] * 12, [0] * 12),
        (10, [1, 3], [3, 7]),  # 2.5 / 7.5: tie goes to the earlier month
        (100, [0, 0, 0], [34, 33, 33]),
    ],
)
def test_spread_total_table(total, weights, expected):
    assert spread_total(total, weights) == expected


def test_spread_refuses_floats():
    with pytest.raises(TypeError):
        spread_total(10, [1.0, 2.0])


@given(
    st.integers(min_value=0, max_value=10**8),
    st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=12),
)
def test_spread_adds_up_exactly_and_is_fair(total, weights):
    parts = spread_total(total, weights)
    assert sum(parts) == total
    assert all(isinstance(p, int) and p >= 0 for p in parts)
    weight_sum = sum(weights) or len(weights)
    effective = weights if sum(weights) else [1] * len(weights)
    for part, weight in zip(parts, effective, strict=True):
        exact = Decimal(total) * weight / weight_sum
        assert abs(Decimal(part) - exact) < 1


@given(
    st.integers(min_value=0, max_value=10**8),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100), places=2),
)
def test_visits_times_rate_covers_cv(cv, rate):
    visits = visits_needed(cv, rate)
    assert isinstance(visits, int)
    assert Decimal(visits) * rate / 100 >= cv


def test_incomplete_months_are_named_in_the_totals():
    months = [
        month_figures(1, 20, Decimal(1)),
        month_figures(2, 10, None),
        month_figures(3, None, Decimal(2)),
        month_figures(4, None, None),
        month_figures(5, 0, Decimal(1)),
    ]
    assert [m.month for m in months if m.incomplete] == [2, 3]
    totals = year_totals(months)
    assert totals.incomplete_months == (2, 3)
    # The CV of February counts in ΣCV, not in the visits or the rate.
    assert (totals.cv_count, totals.visits, totals.cv_rate) == (
        30,
        2000,
        Decimal("1.00"),
    )


def test_a_complete_or_empty_year_has_no_incomplete_months():
    assert (
        year_totals(
            [month_figures(m, None, None) for m in range(1, 13)]
        ).incomplete_months
        == ()
    )
    full = [month_figures(m, 1, Decimal(1)) for m in range(1, 13)]
    assert year_totals(full).incomplete_months == ()
