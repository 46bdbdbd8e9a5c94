"""Request plumbing: sign-in required everywhere, and the signed-in member's account."""

import logging

from django.contrib.auth import middleware as auth_middleware
from django.db import DatabaseError, IntegrityError
from django.template.response import TemplateResponse
from django.utils.functional import SimpleLazyObject
from django_htmx.http import HttpResponseClientRedirect

from funnel import selectors

logger = logging.getLogger(__name__)


class LoginRequiredMiddleware(auth_middleware.LoginRequiredMiddleware):
    """Django's, except that an htmx request whose session expired sends the whole
    browser to sign-in (HX-Redirect) instead of swapping a sign-in form into a cell."""

    def handle_no_permission(self, request, view_func):
        response = super().handle_no_permission(request, view_func)
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(response["Location"])
        return response


class AccountMiddleware:
    """Puts ``request.membership`` and ``request.account`` (or None) on every request.

    Every query for an account's data goes through ``request.account``; a user
    with no membership in an active account has none, and member views refuse.
    """

    SESSION_KEY = "funnel_account_id"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = SimpleLazyObject(lambda: membership_of(request))
        return self.get_response(request)


def membership_of(request):
    """The signed-in member's membership (or None), found once a request:
    ``request.membership`` is its lazy stand-in for templates and views that
    may never need it."""
    if not hasattr(request, "_membership"):
        request._membership = _find_membership(request)
    return request._membership


def _find_membership(request):
    user = request.user
    if not user.is_authenticated:
        return None
    account_id = request.session.get(AccountMiddleware.SESSION_KEY)
    # A user that funnel.backends loaded from the session comes with their
    # memberships; one that has just signed in does not.
    memberships = getattr(user, "active_memberships", None)
    if memberships is None:
        return selectors.membership_for(user=user, account_id=account_id)
    return selectors.membership_choose(memberships, account_id=account_id)


class DatabaseErrorMiddleware:
    """The last net under every view: a constraint the database enforces (a
    duplicate month saved twice at the same instant, a value a form let
    through) is a friendly 409, and any other database failure a 503 that says
    so, never a bare 500. The transaction has been rolled back either way.
    Over htmx nothing is swapped (the page keeps what the user typed) and the
    page's error banner shows; views with a form catch the error themselves
    and show it beside the form."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DatabaseError):
            return None
        conflict = isinstance(exception, IntegrityError)
        logger.warning("database error on %s: %s", request.path, exception)
        response = TemplateResponse(
            request,
            "409.html" if conflict else "503.html",
            {"back": request.path},
            status=409 if conflict else 503,
        )
        response.render()
        if getattr(request, "htmx", False):
            response["HX-Reswap"] = "none"
        return response
