"""The revenue worksheet: from a revenue target back down the funnel, steps ① … ⑥.

Given the revenue, unit price and the rates of each stage, it works out how many
orders, opportunities, meetings, leads per channel and site visits are needed.
Every needed count is rounded up (``numbers.count_needed``); a missing input
leaves everything that depends on it ``None`` rather than raising, so a
half-filled worksheet still shows what it can. Decimal only: a float is refused.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from funnel.domain.grid import last_year_weights, spread_total
from funnel.domain.numbers import HUNDRED, count_needed

# Whole numbers: counts and yen. Rates: percent as Decimal.
_WHOLE = "whole"
_RATE = "rate"


def _check(owner: str, name: str, value: object, kind: str) -> None:
    """Refuse floats (and any other stray type) at the edge of the domain."""
    if value is None:
        return
    if isinstance(value, float):
        raise TypeError(f"{owner}.{name}: floats are not accepted in the domain")
    if kind == _WHOLE and (isinstance(value, bool) or not isinstance(value, int)):
        raise TypeError(f"{owner}.{name} must be an int or None")
    if kind == _RATE and not isinstance(value, Decimal):
        raise TypeError(f"{owner}.{name} must be a Decimal or None")


@dataclass(frozen=True)
class ChannelPlan:
    """One acquisition channel (獲得チャネル) and the meetings allotted to it."""

    name: str
    online: bool  # online: its leads are site CVs; offline: exhibitions etc.
    meetings: int | None  # 商談数 allotted to this channel
    meeting_rate: Decimal | None  # 商談化率, percent, 0 < r <= 100

    def __post_init__(self):
        _check("ChannelPlan", "meetings", self.meetings, _WHOLE)
        _check("ChannelPlan", "meeting_rate", self.meeting_rate, _RATE)


@dataclass(frozen=True)
class WorksheetInput:
    """What the user entered on the worksheet, already parsed; ``None`` = empty."""

    total_revenue: int | None  # 全体売上, yen
    web_revenue: int | None  # Web売上, yen
    unit_price: int | None  # 受注単価, yen
    win_rate: Decimal | None  # 受注率 percent
    opportunity_rate: Decimal | None  # 案件化率 percent
    skip_opportunity: bool  # skip step ③ (low-priced products)
    channels: tuple[ChannelPlan, ...]
    cv_rate: Decimal | None  # CV率 percent

    def __post_init__(self):
        for name in ("total_revenue", "web_revenue", "unit_price"):
            _check("WorksheetInput", name, getattr(self, name), _WHOLE)
        for name in ("win_rate", "opportunity_rate", "cv_rate"):
            _check("WorksheetInput", name, getattr(self, name), _RATE)
        for channel in self.channels:
            if not isinstance(channel, ChannelPlan):
                raise TypeError("WorksheetInput.channels must hold ChannelPlan")


@dataclass(frozen=True)
class WorksheetResult:
    """Everything derived from a ``WorksheetInput``; ``None`` = not computable yet."""

    nonweb_revenue: int | None  # ① total - web (None if either missing)
    orders: int | None  # ② ceil(web / unit_price)
    opportunities: int | None  # ③ ceil(orders / win_rate); None when skipping ③
    meetings: int | None  # ④ ceil(opportunities / opportunity_rate)
    allotted: int  # sum of channels' entered meetings (missing = 0)
    unallotted: int | None  # meetings - allotted (negative = excess)
    channel_leads: tuple[int | None, ...]  # ⑤ per channel, same order as input
    leads_total: int | None  # sum of the known channel leads
    online_leads: int | None  # sum of the known leads of online channels
    visits: int | None  # ⑥ ceil(online_leads / cv_rate)


def _needed(target: int | None, rate: Decimal | None) -> int | None:
    """``count_needed`` that yields ``None`` instead of raising on a missing or
    unusable rate: the caller validates rates, but a half-filled worksheet must
    still render."""
    if target is None or rate is None or not rate.is_finite() or rate <= 0:
        return None
    return count_needed(target, rate)


def _sum_known(values: Iterable[int | None]) -> int | None:
    known = [value for value in values if value is not None]
    return sum(known) if known else None


def compute(worksheet: WorksheetInput) -> WorksheetResult:
    """Work the funnel backwards from the web revenue target (steps ① … ⑥)."""
    total, web, unit_price = (
        worksheet.total_revenue,
        worksheet.web_revenue,
        worksheet.unit_price,
    )
    # web > total breaks 0 <= web <= total (the form refuses it): ① has no
    # figure, while ② … only need the web revenue and still compute.
    if total is None or web is None or web > total:
        nonweb = None
    else:
        nonweb = total - web

    # Integer ceiling division: yen are whole, no Decimal needed.
    if web is None or unit_price is None or unit_price <= 0:
        orders = None
    else:
        orders = -(-web // unit_price)

    if worksheet.skip_opportunity:
        # Without step ③ the win rate is read as meeting → order.
        opportunities = None
        meetings = _needed(orders, worksheet.win_rate)
    else:
        opportunities = _needed(orders, worksheet.win_rate)
        meetings = _needed(opportunities, worksheet.opportunity_rate)

    allotted = sum(channel.meetings or 0 for channel in worksheet.channels)
    unallotted = meetings - allotted if meetings is not None else None

    channel_leads = tuple(
        _needed(channel.meetings, channel.meeting_rate)
        for channel in worksheet.channels
    )
    leads_total = _sum_known(channel_leads)
    # Only online leads are site conversions; offline ones bring no visits.
    online_leads = _sum_known(
        leads
        for channel, leads in zip(worksheet.channels, channel_leads, strict=True)
        if channel.online
    )
    visits = _needed(online_leads, worksheet.cv_rate)

    return WorksheetResult(
        nonweb_revenue=nonweb,
        orders=orders,
        opportunities=opportunities,
        meetings=meetings,
        allotted=allotted,
        unallotted=unallotted,
        channel_leads=channel_leads,
        leads_total=leads_total,
        online_leads=online_leads,
        visits=visits,
    )


# Reference coefficients from the seed, percent, inclusive. Outside them the
# screen shows a gentle warning; they are never a reason to refuse an input.
REFERENCE_RANGES: dict[str, tuple[Decimal, Decimal]] = {
    "meeting_rate": (Decimal(20), Decimal(30)),  # 商談化率, lead → meeting
    "opportunity_rate": (Decimal(40), Decimal(60)),  # 案件化率, meeting → opportunity
    "win_rate": (Decimal(20), Decimal(40)),  # 受注率, opportunity → order
}


def outside_reference(kind: str, rate: Decimal | None) -> bool:
    """Whether ``rate`` lies outside the reference range for ``kind``.

    ``False`` for an empty rate: nothing to warn about. An unknown ``kind`` is a
    programming error and raises ``KeyError``.
    """
    low, high = REFERENCE_RANGES[kind]
    _check("outside_reference", "rate", rate, _RATE)
    if rate is None:
        return False
    return not low <= rate <= high


DEFAULT_CHANNELS: tuple[ChannelPlan, ...] = (
    ChannelPlan(name="広告", online=True, meetings=None, meeting_rate=None),
    ChannelPlan(name="オーガニック", online=True, meetings=None, meeting_rate=None),
    ChannelPlan(name="メルマガ", online=True, meetings=None, meeting_rate=None),
)


@dataclass(frozen=True)
class SpreadProfile:
    """How an annual figure is spread over the 12 months (前年の実績比):
    ``weights`` in fiscal order, and the positions (0 = the year's first
    month) of the months weighted by last year's target for want of an
    actual. All-zero weights (nothing last year) spread evenly."""

    weights: tuple[int, ...]
    fell_back: tuple[int, ...] = ()

    def __post_init__(self):
        if len(self.weights) != 12:
            raise ValueError("one weight per month")
        for weight in self.weights:
            _check("SpreadProfile", "weights", weight, _WHOLE)

    @property
    def empty(self) -> bool:
        """Nothing (or only zeros) last year: spread evenly."""
        return not any(self.weights)


EVEN = SpreadProfile((1,) * 12)
# A channel with no actual and no target last year: spread evenly, and said so.
NOTHING_LAST_YEAR = SpreadProfile((0,) * 12)


def last_year_profile(
    actuals: Sequence[int | None], targets: Sequence[int | None]
) -> SpreadProfile:
    """前年の実績比: last year's actual CV数 (or leads) per month in fiscal
    order; a month without an actual weighs by last year's target
    (``grid.last_year_weights``, as the grid's 配分 tool does)."""
    weights, fell_back = last_year_weights(actuals, targets)
    return SpreadProfile(tuple(weights), tuple(fell_back))


def _spread(total: int, annual: bool, profile: SpreadProfile | None) -> list[int]:
    if not annual:
        if profile is not None:
            raise ValueError("a monthly worksheet has its figures every month")
        return [total] * 12
    return spread_total(total, (profile or EVEN).weights)


def monthly_plan(
    result: WorksheetResult,
    cv_rate: Decimal | None,
    *,
    annual: bool,
    profile: SpreadProfile | None = None,
) -> tuple[tuple[int, Decimal], ...] | None:
    """The 12 months' (CV数, CV率) a worksheet writes into the goal grid, in
    fiscal order.

    Its online leads become CV数 and its CV率 stays CV率. A monthly worksheet
    gives the same figures every month; an annual one spreads its total over
    the months in proportion to ``profile`` (None: evenly) so that they add
    up exactly to it (largest remainder). None when the worksheet has no
    online leads or no CV率 yet.
    """
    if result.online_leads is None or cv_rate is None:
        return None
    counts = _spread(result.online_leads, annual, profile)
    return tuple((count, cv_rate) for count in counts)


def channel_monthly_leads(
    result: WorksheetResult,
    *,
    annual: bool,
    profiles: Sequence[SpreadProfile | None] | None = None,
) -> tuple[tuple[int, ...] | None, ...]:
    """Each channel's leads over the 12 months (in the order of the
    worksheet's channels; None for a channel without leads yet), as
    目標設定に反映 writes them per channel. A monthly worksheet's channel has
    its leads every month; an annual one's are spread over the months in
    proportion to that channel's profile (``profiles``, one per channel, in
    the same order; None: evenly) so that they add up exactly to its leads
    (largest remainder), channel by channel: the months of every channel,
    summed, are monthly_plan's CV数 only for a monthly worksheet (an annual
    one's per-channel remainders and profiles may put them in other months
    than the total's)."""
    if profiles is None:
        profiles = [None] * len(result.channel_leads)
    return tuple(
        None if leads is None else tuple(_spread(leads, annual, profile))
        for leads, profile in zip(result.channel_leads, profiles, strict=True)
    )


# What the actuals imply downstream is an expected yield, not a count needed
# to reach a target: it is rounded down, the opposite of NEEDED_ROUNDING.
YIELD_ROUNDING = "ROUND_FLOOR"


@dataclass(frozen=True)
class StageComparison:
    stage: str  # visits, online_leads, meetings, opportunities, orders, revenue
    planned: int | None  # the plan for the period
    implied: int | None  # what the actuals imply with the worksheet's own rates

    @property
    def gap(self) -> int | None:
        """Implied minus planned: negative where the funnel falls short."""
        if self.planned is None or self.implied is None:
            return None
        return self.implied - self.planned

    @property
    def short(self) -> bool:
        return (
            self.planned is not None
            and self.implied is not None
            and self.implied < self.planned
        )


def _floor(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=YIELD_ROUNDING))


def _pro_rata(value: int | None, share: Decimal) -> int | None:
    if value is None:
        return None
    return int((Decimal(value) * share).to_integral_value(rounding="ROUND_HALF_UP"))


def implied_by_actuals(
    worksheet: WorksheetInput,
    result: WorksheetResult,
    *,
    actual_cv: int,
    actual_visits: int | None,
    periods: Decimal,
) -> tuple[StageComparison, ...]:
    """Run the funnel forwards from the actual CV (online leads) with the
    worksheet's own rates, beside its plan for the same span (``periods``:
    how many of the worksheet's periods have passed, e.g. 7.5 months for a
    monthly worksheet, 0.625 of a year for an annual one).

    Online leads become meetings at the plan's own online lead→meeting ratio;
    offline meetings are taken as planned (no actuals are kept for them).
    """
    if isinstance(periods, float):
        raise TypeError("floats are not accepted in the domain")
    online_meetings = sum(
        c.meetings or 0 for c in worksheet.channels if c.online and c.meetings
    )
    offline_meetings = sum(
        c.meetings or 0 for c in worksheet.channels if not c.online and c.meetings
    )
    meetings = opportunities = orders = revenue = None
    if result.online_leads:
        meetings = _floor(
            Decimal(actual_cv) * Decimal(online_meetings) / Decimal(result.online_leads)
        ) + (_pro_rata(offline_meetings, periods) or 0)
    if meetings is not None and worksheet.win_rate:
        if worksheet.skip_opportunity:
            orders = _floor(Decimal(meetings) * worksheet.win_rate / HUNDRED)
        elif worksheet.opportunity_rate:
            opportunities = _floor(
                Decimal(meetings) * worksheet.opportunity_rate / HUNDRED
            )
            orders = _floor(Decimal(opportunities) * worksheet.win_rate / HUNDRED)
    if orders is not None and worksheet.unit_price:
        revenue = orders * worksheet.unit_price
    stages = [
        StageComparison("visits", _pro_rata(result.visits, periods), actual_visits),
        StageComparison(
            "online_leads", _pro_rata(result.online_leads, periods), actual_cv
        ),
        StageComparison("meetings", _pro_rata(result.meetings, periods), meetings),
    ]
    if not worksheet.skip_opportunity:
        stages.append(
            StageComparison(
                "opportunities", _pro_rata(result.opportunities, periods), opportunities
            )
        )
    stages += [
        StageComparison("orders", _pro_rata(result.orders, periods), orders),
        StageComparison("revenue", _pro_rata(worksheet.web_revenue, periods), revenue),
    ]
    return tuple(stages)


@dataclass(frozen=True)
class MonthActuals:
    """One month of the year beside the plan: how much of it has passed
    (0 … 1) and what was recorded for it (``recorded`` False: nothing yet)."""

    passed: Decimal
    recorded: bool = False
    cv: int | None = None
    visits: int | None = None

    def __post_init__(self):
        _check("MonthActuals", "passed", self.passed, _RATE)
        _check("MonthActuals", "cv", self.cv, _WHOLE)
        _check("MonthActuals", "visits", self.visits, _WHOLE)


@dataclass(frozen=True)
class ActualsComparison:
    elapsed: Decimal  # months of the year passed, the current one in part
    has_actuals: bool  # whether any month passed has actuals recorded
    stages: tuple[StageComparison, ...]


def compare_with_actuals(
    worksheet: WorksheetInput, months: Sequence[MonthActuals], *, monthly: bool
) -> ActualsComparison:
    """The year's actuals so far (the months of the fiscal year, in order)
    run forwards through the worksheet (``implied_by_actuals``), beside its
    plan for the same span: as many periods as months passed for a monthly
    worksheet, that many twelfths of its year for an annual one."""
    recorded = [month for month in months if month.passed > 0 and month.recorded]
    elapsed = sum((month.passed for month in months), Decimal(0))
    visits = [month.visits for month in recorded if month.visits is not None]
    stages = implied_by_actuals(
        worksheet,
        compute(worksheet),
        actual_cv=sum(month.cv or 0 for month in recorded),
        actual_visits=sum(visits) if visits else None,
        periods=elapsed if monthly else elapsed / 12,
    )
    if not recorded:
        # Nothing recorded implies nothing: no figure (not zero, which would
        # read as every stage short of plan).
        stages = tuple(
            StageComparison(stage.stage, stage.planned, None) for stage in stages
        )
    return ActualsComparison(elapsed=elapsed, has_actuals=bool(recorded), stages=stages)
