"""Django's PostgreSQL backend, with a health check that needs no round trip
while the connection is quiet.

CONN_HEALTH_CHECKS asks a persistent connection whether it still works at the
start of every request: Django's is_usable() sends ``SELECT 1`` and waits for
the answer, a round trip on every request (a tenth of a millisecond of the
worker's time and some of PostgreSQL's here). A server that ends a connection
(a restart, a failover, pg_terminate_backend) says so and closes its end, so
the socket becomes readable. Here an idle connection whose socket has nothing
to read is usable; anything waiting there (the goodbye, a notice) is put to
Django's own SELECT 1, which finds a dead connection dead.
tests/reliability/test_faults.py restarts the server's end between requests.
"""

import select

import psycopg
from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self):
        if self.connection is None:
            return False
        try:
            pgconn = self.connection.pgconn
            if pgconn.status != pq.ConnStatus.OK:
                return False
            readable, _writable, _failed = select.select([pgconn.socket], [], [], 0)
        except (OSError, ValueError, psycopg.Error):
            return False
        if not readable:
            return True
        return super().is_usable()
