"""The revenue worksheet's forms: its inputs, its channel rows as a formset,
the editor that binds both, and the year (and 配分) a worksheet is applied with."""

import dataclasses

from django import forms
from django.utils.translation import gettext_lazy as _

from funnel.domain import worksheet as worksheet_domain
from funnel.formatting import count_text, rate_text, yen_text
from funnel.forms.fields import (
    CountField,
    RateField,
    YearField,
    YenField,
    formset_rows_data,
    rows_edited,
    sent_in_full,
)
from funnel.forms.grid import SPREAD_EVEN, SPREAD_LAST_YEAR
from funnel.models import MAX_YEAR, MIN_YEAR, Basis


class MessageBoundField(forms.BoundField):
    """A field whose message is the page's span beside it (``id_<name>-error``,
    see worksheet.html's field-error): a refused input names it for screen
    readers, instead of Django's ``id_<name>_error``, which the page lacks."""

    @property
    def aria_describedby(self):
        if self.auto_id and self.errors:
            return f"{self.auto_id}-error"
        return ""


class WorksheetForm(forms.Form):
    """The worksheet's own inputs: ① … ④ and ⑥ (the channels of ⑤ are a formset)."""

    bound_field_class = MessageBoundField

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
        if price == 0:  # nothing can be ordered at no price
            raise forms.ValidationError(
                _("受注単価は1円以上で入力してください。"), code="zero_price"
            )
        return price

    def clean(self):
        data = super().clean()
        # Each input as read on its own, before the rule between two of them
        # takes one out of cleaned_data: Web売上 above 全体売上 blanks ① (the
        # domain leaves it None) but not ② … ④, which need only Web売上.
        self.parsed = dict(data)
        total, web = data.get("total_revenue"), data.get("web_revenue")
        if total is not None and web is not None and web > total:
            # Web売上 is part of 全体売上, never more.
            self.add_error(
                "web_revenue",
                _("Web売上は全体売上以下にしてください（全体売上の一部です）。"),
            )
        return data


class ChannelForm(forms.Form):
    """One channel row. A row with nothing typed (the online box alone does not
    count) is an empty row: skipped, not refused.

    ``channel`` is the account's channel the row plans (its id; empty: a row
    not linked to the list, typed before channels were the account's, whose
    name and online box are its own). A linked row's name and online flag
    are the channel's (WorksheetEditor copies them)."""

    channel = forms.CharField(label=_("チャネル"), required=False, widget=forms.Select)
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

    def __init__(self, *args, account_channels=None, **kwargs):
        super().__init__(*args, **kwargs)
        # {id text: Channel} of the account, or None where no account is
        # read (the live recompute): then any id is taken as sent.
        self.account_channels = account_channels

    def clean_channel(self):
        text = self.cleaned_data["channel"].strip()
        if not text:
            return None
        if self.account_channels is None:
            return text
        channel = self.account_channels.get(text)
        if channel is None:
            raise forms.ValidationError(
                _("このチャネルはチャネル一覧にありません。選び直してください。"),
                code="unknown_channel",
            )
        return channel

    def has_changed(self):
        return any(
            (self.data.get(self.add_prefix(name)) or "").strip()
            for name in ("channel", "name", "meetings", "meeting_rate")
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
# A channel row's inputs, in ChannelForm's order: channel, name, online,
# meetings, meeting_rate.
CHANNEL_FIELDS = tuple(ChannelForm.base_fields)


def channel_count(data):
    """How many channel rows a POST or GET has, as its management form says;
    None when that is missing, not a number, or more rows than the page shows
    (never read as "no rows": saved, that would delete every channel)."""
    management = ChannelFormSet(data, prefix=CHANNEL_PREFIX).management_form
    if not management.is_valid():
        return None
    total = management.cleaned_data["TOTAL_FORMS"]
    return total if 0 <= total <= MAX_CHANNELS else None


def channel_rows(data, count):
    """The first ``count`` channel rows of a POST or GET, as typed (strings),
    in display order."""
    rows = []
    for index in range(count):
        prefix = f"{CHANNEL_PREFIX}-{index}-"
        rows.append({field: data.get(prefix + field, "") for field in CHANNEL_FIELDS})
    return rows


SAVE, OVERWRITE = "save", "overwrite"
# 保存, 上書き保存 (after a conflict), the no-JavaScript 再計算, ＋ チャネルを追加;
# and ↑ ↓ 削除 of a row, "<verb>-<index>".
ACTIONS = (SAVE, OVERWRITE, "recompute", "add")
ROW_VERBS = ("up", "down", "remove")


def known_action(action):
    verb, _sep, index = action.partition("-")
    return action in ACTIONS or (verb in ROW_VERBS and index.isdigit())


# What the edit page was loaded with, posted back as hidden base_<name> inputs:
# services.worksheet_snapshot's keys, every input of the sheet and its channels.
BASE_NAMES = (*WorksheetForm.base_fields, "channels")


def channel_rows_edit(rows, action):
    """Add, remove or move a channel row before the form is shown again.

    ``action`` is ``add``, ``remove-<i>``, ``up-<i>`` or ``down-<i>`` (0-based);
    anything else leaves the rows as they are. The typed text moves with its row.
    """
    blank = {
        "channel": "",
        "name": "",
        "online": "on",
        "meetings": "",
        "meeting_rate": "",
    }
    return rows_edited(
        rows, action, blank=blank, limit=MAX_CHANNELS, verbs=("remove", "up", "down")
    )


def channel_formset_data(rows):
    return formset_rows_data(
        CHANNEL_PREFIX, CHANNEL_FIELDS, rows, limit=MAX_CHANNELS, checkboxes=("online",)
    )


class WorksheetEditor:
    """The worksheet form and its channel formset together, and the domain input
    they describe. Bound to submitted data (with a channel action applied:
    the rows are edited before the forms are built, keeping the typed text) or
    to a stored worksheet.

    ``base`` is what the page was loaded with (services.worksheet_snapshot),
    shown as hidden inputs; bound, it is what the data carries back, or None
    when the data lacks any of it."""

    def __init__(
        self,
        data=None,
        *,
        worksheet=None,
        today=None,
        disabled=False,
        base=None,
        account_channels=None,
    ):
        self.worksheet = worksheet
        # The account's channels (archived ones too: a row may still name
        # one), or None where no account is read (the live recompute).
        self.account_channels = (
            None
            if account_channels is None
            else {str(channel.pk): channel for channel in account_channels}
        )
        form_kwargs = {"account_channels": self.account_channels}
        if data is not None:
            self.data = data
            self.row_count = channel_count(data)
            rows = channel_rows(data, self.row_count or 0)
            self.action = data.get("action", "")
            if self.action not in (SAVE, OVERWRITE):
                rows = channel_rows_edit(rows, self.action)
            rows = [self.linked_row(row) for row in rows]
            self.form = WorksheetForm(data)
            self.channels = ChannelFormSet(
                channel_formset_data(rows),
                prefix=CHANNEL_PREFIX,
                form_kwargs=form_kwargs,
            )
            base_names = [f"base_{name}" for name in BASE_NAMES]
            self.base = (
                {name: data[f"base_{name}"] for name in BASE_NAMES}
                if all(name in data for name in base_names)
                else None
            )
        else:
            self.base = base
            self.action = ""
            self.form = WorksheetForm(initial=self.initial_values(worksheet, today))
            self.channels = ChannelFormSet(
                initial=self.channel_initial(worksheet, account_channels),
                prefix=CHANNEL_PREFIX,
                form_kwargs=form_kwargs,
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

    def linked_row(self, row):
        """A row linked to one of the account's channels takes its name and
        online flag (what was typed in them is the channel's anyway)."""
        channel = (self.account_channels or {}).get(row.get("channel", "").strip())
        if channel is None:
            return row
        return {**row, "name": channel.name, "online": "on" if channel.online else ""}

    def channel_options(self, row_form):
        """The channels a row may pick: the account's not archived, and the
        row's own even if archived since."""
        chosen = str(row_form["channel"].value() or "")
        return [
            channel
            for key, channel in (self.account_channels or {}).items()
            if not channel.archived or key == chosen
        ]

    @staticmethod
    def channel_initial(worksheet, account_channels=None):
        if worksheet is None:
            offered = [c for c in account_channels or () if not c.archived]
            if offered:
                return [
                    {"channel": str(c.pk), "name": c.name, "online": c.online}
                    for c in offered
                ]
            return [
                {"channel": "", "name": channel.name, "online": channel.online}
                for channel in worksheet_domain.DEFAULT_CHANNELS
            ]
        return [
            {
                "channel": str(channel.channel_id or ""),
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

    def is_complete(self):
        """Whether the POST is one the page sends: a known action, every input
        of the sheet and of each channel row its management form counts, and,
        for 保存 of a stored worksheet, every base_* it was loaded with. Only
        a complete POST is acted on: a missing input is never read as one
        cleared (an empty or JSON body, a script, a page of an older version).
        An unchecked box sends nothing and is not asked for."""
        if self.row_count is None or not known_action(self.action):
            return False
        if self.action == SAVE and self.worksheet is not None and self.base is None:
            return False
        sent = ChannelFormSet(self.data, prefix=CHANNEL_PREFIX)
        # A row the count leaves out would be dropped: a count that is not
        # the page's, as much as a row that is missing.
        beyond = ChannelForm(prefix=sent.add_prefix(self.row_count))
        return (
            sent_in_full(self.form, "action")
            and all(sent_in_full(form) for form in sent.forms)
            and not any(bound.html_name in self.data for bound in beyond)
        )

    def is_valid(self):
        form_ok = self.form.is_valid()
        channels_ok = self.channels.is_valid()
        return form_ok and channels_ok

    def fields_with_errors(self):
        """The bound fields, of the sheet and of every channel row, that have a
        message: what the live recompute shows beside its inputs."""
        self.is_valid()
        return [
            form[name]
            for form in (self.form, *self.channels.forms)
            for name in form.errors
            if name in form.fields
        ]

    def cleaned_fields(self):
        """Every input of the sheet, cleaned (services.worksheet_save's fields)."""
        return {name: self.form.cleaned_data.get(name) for name in self.form.fields}

    def cleaned_channels(self):
        """The channels as typed and valid, skipping rows left entirely empty."""
        return [
            form.cleaned_data
            for form in self.channels.forms
            if form.cleaned_data.get("name")
        ]

    def domain_input(self):
        if not self.is_bound:
            stored = worksheet_input_of(self.worksheet)
            if self.worksheet is not None:
                return stored
            # A new sheet's rows: the account's channels, or the defaults.
            return dataclasses.replace(
                stored,
                channels=tuple(
                    worksheet_domain.ChannelPlan(
                        name=row["name"],
                        online=bool(row["online"]),
                        meetings=None,
                        meeting_rate=None,
                    )
                    for row in self.channels.initial
                ),
            )
        self.is_valid()
        # A refused input is missing, and only for the steps that need it
        # (compute leaves those None); every other step still computes.
        data = self.form.parsed
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


class ApplyForm(YearForm):
    """目標設定に反映: the year, and for an annual worksheet how its year is
    spread over the months (配分). The preview and its confirmation both send
    the 配分, so what is written is what was previewed."""

    spread = forms.ChoiceField(
        label=_("配分"),
        choices=[(SPREAD_EVEN, _("均等")), (SPREAD_LAST_YEAR, _("前年の実績比"))],
        initial=SPREAD_EVEN,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, annual, confirming, **kwargs):
        super().__init__(*args, **kwargs)
        if not annual:
            # A monthly worksheet writes the same figures every month.
            del self.fields["spread"]
            return
        # A preview asked for with the year alone (a link) spreads evenly, the
        # default; the confirming post must say what was previewed.
        self.fields["spread"].required = confirming
        self.fields["spread"].error_messages.update(
            required=_("配分を選んでください。"),
            invalid_choice=_("配分は「均等」か「前年の実績比」から選んでください。"),
        )

    def clean_spread(self):
        return self.cleaned_data["spread"] or SPREAD_EVEN
