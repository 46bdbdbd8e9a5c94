"""Spreadsheet exports: the goal grid of a fiscal year as CSV and XLSX, a revenue
worksheet as XLSX.

Everything here is built from values the caller has already read: no query, no
request. The figures come from the same domain functions as the screens
(``month_figures``, ``year_totals``, ``worksheet.compute``), so a download can
never disagree with the page.
"""

import csv
import io
import re
from dataclasses import dataclass
from urllib.parse import quote

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from funnel import formatting
from funnel.domain.grid import (
    MonthFigures,
    YearTotals,
    month_figures,
    opens_calendar_year,
    year_totals,
)
from funnel.domain.worksheet import WorksheetInput, WorksheetResult

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# A cell starting with one of these is read as a formula by Excel, LibreOffice
# or Google Sheets when the file is opened (OWASP "CSV injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

COUNT_FORMAT = "#,##0"
RATE_FORMAT = "0.00"
DATE_FORMAT = "yyyy-mm-dd"


def neutralise(value):
    """Text a spreadsheet could evaluate gets a leading ``'``, so it stays text.

    For CSV, which has no way to say "this cell is text"; numbers pass through
    (a negative number is a number, not a formula). XLSX says so in the cell
    itself (``_Sheet``), so its cells show exactly what was typed.
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def content_disposition(filename, fallback):
    """``attachment`` with an ASCII ``filename`` for old clients and the real,
    possibly Japanese, name as RFC 5987 ``filename*``."""
    encoded = quote(filename, safe="")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


_UNSAFE_IN_FILENAME = re.compile(r'[\x00-\x1f\x7f\\/:*?"<>|]+')


def filename_part(text, limit=50):
    """User text made safe inside a file name: no path separators or characters
    Windows refuses, no control characters, not too long."""
    return _UNSAFE_IN_FILENAME.sub("_", text).strip(" .")[:limit] or "_"


# --- the goal grid -----------------------------------------------------------


@dataclass(frozen=True)
class GridRow:
    label: str  # 4月, or 2027年1月 where the fiscal year crosses into the next year
    figures: MonthFigures


@dataclass(frozen=True)
class GridExport:
    rows: tuple[GridRow, ...]
    totals: YearTotals


def month_label(calendar_year, month, first_year):
    # As on the screen: the calendar year is shown once, on the January that
    # falls in the year after the fiscal year's first month.
    if opens_calendar_year(calendar_year, month, first_year):
        return _("%(year)d年%(month)d月") % {"year": calendar_year, "month": month}
    return formatting.month_label(month)


def goal_grid(months, figures):
    """The fiscal year's rows and totals.

    ``months``: the (calendar year, month) pairs of ``fiscal_months``, in order;
    ``figures``: {month: MonthFigures} as the grid shows them (for a year
    planned per channel, its channels' sums); a month missing is empty.
    """
    first_year = months[0][0]
    rows = tuple(
        GridRow(
            month_label(calendar_year, month, first_year),
            figures.get(month) or month_figures(month, None, None),
        )
        for calendar_year, month in months
    )
    return GridExport(rows, year_totals([row.figures for row in rows]))


def _grid_header():
    return [_("月"), _("CV数"), _("CV率(%)"), _("サイト訪問数")]


def _blank(value):
    return "" if value is None else value


def grid_csv(grid):
    """UTF-8 with a BOM (so Excel reads the Japanese), CRLF line ends, empty
    cells where the screen shows —."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(text) for text in _grid_header()])
    for row in grid.rows:
        figures = row.figures
        writer.writerow(
            [
                neutralise(row.label),
                _blank(figures.cv_count),
                ""
                if figures.cv_rate is None
                else formatting.plain_decimal(figures.cv_rate),
                _blank(figures.visits),
            ]
        )
    totals = grid.totals
    writer.writerow(
        [
            neutralise(_("合計")),
            totals.cv_count,
            "" if totals.cv_rate is None else formatting.rate2(totals.cv_rate),
            totals.visits,
        ]
    )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def year_month_label(calendar_year, month):
    """2026年4月: a month with its year, as the actuals CSV writes it."""
    return _("%(year)d年%(month)d月") % {"year": calendar_year, "month": month}


def _channel_csv_header():
    return [_("年月"), _("チャネル"), _("CV数"), _("CV率"), _("サイト訪問数")]


def channel_csv(months, plan):
    """A year planned per channel, in long format: one row per month and
    channel that has a value (CV数, or リード数 for a channel that is not Web;
    or CV率), months in fiscal order and channels in their order. UTF-8 with a
    BOM, CRLF line ends; CV率 and サイト訪問数 empty where there is none (always,
    for a channel that is not Web). The channel's name is the user's text:
    neutralised like every text cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(text) for text in _channel_csv_header()])
    for index, (calendar_year, month) in enumerate(months):
        label = neutralise(year_month_label(calendar_year, month))
        for channel in plan.channels:
            cell = channel.months[index]
            if cell.cv_count is None and cell.cv_rate is None:
                continue
            writer.writerow(
                [
                    label,
                    neutralise(channel.channel.name),
                    _blank(cell.cv_count),
                    ""
                    if cell.cv_rate is None
                    else formatting.plain_decimal(cell.cv_rate),
                    _blank(cell.visits),
                ]
            )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# --- target vs actual --------------------------------------------------------


def _actuals_header():
    return [
        _("月"),
        _("目標CV数"),
        _("実績CV数"),
        _("CV達成率(%)"),
        _("目標訪問数"),
        _("実績訪問数"),
        _("訪問達成率(%)"),
        _("実績CV率(%)"),
    ]


def actual_rows(achievements, months):
    """(label, MonthAchievement) in fiscal order. Each month carries its year
    (2026年1月), so the file can be imported again as actuals."""
    return [
        (year_month_label(cal_year, month), achievement)
        for (cal_year, month), achievement in zip(months, achievements, strict=True)
    ]


def actuals_csv(rows):
    """The actuals page as CSV: UTF-8 with BOM, CRLF, empty cells for —."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(text) for text in _actuals_header()])
    for label, a in rows:
        writer.writerow(
            [
                neutralise(label),
                _blank(a.target_cv),
                _blank(a.actual_cv),
                _blank(a.cv_achievement),
                _blank(a.target_visits),
                _blank(a.actual_visits),
                _blank(a.visits_achievement),
                "" if a.actual_rate is None else formatting.rate2(a.actual_rate),
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# --- XLSX --------------------------------------------------------------------


class _Sheet:
    """Appends rows to an openpyxl worksheet: text is freed of characters XML
    cannot hold and written as a string cell, numbers stay numbers with a
    display format."""

    def __init__(self, worksheet):
        self.worksheet = worksheet
        self.row = 0

    def append(self, *cells, bold=False):
        """``cells``: plain values, or (value, number_format) pairs."""
        self.row += 1
        for column, cell in enumerate(cells, start=1):
            value, number_format = cell if isinstance(cell, tuple) else (cell, None)
            if value is None:
                continue
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)
            target = self.worksheet.cell(row=self.row, column=column, value=value)
            if isinstance(value, str):
                # A string cell, never a formula, shown as typed. Text that
                # looks like a formula also gets the quote-prefix style, as
                # Excel gives a cell typed as '=1+2: editing it in the sheet
                # keeps it text.
                target.data_type = "s"
                target.quotePrefix = value.startswith(FORMULA_TRIGGERS)
            if number_format:
                target.number_format = number_format
            if bold:
                target.font = Font(bold=True)

    def skip(self):
        self.row += 1


def _workbook_bytes(workbook):
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _count(value):
    return (value, COUNT_FORMAT)


def _rate(value):
    return (value, RATE_FORMAT)


def grid_xlsx(grid, *, account_name, year_label, actuals=None, channels=None):
    """The grid (目標設定), its actuals (目標と実績) when given, and チャネル別:
    ``channels`` is (the year's fiscal months, its ChannelPlan or None for a
    year planned as totals), whose sheet is then an empty table."""
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = _("目標設定")
    sheet = _Sheet(worksheet)
    sheet.append(
        account_name, _("目標設定 %(label)s") % {"label": year_label}, bold=True
    )
    sheet.append(*_grid_header(), bold=True)
    for row in grid.rows:
        figures = row.figures
        sheet.append(
            row.label,
            _count(figures.cv_count),
            _rate(figures.cv_rate),
            _count(figures.visits),
        )
    totals = grid.totals
    sheet.append(
        _("合計"),
        _count(totals.cv_count),
        _rate(totals.cv_rate),
        _count(totals.visits),
        bold=True,
    )
    worksheet.column_dimensions["A"].width = 16
    for column in "BCD":
        worksheet.column_dimensions[column].width = 14
    if actuals is not None:
        _actuals_sheet(
            workbook.create_sheet(_("目標と実績")), actuals, account_name, year_label
        )
    if channels is not None:
        _channel_sheet(
            workbook.create_sheet(_("チャネル別")), *channels, account_name, year_label
        )
    return _workbook_bytes(workbook)


def _actuals_sheet(worksheet, rows, account_name, year_label):
    sheet = _Sheet(worksheet)
    sheet.append(
        account_name, _("目標と実績 %(label)s") % {"label": year_label}, bold=True
    )
    sheet.append(*_actuals_header(), bold=True)
    for label, a in rows:
        sheet.append(
            label,
            _count(a.target_cv),
            _count(a.actual_cv),
            (a.cv_achievement, "0.0"),
            _count(a.target_visits),
            _count(a.actual_visits),
            (a.visits_achievement, "0.0"),
            _rate(a.actual_rate),
        )
    worksheet.column_dimensions["A"].width = 16


def _channel_sheet(worksheet, months, plan, account_name, year_label):
    """Per channel and month, the year in the last column: a Web channel's
    CV数, CV率 and サイト訪問数, another's リード数; then the months' totals as
    the grid shows them (the Web channels' sums) and every channel's leads."""
    sheet = _Sheet(worksheet)
    sheet.append(
        account_name, _("チャネル別 %(label)s") % {"label": year_label}, bold=True
    )
    first_year = months[0][0]
    sheet.append(
        _("チャネル"),
        _("項目"),
        *[
            month_label(calendar_year, month, first_year)
            for calendar_year, month in months
        ],
        _("年間"),
        bold=True,
    )
    worksheet.column_dimensions["A"].width = 16
    worksheet.column_dimensions["B"].width = 18
    if plan is None:
        sheet.append(_("この年はチャネル別に計画されていません（合計で入力）。"))
        return
    for channel in plan.channels:
        name = channel.channel.name
        if not channel.channel.online:
            sheet.append(
                name,
                _("リード数"),
                *[_count(cell.cv_count) for cell in channel.months],
                _count(channel.cv_count),
            )
            continue
        sheet.append(
            name,
            _("CV数"),
            *[_count(cell.cv_count) for cell in channel.months],
            _count(channel.cv_count),
        )
        sheet.append(
            name,
            _("CV率(%)"),
            *[_rate(cell.cv_rate) for cell in channel.months],
            _rate(channel.cv_rate),
        )
        sheet.append(
            name,
            _("サイト訪問数"),
            *[_count(cell.visits) for cell in channel.months],
            _count(channel.visits),
        )
    total = _("合計")
    year = year_totals([month.as_grid_month() for month in plan.months])
    rows = (
        (_("CV数（Web）"), "cv_count", _count, plan.cv_count),
        (_("CV率(%)"), "cv_rate", _rate, year.cv_rate),
        (_("サイト訪問数"), "visits", _count, plan.visits),
        (_("リード数（Web以外）"), "offline_leads", _count, plan.offline_leads),
        (_("リード数 合計"), "leads", _count, plan.leads),
    )
    for label, figure, cell, year_value in rows:
        sheet.append(
            total,
            label,
            *[cell(getattr(month, figure)) for month in plan.months],
            cell(year_value),
            bold=True,
        )


# --- the revenue worksheet ---------------------------------------------------


def worksheet_xlsx(
    *,
    name,
    entry_date,
    basis_label,
    plan: WorksheetInput,
    result: WorksheetResult,
):
    """Name, 記入日, basis, then ① … ⑥: each input and what it gives, the same
    figures as the worksheet page."""
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = _("ワークシート")
    sheet = _Sheet(worksheet)
    yen, unit_count, percent = _("円"), _("件"), "%"

    sheet.append(name, bold=True)
    sheet.append(_("記入日"), (entry_date, DATE_FORMAT))
    sheet.append(_("基準"), basis_label)

    sheet.skip()
    sheet.append(_("① 売上"), bold=True)
    sheet.append(_("全体売上"), _count(plan.total_revenue), yen)
    sheet.append(_("Web売上"), _count(plan.web_revenue), yen)
    sheet.append(_("Web以外の売上"), _count(result.nonweb_revenue), yen)

    sheet.skip()
    sheet.append(_("② 受注数 × 受注単価 = 売上"), bold=True)
    sheet.append(_("受注単価"), _count(plan.unit_price), yen)
    sheet.append(_("受注数"), _count(result.orders), unit_count)

    sheet.skip()
    sheet.append(_("③ 案件化数"), bold=True)
    sheet.append(_("受注率"), _rate(plan.win_rate), percent)
    if plan.skip_opportunity:
        sheet.append(_("案件化数"), _("省略"))
    else:
        sheet.append(_("案件化数"), _count(result.opportunities), unit_count)

    sheet.skip()
    sheet.append(_("④ 商談数"), bold=True)
    sheet.append(_("案件化率"), _rate(plan.opportunity_rate), percent)
    if plan.skip_opportunity:
        # Without ③ the win rate is read as meeting → order, as on the page.
        sheet.append(
            _("商談数"),
            _count(result.meetings),
            unit_count,
            _("③省略: 受注数 ÷ 受注率"),
        )
    else:
        sheet.append(_("商談数"), _count(result.meetings), unit_count)
    sheet.append(_("チャネルへの割り当て合計"), _count(result.allotted), unit_count)
    sheet.append(
        _("未割り当て（マイナスは超過）"), _count(result.unallotted), unit_count
    )

    sheet.skip()
    sheet.append(_("⑤ リード数"), bold=True)
    sheet.append(
        _("チャネル名"),
        _("オンライン / オフライン"),
        _("商談数"),
        _("商談化率(%)"),
        _("リード数"),
        bold=True,
    )
    for channel, leads in zip(plan.channels, result.channel_leads, strict=True):
        sheet.append(
            channel.name,
            _("オンライン") if channel.online else _("オフライン"),
            _count(channel.meetings),
            _rate(channel.meeting_rate),
            _count(leads),
        )
    sheet.append(_("リード数 合計"), None, None, None, _count(result.leads_total))
    sheet.append(_("うちオンライン"), None, None, None, _count(result.online_leads))

    sheet.skip()
    sheet.append(_("⑥ 訪問数"), bold=True)
    sheet.append(_("CV率"), _rate(plan.cv_rate), percent)
    sheet.append(_("訪問数"), _count(result.visits))

    worksheet.column_dimensions["A"].width = 30
    for column in "BCDE":
        worksheet.column_dimensions[column].width = 16
    return _workbook_bytes(workbook)
