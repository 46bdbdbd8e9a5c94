"""レポート・データ > 目標設定 > チャネル別: a year's plan per channel and month,
its live recompute, the goal grid of a year planned per channel (the channels'
sums, read-only) and the way back to 合計で入力."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, IntegrityError
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
)
from django.views.decorators.vary import vary_on_headers

from funnel import notices, selectors, services
from funnel.access import editor_required, member_required
from funnel.domain.channels import PlanChannel
from funnel.domain.grid import (
    month_figures,
    opens_calendar_year,
    spread_year,
    year_totals,
)
from funnel.domain.worksheet import NOTHING_LAST_YEAR
from funnel.formatting import month_label, year_label
from funnel.forms.channel_plan import (
    ChannelPlanForm,
    ChannelSpreadForm,
    calculator_channels,
    channel_tools,
    posted_channel_ids,
    preview_data,
)
from funnel.forms.fields import sent_in_full
from funnel.forms.grid import SPREAD_LAST_YEAR, SPREAD_WEIGHTS
from funnel.models import ChangeSource
from funnel.rendering import page_or_fragment, wants_fragment
from funnel.views.years import year_months, year_nav

TEMPLATE = "funnel/channel_plan.html"
GRID_TEMPLATE = "funnel/goal_grid.html"
logger = logging.getLogger(__name__)


# 保存, 上書き保存, チャネル別に切り替えて保存 (after either), the no-JavaScript 再計算.
SAVES = ("save", "overwrite", "switch", "switch_overwrite")
ACTIONS = (*SAVES, "recompute")
# The 一括入力 tools: previews, nothing saved. 全月に適用 and 配分 name their
# channel (``fill_all:<id>``); 前年をコピー is every channel's.
BULK_ACTIONS = ("fill_all", "spread", "copy_previous")


def _plan_channels(channels):
    return [PlanChannel(c.pk, c.name, c.online) for c in channels]


def _context(request, year, form, year_plan, *, spread=None, **extra):
    plan = form.plan()
    tables = form.tables(plan)
    tools = channel_tools(
        form.data if form.is_bound else None,
        form.channels,
        form.months,
        spread=spread,
    )
    return {
        **year_nav(request.account, year),
        "form": form,
        "sections": [(table, tools[table.channel.id]) for table in tables],
        "month_choices": [(month, month_label(month)) for _y, month in form.months],
        "bulk": "",
        "tables": tables,
        "month_totals": form.month_totals(plan),
        "totals": year_totals([m.as_grid_month() for m in plan.months]),
        "leads_total": plan.offline_leads,
        "year_plan": year_plan,
        "can_edit": request.membership.can_edit and not year_plan.is_locked,
        "conflict": None,
        "mode_switch": None,
        **extra,
    }


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@member_required
def channel_plan_page(request, year):
    if request.method == "POST":
        return _post(request, year)
    channels, _plan, values = selectors.channel_year(account=request.account, year=year)
    form = ChannelPlanForm(
        channels=_plan_channels(channels),
        months=year_months(request.account, year),
        values=values,
    )
    year_plan = selectors.plan_for(account=request.account, year=year)
    return TemplateResponse(request, TEMPLATE, _context(request, year, form, year_plan))


@editor_required
def _post(request, year):
    """保存 (refused if someone saved since the page was loaded), 上書き保存,
    チャネル別に切り替えて保存 (a year holding totals), or the no-JavaScript
    再計算. Only the channels the page was loaded with are read and written."""
    action = request.POST.get("action") or ""
    ids = posted_channel_ids(request.POST)
    tool, _sep, tool_channel = action.partition(":")
    if (action not in ACTIONS and tool not in BULK_ACTIONS) or not ids:
        return _refuse(request, year, ids or [], notices.INCOMPLETE_FORM, status=400)
    by_id = {
        c.pk: c for c in selectors.channel_list(account=request.account, archived=True)
    }
    if any(channel_id not in by_id for channel_id in ids):
        # Another account's channel (or none): as any other account's object.
        raise Http404
    channels = _plan_channels(by_id[channel_id] for channel_id in ids)
    if tool in BULK_ACTIONS:
        return _bulk(request, year, channels, tool, tool_channel)
    form = ChannelPlanForm(
        request.POST, channels=channels, months=year_months(request.account, year)
    )
    checked = action in ("save", "switch")
    saving = action in SAVES
    if saving and not sent_in_full(
        form, *form.base_names(checked), *(["channel"] if checked else [])
    ):
        return _refuse(request, year, ids, notices.INCOMPLETE_FORM, status=400)
    status, extra = 200, {}
    if saving and form.is_valid():
        try:
            services.channel_year_save(
                account=request.account,
                year=year,
                values=form.cell_values(),
                user=request.user,
                expected=form.base_values() if checked else None,
                source=(
                    ChangeSource.OVERWRITE
                    if not checked
                    else ChangeSource.BULK
                    if form.filled_by_bulk()
                    else ChangeSource.INPUT
                ),
                switch=action.startswith("switch"),
            )
        except services.SaveConflict as refused:
            messages.error(request, refused.message)
            extra["conflict"], status = refused, 409
        except services.ChannelModeNeeded as needed:
            messages.warning(request, needed.message)
            # A question, not an error: the page asks before switching.
            extra["mode_switch"] = _mode_switch(request, year, form, action)
        except services.YearLocked as locked:
            messages.error(request, locked.message)
            status = 409
        except IntegrityError:
            logger.warning("saving the channel plan of %s hit a constraint", year)
            messages.error(
                request,
                _(
                    "同じ月がほぼ同時に保存されたため、保存できませんでした。入力内容はそのまま残っています。最新の値を確認してからもう一度保存してください。"
                ),
            )
            status = 409
        except services.ServiceError as refused:
            messages.error(request, refused.message)
            status = 400
        except DatabaseError:
            logger.exception("saving the channel plan of %s failed", year)
            messages.error(request, notices.SAVE_FAILED)
            status = 503
        else:
            messages.success(
                request,
                _("%(label)sのチャネル別の計画を保存しました。")
                % {"label": year_label(request.account, year)},
            )
            if not wants_fragment(request):
                return redirect("funnel:goal-channels", year=year)
            values = selectors.channel_goal_values(account=request.account, year=year)
            form = ChannelPlanForm(
                channels=channels,
                months=year_months(request.account, year),
                values=values,
            )
            year_plan = selectors.plan_for(account=request.account, year=year)
            context = _context(request, year, form, year_plan)
            return page_or_fragment(request, TEMPLATE, "plan-form", context)
    elif saving:
        messages.error(request, notices.FORM_HAS_ERRORS)
    return _render_posted(request, year, channels, status=status, **extra)


def _render_posted(request, year, channels, *, status, data=None, **extra):
    """The page again with what was typed (and the base it was typed on), or
    with ``data`` a bulk tool filled in; the stored values, read only now,
    mark which cells differ from them. ``extra`` may carry the pressed
    ``spread`` form, whose messages show beside its fields."""
    values = selectors.channel_goal_values(account=request.account, year=year)
    form = ChannelPlanForm(
        request.POST if data is None else data,
        channels=channels,
        months=year_months(request.account, year),
        values=values,
    )
    year_plan = selectors.plan_for(account=request.account, year=year)
    context = _context(request, year, form, year_plan, **extra)
    # A refused save keeps the inputs on screen, even when the year was
    # locked meanwhile: the user must not lose what they typed.
    context["can_edit"] = True
    return page_or_fragment(request, TEMPLATE, "plan-form", context, status=status)


def _bulk(request, year, channels, tool, channel_id):
    """全月に適用, 年間の配分 (均等, 前年の実績比 or 比率を指定) of one channel,
    or 前年をコピー of every channel: the page again with new values in its
    inputs, as unsaved changes the user reviews and then saves. The base_*
    values pass through, so 保存 still detects a save made by someone else
    meanwhile."""
    year_plan = selectors.plan_for(account=request.account, year=year)
    if year_plan.is_locked:
        messages.error(request, services.locked_message(year_plan))
        return _render_posted(request, year, channels, status=409)
    months = year_months(request.account, year)
    spread = None  # the 配分 form of the channel whose button was pressed
    if tool == "copy_previous":
        updates = _copy_previous(request, year, channels, months)
    else:
        channel = next((c for c in channels if str(c.id) == channel_id), None)
        if channel is None:
            messages.error(request, notices.INCOMPLETE_FORM)
            return _render_posted(request, year, channels, status=400)
        if tool == "fill_all":
            form = ChannelPlanForm(request.POST, channels=channels, months=months)
            updates = _fill_all(request, form, channel, months)
        else:
            spread = ChannelSpreadForm(request.POST, channel=channel, months=months)
            updates = _spread(request, year, channel, months, spread)
    if updates is None:
        return _render_posted(request, year, channels, status=200, spread=spread)
    data = preview_data(request.POST, updates, blanks=tool == "copy_previous")
    return _render_posted(
        request, year, channels, status=200, data=data, bulk=tool, spread=spread
    )


def _copy_previous(request, year, channels, months):
    last_year = selectors.channel_goal_values(account=request.account, year=year - 1)
    label = {"label": year_label(request.account, year - 1)}
    ids = {channel.id for channel in channels}
    if not any(channel_id in ids for channel_id, _month in last_year):
        messages.warning(
            request, _("前年（%(label)s）のチャネル別の目標がありません。") % label
        )
        return None
    messages.info(
        request,
        _(
            "前年（%(label)s）のチャネル別の目標を読み込みました。保存するまで反映されません。"
        )
        % label,
    )
    return {
        (channel.id, month): last_year.get((channel.id, month), (None, None))
        for channel in channels
        for _cal_year, month in months
    }


def _fill_all(request, form, channel, months):
    text = request.POST.get(f"fill_from_{channel.id}", "")
    source = next((m for _y, m in months if str(m) == text), None)
    if source is None:
        messages.error(request, _("コピー元の月を選んでください。"))
        return None
    names = {"channel": channel.name, "month": source}
    values = form.cell_values()
    if form.has_error(f"cv_{channel.id}_{source}") or form.has_error(
        f"rate_{channel.id}_{source}"
    ):
        messages.error(
            request,
            _(
                "%(channel)s の%(month)d月の値に誤りがあります。直してから全月に適用してください。"
            )
            % names,
        )
        return None
    if values[channel.id, source] == (None, None):
        messages.error(
            request,
            _("%(channel)s の%(month)d月に値を入力してから全月に適用してください。")
            % names,
        )
        return None
    messages.info(
        request,
        _(
            "%(channel)s の%(month)d月の値を全月に適用しました。保存するまで反映されません。"
        )
        % names,
    )
    return {(channel.id, month): values[channel.id, source] for _y, month in months}


def _spread(request, year, channel, months, form):
    """The year's figure typed for ``channel`` spread over its months as the
    grid's 配分 does (largest remainder: the months add up exactly): evenly,
    by the channel's last year (its actuals, its targets where a month has
    none) or by the weights typed; its CV率, if typed, in every month. A
    refusal is a message beside the tool's field, and nothing is filled."""
    names = {"channel": channel.name}
    refused = _(
        "%(channel)s を配分できませんでした。赤く表示された欄を直してください。"
    )
    if not form.is_valid():
        messages.error(request, refused % names)
        return None
    total = form.cleaned_data["spread_total"]
    names["total"] = f"{total:,}"
    fell_back = []
    if form.spread_by() == SPREAD_LAST_YEAR:
        profile = selectors.last_year_channel_profiles(
            account=request.account, year=year
        ).get(channel.id, NOTHING_LAST_YEAR)
        if profile.empty:
            form.add_error(
                "spread_by",
                _(
                    "前年（%(label)s）の%(channel)sの実績も目標もないため、前年の実績比では配分できません。"
                )
                % {**names, "label": year_label(request.account, year - 1)},
            )
            messages.error(request, refused % names)
            return None
        weights, fell_back = profile.weights, profile.fell_back
        done = _(
            "%(channel)s の年間 %(total)s を前年の実績比で配分しました。保存するまで反映されません。"
        )
    elif form.spread_by() == SPREAD_WEIGHTS:
        weights = form.weights()
        done = _(
            "%(channel)s の年間 %(total)s を指定の比率で配分しました。保存するまで反映されません。"
        )
    else:
        weights = [1] * len(months)
        done = _(
            "%(channel)s の年間 %(total)s を各月に均等に配分しました。保存するまで反映されません。"
        )
    spread = spread_year(total, form.cleaned_data.get("spread_rate"), weights)
    messages.info(request, done % names)
    if fell_back:
        messages.info(
            request,
            _(
                "前年（%(label)s）の%(channel)sの実績がない月（%(months)s）は、前年の目標の比で配分しました。"
            )
            % {
                **names,
                "label": year_label(request.account, year - 1),
                "months": "、".join(month_label(months[i][1]) for i in fell_back),
            },
        )
    return {
        (channel.id, month): values
        for (_y, month), values in zip(months, spread, strict=True)
    }


def _refuse(request, year, ids, message, *, status):
    messages.error(request, message)
    by_id = {
        c.pk: c for c in selectors.channel_list(account=request.account, archived=True)
    }
    channels = _plan_channels(by_id[i] for i in ids if i in by_id)
    return _render_posted(request, year, channels, status=status)


def _mode_switch(request, year, form, action):
    """The confirmation of a year that holds totals: its stored totals beside
    the channels' sums as typed, month by month."""
    stored = selectors.goal_values(account=request.account, year=year)
    plan = form.plan()
    return {
        "action": "switch_overwrite" if action.endswith("overwrite") else "switch",
        "rows": [
            (
                month_label(sums.month),
                month_figures(sums.month, *stored.get(sums.month, (None, None))),
                sums.as_grid_month(),
            )
            for sums in plan.months
        ],
    }


@login_not_required
@require_POST
@vary_on_headers("HX-Request")
def channel_recompute(request, year):
    """As the user types: every channel's visits, the channels' and the
    months' totals and the messages, as out-of-band fragments (the
    template's ``computed``). A calculator like the grid's: it reads the
    channels' ids and Web flags from the page, no account, no database.

    A POST, unlike the grid's GET: the page sends all its channels' months
    (10 channels already make a request line past the 4 KB servers allow),
    and writes nothing all the same."""
    if not request.htmx:
        return redirect("funnel:goal-channels", year=year)
    form = ChannelPlanForm(request.POST, channels=calculator_channels(request.POST))
    plan = form.plan()
    context = {
        "tables": form.tables(plan),
        "month_totals": form.month_totals(plan),
        "totals": year_totals([m.as_grid_month() for m in plan.months]),
        "leads_total": plan.offline_leads,
    }
    return TemplateResponse(request, f"{TEMPLATE}#computed", context)


# --- the goal grid of a year planned per channel -----------------------------


def channel_grid(request, year, plan, *, status=200):
    """The 目標設定 grid of a year planned per channel: each month's CV数, CV率
    and サイト訪問数 are the Web channels' sums, read-only, with a link to the
    channel plan. Nothing to save here."""
    _channels, by_channel, _values = selectors.channel_year(
        account=request.account, year=year
    )
    figures = [month.as_grid_month() for month in by_channel.months]
    months = year_months(request.account, year)
    first_year = months[0][0]
    rows = [
        {
            "month": f.month,
            "label": month_label(f.month),
            "calendar_year": cal
            if opens_calendar_year(cal, f.month, first_year)
            else None,
            "figures": f,
        }
        for (cal, _month), f in zip(months, figures, strict=True)
    ]
    context = {
        **year_nav(request.account, year),
        "channel_mode": True,
        "channel_rows": rows,
        "totals": year_totals(figures),
        "leads_total": by_channel.offline_leads,
        "plan": plan,
        "return_reason": selectors.return_reason(plan=plan),
        "can_edit": request.membership.can_edit and not plan.is_locked,
    }
    return page_or_fragment(request, GRID_TEMPLATE, "grid-form", context, status=status)


@require_http_methods(["GET", "POST"])
@editor_required
def goal_mode_total(request, year):
    """合計で入力に戻す: a short confirmation (GET), then the year's totals
    become the channels' last sums (POST); the channel plan stays stored."""
    plan = selectors.plan_for(account=request.account, year=year)
    if not plan.channel_mode:
        return redirect("funnel:goal-grid", year=year)
    if request.method == "POST":
        try:
            services.plan_mode_total(
                account=request.account, year=year, user=request.user
            )
        except services.YearLocked as locked:
            messages.error(request, locked.message)
        else:
            messages.success(
                request,
                _(
                    "%(label)sを合計で入力に戻しました。チャネル別の合計を各月の目標として保存しました。"
                )
                % {"label": year_label(request.account, year)},
            )
        return redirect("funnel:goal-grid", year=year)
    if plan.is_locked:
        messages.error(request, services.locked_message(plan))
        return redirect("funnel:goal-grid", year=year)
    return TemplateResponse(
        request, "funnel/channel_mode_total.html", year_nav(request.account, year)
    )
