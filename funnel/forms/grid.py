"""The goal grid's forms: the year's 12 months, and the bulk tools under it."""

from functools import lru_cache

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from funnel.domain import numbers
from funnel.domain.grid import MONTHS, month_figures
from funnel.formatting import count_text, rate_text
from funnel.forms.fields import COUNT_MESSAGES, CountField, RateField

UNREADABLE_BASE = "?"


class GoalYearForm(forms.Form):
    """The 12 months' CV数 and CV率 of one year, as one form: saved all or nothing."""

    def __init__(self, *args, goals=None, months=None, **kwargs):
        # months: the (calendar year, month) pairs of the fiscal year, in order.
        self.months = months or tuple((None, month) for month in MONTHS)
        # goals: the stored {month: (cv_count, cv_rate)} (selectors.goal_year).
        self.goals = goals = goals or {}
        initial = {}
        for month in MONTHS:
            cv_count, cv_rate = goals.get(month, (None, None))
            initial[f"cv_count_{month}"] = count_text(cv_count)
            initial[f"cv_rate_{month}"] = rate_text(cv_rate)
        super().__init__(*args, initial=initial, **kwargs)
        for month in MONTHS:
            for name, field in (
                (f"cv_count_{month}", CountField),
                (f"cv_rate_{month}", RateField),
            ):
                self.fields[name] = field(label=_cell_label(name))

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

    def base_text(self, name):
        """The value a cell had when the page was loaded: posted back with the
        form, so a save can tell whether someone else saved in between."""
        if self.is_bound:
            return self.data.get(f"base_{name}", "")
        return self.initial[name]

    def base_values(self):
        """{month: (cv_count, cv_rate)} as loaded; None when the form carries no
        base (an old page or a client that never sent one)."""
        return base_values(self.data) if self.is_bound else None

    def rows(self):
        """One row per month for the template: its label, figures and two cells
        (plain dicts of display strings: see grid_row())."""
        if not self.is_bound:
            return stored_rows(self.goals, self.months)
        values = self.month_values()
        # Cells that differ from the stored values: marked as changed even
        # without JavaScript (a bulk action's preview, a refused save).
        changed = set(self.changed_data)
        errors = self.errors
        rows = []
        for year, month in self.months:
            cells = []
            for name in (f"cv_count_{month}", f"cv_rate_{month}"):
                cells.append(
                    grid_cell(
                        name,
                        value=self.data.get(name, ""),
                        saved=self.initial[name],
                        base=self.base_text(name),
                        error=errors[name][0] if name in errors else "",
                        changed=name in changed,
                    )
                )
            rows.append(grid_row(self.months, year, month, values[month], *cells))
        return rows

    def preview_data(self, updates, *, blanks):
        """The submitted data with some months' cells replaced by ``updates``
        ({month: (cv_count, cv_rate)}), written as the form shows stored values.

        A None in ``updates`` empties its cell when ``blanks``, else leaves the
        typed text as it is. Everything else (the base_* values the page was
        loaded with, the other months) passes through untouched: a bulk action
        is a preview, and 保存 still checks for conflicts against the base.
        """
        data = self.data.copy()
        for month, (cv_count, cv_rate) in updates.items():
            if cv_count is not None or blanks:
                data[f"cv_count_{month}"] = count_text(cv_count)
            if cv_rate is not None or blanks:
                data[f"cv_rate_{month}"] = rate_text(cv_rate)
        return data


def grid_cell(name, *, value, saved, base, error="", changed=False, label=None):
    """One input of the grid as display strings: a dict, so that each template
    lookup succeeds at Django's first try (a BoundField costs an exception)."""
    return {
        "name": name,
        "id": f"id_{name}",
        "value": value,
        "saved": saved,
        "base": base,
        "label": _cell_label(name) if label is None else label,
        "error": error,
        "changed": changed,
    }


def grid_row(months, year, month, values, cv, rate):
    return GridRow(
        month=month,
        label=_month_label(month),
        # Marks where a fiscal year crosses into the next calendar year.
        calendar_year=year if year != months[0][0] and month == 1 else None,
        figures=month_figures(month, *values),
        cv=cv,
        rate=rate,
    )


def stored_rows(goals, months):
    """The grid's rows showing the stored goals ({month: (cv_count, cv_rate)}),
    as the page first shows them: no form is built, nothing is parsed."""
    rows = []
    labels = _labels(get_language())
    for year, month in months:
        values = goals.get(month, (None, None))
        texts = count_text(values[0]), rate_text(values[1])
        cells = [
            grid_cell(name, value=text, saved=text, base=text, label=labels[name])
            for name, text in zip(
                (f"cv_count_{month}", f"cv_rate_{month}"), texts, strict=True
            )
        ]
        rows.append(grid_row(months, year, month, values, *cells))
    return rows


_COUNT_CELL = CountField()
_RATE_CELL = RateField()


def read_cell(field, text):
    """(value, message) of one typed cell, as the form's field cleans it: the
    same Field class and messages, without building a 24-field form."""
    if text == "":
        return None, ""
    try:
        return field.clean(text), ""
    except forms.ValidationError as error:
        return None, error.messages[0]


def read_months(data):
    """The 12 months' (cv_count, cv_rate) as GoalYearForm(data).month_values()
    gives them, and the message of each refused cell by its name: the same
    field classes read the same text, without building the form."""
    values, errors = {}, {}
    for month in MONTHS:
        pair = []
        for field, name in (
            (_COUNT_CELL, f"cv_count_{month}"),
            (_RATE_CELL, f"cv_rate_{month}"),
        ):
            value, error = read_cell(field, data[name]) if name in data else (None, "")
            if error:
                errors[name] = error
            pair.append(value)
        values[month] = tuple(pair)
    return values, errors


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


def typed_rows(data, months):
    """The grid's rows for what is being typed (the live recompute): figures
    and messages only, read cell by cell. Most cells arrive empty or not at
    all, so those are told apart first, cheaply."""
    rows = []
    for _year, month in months:
        cells, values = [], []
        for field, name in (
            (_COUNT_CELL, f"cv_count_{month}"),
            (_RATE_CELL, f"cv_rate_{month}"),
        ):
            value, error = read_cell(field, data[name]) if name in data else (None, "")
            values.append(value)
            cells.append({"id": f"id_{name}", "error": error})
        rows.append(
            GridRow(
                month=month,
                figures=month_figures(month, *values),
                cv=cells[0],
                rate=cells[1],
            )
        )
    return rows


class GridRow(dict):
    """A month of the grid for the template: a dict, so each lookup succeeds at
    Django's first try; ``row.figures`` works in Python too."""

    __slots__ = ()

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _month_label(month):
    return _labels(get_language())[month]


def _cell_label(name):
    return _labels(get_language())[name]


@lru_cache(maxsize=16)
def _labels(language):
    """The grid's 36 labels in the active language (``language`` is its code,
    the cache's key): the page shows each of them on every view."""
    labels = {}
    for month in MONTHS:
        labels[month] = _("%(month)d月") % {"month": month}
        labels[f"cv_count_{month}"] = _("%(month)d月 CV数") % {"month": month}
        labels[f"cv_rate_{month}"] = _("%(month)d月 CV率") % {"month": month}
    return labels


def _options(bound_field):
    selected = str(bound_field.value())
    return [
        {"value": value, "label": label, "selected": str(value) == selected}
        for value, label in bound_field.field.choices
    ]


class GridFillForm(forms.Form):
    """全月に適用: which month's CV数 and CV率 go into every month."""

    fill_from = forms.TypedChoiceField(label=_("適用する月"), coerce=int)

    def __init__(self, *args, months, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["fill_from"]
        field.choices = [(month, _month_label(month)) for _year, month in months]
        field.initial = months[0][1]
        field.error_messages.update(
            required=_("適用する月を選んでください。"),
            invalid_choice=_("適用する月を選んでください。"),
        )

    def options(self):
        """The select's options as plain dicts: rendered by a loop, not by a
        widget template per option (the grid page's single largest cost)."""
        return _options(self["fill_from"])


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

    def spread_by_options(self):
        return _options(self["spread_by"])

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
