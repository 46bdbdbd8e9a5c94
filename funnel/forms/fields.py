"""The fields that read what people type: counts, yen, rates and years, parsed by
``domain.numbers``, whose error codes become Japanese messages here."""

from django import forms
from django.utils.translation import gettext_lazy as _

from funnel.domain import numbers

COUNT_MESSAGES = {
    "negative": _("マイナスの値は入力できません。0以上の整数を入力してください。"),
    "fraction": _("小数は入力できません。整数を入力してください。"),
    "invalid": _("数値を入力してください（例: 1,200）。"),
    "too_large": _("大きすぎます。1億以下の整数を入力してください。"),
}
YEN_MESSAGES = {
    **COUNT_MESSAGES,
    "negative": _("マイナスの金額は入力できません。0円以上で入力してください。"),
    "fraction": _(
        "円未満の金額は入力できません。1円単位になる金額を入力してください（例: 1,200万円）。"
    ),
    "invalid": _(
        "金額を入力してください（例: 12,000,000、1,200万円、1.2億、1億2,000万円）。"
    ),
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


def omitted_fields(form, *, skip=()):
    """The fields of ``form`` (but ``skip``) the request did not carry, as
    each widget tells it (an unchecked checkbox sends nothing and so is
    never missing)."""
    return [
        name
        for name, field in form.fields.items()
        if name not in skip
        and field.widget.value_omitted_from_data(
            form.data, form.files, form.add_prefix(name)
        )
    ]


def sent_in_full(form, *names):
    """Whether the request carried every field of ``form`` and ``names``: a
    write happens only from a complete form, so a request that lacks a field
    (an empty or JSON body, a script, a page from an older version) is never
    read as "this field was cleared". A cleared field is sent empty."""
    return not omitted_fields(form) and all(name in form.data for name in names)


class LoadedBase:
    """For a form whose page carries, beside each input, the value it had when
    the page was loaded (a hidden ``base_<name>``): a save compares them with
    what is stored now, so a save made meanwhile is never silently replaced."""

    def base_text(self, name):
        """The value a field had when the page was loaded."""
        if self.is_bound:
            return self.data.get(f"base_{name}", "")
        return self.initial[name]

    def base_names(self, wanted=True):
        """The names of the hidden base_* inputs a 保存 must carry (none when
        not ``wanted``: 上書き保存 overwrites whatever is stored)."""
        return [f"base_{name}" for name in self.fields] if wanted else []


class ParsedField(forms.CharField):
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
        """CharField's checks (strip, required, length), then the parse."""
        if isinstance(value, str) and "\x00" in value:
            # Django's message for a null character reads, in Japanese, "enter
            # some characters": beside a number, "not a number" says what is
            # wrong.
            raise forms.ValidationError(self.messages["invalid"], code="invalid")
        text = super().clean(value)
        try:
            return type(self).parse(text)
        except numbers.ParseError as error:
            raise forms.ValidationError(
                self.messages.get(error.code, self.messages["invalid"]),
                code=error.code,
            ) from None


class CountField(ParsedField):
    parse = staticmethod(numbers.parse_count)
    messages = COUNT_MESSAGES
    widget = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})


class YenField(ParsedField):
    """Money as people write it (``1,200万円``, ``1.2億``): no numeric
    keyboard on phones, which would have no 万 or 億."""

    parse = staticmethod(numbers.parse_yen)
    messages = YEN_MESSAGES
    widget = forms.TextInput(attrs={"autocomplete": "off"})


class RateField(ParsedField):
    parse = staticmethod(numbers.parse_rate)
    messages = RATE_MESSAGES
    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})


YEAR_MESSAGES = dict.fromkeys(
    ("negative", "fraction", "invalid", "too_large"),
    _("年を数字で入力してください（例: 2026）。"),
)


class YearField(ParsedField):
    """A year, read by the one parsing policy (``domain.numbers``): ``٢٠٢٦``,
    ``+2026`` or ``2026.0`` are refused, not read as 2026."""

    parse = staticmethod(numbers.parse_count)
    messages = YEAR_MESSAGES

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.error_messages["max_length"] = YEAR_MESSAGES["invalid"]


# --- a formset's rows edited before the form is shown again ------------------


def rows_edited(rows, action, *, blank, limit, verbs=("up", "down")):
    """The rows after a row action, the typed text moving with its row:
    ``add`` appends a copy of ``blank`` (up to ``limit`` rows); ``remove-<i>``,
    ``up-<i>`` and ``down-<i>`` (0-based, where in ``verbs``) remove or move
    row i. Anything else leaves the rows as they are."""
    rows = list(rows)
    verb, _sep, index_text = action.partition("-")
    if verb == "add":
        if len(rows) < limit:
            rows.append(dict(blank))
        return rows
    if verb not in verbs or not index_text.isdigit() or int(index_text) >= len(rows):
        return rows
    index = int(index_text)
    if verb == "remove":
        del rows[index]
    elif verb == "up" and index > 0:
        rows[index - 1], rows[index] = rows[index], rows[index - 1]
    elif verb == "down" and index < len(rows) - 1:
        rows[index + 1], rows[index] = rows[index], rows[index + 1]
    return rows


def formset_rows_data(prefix, fields, rows, *, limit, checkboxes):
    """The POST data of a formset holding ``rows`` (dicts of ``fields``), as
    a browser sends it: the management form, then each row's fields, an
    unchecked box (a field of ``checkboxes`` that is empty) left out."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        # Shown again in the page's management form, as an unbound one shows them.
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": str(limit),
    }
    for index, row in enumerate(rows):
        for field in fields:
            value = row.get(field, "")
            if field in checkboxes and value in ("", None, False):
                continue
            data[f"{prefix}-{index}-{field}"] = value
    return data
