"""View decorators that check who may do what, before the view runs.

Permissions are checked here, in the view layer, never only in a template:
the client can ask for any fragment directly.
"""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from funnel import selectors
from funnel.middleware import membership_of


def _invited_only(request):
    """A page asked for by someone with no account of their own yet but with
    invitations waiting: the invitations page is where they can act."""
    return (
        request.method in ("GET", "HEAD")
        and not getattr(request, "htmx", False)
        and request.user.is_authenticated
        and selectors.invitations_for(user=request.user).exists()
    )


def member_required(view):
    """The user belongs to an active account; sets ``request.membership`` (the
    membership itself from here on, not its lazy stand-in) and
    ``request.account``. Without one, a user who has been invited is sent to
    their invitations; anyone else is refused."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        membership = membership_of(request)
        if membership is None:
            if _invited_only(request):
                return redirect("funnel:invitations")
            raise PermissionDenied
        request.membership = membership
        request.account = membership.account
        return view(request, *args, **kwargs)

    return wrapper


def editor_required(view):
    """A marketer or admin: managers review and edit nothing."""

    @member_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.membership.can_edit:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def admin_required(view):
    """The account's admin: members and settings are theirs alone."""

    @member_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.membership.is_admin:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
