"""目標 vs 実績: the year's actuals beside its targets, with achievement and pace."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from funnel import selectors, services
from funnel.access import member_required
from funnel.domain.achievement import year_achievements, year_to_date
from funnel.domain.grid import fiscal_months
from funnel.forms import ActualYearForm
from funnel.models import MAX_YEAR, MIN_YEAR
from funnel.views.grid import year_label

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


def achievements(account, year, goals, actual_values, today):
    """Each month of the fiscal year, target beside actual (in fiscal order);
    ``goals`` as selectors.goal_year gives them."""
    return year_achievements(
        fiscal_months(year, account.fiscal_year_start_month),
        goals,
        actual_values,
        today,
    )


def _context(request, year, form, goals):
    months = achievements(
        request.account, year, goals, form.month_values(), timezone.localdate()
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
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise Http404
    goals, _plan = selectors.goal_year(account=request.account, year=year)
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
        if not (request.htmx and not request.htmx.history_restore_request):
            return redirect("funnel:goal-actuals", year=year)
        form = ActualYearForm(
            actuals=selectors.actuals_by_month(account=request.account, year=year)
        )
    else:
        messages.error(
            request,
            _(
                "入力内容に誤りがあります。赤く表示された欄を直してから保存してください。"
            ),
        )
    template = TEMPLATE
    if request.htmx and not request.htmx.history_restore_request:
        template += "#actuals-form"
    return TemplateResponse(request, template, _context(request, year, form, goals))
