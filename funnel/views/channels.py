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
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from funnel import notices, selectors, services
from funnel.access import editor_required, member_required
from funnel.domain.channels import PlanChannel
from funnel.domain.grid import (
    fiscal_months,
    month_figures,
    opens_calendar_year,
    year_totals,
)
from funnel.formatting import month_label, year_label
from funnel.forms.channel_plan import (
    ChannelPlanForm,
    calculator_channels,
    posted_channel_ids,
)
from funnel.forms.fields import sent_in_full
from funnel.models import MAX_YEAR, MIN_YEAR, ChangeSource
from funnel.rendering import page_or_fragment, wants_fragment

TEMPLATE = "funnel/channel_plan.html"
GRID_TEMPLATE = "funnel/goal_grid.html"
logger = logging.getLogger(__name__)


# 保存, 上書き保存, チャネル別に切り替えて保存 (after either), the no-JavaScript 再計算.
SAVES = ("save", "overwrite", "switch", "switch_overwrite")
ACTIONS = (*SAVES, "recompute")


def _nav(request, year):
    return {
        "year": year,
        "year_label": year_label(request.account, year),
        "previous_year": year - 1 if year > MIN_YEAR else None,
        "next_year": year + 1 if year < MAX_YEAR else None,
    }


def _months(request, year):
    return fiscal_months(year, request.account.fiscal_year_start_month)


def _plan_channels(channels):
    return [PlanChannel(c.pk, c.name, c.online) for c in channels]


def _context(request, year, form, year_plan, **extra):
    plan = form.plan()
    return {
        **_nav(request, year),
        "form": form,
        "tables": form.tables(plan),
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
        channels=_plan_channels(channels), months=_months(request, year), values=values
    )
    year_plan = selectors.plan_for(account=request.account, year=year)
    return TemplateResponse(request, TEMPLATE, _context(request, year, form, year_plan))


@editor_required
def _post(request, year):
    """保存 (refused if someone saved since the page was loaded), 上書き保存,
    チャネル別に切り替えて保存 (a year holding totals), or the no-JavaScript
    再計算. Only the channels the page was loaded with are read and written."""
    action = request.POST.get("action")
    ids = posted_channel_ids(request.POST)
    if action not in ACTIONS or not ids:
        return _refuse(request, year, ids or [], notices.INCOMPLETE_FORM, status=400)
    by_id = {
        c.pk: c for c in selectors.channel_list(account=request.account, archived=True)
    }
    if any(channel_id not in by_id for channel_id in ids):
        # Another account's channel (or none): as any other account's object.
        raise Http404
    channels = _plan_channels(by_id[channel_id] for channel_id in ids)
    form = ChannelPlanForm(
        request.POST, channels=channels, months=_months(request, year)
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
                source=(ChangeSource.INPUT if checked else ChangeSource.OVERWRITE),
                switch=action.startswith("switch"),
            )
        except services.SaveConflict as refused:
            messages.error(request, refused.message)
            extra["conflict"], status = refused, 409
        except services.ChannelModeNeeded as needed:
            messages.warning(request, needed.message)
            extra["mode_switch"] = _mode_switch(request, year, form, action)
            status = 409
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
                channels=channels, months=_months(request, year), values=values
            )
            year_plan = selectors.plan_for(account=request.account, year=year)
            context = _context(request, year, form, year_plan)
            return page_or_fragment(request, TEMPLATE, "plan-form", context)
    elif saving:
        messages.error(request, notices.FORM_HAS_ERRORS)
    return _render_posted(request, year, channels, status=status, **extra)


def _render_posted(request, year, channels, *, status, **extra):
    """The page again with what was typed (and the base it was typed on); the
    stored values, read only now, mark which cells differ from them."""
    values = selectors.channel_goal_values(account=request.account, year=year)
    form = ChannelPlanForm(
        request.POST, channels=channels, months=_months(request, year), values=values
    )
    year_plan = selectors.plan_for(account=request.account, year=year)
    context = _context(request, year, form, year_plan, **extra)
    # A refused save keeps the inputs on screen, even when the year was
    # locked meanwhile: the user must not lose what they typed.
    context["can_edit"] = True
    return page_or_fragment(request, TEMPLATE, "plan-form", context, status=status)


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
@require_GET
@vary_on_headers("HX-Request")
def channel_recompute(request, year):
    """As the user types: every channel's visits, the channels' and the
    months' totals and the messages, as out-of-band fragments (the
    template's ``computed``). A calculator like the grid's: it reads the
    channels' ids and Web flags from the page, no account, no database."""
    if not request.htmx:
        return redirect("funnel:goal-channels", year=year)
    form = ChannelPlanForm(request.GET, channels=calculator_channels(request.GET))
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
    months = _months(request, year)
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
        **_nav(request, year),
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
        request, "funnel/channel_mode_total.html", _nav(request, year)
    )
