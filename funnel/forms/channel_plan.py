"""The year's plan per channel (/goals/<year>/channels/): CV数 (リード数 for a
channel that is not Web) and, for a Web channel, CV率, per channel and month,
as one form saved all or nothing. The page carries the channels it was loaded
with (hidden ``channel`` inputs, in order), so a channel added meanwhile is
neither required nor written by its save."""

from typing import NamedTuple

from django import forms
from django.forms import BoundField
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from funnel.domain import numbers
from funnel.domain.channels import ChannelMonth, ChannelYear, PlanChannel, channel_plan
from funnel.domain.grid import MONTHS, opens_calendar_year
from funnel.formatting import count_text, month_label, rate_text
from funnel.forms.fields import CountField, LoadedBase, RateField
from funnel.forms.grid import (
    CALENDAR_MONTHS,
    SPREAD_EVEN,
    UNREADABLE_BASE,
    GridSpreadForm,
)

# Hidden inputs: the page's channels in order, and which of them are Web. The
# Web flags are read by the live recompute only (a calculator that knows no
# account); a save reads them from the account's channels.
CHANNEL_FIELD = "channel"
WEB_FIELD = "web"
# More than any account keeps (the channel list allows 30): a larger request
# is not a page of this app.
MAX_CHANNELS = 50


def cv_name(channel_id, month):
    return f"cv_{channel_id}_{month}"


def rate_name(channel_id, month):
    return f"rate_{channel_id}_{month}"


def _ids(values):
    """The ids in ``values`` in order, or None when one is not an id or there
    are too many: the page never sends such a list."""
    if len(values) > MAX_CHANNELS:
        return None
    ids = []
    for value in values:
        if not value.isascii() or not value.isdigit() or len(value) > 18:
            return None
        if int(value) not in ids:
            ids.append(int(value))
    return ids


def posted_channel_ids(data):
    """The ids of the channels the page was loaded with, in order; None when
    the list is not one this page writes."""
    return _ids(data.getlist(CHANNEL_FIELD))


def calculator_channels(data):
    """The page's channels as the live recompute knows them: ids and Web
    flags from the request, no names (nothing of the account is read)."""
    ids = posted_channel_ids(data) or []
    web = set(_ids(data.getlist(WEB_FIELD)) or [])
    return [PlanChannel(channel_id, "", channel_id in web) for channel_id in ids]


class ChannelRow(NamedTuple):
    """A month of one channel's table: its inputs (``rate`` None for a channel
    that is not Web), their values as loaded, and the visits they give."""

    month: int
    label: str
    calendar_year: int | None
    cv: BoundField
    rate: BoundField | None
    cv_base: str
    rate_base: str
    cell: ChannelMonth


class ChannelTable(NamedTuple):
    """One channel's table: its months in fiscal order and its year."""

    channel: PlanChannel
    rows: list[ChannelRow]
    year: ChannelYear


class MonthTotal(NamedTuple):
    """A month of the totals table: its label and the channels' sums."""

    label: str
    calendar_year: int | None
    sums: object  # domain.channels.MonthSum


class ChannelPlanForm(LoadedBase, forms.Form):
    """Every channel's 12 months of one year."""

    def __init__(self, *args, channels, months=None, values=None, **kwargs):
        # channels: PlanChannel in the page's order; months: the fiscal
        # year's (calendar year, month) pairs; values: the stored
        # {(channel id, month): (CV数, CV率)} (selectors.channel_goal_values).
        self.channels = list(channels)
        self.months = months or CALENDAR_MONTHS
        self.values = values = values or {}
        initial = {}
        for channel in self.channels:
            for month in MONTHS:
                cv_count, cv_rate = values.get((channel.id, month), (None, None))
                initial[cv_name(channel.id, month)] = count_text(cv_count)
                if channel.online:
                    initial[rate_name(channel.id, month)] = rate_text(cv_rate)
        super().__init__(*args, initial=initial, **kwargs)
        for channel in self.channels:
            for month in MONTHS:
                label = {"channel": channel.name, "month": month}
                if channel.online:
                    self.fields[cv_name(channel.id, month)] = CountField(
                        label=gettext("%(channel)s %(month)d月 CV数") % label
                    )
                    self.fields[rate_name(channel.id, month)] = RateField(
                        label=gettext("%(channel)s %(month)d月 CV率") % label
                    )
                else:
                    self.fields[cv_name(channel.id, month)] = CountField(
                        label=gettext("%(channel)s %(month)d月 リード数") % label
                    )

    def cell_values(self):
        """{(channel id, month): (CV数, CV率)}: the cleaned input when bound
        (None where a value was refused), else the stored values. A channel
        that is not Web has no CV率."""
        if not self.is_bound:
            return {
                (channel.id, month): self.values.get((channel.id, month), (None, None))
                for channel in self.channels
                for month in MONTHS
            }
        self.is_valid()
        data = self.cleaned_data
        return {
            (channel.id, month): (
                data.get(cv_name(channel.id, month)),
                data.get(rate_name(channel.id, month)) if channel.online else None,
            )
            for channel in self.channels
            for month in MONTHS
        }

    def filled_by_bulk(self):
        """Whether a bulk tool filled the inputs since the page was loaded."""
        return self.is_bound and self.data.get(BULK_MARK) == "1"

    def base_values(self):
        """{(channel id, month): (CV数, CV率)} as the page was loaded; None when
        it carries no base. A base this page did not write is never equal to
        a stored value, so the save is refused as a conflict."""
        if not self.is_bound or not self.channels:
            return None
        values = {}
        for channel in self.channels:
            for month in MONTHS:
                try:
                    cv_count = numbers.parse_count(
                        self.data.get(f"base_{cv_name(channel.id, month)}", "")
                    )
                    cv_rate = (
                        numbers.parse_rate(
                            self.data.get(f"base_{rate_name(channel.id, month)}", "")
                        )
                        if channel.online
                        else None
                    )
                except numbers.ParseError:
                    cv_count = cv_rate = UNREADABLE_BASE
                values[channel.id, month] = (cv_count, cv_rate)
        return values

    def plan(self):
        """The plan the inputs give (domain.channels.ChannelPlan)."""
        return channel_plan(
            self.channels, [month for _year, month in self.months], self.cell_values()
        )

    def _calendar_years(self):
        first_year = self.months[0][0]
        return {
            month: year if opens_calendar_year(year, month, first_year) else None
            for year, month in self.months
        }

    def tables(self, plan=None):
        """One table per channel, its months in the fiscal year's order."""
        plan = plan or self.plan()
        calendar_years = self._calendar_years()
        tables = []
        for year in plan.channels:
            channel = year.channel
            rows = []
            for cell in year.months:
                cv = cv_name(channel.id, cell.month)
                rate = rate_name(channel.id, cell.month)
                rows.append(
                    ChannelRow(
                        month=cell.month,
                        label=month_label(cell.month),
                        calendar_year=calendar_years[cell.month],
                        cv=self[cv],
                        rate=self[rate] if channel.online else None,
                        cv_base=self.base_text(cv),
                        rate_base=self.base_text(rate) if channel.online else "",
                        cell=cell,
                    )
                )
            tables.append(ChannelTable(channel, rows, year))
        return tables

    def month_totals(self, plan=None):
        """The channels' sums per month, in the fiscal year's order."""
        plan = plan or self.plan()
        calendar_years = self._calendar_years()
        return [
            MonthTotal(month_label(sums.month), calendar_years[sums.month], sums)
            for sums in plan.months
        ]


# A hidden input the page carries after a bulk tool filled it, so that its
# 保存 records the values as 一括入力 (the tools only preview, 保存 writes).
BULK_MARK = "bulk"


def preview_data(data, updates, *, blanks):
    """The submitted ``data`` with some cells replaced by ``updates``
    ({(channel id, month): (CV数, CV率)}), written as the form shows stored
    values. A None empties its cell when ``blanks``, else leaves the typed
    text. The base_* values pass through: 保存 still checks for conflicts."""
    data = data.copy()
    data[BULK_MARK] = "1"
    for (channel_id, month), (cv_count, cv_rate) in updates.items():
        if cv_count is not None or blanks:
            data[cv_name(channel_id, month)] = count_text(cv_count)
        if rate_name(channel_id, month) in data and (cv_rate is not None or blanks):
            data[rate_name(channel_id, month)] = rate_text(cv_rate)
    return data


class ChannelSpreadForm(GridSpreadForm):
    """A channel's 配分: the grid's form (均等 / 前年の実績比 / 比率を指定, the 12
    weights and their checks) with every field named after the channel
    (``spread_total_<id>``, ``spread_by_<id>``, ``spread_weight_<month>_<id>``),
    so that each channel's tool is its own inside the page's one form. A
    channel that is not Web spreads リード数 and has no CV率."""

    def __init__(self, *args, channel, months, **kwargs):
        self.channel = channel
        super().__init__(*args, months=months, **kwargs)
        # A page from before the choice sends no spread_by_<id>: even, as
        # its button said.
        self.fields["spread_by"].required = False
        if not channel.online:
            del self.fields["spread_rate"]
            total = self.fields["spread_total"]
            total.label = _("年間リード数")
            total.error_messages["required"] = _("年間リード数を入力してください。")
        for _year, month in months:
            self.fields[f"spread_weight_{month}"].label = gettext(
                "%(channel)s %(month)d月 比率"
            ) % {"channel": channel.name, "month": month}

    def add_prefix(self, field_name):
        # Django's hook for a form's field names: suffixed, as the page's
        # other per-channel inputs are (cv_<id>_<month> aside).
        return f"{field_name}_{self.channel.id}"

    def spread_by(self):
        """The choice of a valid form (a page without it: even)."""
        return self.cleaned_data.get("spread_by") or SPREAD_EVEN


class ChannelTool(NamedTuple):
    """A channel's 一括入力: the month 全月に適用 copies, as typed, and its
    配分 form (bound only when its button was pressed; the others show what
    was typed in them); ``pressed``: this channel's 配分 was the last tool."""

    fill_from: str
    spread: ChannelSpreadForm
    pressed: bool


def channel_tools(data, channels, months, *, spread=None):
    """{channel id: ChannelTool} with what was typed (``data``) or the first
    month of the year; ``spread`` is the bound 配分 form of the channel whose
    button was pressed, with its messages."""
    first = str(months[0][1])
    typed = dict(data.items()) if data is not None else {}
    tools = {}
    for channel in channels:
        pressed = spread is not None and spread.channel.id == channel.id
        form = spread if pressed else ChannelSpreadForm(channel=channel, months=months)
        if not pressed:
            form.initial = {
                name: typed[form.add_prefix(name)]
                for name in form.fields
                if form.add_prefix(name) in typed
            }
        tools[channel.id] = ChannelTool(
            fill_from=typed.get(f"fill_from_{channel.id}", first),
            spread=form,
            pressed=pressed,
        )
    return tools
