"""Sign-in: Django's ModelBackend, except that the signed-in user comes back from
the session with their memberships, in one statement instead of two.

Every signed-in request needs both (``request.membership`` decides what the
member may see and do), so loading them together saves a round trip and the
ORM's cost of building a second query on every page (docs/performance.md).
"""

from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from funnel import sql
from funnel.models import Account, Membership


@cache
def _user_with_memberships():
    user_model = get_user_model()
    user_fields, user_names = sql.concrete(user_model)
    member_fields, member_names = sql.concrete(Membership)
    account_fields, account_names = sql.concrete(Account)
    user, member, account = (
        sql.quoted(user_model),
        sql.quoted(Membership),
        sql.quoted(Account),
    )
    # The user's row even without a membership (LEFT JOIN), with one row per
    # membership of an active account, in the order membership_for() uses.
    statement = sql.Select(
        f"SELECT {sql.columns(user_model, 'u')}, {sql.columns(Membership, 'm')}, "  # noqa: S608 - names from the models, values as parameters
        f"{sql.columns(Account, 'a')} "
        f"FROM {user} u LEFT JOIN ({member} m INNER JOIN {account} a "
        f"ON a.{sql.quoted(Account, 'id')} = m.{sql.quoted(Membership, 'account')} "
        f"AND a.{sql.quoted(Account, 'is_active')}) "
        f"ON m.{sql.quoted(Membership, 'user')} = u.{sql.quoted(user_model, 'pk')} "
        f"WHERE u.{sql.quoted(user_model, 'pk')} = %s "
        f"ORDER BY a.{sql.quoted(Account, 'name')}, a.{sql.quoted(Account, 'id')}",
        user_fields + member_fields + account_fields,
    )
    return statement, user_names, member_names, account_names


def user_with_memberships(user_id, using="default"):
    """The user, with ``active_memberships``: their memberships of active
    accounts (each with its account), ordered by account name; None when there
    is no such user."""
    statement, user_names, member_names, account_names = _user_with_memberships()
    rows = statement.rows([user_id], using)
    if not rows:
        return None
    user_model = get_user_model()
    users_end = len(user_names)
    members_end = users_end + len(member_names)
    user = user_model.from_db(using, user_names, rows[0][:users_end])
    memberships = []
    for row in rows:
        if row[users_end] is None:  # no membership of an active account
            continue
        membership = Membership.from_db(using, member_names, row[users_end:members_end])
        membership.account = Account.from_db(using, account_names, row[members_end:])
        membership.user = user
        memberships.append(membership)
    user.active_memberships = memberships
    return user


class MemberBackend(ModelBackend):
    """ModelBackend whose ``get_user`` also loads the user's memberships."""

    def get_user(self, user_id):
        # user_id is already the primary key's Python value (django.contrib.auth
        # converts what the session holds before asking).
        user = user_with_memberships(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
