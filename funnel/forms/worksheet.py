"""The revenue worksheet's forms: its inputs, its channel rows as a formset,
the editor that binds both, and the year a worksheet is applied to."""

from functools import lru_cache

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from funnel.domain import worksheet as worksheet_domain
from funnel.formatting import count_text, rate_text, yen_text
from funnel.forms.fields import (
    CountField,
    RateField,
    YearField,
    YenField,
)
from funnel.models import MAX_YEAR, MIN_YEAR, Basis


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
