"""A year planned per channel (チャネル別): each channel's figures per month and
what the goal grid shows from them. Decimal only; no Django.

A Web channel's leads are site conversions: its month has CV数, CV率 and the
visits they need, rounded up per channel and month. A channel that is not Web
has leads (リード数) only. The grid's month is the Web channels' sum: CV数 =
ΣCV数, サイト訪問数 = Σ(each channel's visits, already rounded up), and CV率 =
CV数 ÷ サイト訪問数, so two channels of 7 CV at 3 % need 234 + 234 = 468 visits,
not the 467 that 14 at 3 % would give.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from funnel.domain.grid import MonthFigures, visits_needed
from funnel.domain.numbers import rate_of


@dataclass(frozen=True)
class PlanChannel:
    """What the domain needs of a channel: an id, a name, Web or not."""

    id: int
    name: str
    online: bool


@dataclass(frozen=True)
class ChannelMonth:
    channel: PlanChannel
    month: int
    cv_count: int | None
    # Always None for a channel that is not Web: it has no CV率.
    cv_rate: Decimal | None
    visits: int | None

    @property
    def incomplete(self) -> bool:
        """A Web channel's CV数 without CV率 or the reverse: no visits figure."""
        return self.channel.online and (self.cv_count is None) != (self.cv_rate is None)


def channel_month(
    channel: PlanChannel, month: int, cv_count: int | None, cv_rate: Decimal | None
) -> ChannelMonth:
    """One channel's month; a rate given to a channel that is not Web is ignored."""
    if not channel.online:
        return ChannelMonth(channel, month, cv_count, None, None)
    return ChannelMonth(
        channel, month, cv_count, cv_rate, visits_needed(cv_count, cv_rate)
    )


@dataclass(frozen=True)
class MonthSum:
    """The grid's month of a channel-mode year, and the leads beside it."""

    month: int
    cv_count: int | None  # the Web channels' CV数; None when none has one
    visits: int | None  # Σ of the Web channels' visits; None when none has any
    cv_rate: Decimal | None  # CV数 of the channels with visits ÷ their visits
    offline_leads: int | None  # リード数 of the channels that are not Web
    incomplete: bool  # some Web channel has CV数 without CV率 or the reverse

    @property
    def leads(self) -> int | None:
        """Every channel's leads: the Web channels' CV数 and the others' リード数."""
        if self.cv_count is None and self.offline_leads is None:
            return None
        return (self.cv_count or 0) + (self.offline_leads or 0)

    def as_grid_month(self) -> MonthFigures:
        """The month as the goal grid shows it (its CV率 is the derived one)."""
        return MonthFigures(self.month, self.cv_count, self.cv_rate, self.visits)


def _sum(values: Sequence[int | None]) -> int | None:
    present = [value for value in values if value is not None]
    return sum(present) if present else None


def month_sum(month: int, cells: Sequence[ChannelMonth]) -> MonthSum:
    """The grid's figures for ``month`` from its channels' cells."""
    web = [cell for cell in cells if cell.channel.online]
    with_visits = [cell for cell in web if cell.visits is not None]
    visits = _sum([cell.visits for cell in with_visits])
    return MonthSum(
        month=month,
        cv_count=_sum([cell.cv_count for cell in web]),
        visits=visits,
        cv_rate=(
            rate_of(sum(cell.cv_count for cell in with_visits), visits)
            if visits
            else None
        ),
        offline_leads=_sum(
            [cell.cv_count for cell in cells if not cell.channel.online]
        ),
        incomplete=any(cell.incomplete for cell in web),
    )


@dataclass(frozen=True)
class ChannelYear:
    """One channel's row of the plan: its months in fiscal order and the year."""

    channel: PlanChannel
    months: tuple[ChannelMonth, ...]

    @property
    def cv_count(self) -> int | None:
        return _sum([cell.cv_count for cell in self.months])

    @property
    def visits(self) -> int | None:
        return _sum([cell.visits for cell in self.months])

    @property
    def cv_rate(self) -> Decimal | None:
        """The year's CV率: CV数 of the months with visits ÷ their visits."""
        complete = [cell for cell in self.months if cell.visits is not None]
        visits = sum(cell.visits for cell in complete)
        return rate_of(sum(cell.cv_count for cell in complete), visits)


@dataclass(frozen=True)
class ChannelPlan:
    channels: tuple[ChannelYear, ...]
    months: tuple[MonthSum, ...]  # in fiscal order

    @property
    def cv_count(self) -> int | None:
        return _sum([month.cv_count for month in self.months])

    @property
    def visits(self) -> int | None:
        return _sum([month.visits for month in self.months])

    @property
    def offline_leads(self) -> int | None:
        return _sum([month.offline_leads for month in self.months])

    @property
    def leads(self) -> int | None:
        """Every channel's leads over the year: CV数 and リード数."""
        return _sum([month.leads for month in self.months])

    def grid_values(self) -> dict[int, tuple[int | None, Decimal | None]]:
        """{month: (CV数, CV率)} for the year's totals, e.g. when switching back
        to 合計で入力 keeps the last sums."""
        return {
            month.month: (month.cv_count, month.cv_rate)
            for month in self.months
            if month.cv_count is not None or month.cv_rate is not None
        }


def channel_plan(
    channels: Sequence[PlanChannel],
    months: Sequence[int],
    values: Mapping[tuple[int, int], tuple[int | None, Decimal | None]],
) -> ChannelPlan:
    """The plan of ``channels`` over ``months`` (fiscal order) from ``values``,
    {(channel id, month): (CV数 or リード数, CV率)}; a missing cell is empty."""
    cells = {
        (channel.id, month): channel_month(
            channel, month, *values.get((channel.id, month), (None, None))
        )
        for channel in channels
        for month in months
    }
    return ChannelPlan(
        channels=tuple(
            ChannelYear(channel, tuple(cells[channel.id, month] for month in months))
            for channel in channels
        ),
        months=tuple(
            month_sum(month, [cells[channel.id, month] for channel in channels])
            for month in months
        ),
    )
