"""The monthly goal grid: visits needed per month, the year's totals, and spreading
a year's total over its months. Decimal only; no Django."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from funnel.domain.numbers import count_needed, rate_of

MONTHS = tuple(range(1, 13))


@dataclass(frozen=True)
class MonthFigures:
    month: int
    cv_count: int | None
    cv_rate: Decimal | None
    visits: int | None

    @property
    def incomplete(self) -> bool:
        """CV数 without CV率 or the reverse: the month has no visits figure,
        though something was entered."""
        return (self.cv_count is None) != (self.cv_rate is None)


@dataclass(frozen=True)
class YearTotals:
    cv_count: int
    visits: int
    # ΣCV / Σvisits × 100 over the months that have a visits figure: a month
    # with CV but no rate has no visits, and counting its CV would overstate
    # the rate the site must reach.
    cv_rate: Decimal | None
    # The months (in the order given) with only one of CV数 and CV率: their
    # CV counts in cv_count, but not in visits or cv_rate.
    incomplete_months: tuple[int, ...] = ()


def visits_needed(cv_count: int | None, cv_rate: Decimal | None) -> int | None:
    """``ceil(CV / (rate / 100))``; None when either input is missing."""
    if cv_count is None or cv_rate is None:
        return None
    return count_needed(cv_count, cv_rate)


def month_figures(
    month: int, cv_count: int | None, cv_rate: Decimal | None
) -> MonthFigures:
    return MonthFigures(month, cv_count, cv_rate, visits_needed(cv_count, cv_rate))


def year_totals(months: Sequence[MonthFigures]) -> YearTotals:
    cv_total = sum(m.cv_count for m in months if m.cv_count is not None)
    complete = [m for m in months if m.visits is not None]
    visits_total = sum(m.visits for m in complete)
    cv_of_complete = sum(m.cv_count for m in complete)
    return YearTotals(
        cv_total,
        visits_total,
        rate_of(cv_of_complete, visits_total),
        tuple(m.month for m in months if m.incomplete),
    )


def spread_total(total: int, weights: Sequence[int | Decimal]) -> list[int]:
    """Split ``total`` into whole parts in proportion to ``weights``, adding up
    exactly to ``total`` (largest remainder; ties go to the earlier part).

    Even spreading is ``spread_total(total, [1] * 12)``. All-zero weights
    spread evenly.
    """
    if isinstance(total, float) or any(isinstance(w, float) for w in weights):
        raise TypeError("floats are not accepted in the domain")
    if total < 0:
        raise ValueError("total must not be negative")
    if not weights:
        raise ValueError("at least one weight is needed")
    decimal_weights = [Decimal(w) for w in weights]
    if any(w < 0 for w in decimal_weights):
        raise ValueError("weights must not be negative")
    weight_sum = sum(decimal_weights)
    if weight_sum == 0:
        decimal_weights = [Decimal(1)] * len(weights)
        weight_sum = Decimal(len(weights))
    shares = [Decimal(total) * w / weight_sum for w in decimal_weights]
    parts = [int(share) for share in shares]  # floor: shares are >= 0
    left = total - sum(parts)
    by_remainder = sorted(
        range(len(shares)), key=lambda i: (-(shares[i] - parts[i]), i)
    )
    for i in by_remainder[:left]:
        parts[i] += 1
    return parts


def fiscal_months(fiscal_year: int, start_month: int) -> tuple[tuple[int, int], ...]:
    """The (calendar year, month) of each month of a fiscal year, in order.

    A fiscal year is named by the calendar year it starts in: with April as
    the start, 2024年度 runs from April 2024 to March 2025.
    """
    if not 1 <= start_month <= 12:
        raise ValueError("start_month must be 1-12")
    return tuple(
        (fiscal_year + (start_month - 1 + i) // 12, (start_month - 1 + i) % 12 + 1)
        for i in range(12)
    )


def change(now: int | None, before: int | None) -> int | None:
    """How much a figure moved from last year; None when either is missing."""
    if now is None or before is None:
        return None
    return now - before


@dataclass(frozen=True)
class MonthComparison:
    """A month beside the same month of last year."""

    figures: MonthFigures
    last: MonthFigures
    cv_change: int | None
    visits_change: int | None


def compare_years(
    this_year: Sequence[MonthFigures], last_year: Sequence[MonthFigures]
) -> list[MonthComparison]:
    """Each month of this year beside last year's, in the order given."""
    return [
        MonthComparison(
            now,
            before,
            change(now.cv_count, before.cv_count),
            change(now.visits, before.visits),
        )
        for now, before in zip(this_year, last_year, strict=True)
    ]


def opens_calendar_year(calendar_year: int, month: int, first_year: int) -> bool:
    """Whether a month of a fiscal year is where it crosses into the next
    calendar year (January, after a start later in the year): the grid and
    its exports name the year there."""
    return calendar_year != first_year and month == 1


def quarters(months: Sequence[MonthFigures]) -> list[YearTotals]:
    """Q1 … Q4 subtotals of 12 months given in fiscal order."""
    return [year_totals(months[i : i + 3]) for i in range(0, 12, 3)]


# One month's inputs: (CV数, CV率); None where the cell is (or is left) empty.
MonthValues = tuple[int | None, Decimal | None]


def fill_all(values: Mapping[int, MonthValues], source: int) -> dict[int, MonthValues]:
    """全月に適用: the source month's CV数 and CV率 in every month.

    A field the source month leaves empty is not spread: the other months keep
    theirs (None in the result means "leave that field as it is"), so applying
    a month that has only a rate sets every month's rate and no count.
    """
    if source not in values:
        raise ValueError("the source month is not one of the months")
    cv_count, cv_rate = values[source]
    if isinstance(cv_rate, float):
        raise TypeError("floats are not accepted in the domain")
    return {month: (cv_count, cv_rate) for month in values}


def last_year_weights(
    actuals: Sequence[int | None], targets: Sequence[int | None]
) -> tuple[list[int], list[int]]:
    """前年の実績比: last year's actual CV数 month by month, as weights; a month
    without an actual falls back to last year's target CV数 (0 without either).

    Returns the weights and the positions of the months that fell back, so the
    user can be told which months are weighted by a target, not an actual.
    """
    if len(actuals) != len(targets):
        raise ValueError("one actual and one target per month")
    if any(isinstance(v, float) for v in (*actuals, *targets)):
        raise TypeError("floats are not accepted in the domain")
    weights, fell_back = [], []
    for i, (actual, target) in enumerate(zip(actuals, targets, strict=True)):
        if actual is not None:
            weights.append(actual)
        elif target is not None:
            weights.append(target)
            fell_back.append(i)
        else:
            weights.append(0)
    return weights, fell_back


def spread_year(
    total: int, cv_rate: Decimal | None, weights: Sequence[int | Decimal]
) -> list[MonthValues]:
    """A year's CV total over its months in proportion to ``weights`` (one per
    month, in order; ``[1] * 12`` is even), adding up exactly to ``total``; every
    month gets ``cv_rate`` (None: the months keep their own rates)."""
    if cv_rate is not None and not isinstance(cv_rate, Decimal):
        raise TypeError("cv_rate must be a Decimal")
    return [(count, cv_rate) for count in spread_total(total, weights)]
