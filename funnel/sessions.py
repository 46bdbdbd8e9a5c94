"""Django's database sessions, read with one hand-written statement.

Every signed-in request reads its session; through the ORM that read cost more
Python than PostgreSQL took to answer it (docs/performance.md). Writes, expiry
and everything else are Django's own.
"""

from functools import cache

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.db import connections, router
from django.utils import timezone

from funnel import sql


@cache
def _session_select():
    return sql.Select(
        f"SELECT {sql.quoted(Session, 'session_data')} FROM {sql.quoted(Session)} "  # noqa: S608 - names from the models, values as parameters
        f"WHERE {sql.quoted(Session, 'session_key')} = %s "
        f"AND {sql.quoted(Session, 'expire_date')} > %s",
        [None],
    )


class SessionStore(db.SessionStore):
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
        return self.model(session_key=self.session_key, session_data=rows[0][0])
