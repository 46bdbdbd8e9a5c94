"""The actuals per channel: each channel's 12 months typed in, a GA4 export to
import, and the answers on which GA4 channel group is which channel."""

from django import forms
from django.utils.translation import gettext_lazy as _

from funnel.domain import ga4, numbers
from funnel.domain.grid import MONTHS
from funnel.formatting import count_text
from funnel.forms.fields import CountField, LoadedBase
from funnel.forms.grid import UNREADABLE_BASE


def cv_name(channel_id, month):
    return f"c{channel_id}_cv_{month}"


def visits_name(channel_id, month):
    return f"c{channel_id}_visits_{month}"


def _visits_text(value):
    # Visits run to thousands: shown with separators, as everywhere.
    return "" if value is None else f"{value:,}"


class ChannelActualForm(LoadedBase, forms.Form):
    """Each channel's actual CV数 (リード数 for a channel that is not Web) and,
    for a Web channel, its visits, over the 12 months of a fiscal year."""

    def __init__(self, *args, channels, actuals, **kwargs):
        initial = {}
        for channel in channels:
            for month in MONTHS:
                cv, visits = actuals.get((channel.pk, month), (None, None))
                initial[cv_name(channel.pk, month)] = count_text(cv)
                if channel.online:
                    initial[visits_name(channel.pk, month)] = _visits_text(visits)
        super().__init__(*args, initial=initial, **kwargs)
        for channel in channels:
            for month in MONTHS:
                label = (
                    _("%(channel)s %(month)d月 CV数")
                    if channel.online
                    else _("%(channel)s %(month)d月 リード数")
                )
                names = {"channel": channel.name, "month": month}
                self.fields[cv_name(channel.pk, month)] = CountField(
                    label=label % names
                )
                if channel.online:
                    self.fields[visits_name(channel.pk, month)] = CountField(
                        label=_("%(channel)s %(month)d月 訪問数") % names
                    )
        self.channels = channels
        self.actuals = actuals

    def _stored_visits(self, channel, month):
        # A channel that is not Web has no visits input: what is stored
        # (from when it was Web) is passed through, never erased here.
        return self.actuals.get((channel.pk, month), (None, None))[1]

    def values(self):
        """{(channel id, month): (CV数, 訪問数)}: the cleaned input when bound
        (None where refused), else what is stored."""
        if not self.is_bound:
            return {
                (channel.pk, month): tuple(
                    self.actuals.get((channel.pk, month), (None, None))
                )
                for channel in self.channels
                for month in MONTHS
            }
        self.is_valid()
        data = self.cleaned_data
        return {
            (channel.pk, month): (
                data.get(cv_name(channel.pk, month)),
                data.get(visits_name(channel.pk, month))
                if channel.online
                else self._stored_visits(channel, month),
            )
            for channel in self.channels
            for month in MONTHS
        }

    def base_values(self):
        """{(channel id, month): (CV数, 訪問数)} as loaded, for the service's
        ``expected``; None when unbound. A base this page did not write is
        never equal to a stored value, so the save is refused as a conflict."""
        if not self.is_bound:
            return None
        values = {}
        for channel in self.channels:
            for month in MONTHS:
                try:
                    cv = numbers.parse_count(self.base_text(cv_name(channel.pk, month)))
                    visits = (
                        numbers.parse_count(
                            self.base_text(visits_name(channel.pk, month))
                        )
                        if channel.online
                        else self._stored_visits(channel, month)
                    )
                except numbers.ParseError:
                    cv = visits = UNREADABLE_BASE
                values[channel.pk, month] = (cv, visits)
        return values

    def completed_data(self):
        """The posted data with each field (and base) it lacks as the page
        shows it now (see forms.actuals.ActualYearForm.completed_data)."""
        data = self.data.copy()
        for name in self.fields:
            for key in (name, f"base_{name}"):
                if key not in data:
                    data[key] = self.initial[name]
        return data


# --- GA4 ---------------------------------------------------------------------

GA4_MESSAGES = {
    "too_large": _(
        "ファイルが大きすぎます。%(limit)s以下のCSVファイルを選んでください。"
    ),
    "xlsx": _(
        "Excelファイル（.xlsx）は読み込めません。GA4の「ファイルをダウンロード」で「CSV形式でダウンロード」を選んだファイルを選んでください。"
    ),
    "encoding": _(
        "文字コードを読み取れません。UTF-8 または Shift_JIS で保存したCSVファイルを選んでください。"
    ),
    "not_csv": _(
        "CSVファイルとして読み取れません。カンマ区切りのテキストファイル（.csv）を選んでください。"
    ),
    "empty": _(
        "ファイルが空です。GA4からエクスポートしたCSVファイルを選んでください。"
    ),
    "no_header": _(
        "見出しの行が見つかりません。GA4のレポートまたは探索で、ディメンションに「セッションのデフォルト チャネル グループ」（または「セッションの参照元 / メディア」）を選んでエクスポートしたCSVファイルを選んでください。"
    ),
    "no_channel": _(
        "%(line)s行目の見出しにチャネルの列がありません。「セッションのデフォルト チャネル グループ」または「セッションの参照元 / メディア」の列が必要です。"
    ),
    "no_figures": _(
        "%(line)s行目の見出しに「セッション」と「キーイベント」のどちらの列もありません。少なくとも一方の列が必要です。"
    ),
    "ambiguous_column": _(
        "同じ項目の列が複数あります: %(names)s。どちらを取り込むか決められないため、一方の列を削除してください。"
    ),
    "no_month": _(
        "月がわかりません。「年月」または「日付」の列を加えるか、「# 開始日」「# 終了日」の行を残したままのファイルを選んでください。"
    ),
    "range_spans": _(
        "期間（%(names)s）が複数の月にまたがっていますが、月ごとの列（「年月」または「日付」）がありません。1か月ずつエクスポートするか、「年月」の列を加えてください。"
    ),
}
GA4_COLUMN_NAMES = {
    ga4.GROUP: _("チャネル グループ"),
    ga4.SOURCE_MEDIUM: _("参照元 / メディア"),
    ga4.YEAR_MONTH: _("年月"),
    ga4.DATE: _("日付"),
    ga4.SESSIONS: _("セッション"),
    ga4.KEY_EVENTS: _("キーイベント"),
}
GA4_PROBLEMS = {
    "channel_missing": _("チャネルが空欄です。"),
    "channel_too_long": _("チャネル名が長すぎます（200文字まで）。"),
    "date": _("年月・日付として読み取れません（例: 202604、20260415）。"),
    "number": {
        "negative": _("マイナスの値は取り込めません。"),
        "fraction": _("セッションに小数は使えません。"),
        "invalid": _("数値として読み取れません（例: 1,200）。"),
        "too_large": _("大きすぎます（上限は1億）。"),
        "formula": _("数式は取り込めません。値として保存してください。"),
        "empty": _("空欄です。"),
    },
}


class Ga4UploadForm(forms.Form):
    """The GA4 export: ``cleaned_data["file"]`` is a ``ga4.Ga4Import``."""

    file = forms.FileField(label=_("GA4のCSVファイル"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].error_messages.update(
            required=_("CSVファイルを選んでください。"),
            invalid=_("CSVファイルを選んでください。"),
            empty=GA4_MESSAGES["empty"],
        )

    @staticmethod
    def size_limit():
        return f"{ga4.MAX_BYTES // (1024 * 1024)} MB"

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            if upload.size > ga4.MAX_BYTES:
                raise ga4.Ga4Error("too_large")
            return ga4.parse_ga4_csv(upload.read(ga4.MAX_BYTES + 1))
        except ga4.Ga4Error as error:
            raise forms.ValidationError(
                GA4_MESSAGES[error.code]
                % {
                    "limit": self.size_limit(),
                    "line": error.line,
                    "names": "、".join(f"「{name}」" for name in error.names),
                },
                code=error.code,
            ) from None


def problem_reason(problem):
    if problem.code == "number":
        return _("%(column)s: %(reason)s") % {
            "column": GA4_COLUMN_NAMES[problem.column],
            "reason": GA4_PROBLEMS["number"][problem.detail],
        }
    return GA4_PROBLEMS[problem.code]


UNCLASSIFIED = "none"


def channel_choices(channels, *, ask):
    """The select's options: (ask: 選択してください first), 未分類, then the
    channels."""
    choices = [("", _("選択してください"))] if ask else []
    choices.append((UNCLASSIFIED, _("未分類（取り込まない）")))
    choices += [(str(channel.pk), channel.name) for channel in channels]
    return choices


def _channel_id(value):
    return None if value == UNCLASSIFIED else int(value)


class Ga4MappingForm(forms.Form):
    """Which channel each GA4 group of a file is: ``group_<i>`` for the
    file's i-th group. A group never answered starts on 選択してください and
    must be answered; the others start on their stored answer."""

    def __init__(self, *args, groups, stored, channels, **kwargs):
        super().__init__(*args, **kwargs)
        self.groups = list(groups)
        choices = channel_choices(channels, ask=True)
        for index, group in enumerate(self.groups):
            known = group in stored
            self.fields[f"group_{index}"] = forms.ChoiceField(
                label=group,
                choices=choices,
                initial=(
                    (UNCLASSIFIED if stored[group] is None else str(stored[group]))
                    if known
                    else ""
                ),
                error_messages={
                    "required": _(
                        "GA4の「%(group)s」をどのチャネルとして取り込むか選んでください。"
                    )
                    % {"group": group},
                    "invalid_choice": _("チャネルは一覧から選んでください。"),
                },
            )
            self.fields[f"group_{index}"].new = not known

    def mappings(self):
        """{group: channel id or None (未分類)} as answered."""
        return {
            group: _channel_id(self.cleaned_data[f"group_{index}"])
            for index, group in enumerate(self.groups)
        }


class Ga4StoredMappingsForm(forms.Form):
    """The answers remembered from earlier imports, each editable:
    ``mapping_<id>`` for each GA4ChannelMapping row."""

    def __init__(self, *args, mappings, channels, **kwargs):
        super().__init__(*args, **kwargs)
        self.mappings = list(mappings)
        offered = {channel.pk for channel in channels}
        for mapping in self.mappings:
            # An answer naming a channel no longer offered (archived, not
            # Web) stays selectable, so that the form shows it as it is.
            extra = (
                [mapping.channel]
                if mapping.channel_id and mapping.channel_id not in offered
                else []
            )
            self.fields[f"mapping_{mapping.pk}"] = forms.ChoiceField(
                label=mapping.group,
                choices=channel_choices([*channels, *extra], ask=False),
                initial=(
                    UNCLASSIFIED
                    if mapping.channel_id is None
                    else str(mapping.channel_id)
                ),
                error_messages={
                    "required": _("チャネルを選んでください。"),
                    "invalid_choice": _("チャネルは一覧から選んでください。"),
                },
            )

    def answers(self):
        """{group: channel id or None}."""
        return {
            mapping.group: _channel_id(self.cleaned_data[f"mapping_{mapping.pk}"])
            for mapping in self.mappings
        }
