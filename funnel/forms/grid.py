"""The goal grid's forms: the year's 12 months, and the bulk tools under it."""

from typing import NamedTuple

from django import forms
from django.forms import BoundField
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from funnel.domain import numbers
from funnel.domain.grid import (
    MONTHS,
    MonthFigures,
    month_figures,
    opens_calendar_year,
)
from funnel.formatting import count_text, month_label, rate_text
from funnel.forms.fields import COUNT_MESSAGES, CountField, LoadedBase, RateField

UNREADABLE_BASE = "?"
# A hidden input the grid carries after a bulk tool filled it, so that its
# 保存 records the values as 一括入力 (the tools only preview, 保存 writes).
BULK_MARK = "bulk"
# The calendar months, for a form that is not told the fiscal year's order
# (the live recompute: it knows no account).
CALENDAR_MONTHS = tuple((None, month) for month in MONTHS)


class MonthRow(NamedTuple):
    """A month of the grid for the template: its two fields as the form binds
    them, the visits they give, and the calendar year where a fiscal year
    crosses into the next one."""

    month: int
    label: str
    calendar_year: int | None
    cv: BoundField
    rate: BoundField
    cv_base: str
    rate_base: str
    figures: MonthFigures


class GoalYearForm(LoadedBase, forms.Form):
    """The 12 months' CV数 and CV率 of one year, as one form: saved all or nothing."""

    def __init__(self, *args, goals=None, months=None, **kwargs):
        # months: the (calendar year, month) pairs of the fiscal year, in order.
        self.months = months or CALENDAR_MONTHS
        # goals: the stored {month: (cv_count, cv_rate)} (selectors.goal_year).
        self.goals = goals = goals or {}
        initial = {}
        for month in MONTHS:
            cv_count, cv_rate = goals.get(month, (None, None))
            initial[f"cv_count_{month}"] = count_text(cv_count)
            initial[f"cv_rate_{month}"] = rate_text(cv_rate)
        super().__init__(*args, initial=initial, **kwargs)
        for month in MONTHS:
            label = {"month": month}
            self.fields[f"cv_count_{month}"] = CountField(
                label=gettext("%(month)d月 CV数") % label
            )
            self.fields[f"cv_rate_{month}"] = RateField(
                label=gettext("%(month)d月 CV率") % label
            )

    def month_values(self):
        """{month: (cv_count, cv_rate)}: cleaned input when bound (None where a
        value was refused), else the stored goals."""
        if self.is_bound:
            self.is_valid()
            data = self.cleaned_data
            return {
                m: (data.get(f"cv_count_{m}"), data.get(f"cv_rate_{m}")) for m in MONTHS
            }
        return {m: self.goals.get(m, (None, None)) for m in MONTHS}

    def base_values(self):
        """{month: (cv_count, cv_rate)} as loaded; None when the form carries no
        base (an old page or a client that never sent one)."""
        return base_values(self.data) if self.is_bound else None

    def filled_by_bulk(self):
        """Whether a bulk tool filled the inputs since the page was loaded."""
        return self.is_bound and self.data.get(BULK_MARK) == "1"

    def rows(self):
        """The grid's months in the fiscal year's order, for the template."""
        values = self.month_values()
        first_year = self.months[0][0]
        rows = []
        for year, month in self.months:
            cv, rate = f"cv_count_{month}", f"cv_rate_{month}"
            rows.append(
                MonthRow(
                    month=month,
                    label=month_label(month),
                    calendar_year=(
                        year if opens_calendar_year(year, month, first_year) else None
                    ),
                    cv=self[cv],
                    rate=self[rate],
                    cv_base=self.base_text(cv),
                    rate_base=self.base_text(rate),
                    figures=month_figures(month, *values[month]),
                )
            )
        return rows

    def preview_data(self, updates, *, blanks):
        """The submitted data with some months' cells replaced by ``updates``
        ({month: (cv_count, cv_rate)}), written as the form shows stored values.

        A None in ``updates`` empties its cell when ``blanks``, else leaves the
        typed text as it is. Everything else (the base_* values the page was
        loaded with, the other months) passes through untouched: a bulk action
        is a preview, and 保存 still checks for conflicts against the base.
        The data is marked as a bulk tool's, for the history.
        """
        data = self.data.copy()
        data[BULK_MARK] = "1"
        for month, (cv_count, cv_rate) in updates.items():
            if cv_count is not None or blanks:
                data[f"cv_count_{month}"] = count_text(cv_count)
            if cv_rate is not None or blanks:
                data[f"cv_rate_{month}"] = rate_text(cv_rate)
        return data


def base_values(data):
    """{month: (cv_count, cv_rate)} the page was loaded with (its base_*
    fields), so that a save can tell whether someone else saved in between;
    None when the data carries no base (an old page or a client that never
    sent one)."""
    if f"base_cv_count_{MONTHS[0]}" not in data:
        return None
    values = {}
    for month in MONTHS:
        try:
            values[month] = (
                numbers.parse_count(data.get(f"base_cv_count_{month}", "")),
                numbers.parse_rate(data.get(f"base_cv_rate_{month}", "")),
            )
        except numbers.ParseError:
            # Not something this page wrote: never equal to a stored value,
            # so the save is refused as a conflict.
            values[month] = (UNREADABLE_BASE, UNREADABLE_BASE)
    return values


class GridFillForm(forms.Form):
    """全月に適用: which month's CV数 and CV率 go into every month."""

    fill_from = forms.TypedChoiceField(label=_("コピー元の月"), coerce=int)

    def __init__(self, *args, months, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["fill_from"]
        field.choices = [(month, month_label(month)) for _year, month in months]
        field.initial = months[0][1]
        field.error_messages.update(
            required=_("コピー元の月を選んでください。"),
            invalid_choice=_("コピー元の月を選んでください。"),
        )


class WeightField(CountField):
    messages = {
        **COUNT_MESSAGES,
        "fraction": _("比率は整数で入力してください（例: 前年のCV数）。"),
        "invalid": _("比率を数値で入力してください（例: 120）。"),
    }


SPREAD_EVEN, SPREAD_LAST_YEAR, SPREAD_WEIGHTS = "even", "last_year", "weights"


class GridSpreadForm(forms.Form):
    """年間の数値から配分: a year's CV total (and a CV率 for every month) spread
    over the months evenly, by last year's CV数, or by 12 weights typed here."""

    spread_total = CountField(label=_("年間CV数"), required=True)
    spread_rate = RateField(label=_("CV率（全月）"))
    spread_by = forms.ChoiceField(
        label=_("配分のしかた"),
        choices=[
            (SPREAD_EVEN, _("均等")),
            (SPREAD_LAST_YEAR, _("前年の実績比")),
            (SPREAD_WEIGHTS, _("比率を指定")),
        ],
        initial=SPREAD_EVEN,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, months, **kwargs):
        super().__init__(*args, **kwargs)
        self.months = months
        self.fields["spread_total"].error_messages["required"] = _(
            "年間CV数を入力してください。"
        )
        self.fields["spread_by"].error_messages.update(
            required=_("配分のしかたを選んでください。"),
            invalid_choice=_("配分のしかたを選んでください。"),
        )
        for _year, month in months:
            self.fields[f"spread_weight_{month}"] = WeightField(
                label=_("%(month)d月 比率") % {"month": month}
            )

    def weight_fields(self):
        """The 12 weight inputs in fiscal order, with their month."""
        return [(month, self[f"spread_weight_{month}"]) for _year, month in self.months]

    def weights(self):
        """The typed weights in fiscal order; an empty one weighs 0."""
        return [
            self.cleaned_data.get(f"spread_weight_{month}") or 0
            for _year, month in self.months
        ]

    def clean(self):
        data = super().clean()
        if data.get("spread_by") == SPREAD_WEIGHTS and not any(
            self.errors.get(f"spread_weight_{m}") for _y, m in self.months
        ):
            if not any(self.weights()):
                self.add_error(
                    "spread_by",
                    _("比率を1つ以上入力してください（0より大きい整数）。"),
                )
        return data
