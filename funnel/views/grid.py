"""レポート・データ > 目標設定: the monthly goal grid of one (fiscal) year, its
overview for the manager's review, and its change history."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, IntegrityError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from funnel import notices, selectors, services
from funnel.access import editor_required, member_required
from funnel.charts import monthly_chart, stacked_chart
from funnel.domain.achievement import target_achievements, year_to_date
from funnel.domain.grid import (
    change,
    compare_years,
    fill_all,
    fiscal_months,
    last_year_weights,
    quarters,
    spread_year,
    year_totals,
)
from funnel.formatting import month_label, year_label
from funnel.forms.account import PlanReviewForm
from funnel.forms.fields import sent_in_full
from funnel.forms.grid import (
    SPREAD_LAST_YEAR,
    SPREAD_WEIGHTS,
    GoalYearForm,
    GridFillForm,
    GridSpreadForm,
)
from funnel.models import ChangeSource, PlanAction
from funnel.rendering import page_or_fragment, wants_fragment
from funnel.views import channels
from funnel.views.years import year_months, year_nav

TEMPLATE = "funnel/goal_grid.html"
logger = logging.getLogger(__name__)


def _form(request, year, data=None, goals=None):
    return GoalYearForm(data, goals=goals, months=year_months(request.account, year))


def _tool_forms(request, year, action=None):
    """The 一括入力 forms under the grid. Only the one whose button was pressed
    is bound (and so validated); the other keeps what was typed in it, shown
    as its initial value."""
    months = year_months(request.account, year)
    data = request.POST if request.method == "POST" else None
    typed = data.dict() if data is not None else None
    fill = GridFillForm(
        data if action == "fill_all" else None, months=months, initial=typed
    )
    spread = GridSpreadForm(
        data if action == "spread" else None, months=months, initial=typed
    )
    return fill, spread


def _context(request, year, form, plan, tools=None):
    """The page's context: the grid's rows and totals from ``form``, and the
    bulk-input forms (``tools``, when a bulk action was pressed)."""
    rows = form.rows()
    fill, spread = tools or _tool_forms(request, year)
    return {
        **year_nav(request.account, year),
        "form": form,
        "rows": rows,
        "totals": year_totals([row.figures for row in rows]),
        "plan": plan,
        # Shown above the table while the year is 差し戻し (no query otherwise).
        "return_reason": selectors.return_reason(plan=plan),
        "can_edit": request.membership.can_edit and not plan.is_locked,
        "fill_form": fill,
        "spread_form": spread,
        "spread_open": spread.is_bound,
        "last_year_label": year_label(request.account, year - 1),
    }


@require_GET
@member_required
def goal_grid_current(request):
    return goal_grid(request, request.account.fiscal_year_of(timezone.localdate()))


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@member_required
def goal_grid(request, year):
    if request.method == "POST":
        return _goal_grid_post(request, year)
    goals, plan = selectors.goal_year(account=request.account, year=year)
    if plan.channel_mode:
        # Planned per channel: the channels' sums, read-only.
        return channels.channel_grid(request, year, plan)
    form = _form(request, year, goals=goals)
    return TemplateResponse(request, TEMPLATE, _context(request, year, form, plan))


BULK_ACTIONS = ("fill_all", "copy_previous", "spread")
# 保存, 上書き保存 (after a conflict), the no-JavaScript 再計算 and the bulk tools.
GRID_ACTIONS = ("save", "overwrite", "recompute", *BULK_ACTIONS)


@editor_required
def _goal_grid_post(request, year):
    """保存 (refused if someone saved since the page was loaded), 上書き保存 (the
    user chose to replace their changes), the no-JavaScript 再計算, or one of
    the 一括入力 previews (nothing saved)."""
    action = request.POST.get("action")
    form = _form(request, year, request.POST)
    saving = action in ("save", "overwrite")
    if action not in GRID_ACTIONS or (
        saving and not sent_in_full(form, *form.base_names(action == "save"))
    ):
        return _refuse(request, year, notices.INCOMPLETE_FORM, status=400)
    if action in BULK_ACTIONS:
        return _goal_grid_bulk(request, year, action)
    status, conflict = 200, None
    if saving and form.is_valid():
        try:
            services.goal_year_save(
                account=request.account,
                year=year,
                months=form.month_values(),
                user=request.user,
                expected=form.base_values() if action == "save" else None,
                source=_source(action, form),
                refuse_channel_mode=True,
            )
        except services.ChannelModeOn as refused:
            # A page loaded before the year went チャネル別: its sums, read-only.
            messages.error(request, refused.message)
            plan = selectors.plan_for(account=request.account, year=year)
            return channels.channel_grid(request, year, plan, status=409)
        except services.SaveConflict as refused:
            messages.error(request, refused.message)
            conflict = refused
            status = 409
        except services.YearLocked as locked:
            messages.error(request, locked.message)
            status = 409
        except IntegrityError:
            # Another save of the same months won the race at the database.
            logger.warning("saving the goals of %s hit a constraint", year)
            messages.error(
                request,
                _(
                    "同じ月がほぼ同時に保存されたため、保存できませんでした。入力内容はそのまま残っています。最新の値を確認してからもう一度保存してください。"
                ),
            )
            status = 409
        except DatabaseError:
            logger.exception("saving the goals of %s failed", year)
            messages.error(request, notices.SAVE_FAILED)
            status = 503
        else:
            messages.success(
                request,
                _("%(label)sの目標を保存しました。")
                % {"label": year_label(request.account, year)},
            )
            _warn_incomplete(request, form)
            if not wants_fragment(request):
                return redirect("funnel:goal-grid", year=year)
            goals, plan = selectors.goal_year(account=request.account, year=year)
            form = _form(request, year, goals=goals)
            return _render_form(request, year, form, plan)
    elif saving:
        messages.error(request, notices.FORM_HAS_ERRORS)
    # Re-rendered with the typed text (and the base it was typed on); the
    # stored values, read only now, mark which cells differ from them.
    goals, plan = selectors.goal_year(account=request.account, year=year)
    form = _form(request, year, request.POST, goals=goals)
    response = _render_form(
        request,
        year,
        form,
        plan,
        keep_inputs=True,
        conflict=conflict,
        first_error=_first_error(form) if saving else None,
    )
    response.status_code = status
    return response


def _source(action, form):
    """How the saved values came, for the history: 上書き names what a
    conflict made the user replace, whichever way the values were filled."""
    if action == "overwrite":
        return ChangeSource.OVERWRITE
    return ChangeSource.BULK if form.filled_by_bulk() else ChangeSource.INPUT


def _warn_incomplete(request, form):
    """A month with only one of CV数 and CV率 is saved as typed, but has no
    visits figure: say which months, so the gap is not missed."""
    months = [row.month for row in form.rows() if row.figures.incomplete]
    if months:
        messages.warning(
            request,
            _(
                "%(months)sはCV数とCV率の一方だけが入力されているため、サイト訪問数を計算できません。両方を入力してください。"
            )
            % {"months": "、".join(month_label(m) for m in months)},
        )


def _first_error(form):
    """The name of the grid's first cell with an error, in the page's order:
    a refused save puts the caret there (autofocus; app.js after a swap)."""
    for row in form.rows():
        for cell in (row.cv, row.rate):
            if cell.errors:
                return cell.name
    return None


def _refuse(request, year, message, *, status, goals=None, plan=None):
    """The grid again with what was posted and why nothing happened."""
    messages.error(request, message)
    if plan is None:
        goals, plan = selectors.goal_year(account=request.account, year=year)
    form = _form(request, year, request.POST, goals=goals)
    response = _render_form(request, year, form, plan, keep_inputs=True)
    response.status_code = status
    return response


def _goal_grid_bulk(request, year, action):
    """全月に適用, 前年をコピー, 年間の配分: the grid shown again with new values
    in its inputs, as unsaved changes the user reviews and then saves (or
    undoes). The base_* values are passed through untouched, so 保存 still
    detects a save made by someone else meanwhile."""
    goals, plan = selectors.goal_year(account=request.account, year=year)
    if plan.is_locked:
        # Nothing to preview into: the year cannot be saved.
        return _refuse(
            request,
            year,
            services.locked_message(plan),
            status=409,
            goals=goals,
            plan=plan,
        )
    form = _form(request, year, request.POST)
    tools = _tool_forms(request, year, action)
    if action == "fill_all":
        data = _fill_all(request, form, tools[0])
    elif action == "copy_previous":
        data = _copy_previous(request, year, form)
    else:
        data = _spread(request, year, form, tools[1])
    form = _form(request, year, request.POST if data is None else data, goals=goals)
    return _render_form(
        request,
        year,
        form,
        plan,
        keep_inputs=True,
        tools=tools,
        bulk=action if data is not None else "",
    )


def _fill_all(request, form, fill_form):
    if not fill_form.is_valid():
        messages.error(request, fill_form.errors["fill_from"][0])
        return None
    source = fill_form.cleaned_data["fill_from"]
    month = {"month": source}
    if form.has_error(f"cv_count_{source}") or form.has_error(f"cv_rate_{source}"):
        messages.error(
            request,
            _("%(month)d月の値に誤りがあります。直してから全月に適用してください。")
            % month,
        )
        return None
    values = form.month_values()
    if values[source] == (None, None):
        messages.error(
            request,
            _("%(month)d月にCV数かCV率を入力してから全月に適用してください。") % month,
        )
        return None
    messages.info(
        request,
        _("%(month)d月の値を全月に適用しました。保存するまで反映されません。") % month,
    )
    return form.preview_data(fill_all(values, source), blanks=False)


def _copy_previous(request, year, form):
    # Last year as its grid showed it: per channel, the channels' sums.
    last_year = selectors.goal_month_figures(account=request.account, year=year - 1)
    label = {"label": year_label(request.account, year - 1)}
    values = {
        month: (figures.cv_count, figures.cv_rate)
        for month, figures in last_year.items()
    }
    if all(pair == (None, None) for pair in values.values()):
        messages.warning(request, _("前年（%(label)s）の目標がありません。") % label)
        return None
    messages.info(
        request,
        _("前年（%(label)s）の目標を読み込みました。保存するまで反映されません。")
        % label,
    )
    return form.preview_data(values, blanks=True)


def _spread(request, year, form, spread_form):
    refused = _("配分できませんでした。赤く表示された欄を直してください。")
    if not spread_form.is_valid():
        messages.error(request, refused)
        return None
    data = spread_form.cleaned_data
    months = [month for _cal_year, month in year_months(request.account, year)]
    fell_back = []
    if data["spread_by"] == SPREAD_LAST_YEAR:
        # Last year's actual CV数; a month without one weighs by its target.
        actuals = selectors.actuals_by_month(account=request.account, year=year - 1)
        targets = selectors.goal_month_figures(account=request.account, year=year - 1)
        weights, fell_back = last_year_weights(
            [a.cv_count if (a := actuals.get(m)) else None for m in months],
            [g.cv_count if (g := targets.get(m)) else None for m in months],
        )
        if not any(weights):
            spread_form.add_error(
                "spread_by",
                _(
                    "前年（%(label)s）の実績CV数も目標CV数もないため、前年の実績比では配分できません。"
                )
                % {"label": year_label(request.account, year - 1)},
            )
            messages.error(request, refused)
            return None
    elif data["spread_by"] == SPREAD_WEIGHTS:
        weights = spread_form.weights()
    else:
        weights = [1] * len(months)
    spread = spread_year(data["spread_total"], data["spread_rate"], weights)
    messages.info(
        request,
        _("年間CV数 %(total)s を各月に配分しました。保存するまで反映されません。")
        % {"total": f"{data['spread_total']:,}"},
    )
    if fell_back:
        messages.info(
            request,
            _(
                "前年（%(label)s）の実績CV数がない月（%(months)s）は、前年の目標CV数の比で配分しました。"
            )
            % {
                "label": year_label(request.account, year - 1),
                "months": "、".join(month_label(months[i]) for i in fell_back),
            },
        )
    return form.preview_data(dict(zip(months, spread, strict=True)), blanks=False)


def _render_form(
    request,
    year,
    form,
    plan,
    keep_inputs=False,
    conflict=None,
    tools=None,
    bulk="",
    first_error=None,
):
    context = _context(request, year, form, plan, tools=tools)
    context["conflict"] = conflict
    context["first_error"] = first_error
    # Tells the page's script which bulk action changed the inputs, so that
    # it offers 元に戻す.
    context["bulk"] = bulk
    if keep_inputs:
        # A refused save keeps the inputs on screen, even when the year was
        # locked meanwhile: the user must not lose what they typed.
        context["can_edit"] = True
    return page_or_fragment(request, TEMPLATE, "grid-form", context)


@login_not_required
@require_GET
@vary_on_headers("HX-Request")
def goal_recompute(request, year):
    """As the user types: every month's visits, the totals and the messages,
    as out-of-band fragments (the template's ``computed``). Nothing is saved.
    The inputs are never swapped.

    A calculator: numbers in, numbers out. It reads no account's data and
    writes nothing, so it needs no sign-in, no session and no database; the
    access matrix checks that it touches the database for nobody. Not knowing
    the account, it answers the months in calendar order: each swap finds
    its element by id."""
    if not request.htmx:
        return redirect("funnel:goal-grid", year=year)
    rows = GoalYearForm(request.GET).rows()
    context = {"rows": rows, "totals": year_totals([row.figures for row in rows])}
    return TemplateResponse(request, f"{TEMPLATE}#computed", context)


def _year_figures(request, year):
    """The year's months as its grid shows them (a year planned per channel:
    its channels' sums), in fiscal order."""
    return list(
        selectors.goal_month_figures(account=request.account, year=year).values()
    )


@require_GET
@member_required
def goal_overview(request, year):
    """The year at a glance for the manager's review: months, quarters and the
    year beside last year, a chart, and the approval state with its history."""
    return _overview(request, year, PlanReviewForm())


def _overview(request, year, review_form, status=200):
    plan = selectors.plan_for(account=request.account, year=year)
    targets, channels = selectors.year_targets(
        account=request.account, year=year, plan=plan
    )
    this_year = list(targets.values())
    last_year = _year_figures(request, year - 1)
    totals, last_totals = year_totals(this_year), year_totals(last_year)
    labels = [month_label(f.month) for f in this_year]
    context = {
        **year_nav(request.account, year),
        "last_year_label": year_label(request.account, year - 1),
        "rows": compare_years(this_year, last_year),
        "quarters": list(zip(quarters(this_year), quarters(last_year), strict=True)),
        "totals": totals,
        "last_totals": last_totals,
        "totals_cv_change": change(totals.cv_count, last_totals.cv_count),
        "totals_visits_change": change(totals.visits, last_totals.visits),
        "chart": monthly_chart(
            labels, [f.cv_count for f in this_year], [f.visits for f in this_year]
        ),
        "plan": plan,
        "events": selectors.plan_events(plan=plan),
        "actions": services.plan_actions_for(membership=request.membership, plan=plan),
        "review_form": review_form,
        **_overview_actuals(request, year, this_year, labels),
        **_overview_channels(request, year, channels, labels),
    }
    return TemplateResponse(
        request, "funnel/goal_overview.html", context, status=status
    )


def _overview_actuals(request, year, this_year, labels):
    """The same target-vs-actual figures as the actuals page, for the review."""
    actuals = selectors.actuals_by_month(account=request.account, year=year)
    months = target_achievements(
        fiscal_months(year, request.account.fiscal_year_start_month),
        {f.month: f for f in this_year},
        {m: (a.cv_count, a.visits) for m, a in actuals.items()},
        timezone.localdate(),
    )
    return {
        "achievements": months,
        "cv_to_date": year_to_date(months, field="cv"),
        "visits_to_date": year_to_date(months, field="visits"),
        "actual_chart": monthly_chart(
            labels,
            [m.target_cv for m in months],
            second_bars=[m.actual_cv for m in months],
        ),
    }


class ChannelSummary:
    """One channel's row of the summary: its year (ChannelYear) and, where the
    year has channel actuals, its year to date (YearToDate of its CV数)."""

    __slots__ = ("plan", "to_date")

    def __init__(self, plan, to_date):
        self.plan = plan
        self.to_date = to_date


def _overview_channels(request, year, channels, labels):
    """A year planned per channel: its leads per month stacked by channel,
    and each channel's year beside its actuals (when there are any). Nothing,
    and no query, for a year planned as totals."""
    if channels is None:
        return {"channels": None}
    actuals = selectors.channel_actual_values(account=request.account, year=year)
    months = fiscal_months(year, request.account.fiscal_year_start_month)
    rows = []
    for channel in channels.channels:
        achievements = target_achievements(
            months,
            {cell.month: cell for cell in channel.months},
            {
                month: values
                for (channel_id, month), values in actuals.items()
                if channel_id == channel.channel.id
            },
            timezone.localdate(),
        )
        rows.append(
            ChannelSummary(
                channel, year_to_date(achievements, field="cv") if actuals else None
            )
        )
    return {
        "channels": channels,
        "channel_rows": rows,
        # The chart's figures as a table: a month, each channel's leads, all.
        "channel_months": [
            (
                label,
                [channel.months[index].cv_count for channel in channels.channels],
                month.leads,
            )
            for index, (label, month) in enumerate(
                zip(labels, channels.months, strict=True)
            )
        ],
        "channel_actuals": bool(actuals),
        "channel_chart": stacked_chart(
            labels,
            [
                (channel.channel.name, [cell.cv_count for cell in channel.months])
                for channel in channels.channels
            ],
        ),
    }


@require_POST
@member_required
def goal_review(request, year):
    """提出 / 承認 / 差し戻し (and an admin's reopen) of a year's plan."""
    form = PlanReviewForm(request.POST)
    if not form.is_valid():
        return _overview(request, year, form, status=200)
    action = form.cleaned_data["action"]
    allowed_roles, _sources, _target = services.PLAN_TRANSITIONS[action]
    if request.membership.role not in allowed_roles:
        raise PermissionDenied
    try:
        services.plan_transition(
            account=request.account,
            year=year,
            action=action,
            membership=request.membership,
            comment=form.cleaned_data["comment"],
        )
    except services.ServiceError as error:
        form.add_error("comment", error.message)
        return _overview(request, year, form, status=200)
    messages.success(
        request,
        _("%(label)sの目標を「%(action)s」しました。")
        % {
            "label": year_label(request.account, year),
            "action": PlanAction(action).label,
        },
    )
    return redirect("funnel:goal-overview", year=year)


@require_GET
@vary_on_headers("HX-Request")
@member_required
def goal_history(request, year):
    """Who changed which month's targets, when, how (入力, 上書き, ワークシート
    反映), from what to what; and the year's 提出, 承認 and 差し戻し among them."""
    context = {
        **year_nav(request.account, year),
        "changes": selectors.goal_history(account=request.account, year=year),
    }
    return page_or_fragment(request, "funnel/history.html", "history-list", context)
