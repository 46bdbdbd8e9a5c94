"""Template context shared by every page: the member and their account."""

from django.utils.functional import SimpleLazyObject

from funnel import selectors


def membership(request):
    # The middleware's lazy stand-in (or the membership itself, once an access
    # decorator has found it): a template that never shows it never reads it.
    return {"membership": getattr(request, "membership", None)}


def reviews_waiting(request):
    """The number of years waiting for review, for a manager's navigation.
    Lazy: counted only when a page shows it (base.html does so for managers
    alone), so no other page pays a query for it."""

    def count():
        membership = getattr(request, "membership", None)
        if not membership or not membership.is_manager:
            return 0
        return selectors.plans_to_review_count(account=membership.account)

    return {"reviews_waiting": SimpleLazyObject(count)}
