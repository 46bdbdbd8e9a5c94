"""レポート・データ > 目標設定: the monthly goal grid of one year."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from funnel import selectors, services
from funnel.access import editor_required, member_required
from funnel.domain.grid import year_totals
from funnel.forms import GoalYearForm
from funnel.models import MAX_YEAR, MIN_YEAR

TEMPLATE = "funnel/goal_grid.html"


def _check_year(year):
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise Http404


def _wants_fragment(request):
    """An htmx request for a fragment; a history restore gets the whole page."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def _context(request, year, form):
    rows = form.rows()
    return {
        "year": year,
        "previous_year": year - 1 if year > MIN_YEAR else None,
        "next_year": year + 1 if year < MAX_YEAR else None,
        "form": form,
        "rows": rows,
        "totals": year_totals([row.figures for row in rows]),
        "can_edit": request.membership.can_edit,
    }


@require_GET
def goal_grid_current(request):
    return goal_grid(request, timezone.localdate().year)


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@member_required
def goal_grid(request, year):
    _check_year(year)
    if request.method == "POST":
        return _goal_grid_post(request, year)
    goals = selectors.goals_by_month(account=request.account, year=year)
    form = GoalYearForm(goals=goals)
    return TemplateResponse(request, TEMPLATE, _context(request, year, form))


@editor_required
def _goal_grid_post(request, year):
    form = GoalYearForm(request.POST)
    saving = request.POST.get("action", "save") == "save"
    if saving and form.is_valid():
        services.goal_year_save(
            account=request.account,
            year=year,
            months=form.month_values(),
            user=request.user,
        )
        messages.success(
            request, _("%(year)d年の目標を保存しました。") % {"year": year}
        )
        if not _wants_fragment(request):
            return redirect("funnel:goal-grid", year=year)
        goals = selectors.goals_by_month(account=request.account, year=year)
        form = GoalYearForm(goals=goals)
    else:
        if saving:
            messages.error(
                request,
                _(
                    "入力内容に誤りがあります。赤く表示された欄を直してから保存してください。"
                ),
            )
        # Re-rendered with the typed text; the stored values (read only now,
        # not before a save that succeeds) mark which cells changed.
        goals = selectors.goals_by_month(account=request.account, year=year)
        form = GoalYearForm(request.POST, goals=goals)
    template = f"{TEMPLATE}#grid-form" if _wants_fragment(request) else TEMPLATE
    return TemplateResponse(request, template, _context(request, year, form))


@require_GET
@member_required
def goal_recompute(request, year):
    """As the user types: every month's visits, the totals and the messages, as
    out-of-band fragments. Nothing is saved. The inputs are never swapped."""
    _check_year(year)
    if not request.htmx:
        return redirect("funnel:goal-grid", year=year)
    form = GoalYearForm(request.GET)
    return TemplateResponse(
        request, f"{TEMPLATE}#computed", _context(request, year, form)
    )
