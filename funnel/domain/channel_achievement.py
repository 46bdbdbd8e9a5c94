"""Target vs actual per channel (チャネル別の達成状況): each channel's months
and its year to date, as ``achievement`` computes them for the year, and the
channel furthest behind. Decimal only; no Django.

A channel's achievement is that of its leads: CV数 for a Web channel, リード数
for one that is not Web. A Web channel's visits are compared beside them.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from funnel.domain.achievement import (
    MonthAchievement,
    YearToDate,
    month_achievement,
    year_to_date,
)
from funnel.domain.channels import ChannelPlan, PlanChannel

HUNDRED_PERCENT = Decimal(100)


@dataclass(frozen=True)
class ChannelAchievement:
    channel: PlanChannel
    months: tuple[MonthAchievement, ...]  # in fiscal order
    to_date: YearToDate  # CV数 (リード数)
    visits_to_date: YearToDate | None  # None for a channel that is not Web

    @property
    def achievement(self) -> Decimal | None:
        """The year to date's 達成率 of the leads; None: no figure (—)."""
        return self.to_date.achievement


def channel_achievements(
    plan: ChannelPlan,
    actuals: Mapping[tuple[int, int], tuple[int | None, int | None]],
    months: Sequence[tuple[int, int]],
    today: date,
) -> list[ChannelAchievement]:
    """Each channel of ``plan`` (its order), its targets beside ``actuals``
    ({(channel id, month): (CV数 or リード数, 訪問数)}); ``months`` are the
    fiscal year's (calendar year, month) pairs in order, as in the plan."""
    result = []
    for channel_year in plan.channels:
        channel = channel_year.channel
        achievements = []
        for (cal_year, month), cell in zip(months, channel_year.months, strict=True):
            actual_cv, actual_visits = actuals.get((channel.id, month), (None, None))
            achievements.append(
                month_achievement(
                    year=cal_year,
                    month=month,
                    target_cv=cell.cv_count,
                    target_visits=cell.visits,
                    actual_cv=actual_cv,
                    actual_visits=actual_visits if channel.online else None,
                    today=today,
                )
            )
        result.append(
            ChannelAchievement(
                channel=channel,
                months=tuple(achievements),
                to_date=year_to_date(achievements, field="cv"),
                visits_to_date=(
                    year_to_date(achievements, field="visits")
                    if channel.online
                    else None
                ),
            )
        )
    return result


def by_achievement(
    achievements: Sequence[ChannelAchievement],
) -> list[ChannelAchievement]:
    """The channels from the furthest behind (lowest 達成率 to date) up; those
    without a figure last, each group in the plan's order."""
    return sorted(
        achievements,
        key=lambda a: (a.achievement is None, a.achievement or Decimal(0)),
    )


def furthest_behind(
    achievements: Sequence[ChannelAchievement],
) -> ChannelAchievement | None:
    """The channel with the lowest 達成率 to date below 100 %, or None when
    every channel with a figure is on target (or none has one)."""
    for achievement in by_achievement(achievements):
        if achievement.achievement is None:
            return None
        return achievement if achievement.achievement < HUNDRED_PERCENT else None
    return None
