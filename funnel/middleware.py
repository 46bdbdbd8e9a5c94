"""Request plumbing: sign-in required everywhere, and the signed-in member's account."""

import logging

from django.contrib.auth import middleware as auth_middleware
from django.db import DatabaseError, IntegrityError
from django.template.response import TemplateResponse
from django.utils.cache import patch_cache_control
from django.utils.functional import SimpleLazyObject
from django_htmx.http import HttpResponseClientRedirect

from funnel import selectors

logger = logging.getLogger(__name__)

# The account a member of several chose last (account switcher), in the session.
ACCOUNT_SESSION_KEY = "funnel_account_id"


class LoginRequiredMiddleware(auth_middleware.LoginRequiredMiddleware):
    """Django's, except that an htmx request whose session expired sends the whole
    browser to sign-in (HX-Redirect) instead of swapping a sign-in form into a cell."""

    def handle_no_permission(self, request, view_func):
        response = super().handle_no_permission(request, view_func)
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(response["Location"])
        return response


class NoStoreMiddleware:
    """Every page and download the app answers is ``Cache-Control: private,
    no-store`` (unless the view said otherwise): a shared computer's browser
    keeps no copy of an account's targets after sign-out, and no proxy keeps
    one at all. Static files are served before this (WhiteNoise) and keep
    their long cache."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response


class AccountMiddleware:
    """Puts a lazy ``request.membership`` on every request: the signed-in
    member's membership of an active account (with its account, one query),
    or None. Read only by what needs it: the live recomputes never do, so
    they touch neither the session nor the database. The access decorators
    (funnel/access.py) refuse a request without one and set ``request.account``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = SimpleLazyObject(lambda: membership_of(request))
        return self.get_response(request)


def membership_of(request):
    """The signed-in member's membership (or None), found once a request."""
    if not hasattr(request, "_membership"):
        user = request.user
        request._membership = (
            selectors.membership_for(
                user=user, account_id=request.session.get(ACCOUNT_SESSION_KEY)
            )
            if user.is_authenticated
            else None
        )
    return request._membership


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
