"""The query plans of what the measured pages run, on the large data set.

``python bench/explain.py --worksheet-pk N --out FILE`` with the database in
the environment (bench/run.py does it). Makes each request with the Django test
client, captures its SQL, and explains every statement: on PostgreSQL with
``EXPLAIN (ANALYZE, BUFFERS)`` inside a transaction that is rolled back (the
save's upsert is really run, then undone), on SQLite with ``EXPLAIN QUERY PLAN``.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

common.setup_django()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.inprocess import statements  # noqa: E402
from funnel import selectors  # noqa: E402
from funnel.models import Account  # noqa: E402


class Rollback(Exception):
    pass


def explain(sql):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            try:
                with transaction.atomic():
                    cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                    rows = cursor.fetchall()
                    raise Rollback
            except Rollback:
                pass
            return "\n".join(row[0] for row in rows)
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        depth = {0: -1}
        lines = []
        for node, parent, _unused, detail in cursor.fetchall():
            depth[node] = depth.get(parent, -1) + 1
            lines.append("  " * depth[node] + detail)
        return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--worksheet-pk", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    user = get_user_model().objects.get(username=common.BENCH_USER)
    account = Account.objects.get(name=common.ACCOUNT_NAME.format(common.BENCH_ACCOUNT))
    client = Client(SERVER_NAME="127.0.0.1")
    # Named: the settings list django-axes' backend before Django's.
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    year = common.YEAR
    requests = [
        ("grid page: GET /goals/<year>/", lambda: client.get(f"/goals/{year}/")),
        (
            "goals_by_month (overview, exports, apply preview)",
            lambda: selectors.goals_by_month(account=account, year=year),
        ),
        (
            "12-month save: POST /goals/<year>/",
            lambda: client.post(f"/goals/{year}/", common.save_body(5_000_000)),
        ),
        ("worksheet list: GET /worksheets/", lambda: client.get("/worksheets/")),
        (
            "worksheet detail: GET /worksheets/<pk>/",
            lambda: client.get(f"/worksheets/{args.worksheet_pk}/"),
        ),
        (
            "goal history: GET /goals/<year>/history/",
            lambda: client.get(f"/goals/{year}/history/"),
        ),
    ]
    client.get("/healthz")
    seen = set()
    out = [
        f"Query plans on {connection.vendor} with the large data set "
        f"(signed in as {common.BENCH_USER}, year {year}). Made by bench/explain.py.\n"
    ]
    for label, call in requests:
        with CaptureQueriesContext(connection) as captured:
            call()
        out.append(f"\n{'=' * 78}\n{label}\n{'=' * 78}\n")
        for sql in statements(captured.captured_queries):
            if sql in seen:
                out.append(f"\n-- (explained above) {sql[:100]}…\n")
                continue
            seen.add(sql)
            out.append(f"\n{sql}\n\n{explain(sql)}\n")
    args.out.write_text("".join(out))


if __name__ == "__main__":
    main()
