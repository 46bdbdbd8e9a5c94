"""承認待ち: the manager's start page, the years waiting for their review;
for the marketers, the years sent back to them with the manager's comment."""

from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_safe

from funnel import selectors
from funnel.access import member_required
from funnel.formatting import year_label
from funnel.middleware import membership_of


def start_page_for(membership):
    """Where a member starts: a manager at what waits for their review,
    everyone else at this year's targets."""
    if membership is not None and membership.is_manager:
        return "funnel:reviews"
    return "funnel:goal-grid-current"


@require_safe
def home(request):
    # Not member_required: someone without an account is sent on, and the
    # page they land on says why (or shows their invitations).
    return redirect(start_page_for(membership_of(request)))


def _labelled(account, plans):
    return [(plan, year_label(account, plan.year)) for plan in plans]


@require_GET
@member_required
def reviews(request):
    account = request.account
    context = {
        "submitted": _labelled(account, selectors.plans_to_review(account=account)),
        # Only the editors can act on a returned year (fix it and submit again).
        "returned": _labelled(account, selectors.plans_returned(account=account))
        if request.membership.can_edit
        else [],
    }
    return TemplateResponse(request, "funnel/reviews.html", context)
