"""The revenue worksheet (BtoBマーケティングにおける目標設定): list, edit with live
recompute, duplicate, delete, print, and apply to the 目標設定 grid."""

import logging
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, IntegrityError
from django.forms import CheckboxInput
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

from funnel import selectors, services
from funnel.access import editor_required, member_required
from funnel.domain import worksheet as worksheet_domain
from funnel.domain.achievement import month_share_passed
from funnel.domain.grid import fiscal_months, month_figures
from funnel.domain.numbers import MAX_COUNT
from funnel.formatting import year_label
from funnel.forms.worksheet import (
    CHANNEL_FIELDS,
    CHANNEL_INPUT_NAMES,
    ChannelForm,
    WorksheetEditor,
    WorksheetForm,
    YearForm,
    bound_worksheet_inputs,
    read_worksheet,
    stored_worksheet_inputs,
    worksheet_input_of,
)
from funnel.markup import worksheet as markup
from funnel.models import Basis, Worksheet
from funnel.rendering import wants_fragment
from funnel.views.calculator import answer, query_values, sent_by_htmx

TEMPLATE = "funnel/worksheet.html"
logger = logging.getLogger(__name__)
SAVE_CONFLICT = gettext_lazy(
    "ほぼ同時にほかの保存があったため、保存できませんでした。入力内容はそのまま残っています。もう一度保存してください。"
)
SAVE_FAILED = gettext_lazy(
    "保存できませんでした（サーバーの一時的な問題）。入力内容はそのまま残っています。少し待ってからもう一度保存してください。"
)


def _get_worksheet(request, pk):
    """The account's worksheet; another account's is a 404, like a missing one."""
    try:
        return selectors.worksheet_get(account=request.account, pk=pk)
    except Worksheet.DoesNotExist:
        raise Http404 from None


class ChannelRow:
    """A row of ⑤ for the page: its inputs (forms.input_view()), its plan, its
    leads and whether its rate is outside the reference range."""

    __slots__ = ("inputs", "leads", "number", "plan", "warning")

    def __init__(self, *, number, inputs, plan, leads):
        self.number = number
        self.inputs = inputs
        self.plan = plan
        self.leads = leads
        self.warning = worksheet_domain.outside_reference(
            "meeting_rate", plan.meeting_rate
        )


def _warnings(plan):
    return {
        kind: worksheet_domain.outside_reference(kind, getattr(plan, kind))
        for kind in ("win_rate", "opportunity_rate")
    }


WORKSHEET_URLS = {
    "apply": "funnel:worksheet-apply",
    "print": "funnel:worksheet-print",
    "history": "funnel:worksheet-history",
    "actuals": "funnel:worksheet-actuals",
    "export": "funnel:worksheet-export-xlsx",
    "duplicate": "funnel:worksheet-duplicate",
    "delete": "funnel:worksheet-delete",
}


def _urls(worksheet):
    """The worksheet's pages, each reversed once (the page links some twice)."""
    if worksheet is None:
        return {}
    return {
        key: reverse(name, args=[worksheet.pk]) for key, name in WORKSHEET_URLS.items()
    }


def _context(request, *, plan, inputs, worksheet=None, management, **extra):
    """The page's context from its inputs' display values: ``inputs`` is
    ({name: view}, [{name: view} per channel]) and ``management`` the
    formset's (total, initial) counts."""
    fields, channel_inputs = inputs
    result = worksheet_domain.compute(plan)
    return {
        "worksheet": worksheet,
        "urls": _urls(worksheet),
        "fields": fields,
        "plan": plan,
        "result": result,
        "channel_rows": [
            ChannelRow(number=number, inputs=views, plan=channel, leads=leads)
            for number, (views, channel, leads) in enumerate(
                zip(channel_inputs, plan.channels, result.channel_leads, strict=True),
                start=1,
            )
        ],
        "warnings": _warnings(plan),
        "ranges": worksheet_domain.REFERENCE_RANGES,
        "can_edit": request.membership.can_edit,
        "management": management,
        "focus_last_channel": False,
        "channel_error": None,
        **extra,
    }


def _stored_context(request, worksheet=None, *, disabled=False):
    """A stored worksheet (or a new one) as it is first shown: no form is
    built; the inputs show the stored values."""
    inputs = stored_worksheet_inputs(
        worksheet, today=timezone.localdate(), disabled=disabled
    )
    rows = len(inputs[1])
    return _context(
        request,
        plan=worksheet_input_of(worksheet),
        inputs=inputs,
        worksheet=worksheet,
        management=(rows, rows),
    )


def _editor_context(request, editor, worksheet=None):
    """What was posted, shown again with its messages."""
    inputs = bound_worksheet_inputs(editor)
    non_form = editor.channels.non_form_errors()
    return _context(
        request,
        plan=editor.domain_input(),
        inputs=inputs,
        worksheet=worksheet,
        management=(len(inputs[1]), 0),
        focus_last_channel=editor.action == "add",
        channel_error=non_form[0] if non_form else None,
    )


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
    return TemplateResponse(request, TEMPLATE, _stored_context(request))


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@member_required
def worksheet_detail(request, pk):
    worksheet = _get_worksheet(request, pk)
    if request.method == "POST":
        if not request.membership.can_edit:
            raise PermissionDenied
        return _worksheet_post(request, worksheet)
    context = _stored_context(
        request, worksheet, disabled=not request.membership.can_edit
    )
    return TemplateResponse(request, TEMPLATE, context)


def _worksheet_post(request, worksheet):
    """Save, or edit the channel rows (add, remove, move) without saving."""
    editor = WorksheetEditor(request.POST, worksheet=worksheet)
    status = 200
    if editor.action == "save":
        if editor.is_valid():
            try:
                saved = services.worksheet_save(
                    account=request.account,
                    worksheet=worksheet,
                    fields=editor.cleaned_fields(),
                    channels=editor.cleaned_channels(),
                    user=request.user,
                )
            except IntegrityError:
                logger.warning(
                    "saving worksheet %s hit a constraint", worksheet and worksheet.pk
                )
                messages.error(request, SAVE_CONFLICT)
                status = 409
            except DatabaseError:
                # The transaction left nothing half-written; the form is shown
                # again with everything the user typed.
                logger.exception(
                    "saving worksheet %s failed", worksheet and worksheet.pk
                )
                messages.error(request, SAVE_FAILED)
                status = 503
            else:
                messages.success(
                    request,
                    _("ワークシート「%(name)s」を保存しました。")
                    % {"name": saved.name},
                )
                url = saved.get_absolute_url()
                if not wants_fragment(request):
                    return redirect(url)
                if worksheet is None:
                    return HttpResponseClientRedirect(url)
                worksheet = selectors.worksheet_get(
                    account=request.account, pk=saved.pk
                )
                return TemplateResponse(
                    request,
                    f"{TEMPLATE}#worksheet-form",
                    _stored_context(request, worksheet),
                )
        else:
            messages.error(
                request,
                _(
                    "入力内容に誤りがあります。赤く表示された欄を直してから保存してください。"
                ),
            )
    template = f"{TEMPLATE}#worksheet-form" if wants_fragment(request) else TEMPLATE
    return TemplateResponse(
        request, template, _editor_context(request, editor, worksheet), status=status
    )


def _with_messages(form_class):
    """The inputs that can have a message beside them: a checkbox has none
    (and the page no place for one)."""
    return [
        name
        for name, field in form_class.base_fields.items()
        if not isinstance(field.widget, CheckboxInput)
    ]


WORKSHEET_MESSAGES = _with_messages(WorksheetForm)
CHANNEL_MESSAGES = _with_messages(ChannelForm)
# The recompute's (input name, element id) pairs, made once; for a channel
# row, (position among ChannelForm's fields, element id) of each input that
# has a message.
WORKSHEET_MESSAGE_IDS = tuple((name, f"id_{name}") for name in WORKSHEET_MESSAGES)
CHANNEL_MESSAGE_IDS = tuple(
    tuple(
        (position, f"id_{name}")
        for position, (field, name) in enumerate(
            zip(CHANNEL_FIELDS, names, strict=True)
        )
        if field in CHANNEL_MESSAGES
    )
    for names in CHANNEL_INPUT_NAMES
)


@login_not_required
@require_GET
@vary_on_headers("HX-Request")
def worksheet_recompute(request):
    """As the user types: every result, formula and warning, and the messages
    (all emptied, then the ones there are), as out-of-band fragments. Nothing
    is saved; no input is swapped.

    Like the grid's, a calculator: it reads no account's data and writes
    nothing, so it needs no sign-in, session or database; it reads the
    inputs without building forms (forms.read_worksheet)."""
    if not sent_by_htmx(request):
        return redirect("funnel:worksheet-list")
    reading = read_worksheet(query_values(request))
    plan = reading.plan
    result = worksheet_domain.compute(plan)
    errors = reading.errors
    messages = [(field_id, errors[name]) for name, field_id in WORKSHEET_MESSAGE_IDS]
    channels = zip(
        plan.channels,
        result.channel_leads,
        reading.channel_messages,
        CHANNEL_MESSAGE_IDS,
        strict=False,
    )
    return answer(markup.computed(plan, result, _warnings(plan), messages, channels))


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
    return TemplateResponse(
        request,
        "funnel/worksheet_print.html",
        _stored_context(request, worksheet, disabled=True),
    )


@require_http_methods(["GET", "POST"])
@editor_required
def worksheet_apply(request, pk):
    """目標設定に反映: preview the 12 months beside what the grid holds, then confirm."""
    worksheet = _get_worksheet(request, pk)
    plan = worksheet_domain.monthly_plan(
        worksheet_domain.compute(worksheet_input_of(worksheet)),
        worksheet.cv_rate,
        annual=worksheet.basis == Basis.ANNUAL,
    )
    # The grid holds at most MAX_COUNT CV a month: a plan above it is shown
    # with a message, never written.
    too_large = plan is not None and any(count > MAX_COUNT for count, _rate in plan)
    data = request.POST if request.method == "POST" else request.GET
    year_form = YearForm(data if "year" in data else None)
    year = year_form.cleaned_data["year"] if year_form.is_valid() else None
    error = None
    if request.method == "POST" and year is not None and plan and not too_large:
        try:
            services.worksheet_apply(
                account=request.account, year=year, plan=plan, user=request.user
            )
        except services.ServiceError as refused:
            error = refused.message
        else:
            messages.success(
                request,
                _("ワークシート「%(name)s」を%(year)d年の目標設定に反映しました。")
                % {"name": worksheet.name, "year": year},
            )
            return redirect("funnel:goal-grid", year=year)
    preview = None
    if year is not None and plan is not None:
        current = selectors.goals_by_month(account=request.account, year=year)
        preview = [
            {
                "month": month,
                "current": current.get(month),
                "new": month_figures(month, *values),
            }
            for month, values in enumerate(plan, start=1)
        ]
    this_year = timezone.localdate().year
    return TemplateResponse(
        request,
        "funnel/worksheet_apply.html",
        {
            "worksheet": worksheet,
            "year_form": year_form,
            "year": year,
            "plan": plan,
            "preview": preview,
            "year_choices": range(this_year - 1, this_year + 3),
            "too_large": too_large,
            "error": error,
        },
    )


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
    template = "funnel/history.html"
    if wants_fragment(request):
        template += "#history-list"
    return TemplateResponse(request, template, context)


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
    year_form = YearForm(request.GET if "year" in request.GET else None)
    year = (
        year_form.cleaned_data["year"]
        if year_form.is_valid()
        else account.fiscal_year_of(timezone.localdate())
    )
    today = timezone.localdate()
    months = fiscal_months(year, account.fiscal_year_start_month)
    shares = [month_share_passed(y, m, today) for y, m in months]
    actuals = selectors.actuals_by_month(account=account, year=year)
    passed = [m for (_y, m), share in zip(months, shares, strict=True) if share > 0]
    actual_cv = sum((actuals[m].cv_count or 0) for m in passed if m in actuals)
    visits = [
        actuals[m].visits
        for m in passed
        if m in actuals and actuals[m].visits is not None
    ]
    elapsed = sum(shares, Decimal(0))
    periods = elapsed if worksheet.basis == Basis.MONTHLY else elapsed / 12
    plan = worksheet_input_of(worksheet)
    stages = worksheet_domain.implied_by_actuals(
        plan,
        worksheet_domain.compute(plan),
        actual_cv=actual_cv,
        actual_visits=sum(visits) if visits else None,
        periods=periods,
    )
    this_year = timezone.localdate().year
    return TemplateResponse(
        request,
        "funnel/worksheet_actuals.html",
        {
            "worksheet": worksheet,
            "year": year,
            "year_label": year_label(account, year),
            "year_choices": range(this_year - 2, this_year + 2),
            "elapsed": elapsed,
            "has_actuals": bool(passed and any(m in actuals for m in passed)),
            "stages": [(STAGE_LABELS[s.stage], s) for s in stages],
            "first_short": next(
                (STAGE_LABELS[s.stage] for s in stages if s.short), None
            ),
        },
    )
