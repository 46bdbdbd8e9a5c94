"""Exports: the year's grid as CSV and XLSX, a worksheet as XLSX.

Any member may download (managers included: reading is all an export does).
The rows are built by ``funnel.exports`` from the same domain functions as the
screens; a view here only reads through the account and answers with a file.
"""

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from funnel import exports, selectors
from funnel.access import member_required
from funnel.domain import worksheet as worksheet_domain
from funnel.domain.achievement import target_achievements
from funnel.formatting import year_label
from funnel.forms.worksheet import worksheet_input_of
from funnel.models import Worksheet
from funnel.views.years import year_months


def _year_goals(request, year):
    """The year's targets as the grid shows them, and its ChannelPlan (None
    for a year planned as totals)."""
    return selectors.year_targets(account=request.account, year=year)


def _year_grid(request, year, goals):
    return exports.goal_grid(year_months(request.account, year), goals)


def _file_response(content, content_type, filename, fallback):
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = exports.content_disposition(filename, fallback)
    return response


def _grid_filename(request, year, extension):
    label = year_label(request.account, year)
    return _("目標設定_%(label)s.%(ext)s") % {"label": label, "ext": extension}


@require_GET
@member_required
def goal_export_csv(request, year):
    """The grid's months; a year planned per channel in long format instead
    (年月, チャネル, CV数, CV率, サイト訪問数)."""
    goals, channels = _year_goals(request, year)
    if channels is not None:
        content = exports.channel_csv(year_months(request.account, year), channels)
    else:
        content = exports.grid_csv(_year_grid(request, year, goals))
    return _file_response(
        content,
        exports.CSV_CONTENT_TYPE,
        _grid_filename(request, year, "csv"),
        f"goals-{year}.csv",
    )


def _actual_rows(request, year, goals):
    account = request.account
    actuals = selectors.actuals_by_month(account=account, year=year)
    values = {m: (a.cv_count, a.visits) for m, a in actuals.items()}
    months = year_months(request.account, year)
    achievements = target_achievements(months, goals, values, timezone.localdate())
    return exports.actual_rows(achievements, months)


@require_GET
@member_required
def goal_export_xlsx(request, year):
    goals, channels = _year_goals(request, year)
    grid = _year_grid(request, year, goals)
    content = exports.grid_xlsx(
        grid,
        account_name=request.account.name,
        year_label=year_label(request.account, year),
        actuals=_actual_rows(request, year, goals),
        channels=(year_months(request.account, year), channels),
    )
    return _file_response(
        content,
        exports.XLSX_CONTENT_TYPE,
        _grid_filename(request, year, "xlsx"),
        f"goals-{year}.xlsx",
    )


@require_GET
@member_required
def worksheet_export_xlsx(request, pk):
    try:
        worksheet = selectors.worksheet_get(account=request.account, pk=pk)
    except Worksheet.DoesNotExist:
        # Another account's worksheet is a 404, like one that does not exist.
        raise Http404 from None
    plan = worksheet_input_of(worksheet)
    content = exports.worksheet_xlsx(
        name=worksheet.name,
        entry_date=worksheet.entry_date,
        basis_label=worksheet.get_basis_display(),
        plan=plan,
        result=worksheet_domain.compute(plan),
    )
    return _file_response(
        content,
        exports.XLSX_CONTENT_TYPE,
        f"{exports.filename_part(worksheet.name)}.xlsx",
        f"worksheet-{worksheet.pk}.xlsx",
    )


@require_GET
@member_required
def actuals_export_csv(request, year):
    """The actuals page (目標 vs 実績) as CSV."""
    goals, _channels = _year_goals(request, year)
    label = year_label(request.account, year)
    return _file_response(
        exports.actuals_csv(_actual_rows(request, year, goals)),
        exports.CSV_CONTENT_TYPE,
        _("目標と実績_%(label)s.csv") % {"label": label},
        f"actuals-{year}.csv",
    )
