"""Request plumbing: sign-in required everywhere, and the signed-in member's account."""

from django.contrib.auth import middleware as auth_middleware
from django.utils.functional import SimpleLazyObject
from django_htmx.http import HttpResponseClientRedirect

from funnel import selectors


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
        request.membership = SimpleLazyObject(lambda: self._membership(request))
        return self.get_response(request)

    def _membership(self, request):
        if not request.user.is_authenticated:
            return None
        return selectors.membership_for(
            user=request.user, account_id=request.session.get(self.SESSION_KEY)
        )
