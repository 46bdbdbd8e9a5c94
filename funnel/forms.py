"""Forms: turn what users type into domain values through ``domain.numbers``,
and its error codes into Japanese messages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from funnel.domain import numbers
from funnel.domain.grid import MONTHS, month_figures
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
        # The text is checked as text first (length), then parsed.
        text = super().clean(value)
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


class GoalYearForm(forms.Form):
    """The 12 months' CV数 and CV率 of one year, as one form: saved all or nothing."""

    def __init__(self, *args, goals=None, **kwargs):
        self.goals = goals = goals or {}
        initial = {}
        for month in MONTHS:
            goal = goals.get(month)
            initial[f"cv_count_{month}"] = count_text(goal and goal.cv_count)
            initial[f"cv_rate_{month}"] = rate_text(goal and goal.cv_rate)
        super().__init__(*args, initial=initial, **kwargs)
        for month in MONTHS:
            self.fields[f"cv_count_{month}"] = CountField(
                label=_("%(month)d月 CV数") % {"month": month}
            )
            self.fields[f"cv_rate_{month}"] = RateField(
                label=_("%(month)d月 CV率") % {"month": month}
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
        return {
            m: (goal.cv_count, goal.cv_rate)
            if (goal := self.goals.get(m))
            else (None, None)
            for m in MONTHS
        }

    def rows(self):
        """One row per month for the template: the two bound fields and the figures."""
        values = self.month_values()
        return [
            GridRow(
                figures=month_figures(month, *values[month]),
                cv_count=self[f"cv_count_{month}"],
                cv_rate=self[f"cv_rate_{month}"],
            )
            for month in MONTHS
        ]


class GridRow:
    __slots__ = ("cv_count", "cv_rate", "figures")

    def __init__(self, *, figures, cv_count, cv_rate):
        self.figures = figures
        self.cv_count = cv_count
        self.cv_rate = cv_rate

    @property
    def month(self):
        return self.figures.month
