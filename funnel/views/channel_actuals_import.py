"""GA4から取り込む: a GA4 export's sessions and key events per channel group,
mapped to the account's channels, previewed beside what is stored, then
written on confirmation, or not at all.

As in the CSV import (views.actuals_import), what the preview showed is what
confirmation writes: the file's figures per month and group, and the answers
on which group is which channel once given, wait in the server-side session
under a one-time token; the requests carry only the token and the answers.
A group never answered before is asked about, never guessed; the answers are
remembered (GA4ChannelMapping) when the import is confirmed, and can be
changed on this page.
"""

import logging
import secrets
import time
from decimal import Decimal

from django.contrib import messages
from django.db import DatabaseError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from funnel import notices, selectors, services
from funnel.access import editor_required
from funnel.domain import ga4
from funnel.domain.grid import fiscal_months
from funnel.formatting import year_label
from funnel.forms.channel_actuals import (
    GA4_COLUMN_NAMES,
    Ga4MappingForm,
    Ga4StoredMappingsForm,
    Ga4UploadForm,
    problem_reason,
)
from funnel.forms.fields import sent_in_full
from funnel.models import GA4ChannelMapping

TEMPLATE = "funnel/channel_actuals_import.html"
logger = logging.getLogger(__name__)

SESSION_KEY = "funnel_ga4_imports"
TOKEN_SECONDS = 60 * 60
TOKENS_KEPT = 3
# A file of source / medium pairs can hold thousands of rows: the session
# keeps at most this many (month, group) sums.
ROWS_KEPT = 5000


def _offered(account):
    """The channels a GA4 group can be: Web channels not archived."""
    return [c for c in selectors.channel_list(account=account) if c.online]


def _stored_mapping(account, offered):
    """The remembered answers that still name a channel offered (or 未分類):
    an answer naming a channel since archived or made not Web is asked again."""
    ids = {channel.pk for channel in offered}
    return {
        group: channel_id
        for group, channel_id in selectors.ga4_mappings(account=account).items()
        if channel_id is None or channel_id in ids
    }


def _stored_form(request, data=None):
    account = request.account
    return Ga4StoredMappingsForm(
        data,
        mappings=GA4ChannelMapping.objects.filter(account=account).select_related(
            "channel"
        ),
        channels=_offered(account),
    )


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@editor_required
def ga4_import_upload(request, year):
    """The upload form and the remembered answers; with a file, the
    questions on its new groups or the preview (nothing written); with
    action=mappings, the remembered answers changed."""
    if request.method == "GET":
        return _render(request, year, upload_form=Ga4UploadForm())
    if request.POST.get("action") == "mappings":
        return _mappings_post(request, year)
    form = Ga4UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render(request, year, upload_form=form)
    result = form.cleaned_data["file"]
    if not result.can_write:
        return _render(request, year, upload_form=form, result=result)
    if len(result.rows) > ROWS_KEPT:
        form.add_error(
            "file",
            _(
                "行が多すぎます（月とチャネルの組み合わせが%(max)s件まで）。期間を短くするか、チャネル グループでエクスポートしてください。"
            )
            % {"max": f"{ROWS_KEPT:,}"},
        )
        return _render(request, year, upload_form=form)
    offered = _offered(request.account)
    stored = _stored_mapping(request.account, offered)
    token, entry = _remember(request, year, result)
    if not ga4.unmapped(result.groups, stored):
        entry["mapping"] = {group: stored[group] for group in result.groups}
        _keep(request, token, entry)
    return _step(request, year, token, entry, offered=offered, stored=stored)


def _mappings_post(request, year):
    form = _stored_form(request, request.POST)
    if not sent_in_full(form):
        messages.error(request, notices.INCOMPLETE_REQUEST)
        return _render(request, year, upload_form=Ga4UploadForm(), status=400)
    if not form.is_valid():
        messages.error(request, notices.FORM_HAS_ERRORS)
        return _render(request, year, upload_form=Ga4UploadForm(), stored_form=form)
    changed = services.ga4_mappings_save(
        account=request.account, mappings=form.answers()
    )
    messages.success(
        request,
        _(
            "GA4チャネルの対応を保存しました（%(count)d件の変更）。次の取り込みから使います。"
        )
        % {"count": changed},
    )
    return redirect("funnel:goal-channel-actuals-import", year=year)


@require_POST
@editor_required
def ga4_import_confirm(request, year):
    """action=map: the answers on the file's groups, then the preview;
    otherwise write what the preview showed, in one transaction."""
    token = request.POST.get("token", "")
    if request.POST.get("action") == "map":
        entry = _peek(request, year, token)
        if entry is None:
            return _expired(request, year)
        offered = _offered(request.account)
        stored = _stored_mapping(request.account, offered)
        form = _mapping_form(entry, stored, offered, request.POST)
        if not sent_in_full(form):
            messages.error(request, notices.INCOMPLETE_REQUEST)
            return _step(
                request, year, token, entry, offered=offered, stored=stored, status=400
            )
        if not form.is_valid():
            messages.error(request, _("GA4のチャネルの対応をすべて選んでください。"))
            return _step(
                request, year, token, entry, offered=offered, stored=stored, form=form
            )
        entry["mapping"] = form.mappings()
        _keep(request, token, entry)
        return _step(request, year, token, entry, offered=offered, stored=stored)
    entry = _take(request, year, token)
    if entry is None or entry.get("mapping") is None:
        return _expired(request, year)
    rows = _rows(entry)
    stored_values = selectors.channel_actual_values(account=request.account, year=year)
    values = ga4.channel_values(
        rows,
        entry["mapping"],
        fiscal_months(year, request.account.fiscal_year_start_month),
        stored_values,
    )
    label = {"label": year_label(request.account, year)}
    try:
        changed = services.ga4_import_save(
            account=request.account,
            year=year,
            values=values.values,
            mappings=entry["mapping"],
            user=request.user,
        )
    except services.ServiceError as refused:
        # A channel removed since the preview.
        messages.error(request, str(refused))
        return redirect("funnel:goal-channel-actuals-import", year=year)
    except DatabaseError:
        logger.exception("importing the GA4 actuals of %s failed", year)
        messages.error(
            request,
            _(
                "取り込めませんでした（サーバーの一時的な問題）。何も書き込んでいません。少し待ってからもう一度アップロードしてください。"
            ),
        )
        return redirect("funnel:goal-channel-actuals-import", year=year)
    messages.success(
        request,
        _(
            "%(label)sのチャネル別の実績をGA4から取り込みました（%(count)s件の値を変更）。"
        )
        % {**label, "count": f"{changed:,}"},
    )
    return redirect("funnel:goal-channel-actuals", year=year)


def _expired(request, year):
    messages.error(
        request,
        _(
            "この取り込みは確定できません（有効期限切れ、確定済み、または別の画面のものです）。何も書き込んでいません。もう一度CSVファイルをアップロードしてください。"
        ),
    )
    return redirect("funnel:goal-channel-actuals-import", year=year)


# --- the pending import, in the session ----------------------------------------


def _remember(request, year, result):
    now = int(time.time())
    pending = {
        token: entry
        for token, entry in request.session.get(SESSION_KEY, {}).items()
        if now - entry.get("at", 0) < TOKEN_SECONDS
    }
    newest = sorted(pending.items(), key=lambda item: item[1]["at"])
    pending = dict(newest[len(newest) - TOKENS_KEPT + 1 :])
    token = secrets.token_urlsafe(16)
    entry = {
        "account": request.account.pk,
        "user": request.user.pk,
        "year": year,
        "at": now,
        "groups": list(result.groups),
        "encoding": result.encoding,
        "dimension": result.dimension,
        "columns": [
            [role, header] for role, header in result.columns if header is not None
        ],
        "rows": [
            [y, m, group, None if events is None else str(events), sessions]
            for (y, m, group), (events, sessions) in sorted(result.rows.items())
        ],
        "mapping": None,
    }
    pending[token] = entry
    request.session[SESSION_KEY] = pending
    return token, entry


def _keep(request, token, entry):
    pending = dict(request.session.get(SESSION_KEY, {}))
    pending[token] = entry
    request.session[SESSION_KEY] = pending


def _valid(request, year, entry):
    return (
        entry is not None
        and entry.get("account") == request.account.pk
        and entry.get("user") == request.user.pk
        and entry.get("year") == year
        and int(time.time()) - entry.get("at", 0) < TOKEN_SECONDS
    )


def _peek(request, year, token):
    """The entry under ``token``, left in place (the answers step)."""
    entry = request.session.get(SESSION_KEY, {}).get(token)
    return entry if _valid(request, year, entry) else None


def _take(request, year, token):
    """The entry under ``token``, used up either way."""
    pending = dict(request.session.get(SESSION_KEY, {}))
    entry = pending.pop(token, None)
    if entry is None:
        return None
    request.session[SESSION_KEY] = pending
    return entry if _valid(request, year, entry) else None


def _rows(entry):
    return {
        (y, m, group): (None if events is None else Decimal(events), sessions)
        for y, m, group, events, sessions in entry["rows"]
    }


# --- the page ------------------------------------------------------------------


def _mapping_form(entry, stored, offered, data=None):
    mapping = entry.get("mapping") or {}
    return Ga4MappingForm(
        data,
        groups=entry["groups"],
        # The answers given for this import first, then the remembered ones.
        stored={**stored, **mapping},
        channels=offered,
    )


def _month_label(year_month):
    return _("%(year)d年%(month)d月") % {"year": year_month[0], "month": year_month[1]}


def _step(request, year, token, entry, *, offered, stored, form=None, status=200):
    """The file read: its questions (groups never answered), and the preview
    once every group has an answer."""
    form = form or _mapping_form(entry, stored, offered)
    context = {
        "token": token,
        "mapping_form": form,
        "new_groups": ga4.unmapped(entry["groups"], stored),
        "encoding_label": "Shift_JIS" if entry["encoding"] == "cp932" else "UTF-8",
        "file_columns": [
            (GA4_COLUMN_NAMES[role], header) for role, header in entry["columns"]
        ],
    }
    mapping = entry.get("mapping")
    if mapping is not None:
        stored_values = selectors.channel_actual_values(
            account=request.account, year=year
        )
        values = ga4.channel_values(
            _rows(entry),
            mapping,
            fiscal_months(year, request.account.fiscal_year_start_month),
            stored_values,
        )
        names = {
            channel.pk: channel.name
            for channel in selectors.channel_list(
                account=request.account, archived=True
            )
        }
        order = {month: i for i, (_y, month) in enumerate(values.months)}
        position = {pk: i for i, pk in enumerate(names)}
        diffs = sorted(
            ga4.differences(values.values, stored_values),
            key=lambda d: (order[d.month], position.get(d.channel_id, 0)),
        )
        context.update(
            previewed=True,
            # No month of the year in the file: nothing to confirm.
            can_confirm=bool(values.months),
            differences=[(names.get(d.channel_id, "?"), d) for d in diffs],
            changes=sum(
                (d.before[0] != d.after[0]) + (d.before[1] != d.after[1]) for d in diffs
            ),
            outside=[_month_label(ym) for ym in values.outside],
            answers=[
                (group, names.get(channel_id) if channel_id else None)
                for group, channel_id in mapping.items()
            ],
        )
    return _render(
        request, year, upload_form=Ga4UploadForm(), step=context, status=status
    )


def _render(
    request, year, *, upload_form, stored_form=None, result=None, step=None, status=200
):
    months = fiscal_months(year, request.account.fiscal_year_start_month)
    context = {
        "year": year,
        "year_label": year_label(request.account, year),
        "first_month": _month_label(months[0]),
        "last_month": _month_label(months[-1]),
        "form": upload_form,
        "size_limit": upload_form.size_limit(),
        "stored_form": stored_form or _stored_form(request),
        "result": result,
        "step": step,
    }
    if result is not None:
        context["problems"] = [
            (problem, problem_reason(problem)) for problem in result.problems
        ]
        context["problems_more"] = result.problem_count - len(result.problems)
    return TemplateResponse(request, TEMPLATE, context, status=status)
