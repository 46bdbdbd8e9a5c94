"""Target vs actual (目標 vs 実績): achievement rates, the pace of the current
month, and the year to date with its projection. Decimal only; no Django.

Pace uses calendar days: on the 10th of a 30-day month, 10/30 of the month
has passed (today counts as passed). Figures are derived, never stored.
"""

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from funnel.domain.grid import MonthFigures, month_figures
from funnel.domain.numbers import HUNDRED, rate_of

ONE_PLACE = Decimal("0.1")


class Status(StrEnum):
    ACHIEVED = "achieved"  # 達成
    ON_PACE = "on_pace"  # 順調
    BEHIND = "behind"  # 遅れ: the current month, behind its pace
    MISSED = "missed"  # 未達: a month that has ended short of its target
    NO_TARGET = "no_target"  # 目標なし
    UPCOMING = "upcoming"  # まだ始まっていない月
    NO_ACTUAL = "no_actual"  # 実績未入力


def achievement_rate(actual: int | None, target: int | None) -> Decimal | None:
    """actual / target in percent, one decimal (half up); None when either is
    missing or the target is 0 (shown as —, never an error)."""
    if actual is None or not target:
        return None
    return (Decimal(actual) * HUNDRED / Decimal(target)).quantize(
        ONE_PLACE, rounding=ROUND_HALF_UP
    )


def actual_cv_rate(cv_count: int | None, visits: int | None) -> Decimal | None:
    """The CV率 that actually happened, in percent to 2 places."""
    if cv_count is None or not visits:
        return None
    return rate_of(cv_count, visits)


def month_share_passed(year: int, month: int, today: date) -> Decimal:
    """How much of (year, month) has passed on ``today``: 0 before it starts,
    1 after it ends, day/days in it (today counts)."""
    if (year, month) < (today.year, today.month):
        return Decimal(1)
    if (year, month) > (today.year, today.month):
        return Decimal(0)
    days = calendar.monthrange(year, month)[1]
    return Decimal(today.day) / Decimal(days)


def month_status(
    actual: int | None, target: int | None, share_passed: Decimal
) -> Status:
    """達成 once the actual reaches the target; before the month ends, 順調 while
    the actual keeps up with the target × the share of the month passed and
    遅れ when it does not; a month that has ended short of its target is 未達
    (it can no longer catch up, so "behind" would not be true)."""
    if share_passed == 0:
        return Status.UPCOMING
    if not target:
        return Status.NO_TARGET
    if actual is None:
        return Status.NO_ACTUAL
    if actual >= target:
        return Status.ACHIEVED
    if share_passed >= 1:
        return Status.MISSED
    if Decimal(actual) >= Decimal(target) * share_passed:
        return Status.ON_PACE
    return Status.BEHIND


@dataclass(frozen=True)
class MonthAchievement:
    year: int
    month: int
    target_cv: int | None
    target_visits: int | None
    actual_cv: int | None
    actual_visits: int | None
    actual_rate: Decimal | None
    cv_achievement: Decimal | None
    visits_achievement: Decimal | None
    share_passed: Decimal
    cv_status: Status
    visits_status: Status


def month_achievement(
    *,
    year: int,
    month: int,
    target_cv: int | None,
    target_visits: int | None,
    actual_cv: int | None,
    actual_visits: int | None,
    today: date,
) -> MonthAchievement:
    share = month_share_passed(year, month, today)
    return MonthAchievement(
        year=year,
        month=month,
        target_cv=target_cv,
        target_visits=target_visits,
        actual_cv=actual_cv,
        actual_visits=actual_visits,
        actual_rate=actual_cv_rate(actual_cv, actual_visits),
        cv_achievement=achievement_rate(actual_cv, target_cv),
        visits_achievement=achievement_rate(actual_visits, target_visits),
        share_passed=share,
        cv_status=month_status(actual_cv, target_cv, share),
        visits_status=month_status(actual_visits, target_visits, share),
    )


@dataclass(frozen=True)
class YearToDate:
    # The year's target up to today (the current month pro rata, rounded up);
    # None, like year_target, when no month has a target.
    target: int | None
    # None while no month so far has an actual: nothing entered is not 0.
    actual: int | None
    achievement: Decimal | None
    year_target: int | None
    projected: int | None  # the year-end at the current pace
    projected_achievement: Decimal | None


def year_to_date(
    months: Sequence[MonthAchievement], *, field: str = "cv"
) -> YearToDate:
    """Cumulative target vs actual to date, and the year-end projected at the
    current pace: the share of the plan reached so far, applied to the whole
    year's target (so a seasonal plan projects seasonally)."""
    target_key, actual_key = f"target_{field}", f"actual_{field}"
    targets = [getattr(m, target_key) for m in months]
    # No month with a target: no figure (—), not a target of 0.
    year_target = (
        sum(t for t in targets if t is not None)
        if any(t is not None for t in targets)
        else None
    )
    target_to_date = Decimal(0)
    entered = [
        getattr(m, actual_key)
        for m in months
        if m.share_passed != 0 and getattr(m, actual_key) is not None
    ]
    actual = sum(entered) if entered else None
    for m in months:
        if m.share_passed == 0:
            continue
        target_to_date += Decimal(getattr(m, target_key) or 0) * m.share_passed
    # Pro rata targets are counts still needed: rounded up like every target.
    target = (
        None
        if year_target is None
        else int(target_to_date.to_integral_value(rounding="ROUND_CEILING"))
    )
    if target_to_date == 0 or actual is None:
        projected = None
    else:
        projected = int(
            (Decimal(actual) * Decimal(year_target) / target_to_date).to_integral_value(
                rounding=ROUND_HALF_UP
            )
        )
    return YearToDate(
        target=target,
        actual=actual,
        achievement=achievement_rate(actual, target),
        year_target=year_target,
        projected=projected,
        projected_achievement=achievement_rate(projected, year_target),
    )


def year_achievements(
    months: Sequence[tuple[int, int]],
    goals: dict[int, tuple[int | None, Decimal | None]],
    actuals: dict[int, tuple[int | None, int | None]],
    today: date,
) -> list[MonthAchievement]:
    """Each month of a fiscal year (``months``: its (calendar year, month)
    pairs in order), target beside actual. ``goals`` give (CV数, CV率), from
    which the target visits are derived; ``actuals`` give (CV数, 訪問数)."""
    return target_achievements(
        months,
        {month: month_figures(month, *values) for month, values in goals.items()},
        actuals,
        today,
    )


def target_achievements(
    months: Sequence[tuple[int, int]],
    targets: Mapping[int, MonthFigures],
    actuals: Mapping[int, tuple[int | None, int | None]],
    today: date,
) -> list[MonthAchievement]:
    """As year_achievements(), from the grid's figures of each month: a year
    planned per channel targets the sum of its channels' visits (each rounded
    up), which its CV数 and derived CV率 would not give back."""
    result = []
    for cal_year, month in months:
        target = targets.get(month)
        actual_cv, actual_visits = actuals.get(month, (None, None))
        result.append(
            month_achievement(
                year=cal_year,
                month=month,
                target_cv=target and target.cv_count,
                target_visits=target and target.visits,
                actual_cv=actual_cv,
                actual_visits=actual_visits,
                today=today,
            )
        )
    return result
