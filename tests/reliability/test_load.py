"""The load test's short form (bench/loadtest/run.py, the full run is 50 users
for 2 minutes: ``make loadtest``): 10 planners for 15 seconds against two
gunicorn servers with the production settings on one database, half the
planners on each, then not one server error and not one lost update on either,
and a sign-out through one server ends the session on the other at once (the
workers keep nothing that decides who a request is).

It runs on PostgreSQL in both CI runs, the SQLite one included: the load test
is about the production stack (gunicorn's workers writing through PostgreSQL's
row locks and connections); on SQLite two workers would only take turns at the
file's single write lock, which test_concurrency.py covers. The scratch
database is made on the server DATABASE_URL names when that is PostgreSQL,
else on 127.0.0.1:5432, which CI always has.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
USERS, SECONDS = 10, 15


def _server():
    url = os.environ.get("DATABASE_URL", "")
    match = re.match(r"(postgres(?:ql)?://[^/]+)", url)
    return match[1] if match else "postgres://postgres@127.0.0.1:5432"


def test_short_load_run_has_no_server_error_and_loses_no_update(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "bench/loadtest/run.py",
            "--users",
            str(USERS),
            "--duration",
            str(SECONDS),
            "--server",
            _server(),
            "--out",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report[-5000:]
    figures = json.loads((tmp_path / "latest.json").read_text())
    checks, server = figures["checks"], figures["server"]
    assert server["server_errors"] == 0 and figures["client_server_errors"] == 0
    assert checks["lost_updates"] == 0 and checks["history_mismatches"] == 0
    assert figures["locust"]["total"]["failures"] == 0
    # Every planner signed in and saved, so the checks compared something.
    assert not checks["planners_without_record"]
    assert checks["acknowledged_saves"] >= USERS
    # Two servers, each serving half the planners, each without an error.
    servers = figures["servers"]
    assert sorted(servers) == ["A", "B"]
    for label, counts in servers.items():
        mine = checks["by_server"][label]
        assert mine["planners"] == USERS // 2, (label, mine)
        assert mine["acknowledged_saves"] > 0, (label, mine)
        assert mine["lost_updates"] == 0 and mine["history_mismatches"] == 0
        assert counts["requests"] > 0 and counts["server_errors"] == 0, counts
        assert counts["log_problems"] == 0, counts
    # Signed in through A, signed out through B: the same cookie is refused
    # by both at once.
    sign_out = figures["sign_out_check"]
    assert sign_out["passed"], sign_out
    assert set(sign_out["statuses_before"]["A"]) == {200}, sign_out
    assert set(sign_out["statuses_after"]["A"]) == {302}, sign_out
    print(f"\n{(tmp_path / 'latest.md').read_text()}")
