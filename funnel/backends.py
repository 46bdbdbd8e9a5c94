"""Sign-in: Django's ModelBackend, except that the signed-in user comes back
with their memberships, and, on a request, with the session itself.

Every signed-in request needs the session, the user and the membership
(``request.membership`` decides what the member may see and do). Through the
ORM these were three statements whose Python cost more than PostgreSQL took
to answer them (docs/performance.md); here the session's one statement
(funnel/sessions.py) reads all three, and ``get_user`` takes the user from
it. Django's own ``get_user`` still verifies the session against the user.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache

from django.contrib import auth
from django.contrib.auth import get_user_model
from django.contrib.auth import middleware as auth_middleware
from django.contrib.auth.backends import ModelBackend
from django.utils.functional import SimpleLazyObject

from funnel import sql
from funnel.models import Account, Membership

# The session whose user Django is loading, on this request (see
# AuthenticationMiddleware): get_user() is told only the user's id.
_session = ContextVar("funnel_session_being_read", default=None)


@cache
def user_columns():
    """What a statement reading a user with their memberships of active
    accounts needs: the SELECT list, the joins from the user ``u`` to the
    memberships ``m`` and accounts ``a`` (a row each; the user's row even
    without one), their order (membership_for()'s: rows without an account
    are skipped, wherever they sort) and the converter fields."""
    user_model = get_user_model()
    user_fields, _names = sql.concrete(user_model)
    member_fields, _names = sql.concrete(Membership)
    account_fields, _names = sql.concrete(Account)
    select = (
        f"{sql.columns(user_model, 'u')}, {sql.columns(Membership, 'm')}, "
        f"{sql.columns(Account, 'a')}"
    )
    # Two plain LEFT JOINs, not one of a parenthesised join: SQLite would
    # materialise every account's memberships for that. A membership of an
    # inactive account comes back with no account, and is left out.
    joins = (
        f"LEFT JOIN {sql.quoted(Membership)} m "
        f"ON m.{sql.quoted(Membership, 'user')} = u.{sql.quoted(user_model, 'pk')} "
        f"LEFT JOIN {sql.quoted(Account)} a "
        f"ON a.{sql.quoted(Account, 'id')} = m.{sql.quoted(Membership, 'account')} "
        f"AND a.{sql.quoted(Account, 'is_active')}"
    )
    order = f"ORDER BY a.{sql.quoted(Account, 'name')}, a.{sql.quoted(Account, 'id')}"
    return select, joins, order, user_fields + member_fields + account_fields


@cache
def _user_select():
    user_model = get_user_model()
    select, joins, order, fields = user_columns()
    return sql.Select(
        f"SELECT {select} FROM {sql.quoted(user_model)} u {joins} "  # noqa: S608 - names from the models, values as parameters
        f"WHERE u.{sql.quoted(user_model, 'pk')} = %s {order}",
        fields,
    )


def user_from_rows(rows, start=0, using="default"):
    """The user (with ``active_memberships``) of rows laid out by
    user_columns() from column ``start``; None when the rows hold no user."""
    if not rows or rows[0][start] is None:
        return None
    user_model = get_user_model()
    user_names = [f.attname for f in user_model._meta.concrete_fields]
    member_names = [f.attname for f in Membership._meta.concrete_fields]
    account_names = [f.attname for f in Account._meta.concrete_fields]
    members_start = start + len(user_names)
    accounts_start = members_start + len(member_names)
    user = user_model.from_db(using, user_names, rows[0][start:members_start])
    memberships = []
    for row in rows:
        if row[accounts_start] is None:  # no membership, or an inactive account
            continue
        membership = Membership.from_db(
            using, member_names, row[members_start:accounts_start]
        )
        membership.account = Account.from_db(using, account_names, row[accounts_start:])
        membership.user = user
        memberships.append(membership)
    user.active_memberships = memberships
    return user


def user_with_memberships(user_id, using="default"):
    """The user, with ``active_memberships``: their memberships of active
    accounts (each with its account), ordered by account name; None when there
    is no such user."""
    return user_from_rows(_user_select().rows([user_id], using), using=using)


class MemberBackend(ModelBackend):
    """ModelBackend whose ``get_user`` also loads the user's memberships, and
    takes the user the request's session was read with when there is one."""

    def get_user(self, user_id):
        # user_id is already the primary key's Python value (django.contrib.auth
        # converts what the session holds before asking).
        user = getattr(_session.get(), "prefetched_user", None)
        if user is None or user.pk != user_id:
            user = user_with_memberships(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


@contextmanager
def reading_session(session):
    token = _session.set(session)
    try:
        yield
    finally:
        _session.reset(token)


def _user_of(request):
    """django.contrib.auth.middleware.get_user, telling the backend which
    session it is reading."""
    if not hasattr(request, "_cached_user"):
        with reading_session(request.session):
            request._cached_user = auth.get_user(request)
    return request._cached_user


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _user_of(request))
