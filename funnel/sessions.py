"""Django's database sessions (funnel.models.Session), read with one
hand-written statement that reads the signed-in user and their memberships
with the session (funnel/backends.py takes the user from it).

Every signed-in request reads its session and its user; through the ORM that
was three statements whose Python cost more than PostgreSQL took to answer
them (docs/performance.md). Writes, expiry and everything else are Django's.
"""

from functools import cache

from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.backends import db
from django.core.exceptions import ValidationError
from django.db import connections, router
from django.utils import timezone

from funnel import backends, sql


@cache
def _session_select():
    from funnel.models import Session

    user_model = get_user_model()
    select, joins, order, fields = backends.user_columns()
    return sql.Select(
        f"SELECT s.{sql.quoted(Session, 'session_data')}, {select} "  # noqa: S608 - names from the models, values as parameters
        f"FROM {sql.quoted(Session)} s LEFT JOIN {sql.quoted(user_model)} u "
        f"ON u.{sql.quoted(user_model, 'pk')} = s.{sql.quoted(Session, 'user')} "
        f"{joins} WHERE s.{sql.quoted(Session, 'session_key')} = %s "
        f"AND s.{sql.quoted(Session, 'expire_date')} > %s {order}",
        [None, *fields],
    )


class SessionStore(db.SessionStore):
    # The user the session was read with (None for a session nobody signed
    # in to): funnel.backends.MemberBackend takes it instead of asking again.
    prefetched_user = None

    @classmethod
    def get_model_class(cls):
        from funnel.models import Session

        return Session

    def create_model_instance(self, data):
        """The row to save, with the signed-in user's id as a column."""
        session = super().create_model_instance(data)
        try:
            session.user_id = get_user_model()._meta.pk.to_python(data.get(SESSION_KEY))
        except ValidationError:
            session.user_id = None
        return session

    def _get_session_from_db(self):
        if self.session_key is None:
            return None
        using = router.db_for_read(self.model)
        now = connections[using].ops.adapt_datetimefield_value(timezone.now())
        rows = _session_select().rows([self.session_key, now], using)
        if not rows:
            # As Django's: an unknown or expired key starts a new session.
            self._session_key = None
            return None
        self.prefetched_user = backends.user_from_rows(rows, start=1, using=using)
        return self.model(session_key=self.session_key, session_data=rows[0][0])
