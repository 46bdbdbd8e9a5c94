"""目標 vs 実績: the year's actuals beside its targets, with achievement and pace."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from funnel import notices, selectors, services
from funnel.access import member_required
from funnel.domain.achievement import year_achievements, year_to_date
from funnel.domain.grid import fiscal_months
from funnel.formatting import year_label
from funnel.forms.actuals import ActualYearForm
from funnel.models import MAX_YEAR, MIN_YEAR
from funnel.rendering import page_or_fragment, wants_fragment

TEMPLATE = "funnel/actuals.html"


class ActualRow:
    __slots__ = ("achievement", "cv_field", "visits_field")

    def __init__(self, *, achievement, cv_field, visits_field):
        self.achievement = achievement
        self.cv_field = cv_field
        self.visits_field = visits_field

    @property
    def month(self):
        return self.achievement.month


def _context(request, year, form, goals):
    months = year_achievements(
        fiscal_months(year, request.account.fiscal_year_start_month),
        goals,
        form.month_values(),
        timezone.localdate(),
    )
    return {
        "year": year,
        "year_label": year_label(request.account, year),
        "previous_year": year - 1 if year > MIN_YEAR else None,
        "next_year": year + 1 if year < MAX_YEAR else None,
        "rows": [
            ActualRow(
                achievement=m,
                cv_field=form[f"actual_cv_{m.month}"],
                visits_field=form[f"actual_visits_{m.month}"],
            )
            for m in months
        ],
        "cv_to_date": year_to_date(months, field="cv"),
        "visits_to_date": year_to_date(months, field="visits"),
        "can_edit": request.membership.can_edit,
        "form": form,
    }


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@member_required
def actuals_page(request, year):
    """Enter the actuals (実績) of a year and see them against its targets."""
    goals = selectors.goal_values(account=request.account, year=year)
    actuals = selectors.actuals_by_month(account=request.account, year=year)
    if request.method == "GET":
        form = ActualYearForm(actuals=actuals)
        return TemplateResponse(request, TEMPLATE, _context(request, year, form, goals))
    if not request.membership.can_edit:
        raise PermissionDenied
    form = ActualYearForm(request.POST, actuals=actuals)
    if form.is_valid():
        changed = services.actual_year_save(
            account=request.account,
            year=year,
            months=form.month_values(),
            user=request.user,
            replace_missing=True,
        )
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
    else:
        messages.error(request, notices.FORM_HAS_ERRORS)
    return page_or_fragment(
        request, TEMPLATE, "actuals-form", _context(request, year, form, goals)
    )
