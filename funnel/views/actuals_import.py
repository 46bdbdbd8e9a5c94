"""CSVから実績を取り込む: an analytics tool's monthly export, previewed beside
what is stored, then written all at once on confirmation, or not at all.

What the preview showed is what confirmation writes: the parsed months wait in
the server-side session under a one-time token, so the confirm request carries
only the token, never a copy of the data the client could have edited.
"""

import logging
import secrets
import time

from django.contrib import messages
from django.db import DatabaseError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from funnel import selectors, services
from funnel.access import editor_required
from funnel.domain import actuals_csv
from funnel.domain.grid import fiscal_months
from funnel.formatting import year_label
from funnel.forms.actuals import ACTUALS_COLUMN_NAMES, ActualsImportForm
from funnel.models import ChangeSource
from funnel.rendering import page_or_fragment, wants_fragment

TEMPLATE = "funnel/actuals_import.html"
logger = logging.getLogger(__name__)

SESSION_KEY = "funnel_actuals_imports"
# How long a preview can be confirmed, and how many previews (tabs, years) a
# session keeps waiting: the session stays a small dict.
TOKEN_SECONDS = 60 * 60
TOKENS_KEPT = 3
# Refused and skipped rows listed on the page; the counts cover them all.
ROWS_SHOWN = 100

MONTH_REASONS = {
    "month_missing": gettext_lazy("月が空欄です。"),
    "month_unknown": gettext_lazy(
        "月として読み取れません（例: 2026-01、2026/1、2026年1月、202601、Jan 2026）。"
    ),
    "month_no_year": gettext_lazy(
        "年がありません。2026年1月 のように年も含めてください。"
    ),
    "month_out_of_range": gettext_lazy("存在しない月です（月は1〜12）。"),
    "duplicate": gettext_lazy("同じ月の行が複数あります（%(first)s行目と重複）。"),
}
NUMBER_REASONS = {
    "negative": gettext_lazy("マイナスの値は取り込めません。"),
    "fraction": gettext_lazy("小数は取り込めません。整数にしてください。"),
    "invalid": gettext_lazy("数値として読み取れません（例: 1,200）。"),
    "too_large": gettext_lazy("大きすぎます（上限は1億）。"),
    "formula": gettext_lazy("数式は取り込めません。値として保存してください。"),
}
SKIP_REASONS = {
    "empty": gettext_lazy("空行"),
    "total": gettext_lazy("合計の行"),
    "comment": gettext_lazy("コメント行（#）"),
    "no_values": gettext_lazy("CV数・訪問数とも空欄（変更しません）"),
    "other_year": gettext_lazy("%(label)sの月ではない（取り込みません）"),
}


def _form(request, year, data=None, files=None):
    return ActualsImportForm(
        data,
        files,
        fiscal_year=year,
        start_month=request.account.fiscal_year_start_month,
    )


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@editor_required
def import_upload(request, year):
    """The upload form and its help; with a file, the preview (nothing written)."""
    if request.method == "GET":
        return _render(request, year, _form(request, year))
    form = _form(request, year, request.POST, request.FILES)
    if not form.is_valid():
        return _render(request, year, form)
    result = form.cleaned_data["file"]
    stored = {
        month: (actual.cv_count, actual.visits)
        for month, actual in selectors.actuals_by_month(
            account=request.account, year=year
        ).items()
    }
    previewed = actuals_csv.preview(result.rows, stored)
    token = _remember(request, year, result) if result.can_write else None
    return _render(
        request,
        year,
        form,
        result=result,
        previewed=previewed,
        changes=actuals_csv.changes(previewed),
        token=token,
    )


@require_POST
@editor_required
def import_confirm(request, year):
    """Write the months the preview showed, all of them in one transaction."""
    rows = _take(request, year, request.POST.get("token", ""))
    if rows is None:
        messages.error(
            request,
            _(
                "この取り込みは確定できません（有効期限切れ、確定済み、または別の画面のものです）。何も書き込んでいません。もう一度CSVファイルをアップロードしてください。"
            ),
        )
        return redirect("funnel:goal-actuals-import", year=year)
    stored = {
        month: (actual.cv_count, actual.visits)
        for month, actual in selectors.actuals_by_month(
            account=request.account, year=year
        ).items()
    }
    label = {"label": year_label(request.account, year)}
    try:
        changed = services.actual_year_save(
            account=request.account,
            year=year,
            months=actuals_csv.values_to_write(rows, stored),
            user=request.user,
            replace_missing=False,
            source=ChangeSource.CSV,
        )
    except DatabaseError:
        logger.exception("importing the actuals of %s failed", year)
        messages.error(
            request,
            _(
                "取り込めませんでした（サーバーの一時的な問題）。何も書き込んでいません。少し待ってからもう一度アップロードしてください。"
            ),
        )
        return redirect("funnel:goal-actuals-import", year=year)
    if changed:
        messages.success(
            request,
            _("%(label)sの実績をCSVから取り込みました（%(count)s件の値を変更）。")
            % {**label, "count": f"{changed:,}"},
        )
    else:
        messages.success(
            request,
            _(
                "%(label)sの実績をCSVから取り込みました。変更はありませんでした（同じ値がすでに保存されています）。"
            )
            % label,
        )
    return redirect("funnel:goal-actuals", year=year)


# --- the pending import, in the session ----------------------------------------


def _remember(request, year, result):
    """Keep the months to write under a new one-time token; return the token."""
    now = int(time.time())
    pending = {
        token: entry
        for token, entry in request.session.get(SESSION_KEY, {}).items()
        if now - entry.get("at", 0) < TOKEN_SECONDS
    }
    newest = sorted(pending.items(), key=lambda item: item[1]["at"])
    pending = dict(newest[len(newest) - TOKENS_KEPT + 1 :])
    token = secrets.token_urlsafe(16)
    pending[token] = {
        "account": request.account.pk,
        "user": request.user.pk,
        "year": year,
        "at": now,
        "rows": [
            [row.line, row.year, row.month, row.cv_count, row.visits]
            for row in result.rows
        ],
    }
    request.session[SESSION_KEY] = pending
    return token


def _take(request, year, token):
    """The rows waiting under ``token`` for this user, account and year, or
    None. The token is used up either way."""
    pending = dict(request.session.get(SESSION_KEY, {}))
    entry = pending.pop(token, None)
    if entry is None:
        return None
    request.session[SESSION_KEY] = pending
    if (
        entry.get("account") != request.account.pk
        or entry.get("user") != request.user.pk
        or entry.get("year") != year
        or int(time.time()) - entry.get("at", 0) >= TOKEN_SECONDS
    ):
        return None
    return [actuals_csv.MonthRow(*row) for row in entry["rows"]]


# --- the page ----------------------------------------------------------------


def _refusal_reason(refusal, label):
    if refusal.code == "number":
        return _("%(column)s: %(reason)s") % {
            "column": ACTUALS_COLUMN_NAMES[refusal.column],
            "reason": NUMBER_REASONS[refusal.detail],
        }
    return MONTH_REASONS[refusal.code] % {"label": label, "first": refusal.detail}


def _month_label(year_month):
    return _("%(year)d年%(month)d月") % {"year": year_month[0], "month": year_month[1]}


def _render(request, year, form, *, result=None, previewed=(), changes=0, token=None):
    label = year_label(request.account, year)
    months = fiscal_months(year, request.account.fiscal_year_start_month)
    fragment = wants_fragment(request)
    context = {
        "year": year,
        "year_label": label,
        "first_month": _month_label(months[0]),
        "last_month": _month_label(months[-1]),
        "form": form,
        "size_limit": form.size_limit(),
        "header_names": [
            (ACTUALS_COLUMN_NAMES[role], actuals_csv.HEADERS[role])
            for role in (actuals_csv.MONTH, actuals_csv.VISITS, actuals_csv.CV)
        ],
        "fragment": fragment,
        "result": result,
        "previewed": previewed,
        "changes": changes,
        "token": token,
    }
    if result is not None:
        context.update(
            columns=[
                (ACTUALS_COLUMN_NAMES[role], result.column(role))
                for role in (actuals_csv.MONTH, actuals_csv.VISITS, actuals_csv.CV)
            ],
            refused=[
                (refusal, _refusal_reason(refusal, label))
                for refusal in result.refused[:ROWS_SHOWN]
            ],
            refused_more=max(len(result.refused) - ROWS_SHOWN, 0),
            skipped=[
                (skip, SKIP_REASONS[skip.code] % {"label": label})
                for skip in result.skipped[:ROWS_SHOWN]
            ],
            # Rows there are, but none of the year's months (another year's file).
            only_other_years=not result.rows
            and not result.refused
            and any(skip.code == "other_year" for skip in result.skipped),
            skipped_more=max(len(result.skipped) - ROWS_SHOWN, 0),
            missing_columns=[
                ACTUALS_COLUMN_NAMES[role]
                for role in actuals_csv.FIGURES
                if result.column(role) is None
            ],
            encoding_label="Shift_JIS" if result.encoding == "cp932" else "UTF-8",
        )
    return page_or_fragment(request, TEMPLATE, "import-result", context)
