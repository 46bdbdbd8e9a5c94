"""The revenue worksheet (BtoBマーケティングにおける目標設定): list, edit with live
recompute, duplicate, delete, print, and apply to the 目標設定 grid."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, IntegrityError
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from funnel import notices, selectors, services
from funnel.access import editor_required, member_required
from funnel.domain import worksheet as worksheet_domain
from funnel.domain.achievement import month_share_passed
from funnel.domain.channels import channel_plan
from funnel.domain.grid import fiscal_months, month_figures, year_totals
from funnel.domain.numbers import MAX_COUNT
from funnel.domain.worksheet import NOTHING_LAST_YEAR
from funnel.formatting import month_label, year_label
from funnel.forms.grid import SPREAD_EVEN, SPREAD_LAST_YEAR
from funnel.forms.worksheet import (
    OVERWRITE,
    SAVE,
    ApplyForm,
    WorksheetEditor,
    YearForm,
    worksheet_input_of,
)
from funnel.models import Basis, Worksheet
from funnel.rendering import page_or_fragment, wants_fragment

TEMPLATE = "funnel/worksheet.html"
logger = logging.getLogger(__name__)
NOT_FOUND = gettext_lazy(
    "このワークシートは見つかりません（ほかの画面で削除された可能性があります）。保存していません。入力内容はそのまま残っています。"
)
SAVE_AS_NEW = gettext_lazy("保存すると、新しいワークシートとして作成します。")
SAVE_CONFLICT = gettext_lazy(
    "ほぼ同時にほかの保存があったため、保存できませんでした。入力内容はそのまま残っています。もう一度保存してください。"
)


def _get_worksheet(request, pk):
    """The account's worksheet; another account's is a 404, like a missing one."""
    try:
        return selectors.worksheet_get(account=request.account, pk=pk)
    except Worksheet.DoesNotExist:
        raise Http404 from None


class ChannelRow:
    """A row of ⑤: its channel form, the channel it describes, its leads and
    whether its rate is outside the reference range."""

    __slots__ = ("form", "leads", "linked", "number", "options", "plan", "warning")

    def __init__(self, *, number, form, plan, leads, editor):
        self.number = number
        self.form = form
        self.plan = plan
        self.leads = leads
        # The account's channels it may pick, and whether it has picked one
        # (then its name and Web flag are the channel's, not inputs).
        self.options = editor.channel_options(form)
        chosen = str(form["channel"].value() or "")
        self.linked = any(str(channel.pk) == chosen for channel in self.options)
        self.warning = worksheet_domain.outside_reference(
            "meeting_rate", plan.meeting_rate
        )


def _sheet(editor):
    """What the sheet shows from the editor's forms: the inputs, and the plan
    they describe with its results and warnings (the recompute's context)."""
    plan = editor.domain_input()
    result = worksheet_domain.compute(plan)
    return {
        "editor": editor,
        "form": editor.form,
        "plan": plan,
        "result": result,
        "channel_rows": [
            ChannelRow(
                number=number, form=form, plan=channel, leads=leads, editor=editor
            )
            for number, (form, channel, leads) in enumerate(
                zip(
                    editor.channels.forms,
                    plan.channels,
                    result.channel_leads,
                    strict=True,
                ),
                start=1,
            )
        ],
        "warnings": {
            "win_rate": worksheet_domain.outside_reference("win_rate", plan.win_rate),
            # Not used with ③ skipped: nothing to warn about.
            "opportunity_rate": not plan.skip_opportunity
            and worksheet_domain.outside_reference(
                "opportunity_rate", plan.opportunity_rate
            ),
        },
    }


def _page_context(request, editor, worksheet=None, *, conflict=None, gone=False):
    """The page's context. ``gone``: the worksheet posted to is not there (any
    more): the typed sheet is shown to be saved as a new one."""
    return {
        **_sheet(editor),
        "worksheet": worksheet,
        "can_edit": request.membership.can_edit,
        "focus_last_channel": editor.action == "add",
        "form_url": reverse("funnel:worksheet-new") if gone else request.path,
        "conflict": conflict,
        "reload_url": request.path,
    }


def _stored_editor(request, worksheet=None, *, disabled=False):
    """A stored worksheet (or a new one, dated today) as it is first shown,
    carrying what it was loaded with for the save to compare."""
    return WorksheetEditor(
        worksheet=worksheet,
        today=timezone.localdate(),
        disabled=disabled,
        base=worksheet and services.worksheet_snapshot(worksheet),
        account_channels=_account_channels(request),
    )


def _account_channels(request):
    """The account's channels a row may pick (archived ones too: a stored row
    may name one)."""
    return selectors.channel_list(account=request.account, archived=True)


@require_GET
@member_required
def worksheet_list(request):
    worksheets = selectors.worksheet_list(account=request.account)
    rows = [
        (worksheet, worksheet_domain.compute(worksheet_input_of(worksheet)))
        for worksheet in worksheets
    ]
    return TemplateResponse(
        request,
        "funnel/worksheet_list.html",
        {"rows": rows, "can_edit": request.membership.can_edit},
    )


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@editor_required
def worksheet_new(request):
    if request.method == "POST":
        return _worksheet_post(request, None)
    return TemplateResponse(
        request, TEMPLATE, _page_context(request, _stored_editor(request))
    )


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@member_required
def worksheet_detail(request, pk):
    try:
        worksheet = selectors.worksheet_get(account=request.account, pk=pk)
    except Worksheet.DoesNotExist:
        if request.method == "POST" and request.membership.can_edit:
            return _worksheet_gone(
                request,
                WorksheetEditor(
                    request.POST, account_channels=_account_channels(request)
                ),
                NOT_FOUND,
                status=404,
            )
        raise Http404 from None
    if request.method == "POST":
        if not request.membership.can_edit:
            raise PermissionDenied
        return _worksheet_post(request, worksheet)
    editor = _stored_editor(
        request, worksheet, disabled=not request.membership.can_edit
    )
    return TemplateResponse(
        request, TEMPLATE, _page_context(request, editor, worksheet)
    )


def _worksheet_post(request, worksheet):
    """保存 (refused if someone saved since the page was loaded), 上書き保存 (the
    user chose to replace their changes), the no-JavaScript 再計算, or an edit
    of the channel rows (add, remove, move) without saving."""
    editor = WorksheetEditor(
        request.POST,
        worksheet=worksheet,
        account_channels=_account_channels(request),
    )
    if not editor.is_complete():
        # Nothing is read from it: shown again as it came, with no base, so
        # that only a page loaded again saves.
        messages.error(request, notices.INCOMPLETE_FORM)
        editor.base = None
        return _render(request, editor, worksheet, status=400)
    if editor.action not in (SAVE, OVERWRITE):
        return _render(request, editor, worksheet)
    if not editor.is_valid():
        messages.error(request, notices.FORM_HAS_ERRORS)
        return _render(request, editor, worksheet)
    try:
        saved = services.worksheet_save(
            account=request.account,
            worksheet=worksheet,
            fields=editor.cleaned_fields(),
            channels=editor.cleaned_channels(),
            user=request.user,
            expected=editor.base if editor.action == SAVE else None,
        )
    except services.SaveConflict as conflict:
        # The typed sheet again, with the base it was typed on: what changed
        # meanwhile, 上書き保存, or reload.
        messages.error(request, conflict.message)
        return _render(request, editor, worksheet, status=409, conflict=conflict)
    except services.WorksheetGone as gone:
        return _worksheet_gone(request, editor, gone.message, status=409)
    except IntegrityError:
        logger.warning(
            "saving worksheet %s hit a constraint", worksheet and worksheet.pk
        )
        messages.error(request, SAVE_CONFLICT)
        return _render(request, editor, worksheet, status=409)
    except DatabaseError:
        # The transaction left nothing half-written; the form is shown
        # again with everything the user typed.
        logger.exception("saving worksheet %s failed", worksheet and worksheet.pk)
        messages.error(request, notices.SAVE_FAILED)
        return _render(request, editor, worksheet, status=503)
    messages.success(
        request,
        _("ワークシート「%(name)s」を保存しました。") % {"name": saved.name},
    )
    url = saved.get_absolute_url()
    if not wants_fragment(request):
        return redirect(url)
    if worksheet is None:
        return HttpResponseClientRedirect(url)
    # The form again as stored, with the save's message.
    worksheet = selectors.worksheet_get(account=request.account, pk=saved.pk)
    return _render(request, _stored_editor(request, worksheet), worksheet)


def _worksheet_gone(request, editor, message, *, status):
    """A save to a worksheet that is not there (deleted before or during the
    save; one never in this account gets the same answer): nothing written,
    the typed sheet shown to be saved as a new worksheet."""
    messages.error(request, f"{message}{SAVE_AS_NEW}")
    editor.worksheet = editor.base = None
    return _render(request, editor, None, status=status, gone=True)


def _render(request, editor, worksheet, *, status=200, conflict=None, gone=False):
    context = _page_context(request, editor, worksheet, conflict=conflict, gone=gone)
    return page_or_fragment(request, TEMPLATE, "worksheet-form", context, status=status)


@login_not_required
@require_GET
@vary_on_headers("HX-Request")
def worksheet_recompute(request):
    """As the user types: every result, formula and warning, and the messages
    (all emptied, then the ones there are), as out-of-band fragments. Nothing
    is saved; no input is swapped.

    Like the grid's, a calculator: it binds the page's own form to the query
    and reads no account's data, so it needs no sign-in or database."""
    if not request.htmx:
        return redirect("funnel:worksheet-list")
    editor = WorksheetEditor(request.GET)
    return TemplateResponse(request, f"{TEMPLATE}#computed", _sheet(editor))


@require_POST
@editor_required
def worksheet_duplicate(request, pk):
    worksheet = _get_worksheet(request, pk)
    name = _("%(name)s のコピー") % {"name": worksheet.name}
    copy = services.worksheet_duplicate(
        worksheet=worksheet,
        name=name[: Worksheet._meta.get_field("name").max_length],
        user=request.user,
    )
    messages.success(request, _("ワークシートを複製しました。"))
    return redirect(copy)


@require_http_methods(["GET", "POST"])
@editor_required
def worksheet_delete(request, pk):
    worksheet = _get_worksheet(request, pk)
    if request.method == "POST":
        name = worksheet.name
        services.worksheet_delete(worksheet=worksheet, user=request.user)
        messages.success(
            request, _("ワークシート「%(name)s」を削除しました。") % {"name": name}
        )
        return redirect("funnel:worksheet-list")
    return TemplateResponse(
        request, "funnel/worksheet_confirm_delete.html", {"worksheet": worksheet}
    )


@require_GET
@member_required
def worksheet_print(request, pk):
    worksheet = _get_worksheet(request, pk)
    editor = _stored_editor(request, worksheet, disabled=True)
    return TemplateResponse(
        request,
        "funnel/worksheet_print.html",
        {**_sheet(editor), "worksheet": worksheet},
    )


def worksheet_year(account, worksheet):
    """The fiscal year a worksheet is for: its 記入日's, or the current one
    when that has passed (a past year is never offered first)."""
    current = account.fiscal_year_of(timezone.localdate())
    return max(account.fiscal_year_of(worksheet.entry_date), current)


@require_http_methods(["GET", "POST"])
@editor_required
def worksheet_apply(request, pk):
    """目標設定に反映: preview the 12 months beside what the grid holds, then
    confirm; an annual worksheet is spread evenly or by last year's profile
    (配分), the same in the preview and in what it confirms."""
    worksheet = _get_worksheet(request, pk)
    result = worksheet_domain.compute(worksheet_input_of(worksheet))
    annual = worksheet.basis == Basis.ANNUAL
    data = request.POST if request.method == "POST" else request.GET
    form = ApplyForm(
        data if "year" in data else None,
        annual=annual,
        confirming=request.method == "POST",
    )
    year = form.cleaned_data["year"] if form.is_valid() else None
    # What the 配分 shows as chosen: the default until one is sent, none
    # while the one sent is refused.
    spread = form.cleaned_data.get("spread") if form.is_bound else SPREAD_EVEN
    # 前年の実績比: the totals and each channel by last year's actuals.
    totals_profile = channel_profiles = None
    if annual and year is not None and spread == SPREAD_LAST_YEAR:
        totals_profile, channel_profiles = selectors.last_year_profiles(
            account=request.account, year=year
        )
    plan = worksheet_domain.monthly_plan(
        result, worksheet.cv_rate, annual=annual, profile=totals_profile
    )
    # A submitted or approved year takes nothing: the preview says why and
    # offers no 反映 (goal_year_save refuses it anyway, under its lock).
    locked = None
    if year is not None:
        plan_state = selectors.plan_for(account=request.account, year=year)
        if plan_state.is_locked:
            locked = services.locked_message(plan_state)
    # Each channel's leads as the year's plan per channel: written with the
    # totals unless a row with leads is none of the account's channels.
    per_channel = None
    if year is not None and plan is not None:
        per_channel = services.worksheet_channel_plan(
            account=request.account,
            worksheet=worksheet,
            year=year,
            result=result,
            annual=annual,
            cv_rate=worksheet.cv_rate,
            profiles=channel_profiles,
        )
    too_large = _too_large(plan, per_channel, result, annual)
    error, status = None, 200
    if request.method == "POST" and year is not None and plan and not too_large:
        try:
            services.worksheet_apply(
                account=request.account,
                year=year,
                plan=plan,
                user=request.user,
                channels=None if per_channel.unlinked else per_channel.values,
            )
        except services.YearLocked as refused:
            locked, status = refused.message, 409
        except services.ServiceError as refused:
            error = refused.message
        else:
            messages.success(
                request,
                _("ワークシート「%(name)s」を%(year)d年の目標設定に反映しました。")
                % {"name": worksheet.name, "year": year},
            )
            return redirect("funnel:goal-grid", year=year)
    preview = totals = channel_preview = None
    if year is not None and plan is not None:
        # What the grid shows now: for a year planned per channel, the sums.
        current = selectors.goal_month_figures(
            account=request.account, year=year, plan=plan_state
        )
        # The plan is in fiscal order, as services.worksheet_apply writes it:
        # its first month is the year's first (4月 with an April start).
        if per_channel.unlinked:
            after = [
                month_figures(month, *values)
                for month, values in zip(current, plan, strict=True)
            ]
        else:
            # 反映 plans the year チャネル別: its grid then shows the Web
            # channels' sums (visits rounded up channel by channel), and so
            # does the preview, whatever the totals' own spread.
            after = [
                month.as_grid_month()
                for month in channel_plan(
                    services.plan_channels(per_channel.channels),
                    list(current),
                    per_channel.values,
                ).months
            ]
        preview = [
            {"month": new.month, "current": current[new.month], "new": new}
            for new in after
        ]
        # The year before and after: ΣCV数 and Σ訪問数 as the grid totals them.
        totals = {
            "current": year_totals([row["current"] for row in preview]),
            "new": year_totals([row["new"] for row in preview]),
        }
        channel_preview = _channel_preview(request.account, year, per_channel)
    this_year = request.account.fiscal_year_of(timezone.localdate())
    return TemplateResponse(
        request,
        "funnel/worksheet_apply.html",
        {
            "worksheet": worksheet,
            "form": form,
            "year": year,
            "annual": annual,
            "spread": spread,
            "last_year": _last_year_notes(
                request.account, year, totals_profile, channel_profiles, per_channel
            ),
            # The year sent (kept while the 配分 is refused); until one is,
            # the worksheet's own.
            "chosen_year": (form.is_bound and form.cleaned_data.get("year"))
            or worksheet_year(request.account, worksheet),
            "plan": plan,
            "preview": preview,
            "totals": totals,
            "year_choices": range(this_year - 1, this_year + 3),
            "too_large": too_large,
            "error": error,
            "locked": locked,
            "per_channel": per_channel,
            "channel_preview": channel_preview,
        },
        status=status,
    )


def _too_large(plan, per_channel, result, annual):
    """Whether a month would hold more CV than the grid's MAX_COUNT (a
    channel's month as much): such a plan is shown with a message, never
    written. Before a year is chosen, the channels as spread evenly."""
    if plan is None:
        return False
    if per_channel is not None:
        channel_counts = [count for count, _rate in per_channel.values.values()]
    else:
        channel_counts = [
            count
            for months in worksheet_domain.channel_monthly_leads(result, annual=annual)
            if months
            for count in months
        ]
    return any(
        count > MAX_COUNT
        for count in (*(count for count, _rate in plan), *channel_counts)
    )


def _last_year_notes(account, year, totals_profile, channel_profiles, per_channel):
    """What the preview says of 前年の実績比: the months whose weight is last
    year's target for want of an actual, and what is spread evenly for want
    of either (the totals, or the channels by name). None for 均等."""
    if totals_profile is None:
        return None
    months = [
        month_label(month)
        for _cal_year, month in fiscal_months(year, account.fiscal_year_start_month)
    ]

    def fell_back(profile):
        return "、".join(months[i] for i in profile.fell_back)

    written = per_channel.channels if per_channel and not per_channel.unlinked else []
    profiles = [
        (channel, channel_profiles.get(channel.pk, NOTHING_LAST_YEAR))
        for channel in written
    ]
    return {
        "label": year_label(account, year - 1),
        "totals_empty": totals_profile.empty,
        "totals_fell_back": "" if totals_profile.empty else fell_back(totals_profile),
        "channels": bool(written),
        "channels_empty": "、".join(c.name for c, p in profiles if p.empty),
        "channels_fell_back": [
            (channel.name, fell_back(profile))
            for channel, profile in profiles
            if not profile.empty and profile.fell_back
        ],
    }


def _channel_preview(account, year, per_channel):
    """The year's plan per channel now and after 反映, channel by channel:
    the worksheet's channels, then those it would empty. Each as
    (channel, its year now, its year after) (domain.channels.ChannelYear)."""
    if per_channel.unlinked:
        return None
    current = selectors.channel_goal_values(account=account, year=year)
    planned = {channel.pk for channel in per_channel.channels}
    emptied = {channel_id for channel_id, _month in current} - planned
    channels = per_channel.channels + [
        channel
        for channel in selectors.channel_list(account=account, archived=True)
        if channel.pk in emptied
    ]
    months = [
        month
        for _cal_year, month in fiscal_months(year, account.fiscal_year_start_month)
    ]
    domain_channels = services.plan_channels(channels)
    before = channel_plan(domain_channels, months, current).channels
    after = channel_plan(domain_channels, months, per_channel.values).channels
    return [
        (channel, now, new)
        for channel, now, new in zip(channels, before, after, strict=True)
    ]


@require_GET
@vary_on_headers("HX-Request")
@member_required
def worksheet_history(request, pk):
    """Who changed what in this worksheet, when, from what to what."""
    worksheet = _get_worksheet(request, pk)
    context = {
        "worksheet": worksheet,
        "changes": selectors.worksheet_changes(
            account=request.account, worksheet=worksheet
        ),
    }
    return page_or_fragment(request, "funnel/history.html", "history-list", context)


STAGE_LABELS = {
    "visits": gettext_lazy("サイト訪問数"),
    "online_leads": gettext_lazy("オンラインのリード数（CV数）"),
    "meetings": gettext_lazy("商談数"),
    "opportunities": gettext_lazy("案件化数"),
    "orders": gettext_lazy("受注数"),
    "revenue": gettext_lazy("Web売上"),
}


@require_GET
@member_required
def worksheet_actuals(request, pk):
    """The year's actual CV run forwards through this worksheet's rates, beside
    its plan for the same span: which stage of the funnel is short."""
    worksheet = _get_worksheet(request, pk)
    account = request.account
    today = timezone.localdate()
    year_form = YearForm(request.GET if "year" in request.GET else None)
    # The worksheet's own year (its 記入日's) unless another is asked for.
    year = (
        year_form.cleaned_data["year"]
        if year_form.is_valid()
        else account.fiscal_year_of(worksheet.entry_date)
    )
    actuals = selectors.actuals_by_month(account=account, year=year)
    months = []
    for month_year, month in fiscal_months(year, account.fiscal_year_start_month):
        actual = actuals.get(month)
        passed = month_share_passed(month_year, month, today)
        if actual is None:
            months.append(worksheet_domain.MonthActuals(passed=passed))
        else:
            months.append(
                worksheet_domain.MonthActuals(
                    passed=passed,
                    recorded=True,
                    cv=actual.cv_count,
                    visits=actual.visits,
                )
            )
    comparison = worksheet_domain.compare_with_actuals(
        worksheet_input_of(worksheet),
        months,
        monthly=worksheet.basis == Basis.MONTHLY,
    )
    stages = comparison.stages
    this_year = account.fiscal_year_of(today)
    return TemplateResponse(
        request,
        "funnel/worksheet_actuals.html",
        {
            "worksheet": worksheet,
            "year": year,
            "year_label": year_label(account, year),
            "year_choices": range(this_year - 2, this_year + 2),
            "elapsed": comparison.elapsed,
            "has_actuals": comparison.has_actuals,
            "stages": [(STAGE_LABELS[s.stage], s) for s in stages],
            "first_short": next(
                (STAGE_LABELS[s.stage] for s in stages if s.short), None
            ),
        },
    )
