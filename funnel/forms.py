"""Forms: turn what users type into domain values through ``domain.numbers``,
and its error codes into Japanese messages."""

from functools import lru_cache

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from funnel.domain import numbers
from funnel.domain import worksheet as worksheet_domain
from funnel.domain.grid import MONTHS, month_figures
from funnel.models import MAX_YEAR, MIN_YEAR, Basis, PlanAction
from funnel.templatetags.funnel_format import plain_decimal

COUNT_MESSAGES = {
    "negative": _("マイナスの値は入力できません。0以上の整数を入力してください。"),
    "fraction": _("小数は入力できません。整数を入力してください。"),
    "invalid": _("数値を入力してください（例: 1,200）。"),
    "too_large": _("大きすぎます。1億以下の整数を入力してください。"),
}
YEN_MESSAGES = {
    **COUNT_MESSAGES,
    "fraction": _("円未満は入力できません。整数の金額を入力してください。"),
    "invalid": _("金額を数値で入力してください（例: 12,000,000）。"),
    "too_large": _("大きすぎます。1兆円以下で入力してください。"),
}
RATE_MESSAGES = {
    "negative": _(
        "マイナスの値は入力できません。0より大きく100以下の値にしてください。"
    ),
    "invalid": _("率を数値で入力してください（例: 1.5 または 1.5%）。"),
    "rate_places": _("小数点以下は2桁までで入力してください。"),
    "rate_range": _("0より大きく100以下の値を入力してください（%）。"),
}


class _ParsedField(forms.CharField):
    """A text input parsed by a ``domain.numbers`` function; the typed text is
    kept in the input when it is refused (the bound value is re-rendered)."""

    parse = None
    messages = {}

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)
        self.error_messages["max_length"] = _("入力が長すぎます。")

    def clean(self, value):
        """CharField's checks (strip, required, length), then the parse.

        Written out rather than through CharField.clean, which runs its
        validators through three layers of calls: the live recomputes clean
        some fifty of these on every keystroke."""
        text = "" if value is None else str(value)
        if "\x00" in text:
            # Django's own message for a null character reads, in Japanese,
            # "enter some characters" (何か文字を入力してください): beside a
            # number, the field's "not a number" says what is wrong.
            raise forms.ValidationError(self.messages["invalid"], code="invalid")
        text = text.strip()
        if not text and self.required:
            raise forms.ValidationError(
                self.error_messages["required"], code="required"
            )
        # The text is checked as text first (length), then parsed.
        if len(text) > self.max_length:
            raise forms.ValidationError(
                self.error_messages["max_length"], code="max_length"
            )
        try:
            return type(self).parse(text)
        except numbers.ParseError as error:
            raise forms.ValidationError(
                self.messages.get(error.code, self.messages["invalid"]),
                code=error.code,
            ) from None


class CountField(_ParsedField):
    parse = staticmethod(numbers.parse_count)
    messages = COUNT_MESSAGES
    widget = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})


class YenField(_ParsedField):
    parse = staticmethod(numbers.parse_yen)
    messages = YEN_MESSAGES
    widget = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})


class RateField(_ParsedField):
    parse = staticmethod(numbers.parse_rate)
    messages = RATE_MESSAGES
    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})


def rate_text(value):
    return "" if value is None else plain_decimal(value)


def count_text(value):
    return "" if value is None else str(value)


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


def unit_price_error(price):
    """受注単価 0 is refused: nothing can be ordered at no price."""
    if price == 0:
        return _("受注単価は1円以上で入力してください。")
    return None


def web_revenue_error(total, web):
    """Web売上 is part of 全体売上, never more."""
    if total is not None and web is not None and web > total:
        return _("Web売上は全体売上以下にしてください（全体売上の一部です）。")
    return None


class WorksheetForm(forms.Form):
    """The worksheet's own inputs: ① … ④ and ⑥ (the channels of ⑤ are a formset).

    The messages are part of the fields' declarations (not set per instance):
    read_worksheet() cleans with these same field objects."""

    name = forms.CharField(
        label=_("ワークシート名"),
        max_length=100,
        error_messages={
            "required": _("ワークシート名を入力してください。"),
            "max_length": _("ワークシート名は100文字以内で入力してください。"),
        },
    )
    entry_date = forms.DateField(
        label=_("記入日"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": _("記入日を入力してください。"),
            "invalid": _("記入日を正しい日付で入力してください（例: 2026-04-01）。"),
        },
    )
    basis = forms.TypedChoiceField(
        label=_("基準"),
        choices=Basis.choices,
        widget=forms.RadioSelect,
        error_messages={
            "invalid_choice": _("基準は「月次」か「年間」から選んでください。")
        },
    )
    total_revenue = YenField(label=_("全体売上"))
    web_revenue = YenField(label=_("Web売上"))
    unit_price = YenField(label=_("受注単価"))
    win_rate = RateField(label=_("受注率"))
    opportunity_rate = RateField(label=_("案件化率"))
    skip_opportunity = forms.BooleanField(
        label=_("③ 案件化数を省略する（低単価商材など）"), required=False
    )
    cv_rate = RateField(label=_("CV率"))

    def clean_unit_price(self):
        price = self.cleaned_data.get("unit_price")
        if error := unit_price_error(price):
            raise forms.ValidationError(error, code="zero_price")
        return price

    def clean(self):
        data = super().clean()
        if error := web_revenue_error(
            data.get("total_revenue"), data.get("web_revenue")
        ):
            self.add_error("web_revenue", error)
            data.pop("web_revenue", None)
        return data


class ChannelForm(forms.Form):
    """One channel row. A row with nothing typed (the online box alone does not
    count) is an empty row: skipped, not refused."""

    name = forms.CharField(
        label=_("チャネル名"),
        max_length=50,
        error_messages={
            "required": _("チャネル名を入力してください。"),
            "max_length": _("チャネル名は50文字以内で入力してください。"),
        },
    )
    online = forms.BooleanField(label=_("オンライン"), required=False)
    meetings = CountField(label=_("商談数"))
    meeting_rate = RateField(label=_("商談化率"))

    def has_changed(self):
        return channel_typed(self.data, self.add_prefix(""))


def channel_typed(data, prefix):
    """Whether a channel row has anything typed in it: a row without is
    skipped, not refused."""
    return any(
        (data.get(prefix + name) or "").strip()
        for name in ("name", "meetings", "meeting_rate")
    )


MAX_CHANNELS = 20
CHANNEL_PREFIX = "channels"
ChannelFormSet = forms.formset_factory(
    ChannelForm,
    extra=0,
    max_num=MAX_CHANNELS,
    validate_max=True,
    absolute_max=MAX_CHANNELS,
)
# A channel row's inputs, in ChannelForm's order: name, online, meetings,
# meeting_rate.
CHANNEL_FIELDS = tuple(ChannelForm.base_fields)


def channel_count(data):
    """How many channel rows a POST or GET has: its formset's count, clamped."""
    try:
        total = int(data.get(f"{CHANNEL_PREFIX}-TOTAL_FORMS", 0))
    except (TypeError, ValueError):
        total = 0
    return max(0, min(total, MAX_CHANNELS))


def channel_rows(data):
    """The channel rows of a POST or GET, as typed (strings), in display order."""
    rows = []
    for index in range(channel_count(data)):
        prefix = f"{CHANNEL_PREFIX}-{index}-"
        rows.append({field: data.get(prefix + field, "") for field in CHANNEL_FIELDS})
    return rows


def channel_rows_edit(rows, action):
    """Add, remove or move a channel row before the form is shown again.

    ``action`` is ``add``, ``remove-<i>``, ``up-<i>`` or ``down-<i>`` (0-based);
    anything else leaves the rows as they are. The typed text moves with its row.
    """
    rows = list(rows)
    verb, _sep, index_text = action.partition("-")
    if verb == "add":
        if len(rows) < MAX_CHANNELS:
            rows.append(
                {"name": "", "online": "on", "meetings": "", "meeting_rate": ""}
            )
        return rows
    if not index_text.isdigit() or int(index_text) >= len(rows):
        return rows
    index = int(index_text)
    if verb == "remove":
        del rows[index]
    elif verb == "up" and index > 0:
        rows[index - 1], rows[index] = rows[index], rows[index - 1]
    elif verb == "down" and index < len(rows) - 1:
        rows[index + 1], rows[index] = rows[index], rows[index + 1]
    return rows


def channel_formset_data(rows):
    data = {
        f"{CHANNEL_PREFIX}-TOTAL_FORMS": str(len(rows)),
        f"{CHANNEL_PREFIX}-INITIAL_FORMS": "0",
    }
    for index, row in enumerate(rows):
        for field in CHANNEL_FIELDS:
            value = row.get(field, "")
            if field == "online" and value in ("", None, False):
                continue  # an unchecked box is absent from a real POST
            data[f"{CHANNEL_PREFIX}-{index}-{field}"] = value
    return data


def yen_text(value):
    return "" if value is None else f"{value:,}"


class WorksheetEditor:
    """The worksheet form and its channel formset together, and the domain input
    they describe. Bound to submitted data (with a channel action applied:
    the rows are edited before the forms are built, keeping the typed text) or
    to a stored worksheet."""

    def __init__(self, data=None, *, worksheet=None, today=None, disabled=False):
        self.worksheet = worksheet
        if data is not None:
            rows = channel_rows(data)
            self.action = data.get("action", "")
            if self.action != "save":
                rows = channel_rows_edit(rows, self.action)
            self.form = WorksheetForm(data)
            self.channels = ChannelFormSet(
                channel_formset_data(rows), prefix=CHANNEL_PREFIX
            )
        else:
            self.action = ""
            self.form = WorksheetForm(initial=self.initial_values(worksheet, today))
            self.channels = ChannelFormSet(
                initial=self.channel_initial(worksheet), prefix=CHANNEL_PREFIX
            )
        if disabled:
            for form in (self.form, *self.channels.forms):
                for field in form.fields.values():
                    field.disabled = True

    @staticmethod
    def initial_values(worksheet, today):
        if worksheet is None:
            return {"name": "", "entry_date": today, "basis": Basis.MONTHLY}
        return {
            "name": worksheet.name,
            "entry_date": worksheet.entry_date,
            "basis": worksheet.basis,
            "total_revenue": yen_text(worksheet.total_revenue),
            "web_revenue": yen_text(worksheet.web_revenue),
            "unit_price": yen_text(worksheet.unit_price),
            "win_rate": rate_text(worksheet.win_rate),
            "opportunity_rate": rate_text(worksheet.opportunity_rate),
            "skip_opportunity": worksheet.skip_opportunity,
            "cv_rate": rate_text(worksheet.cv_rate),
        }

    @staticmethod
    def channel_initial(worksheet):
        if worksheet is None:
            return [
                {"name": channel.name, "online": channel.online}
                for channel in worksheet_domain.DEFAULT_CHANNELS
            ]
        return [
            {
                "name": channel.name,
                "online": channel.online,
                "meetings": count_text(channel.meetings),
                "meeting_rate": rate_text(channel.meeting_rate),
            }
            for channel in worksheet.ordered_channels()
        ]

    @property
    def is_bound(self):
        return self.form.is_bound

    def is_valid(self):
        form_ok = self.form.is_valid()
        channels_ok = self.channels.is_valid()
        return form_ok and channels_ok

    def cleaned_fields(self):
        return {
            name: self.form.cleaned_data.get(name) for name in WORKSHEET_INPUT_FIELDS
        } | {
            "name": self.form.cleaned_data.get("name"),
            "entry_date": self.form.cleaned_data.get("entry_date"),
            "basis": self.form.cleaned_data.get("basis"),
        }

    def cleaned_channels(self):
        """The channels as typed and valid, skipping rows left entirely empty."""
        return [
            form.cleaned_data
            for form in self.channels.forms
            if form.cleaned_data.get("name")
        ]

    def domain_input(self):
        if not self.is_bound:
            return worksheet_input_of(self.worksheet)
        self.is_valid()
        data = self.form.cleaned_data
        return worksheet_domain.WorksheetInput(
            total_revenue=data.get("total_revenue"),
            web_revenue=data.get("web_revenue"),
            unit_price=data.get("unit_price") or None,
            win_rate=data.get("win_rate"),
            opportunity_rate=data.get("opportunity_rate"),
            skip_opportunity=bool(data.get("skip_opportunity")),
            cv_rate=data.get("cv_rate"),
            channels=tuple(
                worksheet_domain.ChannelPlan(
                    name=form.cleaned_data.get("name") or "",
                    online=bool(form.cleaned_data.get("online")),
                    meetings=form.cleaned_data.get("meetings"),
                    meeting_rate=form.cleaned_data.get("meeting_rate"),
                )
                for form in self.channels.forms
            ),
        )


WORKSHEET_INPUT_FIELDS = (
    "total_revenue",
    "web_revenue",
    "unit_price",
    "win_rate",
    "opportunity_rate",
    "skip_opportunity",
    "cv_rate",
)


def worksheet_input_of(worksheet):
    """The domain input of a stored worksheet (or of a new, empty one)."""
    if worksheet is None:
        return worksheet_domain.WorksheetInput(
            total_revenue=None,
            web_revenue=None,
            unit_price=None,
            win_rate=None,
            opportunity_rate=None,
            skip_opportunity=False,
            cv_rate=None,
            channels=worksheet_domain.DEFAULT_CHANNELS,
        )
    return worksheet_domain.WorksheetInput(
        total_revenue=worksheet.total_revenue,
        web_revenue=worksheet.web_revenue,
        unit_price=worksheet.unit_price,
        win_rate=worksheet.win_rate,
        opportunity_rate=worksheet.opportunity_rate,
        skip_opportunity=worksheet.skip_opportunity,
        cv_rate=worksheet.cv_rate,
        channels=tuple(
            worksheet_domain.ChannelPlan(
                name=channel.name,
                online=channel.online,
                meetings=channel.meetings,
                meeting_rate=channel.meeting_rate,
            )
            for channel in worksheet.ordered_channels()
        ),
    )


# --- the worksheet without forms: the live recompute and the page's inputs ---


def _cleaned(field, value):
    """(value, message) of one input, cleaned as a bound form cleans it."""
    try:
        return field.clean(value), ""
    except forms.ValidationError as error:
        return None, error.messages[0]


# The longest text whose cleaning is remembered (longer is cleaned every
# time), so that what is remembered stays small whatever is sent.
REMEMBERED_LENGTH = 64


@lru_cache(maxsize=4096)
def _remembered(field, value, language):
    del language  # in the key: messages and date formats depend on it
    return _cleaned(field, value)


def _clean_remembered(field, data, key, language):
    """The (value, message) of the input ``key`` of ``data``, remembered by
    field, text and language.

    The live recompute is sent all of a worksheet's inputs on every keystroke,
    and all but the one being typed in are what they were on the one before:
    cleaning them (some 50, a third of its time) is a function of the field,
    the text and the language, so each worker remembers the last few
    thousand answers. Only immutable values come back (numbers, dates, text,
    messages as text); a field is one of the forms' class-level fields."""
    value = field.widget.value_from_datadict(data, {}, key)
    if isinstance(value, str) and len(value) > REMEMBERED_LENGTH:
        return _cleaned(field, value)
    return _remembered(field, value, language)


class WorksheetReading:
    """What a WorksheetEditor bound to the same data validates, read without
    building its forms (about 2 ms of Python for ten channels, the whole
    budget of the live recompute): ``plan`` (a WorksheetInput),
    ``errors``, the message (or "") of each of WorksheetForm's inputs by its
    name, and ``channel_messages``, each channel row's messages in
    ChannelForm's order."""

    __slots__ = ("channel_messages", "errors", "plan")

    def __init__(self, plan, errors, channel_messages):
        self.plan = plan
        self.errors = errors
        self.channel_messages = channel_messages


# Each channel row's input names, in CHANNEL_FIELDS' order (ChannelForm's,
# and what _read_channel reads), made once.
CHANNEL_INPUT_NAMES = tuple(
    tuple(f"{CHANNEL_PREFIX}-{index}-{name}" for name in CHANNEL_FIELDS)
    for index in range(MAX_CHANNELS)
)
# What a row reads for an input it was not sent: each name's default.
_ABSENT = ("",) * len(CHANNEL_FIELDS)


def _read_channel(name, online, meetings, meeting_rate, language):
    """A channel row's ChannelPlan and its inputs' messages (ChannelForm's
    order) from its texts (CHANNEL_FIELDS, "" where absent), remembered as a
    row: a keystroke changes one row, the others come back as they were."""
    if max(len(name), len(online), len(meetings), len(meeting_rate)) > (
        REMEMBERED_LENGTH
    ):
        return _read_channel_row(name, online, meetings, meeting_rate, language)
    return _remembered_channel(name, online, meetings, meeting_rate, language)


def _read_channel_row(name, online, meetings, meeting_rate, language):
    del language  # in the key: messages depend on it
    row = {"name": name, "meetings": meetings, "meeting_rate": meeting_rate}
    if online:  # an unchecked box is absent from a real POST
        row["online"] = online
    if not channel_typed(row, ""):
        # An empty row is skipped, as the formset skips it.
        messages = ("",) * len(ChannelForm.base_fields)
        return worksheet_domain.ChannelPlan("", False, None, None), messages
    values, messages = {}, []
    for field_name, field in ChannelForm.base_fields.items():
        value = field.widget.value_from_datadict(row, {}, field_name)
        value, message = _cleaned(field, value)
        values[field_name] = value
        messages.append(message)
    channel = worksheet_domain.ChannelPlan(
        name=values["name"] or "",
        online=bool(values["online"]),
        meetings=values["meetings"],
        meeting_rate=values["meeting_rate"],
    )
    return channel, tuple(messages)


_remembered_channel = lru_cache(maxsize=1024)(_read_channel_row)


def read_worksheet(data):
    """The same field objects clean the same text with the same messages, and
    the same rules across fields apply (tests/views/test_readers.py
    holds the two to the same answers for any input)."""
    errors, values = {}, {}
    language = get_language()
    for name, field in WorksheetForm.base_fields.items():
        values[name], errors[name] = _clean_remembered(field, data, name, language)
    if not errors["unit_price"] and (error := unit_price_error(values["unit_price"])):
        values["unit_price"], errors["unit_price"] = None, error
    if error := web_revenue_error(values["total_revenue"], values["web_revenue"]):
        values["web_revenue"], errors["web_revenue"] = None, error
    # The rows as WorksheetEditor sees them: counted, clamped, each read whole.
    channels, channel_messages = [], []
    get = data.get
    for index in range(channel_count(data)):
        channel, messages = _read_channel(
            *map(get, CHANNEL_INPUT_NAMES[index], _ABSENT), language
        )
        channels.append(channel)
        channel_messages.append(messages)
    plan = worksheet_domain.WorksheetInput(
        total_revenue=values["total_revenue"],
        web_revenue=values["web_revenue"],
        unit_price=values["unit_price"] or None,
        win_rate=values["win_rate"],
        opportunity_rate=values["opportunity_rate"],
        skip_opportunity=bool(values["skip_opportunity"]),
        cv_rate=values["cv_rate"],
        channels=tuple(channels),
    )
    return WorksheetReading(plan, errors, channel_messages)


def input_view(field, name, value, *, label, error="", disabled=False):
    """One input of the worksheet as display values (what a template asked of
    a BoundField): built once, so the page renders them without Django's
    widget templates. ``label`` is the field's label as text."""
    widget = field.widget
    checkbox = isinstance(widget, forms.CheckboxInput)
    if checkbox:
        text = ""
    elif isinstance(widget, forms.RadioSelect):
        text = "" if value is None else str(value)
    else:
        text = widget.format_value(value) or ""
    return {
        "name": name,
        "id": f"id_{name}",
        "value": text,
        "checked": bool(value) if checkbox else False,
        "label": label,
        "error": error,
        "inputmode": widget.attrs.get("inputmode"),
        "maxlength": getattr(field, "max_length", None) or 40,
        "disabled": disabled,
        "choices": getattr(field, "choices", None),
    }


def _form_labels(form_class):
    """The form's labels as text, translated once per language (not once an
    input, and not once a request: the page shows some fourteen)."""
    return _labels_in(form_class, get_language())


@lru_cache(maxsize=16)
def _labels_in(form_class, language):
    del language  # the cache's key: the labels are translated in it
    return {name: str(field.label) for name, field in form_class.base_fields.items()}


def stored_worksheet_inputs(worksheet, *, today=None, disabled=False):
    """The inputs of a stored worksheet (or of a new one, dated ``today``),
    as the page first shows them: ({name: view}, [{name: view} per channel])."""
    initial = WorksheetEditor.initial_values(worksheet, today)
    labels = _form_labels(WorksheetForm)
    fields = {
        name: input_view(
            field, name, initial.get(name), label=labels[name], disabled=disabled
        )
        for name, field in WorksheetForm.base_fields.items()
    }
    labels = _form_labels(ChannelForm)
    channels = []
    for index, row in enumerate(WorksheetEditor.channel_initial(worksheet)):
        prefix = f"{CHANNEL_PREFIX}-{index}-"
        channels.append(
            {
                name: input_view(
                    field,
                    prefix + name,
                    row.get(name),
                    label=labels[name],
                    disabled=disabled,
                )
                for name, field in ChannelForm.base_fields.items()
            }
        )
    return fields, channels


def bound_worksheet_inputs(editor):
    """The inputs of an editor bound to what was posted, with its messages."""

    def views(form):
        return {
            name: input_view(
                form.fields[name],
                bound.html_name,
                bound.value(),
                label=str(bound.label),
                error=bound.errors[0] if bound.errors else "",
                disabled=form.fields[name].disabled,
            )
            for name, bound in ((name, form[name]) for name in form.fields)
        }

    return views(editor.form), [views(form) for form in editor.channels.forms]


class SignInForm(AuthenticationForm):
    """Django's sign-in form; a user whose every account is deactivated cannot
    sign in (site operators, Django staff, still can)."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if (
            not user.is_staff
            and not user.memberships.filter(account__is_active=True).exists()
        ):
            raise forms.ValidationError(
                _(
                    "このユーザーが所属するアカウントは現在ご利用いただけません。管理者にお問い合わせください。"
                ),
                code="inactive_account",
            )


class PlanReviewForm(forms.Form):
    action = forms.ChoiceField(choices=PlanAction.choices)
    comment = forms.CharField(
        label=_("コメント"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


# --- account administration ---
# Appended as its own section, with its imports, so it can be read (and
# merged) on its own.
from django.contrib.auth.validators import UnicodeUsernameValidator  # noqa: E402

from funnel.models import Role  # noqa: E402

ROLE_MESSAGES = {
    "required": _("役割を選んでください。"),
    "invalid_choice": _("役割は一覧から選んでください。"),
}


class MemberAddForm(forms.Form):
    """Add a member: a new user (who sets a password through a one-time link)
    or a user who already exists, found by username."""

    NEW, EXISTING = "new", "existing"

    mode = forms.ChoiceField(
        label=_("追加するユーザー"),
        choices=[
            (NEW, _("新しいユーザーを作成する")),
            (EXISTING, _("既存のユーザーを追加する")),
        ],
        initial=NEW,
        widget=forms.RadioSelect,
    )
    username = forms.CharField(
        label=_("ユーザー名"),
        # django.contrib.auth's User.username: its length and its validator.
        max_length=150,
        validators=[
            UnicodeUsernameValidator(
                message=_(
                    "ユーザー名には文字・数字と @ . + - _ だけを使えます（空白は使えません）。"
                )
            )
        ],
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    role = forms.TypedChoiceField(
        label=_("役割"), choices=Role.choices, coerce=int, initial=Role.MARKETER
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mode"].error_messages.update(
            required=_("新しいユーザーか既存のユーザーかを選んでください。"),
            invalid_choice=_("新しいユーザーか既存のユーザーかを選んでください。"),
        )
        self.fields["username"].error_messages.update(
            required=_("ユーザー名を入力してください。"),
            max_length=_("ユーザー名は150文字以内で入力してください。"),
        )
        self.fields["role"].error_messages.update(ROLE_MESSAGES)

    @property
    def creates_user(self):
        return self.cleaned_data.get("mode") == self.NEW


class MemberRoleForm(forms.Form):
    role = forms.TypedChoiceField(label=_("役割"), choices=Role.choices, coerce=int)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].error_messages.update(ROLE_MESSAGES)


def _month_choices():
    # A callable, so the labels are translated when the form is shown.
    return [(month, _("%(month)d月") % {"month": month}) for month in MONTHS]


class AccountSettingsForm(forms.Form):
    name = forms.CharField(label=_("アカウント名"), max_length=100)
    fiscal_year_start_month = forms.TypedChoiceField(
        label=_("年度の開始月"),
        choices=_month_choices,
        coerce=int,
        initial=1,
        help_text=_(
            "目標設定の年度がこの月から始まります（例: 4月なら4月〜翌年3月）。"
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].error_messages.update(
            required=_("アカウント名を入力してください。"),
            max_length=_("アカウント名は100文字以内で入力してください。"),
        )
        self.fields["fiscal_year_start_month"].error_messages.update(
            required=_("年度の開始月を選んでください。"),
            invalid_choice=_("年度の開始月は1月〜12月から選んでください。"),
        )


class ActualYearForm(forms.Form):
    """The 12 months' actual CV数 and site visits (実績) of a fiscal year."""

    def __init__(self, *args, actuals=None, **kwargs):
        actuals = actuals or {}
        initial = {}
        for month in MONTHS:
            actual = actuals.get(month)
            initial[f"actual_cv_{month}"] = count_text(actual and actual.cv_count)
            initial[f"actual_visits_{month}"] = count_text(actual and actual.visits)
        super().__init__(*args, initial=initial, **kwargs)
        for month in MONTHS:
            self.fields[f"actual_cv_{month}"] = CountField(
                label=_("%(month)d月 実績CV数") % {"month": month}
            )
            self.fields[f"actual_visits_{month}"] = CountField(
                label=_("%(month)d月 実績訪問数") % {"month": month}
            )
        self.actuals = actuals

    def month_values(self):
        """{month: (cv, visits)}: cleaned input when bound (None where refused),
        else what is stored."""
        if self.is_bound:
            self.is_valid()
            data = self.cleaned_data
            return {
                m: (data.get(f"actual_cv_{m}"), data.get(f"actual_visits_{m}"))
                for m in MONTHS
            }
        return {
            m: (actual.cv_count, actual.visits)
            if (actual := self.actuals.get(m))
            else (None, None)
            for m in MONTHS
        }


# --- CSVから実績を取り込む (funnel/views/actuals_import.py) --------------------

from funnel.domain import actuals_csv  # noqa: E402

ACTUALS_COLUMN_NAMES = {
    actuals_csv.MONTH: _("月"),
    actuals_csv.VISITS: _("訪問数"),
    actuals_csv.CV: _("CV数"),
}
ACTUALS_CSV_MESSAGES = {
    "too_large": _(
        "ファイルが大きすぎます。%(limit)s以下のCSVファイルを選んでください。"
    ),
    "xlsx": _(
        "Excelファイル（.xlsx）は読み込めません。Excelで「CSV UTF-8」または「CSV」形式で保存してから選んでください。"
    ),
    "encoding": _(
        "文字コードを読み取れません。UTF-8 または Shift_JIS で保存したCSVファイルを選んでください。"
    ),
    "not_csv": _(
        "CSVファイルとして読み取れません。カンマ区切りのテキストファイル（.csv）を選んでください。"
    ),
    "empty": _(
        "ファイルが空です。見出しの行とデータの行があるCSVファイルを選んでください。"
    ),
    "missing_columns": _(
        "必要な列が見つかりません: %(names)s。見出しの行に「月」の列と、「訪問数」または「CV数」の列が必要です（使える見出しは下の説明を参照）。"
    ),
    "ambiguous_column": _(
        "同じ項目の列が複数あります: %(names)s。どちらを取り込むか決められないため、一方の列を削除してください。"
    ),
}


class ActualsImportForm(forms.Form):
    """The CSV upload: its file, read for one fiscal year, becomes an
    ``actuals_csv.ActualsImport`` (``cleaned_data["file"]``) or a message."""

    file = forms.FileField(label=_("CSVファイル"))

    def __init__(self, *args, fiscal_year, start_month, **kwargs):
        super().__init__(*args, **kwargs)
        self.fiscal_year = fiscal_year
        self.start_month = start_month
        self.fields["file"].error_messages.update(
            required=_("CSVファイルを選んでください。"),
            invalid=_("CSVファイルを選んでください。"),
            empty=ACTUALS_CSV_MESSAGES["empty"],
        )

    @staticmethod
    def size_limit():
        return f"{actuals_csv.MAX_BYTES // (1024 * 1024)} MB"

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            # The size the client declared is not trusted: at most one byte
            # past the limit is read, and the parser refuses that.
            if upload.size > actuals_csv.MAX_BYTES:
                raise actuals_csv.CsvError("too_large")
            return actuals_csv.parse_actuals_csv(
                upload.read(actuals_csv.MAX_BYTES + 1),
                fiscal_year=self.fiscal_year,
                start_month=self.start_month,
            )
        except actuals_csv.CsvError as error:
            if error.code == "missing_columns":
                names = "、".join(str(ACTUALS_COLUMN_NAMES[n]) for n in error.names)
            else:  # the file's own headers
                names = "、".join(f"「{name}」" for name in error.names)
            raise forms.ValidationError(
                ACTUALS_CSV_MESSAGES[error.code]
                % {"limit": self.size_limit(), "names": names},
                code=error.code,
            ) from None


YEAR_MESSAGES = dict.fromkeys(
    ("negative", "fraction", "invalid", "too_large"),
    _("年を数字で入力してください（例: 2026）。"),
)


class YearField(_ParsedField):
    """A year, read by the one parsing policy (``domain.numbers``): ``٢٠٢٦``,
    ``+2026`` or ``2026.0`` are refused, not read as 2026."""

    parse = staticmethod(numbers.parse_count)
    messages = YEAR_MESSAGES

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.error_messages["max_length"] = YEAR_MESSAGES["invalid"]


class YearForm(forms.Form):
    """A year chosen to apply a worksheet to, or to compare it with."""

    year = YearField(label=_("年"), required=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].error_messages["required"] = _(
            "反映する年を選んでください。"
        )

    def clean_year(self):
        year = self.cleaned_data["year"]
        if year is None or not MIN_YEAR <= year <= MAX_YEAR:
            raise forms.ValidationError(
                _("2000年から2100年の間で選んでください。"), code="range"
            )
        return year
