"""目標 vs 実績: the year's actuals beside its targets, with achievement and pace."""

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from funnel import notices, selectors, services
from funnel.access import member_required
from funnel.domain.achievement import target_achievements, year_to_date
from funnel.domain.grid import fiscal_months
from funnel.formatting import year_label
from funnel.forms.actuals import ActualYearForm
from funnel.forms.fields import sent_in_full
from funnel.models import ChangeSource
from funnel.rendering import page_or_fragment, wants_fragment
from funnel.views.years import year_nav

TEMPLATE = "funnel/actuals.html"
logger = logging.getLogger(__name__)


class ActualRow:
    __slots__ = (
        "achievement",
        "cv_autofocus",
        "cv_base",
        "cv_field",
        "visits_autofocus",
        "visits_base",
        "visits_field",
    )

    def __init__(
        self,
        *,
        achievement,
        cv_field,
        visits_field,
        cv_base,
        visits_base,
        first_error=None,
    ):
        self.achievement = achievement
        self.cv_field = cv_field
        self.visits_field = visits_field
        # What the cells had when the page was loaded (hidden base_* inputs).
        self.cv_base = cv_base
        self.visits_base = visits_base
        # A refused save puts the caret in the first field with an error.
        self.cv_autofocus = cv_field.name == first_error
        self.visits_autofocus = visits_field.name == first_error

    @property
    def month(self):
        return self.achievement.month


def _first_error(form, months):
    """The name of the first field with an error, in the order of the page."""
    if not form.is_bound or form.is_valid():
        return None
    for m in months:
        for name in (f"actual_cv_{m.month}", f"actual_visits_{m.month}"):
            if form.has_error(name):
                return name
    return None


def _context(request, year, form, goals, conflict=None, saved=False):
    months = target_achievements(
        fiscal_months(year, request.account.fiscal_year_start_month),
        goals,
        form.month_values(),
        timezone.localdate(),
    )
    first_error = _first_error(form, months)
    return {
        **year_nav(request.account, year),
        "rows": [
            ActualRow(
                achievement=m,
                cv_field=form[f"actual_cv_{m.month}"],
                visits_field=form[f"actual_visits_{m.month}"],
                cv_base=form.base_text(f"actual_cv_{m.month}"),
                visits_base=form.base_text(f"actual_visits_{m.month}"),
                first_error=first_error,
            )
            for m in months
        ],
        "cv_to_date": year_to_date(months, field="cv"),
        "visits_to_date": year_to_date(months, field="visits"),
        "can_edit": request.membership.can_edit,
        "form": form,
        "conflict": conflict,
        # Saved over htmx: the figures computed from the saved values go out
        # of band with the form.
        "saved": saved,
    }


# What the page's buttons send: 実績を保存, and 上書き保存 after a conflict.
SAVE_ACTIONS = ("save", "overwrite")


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@member_required
def actuals_page(request, year):
    """Enter the actuals (実績) of a year and see them against its targets."""
    # The grid's figures: a year planned per channel targets its channels' sums.
    goals = selectors.goal_month_figures(account=request.account, year=year)
    actuals = selectors.actuals_by_month(account=request.account, year=year)
    if request.method == "GET":
        form = ActualYearForm(actuals=actuals)
        return TemplateResponse(request, TEMPLATE, _context(request, year, form, goals))
    if not request.membership.can_edit:
        raise PermissionDenied
    return _actuals_post(request, year, goals, actuals)


def _actuals_post(request, year, goals, actuals):
    """保存 (refused if someone saved since the page was loaded) or 上書き保存
    (the user chose to replace what was saved meanwhile). Only a complete form
    writes: a field that was not sent is not a field that was emptied."""
    action = request.POST.get("action")
    form = ActualYearForm(request.POST, actuals=actuals)
    status, conflict, saved = 200, None, False
    if action not in SAVE_ACTIONS or not sent_in_full(
        form, *form.base_names(action == "save")
    ):
        messages.error(request, notices.INCOMPLETE_FORM)
        form = ActualYearForm(form.completed_data(), actuals=actuals)
        status = 400
    elif not form.is_valid():
        messages.error(request, notices.FORM_HAS_ERRORS)
    else:
        try:
            changed = services.actual_year_save(
                account=request.account,
                year=year,
                months=form.month_values(),
                user=request.user,
                replace_missing=True,
                expected=form.base_values() if action == "save" else None,
                source=ChangeSource.INPUT
                if action == "save"
                else ChangeSource.OVERWRITE,
            )
        except services.SaveConflict as refused:
            messages.error(request, refused.message)
            status, conflict = 409, refused
        except DatabaseError:
            logger.exception("saving the actuals of %s failed", year)
            messages.error(request, notices.SAVE_FAILED)
            status = 503
        else:
            messages.success(
                request,
                _("%(label)sの実績を保存しました（%(count)d件の変更）。")
                % {"label": year_label(request.account, year), "count": changed},
            )
            if not wants_fragment(request):
                return redirect("funnel:goal-actuals", year=year)
            form = ActualYearForm(
                actuals=selectors.actuals_by_month(account=request.account, year=year)
            )
            saved = True
    # The form again: refused, with the typed text and the base it was typed
    # on; saved over htmx, as now stored.
    return page_or_fragment(
        request,
        TEMPLATE,
        "actuals-form",
        _context(request, year, form, goals, conflict, saved=saved),
        status=status,
    )
