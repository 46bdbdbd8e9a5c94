#!/usr/bin/env python3
"""The load test, in one command (``make loadtest``): many planners saving their
goals at once against two gunicorn servers sharing one PostgreSQL, and
afterwards not one server error, not one lost update, and a sign-out through
one server ending the session on the other.

Steps: create a scratch PostgreSQL database, migrate, collect the static files
into a temporary directory, create one marketer per simulated user (each with
its own account and year), start two gunicorn servers on two ports of
127.0.0.1 with the production settings (DEBUG off, 2 sync workers each, as
docker-compose.yml runs one; the same SECRET_KEY and database, as two web
nodes behind a load balancer would have), check that a sign-out through
server B ends a session made on server A at once, run locust headless for a
fixed time with half the planners on each server
(bench/loadtest/locustfile.py), stop the servers, then compare every user's
stored year with the last save that user saw acknowledged, and its history
rows with the values those saves changed. Prints the figures, per server and
in all, writes them to ``--out``/latest.json and latest.md, drops the
database (unless ``--keep-db``) and exits 1 when a check fails, 2 when the
run itself could not be made.

Full run: ``run.py`` (50 users, 10 a second, 120 s). The CI form in
tests/reliability/test_load.py: ``run.py --users 10 --duration 15 --out DIR``.
PostgreSQL only, on purpose: the load test is about the production stack.
"""

import argparse
import http.client
import importlib.metadata
import json
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections import Counter
from decimal import Decimal
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.common import cookies_of  # noqa: E402

HERE = Path(__file__).resolve().parent
PY = sys.executable
FIRST_PORT = 8811
PLANNERS_PER_ACCOUNT = 5
FIRST_YEAR = 2030
# Two web nodes: the app keeps no state in a worker that decides what a
# request sees, so any server may answer any request. Planner i is served by
# SERVERS[i % 2].
SERVERS = ("A", "B")
SIGN_IN_PATH = "/accounts/login/"
SIGN_OUT_PATH = "/accounts/logout/"
# How many times the sign-out check asks each server, before and after: a
# server's two sync workers take turns at random, so each is likely asked.
CHECK_REQUESTS = 4

# Run with manage.py shell: N marketers, five to an account, each planning its
# own year, and one more member in an account of its own for the sign-out
# check. One password hash for all of them (hashing is made slow on purpose;
# fifty of them would take most of a minute).
CREATE_PLANNERS = """
import json, sys
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from funnel.models import Account, Membership, Role
n, password, per_account, first_year, out = {n}, {password!r}, {per}, {year}, {out!r}
hashed = make_password(password)
planners = []
for i in range(n):
    if i % per_account == 0:
        account = Account.objects.create(name=f"負荷試験社 {{i // per_account + 1:03d}}")
    user = get_user_model().objects.create(username=f"planner{{i:03d}}", password=hashed)
    Membership.objects.create(user=user, account=account, role=Role.MARKETER)
    planners.append({{"username": user.username, "account_id": account.pk,
                      "year": first_year + i % per_account}})
account = Account.objects.create(name="負荷試験社 サインアウト確認")
user = get_user_model().objects.create(username="signout-check", password=hashed)
Membership.objects.create(user=user, account=account, role=Role.MARKETER)
check = {{"username": user.username, "account_id": account.pk, "year": first_year}}
with open(out, "w") as f:
    json.dump({{"planners": planners, "sign_out_check": check}}, f)
"""


class RunError(Exception):
    """The load test could not be run (not a failed check)."""


def log(message):
    print(f"[loadtest {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run(args, env, timeout=300):
    result = subprocess.run(  # noqa: S603
        args,
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RunError(
            f"{' '.join(map(str, args))} failed ({result.returncode}):\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result


def free_port(start):
    """The first port from ``start`` that nothing listens on (the benchmark
    uses others; this keeps two runs of ours apart too)."""
    for port in range(start, start + 100):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RunError(f"no free port in {start}..{start + 99}")


def server_params(server_url):
    match = re.fullmatch(
        r"postgres(?:ql)?://(?P<user>[^:@/]+)(?::(?P<password>[^@/]*))?@"
        r"(?P<host>[^:/]+)(?::(?P<port>\d+))?/?",
        server_url,
    )
    if not match:
        raise RunError(
            f"--server must be postgres://user[:password]@host[:port], not {server_url}"
        )
    return {
        "user": match["user"],
        "password": match["password"] or None,
        "host": match["host"],
        "port": int(match["port"] or 5432),
    }


def admin_connection(server):
    return psycopg.connect(**server, dbname="postgres", autocommit=True)


def wait_for(url, seconds, process):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RunError(f"gunicorn exited at start ({process.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RunError(f"{url} did not answer within {seconds} s")


class Gunicorn:
    """One web node: gunicorn with the production settings on its own port,
    with its own access and error logs."""

    def __init__(self, label, port, workers, env, work):
        self.label, self.port = label, port
        self.url = f"http://127.0.0.1:{port}"
        self.access_log = work / f"access-{label}.log"
        self.error_log = work / f"error-{label}.log"
        self.process = subprocess.Popen(  # noqa: S603
            [
                PY,
                "-m",
                "gunicorn",
                "goalsetting.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--worker-class",
                "sync",
                "--access-logfile",
                str(self.access_log),
                "--access-logformat",
                "%(s)s %(m)s %(U)s %(D)s",
                "--error-logfile",
                str(self.error_log),
            ],
            env=env,
            cwd=ROOT,
        )

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def log_problems(self):
        errors = self.error_log.read_text() if self.error_log.exists() else ""
        return errors.count("WORKER TIMEOUT") + errors.count("Traceback")


# --- the sign-out check -----------------------------------------------------------


def fetch(port, method, path, cookies=None, form=None):
    """One request over a new connection: (status, headers, body). Cookies are
    sent by hand: the production cookies are Secure, and a cookie jar would
    not send them over plain HTTP."""
    headers = {}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    body = None
    if form is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        body = urllib.parse.urlencode(form)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def sign_in(port, username, password):
    """Through the real form: the session's cookies, or RunError."""
    status, headers, body = fetch(port, "GET", SIGN_IN_PATH)
    cookies = cookies_of(headers)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if status != 200 or token is None or "csrftoken" not in cookies:
        raise RunError(f"sign-out check: the sign-in page answered {status}")
    form = {
        "username": username,
        "password": password,
        "csrfmiddlewaretoken": token[1].decode(),
    }
    status, headers, _body = fetch(port, "POST", SIGN_IN_PATH, cookies, form)
    cookies |= cookies_of(headers)
    if status != 302 or "sessionid" not in cookies:
        raise RunError(f"sign-out check: signing in answered {status}")
    return cookies


def signed_in(port, path, cookies):
    """Whether ``port`` serves ``path`` as the page itself (status, verdict):
    a redirect to the sign-in page is signed out."""
    status, headers, body = fetch(port, "GET", path, cookies)
    if status == 200 and b'id="grid-form"' in body:
        return status, True
    location = urllib.parse.urlsplit(headers.get("Location", "")).path
    if status == 302 and location == SIGN_IN_PATH:
        return status, False
    return status, None  # neither: an error, counted as a failed check


def sign_out_check(servers, user, password):
    """A session cookie made by signing in through server A is served by both
    servers; signing out through server B must end it on A at once (and on B):
    nothing a worker keeps may still say who the cookie belongs to. The same
    cookie, kept after the sign-out (a stale tab, a copied cookie), is then
    sent to both."""
    a, b = servers
    page = f"/goals/{user['year']}/"
    cookies = sign_in(a.port, user["username"], password)
    before = {
        s.label: [signed_in(s.port, page, cookies) for _ in range(CHECK_REQUESTS)]
        for s in servers
    }
    token = {"csrfmiddlewaretoken": cookies["csrftoken"]}
    out_status, _headers, _body = fetch(b.port, "POST", SIGN_OUT_PATH, cookies, token)
    after = {
        s.label: [signed_in(s.port, page, cookies) for _ in range(CHECK_REQUESTS)]
        for s in servers
    }
    passed = (
        all(verdict is True for runs in before.values() for _s, verdict in runs)
        and out_status == 302
        and all(verdict is False for runs in after.values() for _s, verdict in runs)
    )
    return {
        "user": user["username"],
        "signed_in_through": a.label,
        "signed_out_through": b.label,
        "statuses_before": {k: [s for s, _v in v] for k, v in before.items()},
        "sign_out_status": out_status,
        "statuses_after": {k: [s for s, _v in v] for k, v in after.items()},
        "passed": passed,
    }


# --- what was stored ----------------------------------------------------------------


def stored_years(server, database, planners):
    """{username: {cell: value}} as stored, and {username: history rows}."""
    with psycopg.connect(**server, dbname=database) as db:
        goals = db.execute(
            "SELECT account_id, year, month, cv_count, cv_rate FROM funnel_monthlygoal"
        ).fetchall()
        history = dict(
            ((account, year), count)
            for account, year, count in db.execute(
                "SELECT account_id, year, count(*) FROM funnel_changerecord "
                "WHERE kind = 'goal' GROUP BY account_id, year"
            ).fetchall()
        )
    by_year = {}
    for account, year, month, cv_count, cv_rate in goals:
        by_year.setdefault((account, year), {})[month] = (cv_count, cv_rate)
    stored, changes = {}, {}
    for planner in planners:
        key = (planner["account_id"], planner["year"])
        months = by_year.get(key, {})
        cells = {}
        for month in range(1, 13):
            cv_count, cv_rate = months.get(month, (None, None))
            cells[f"cv_count_{month}"] = _text(cv_count)
            cells[f"cv_rate_{month}"] = _text(cv_rate)
        stored[planner["username"]] = cells
        changes[planner["username"]] = history.get(key, 0)
    return stored, changes


def _text(number):
    return None if number is None else str(Decimal(number).normalize())


def verify(acks_dir, planners, stored, history):
    """Each user's stored year against its last acknowledged save (or the save
    whose answer never came, when that is what was stored), and its history
    rows against the values its saves changed; in all and per server."""
    lost, in_doubt, wrong_history, silent = [], 0, [], []
    saves = changes = refused = 0
    by_server = {
        label: {
            "planners": 0,
            "acknowledged_saves": 0,
            "lost_updates": 0,
            "history_mismatches": 0,
        }
        for label in SERVERS
    }
    for planner in planners:
        name = planner["username"]
        mine = by_server[planner["server"]]
        mine["planners"] += 1
        path = acks_dir / f"{name}.json"
        if not path.exists():
            silent.append(name)
            continue
        record = json.loads(path.read_text())
        saves += record["saves_acknowledged"]
        mine["acknowledged_saves"] += record["saves_acknowledged"]
        refused += record["saves_refused"]
        expected_changes = record["changes_acknowledged"]
        if stored[name] == record["ack"]:
            pass
        elif record["pending"] is not None and stored[name] == record["pending"]:
            in_doubt += 1
            expected_changes += record["pending_changes"]
        else:
            mine["lost_updates"] += 1
            lost.append(
                {
                    "user": name,
                    "server": planner["server"],
                    "acknowledged": record["ack"],
                    "stored": stored[name],
                }
            )
        changes += expected_changes
        if history[name] != expected_changes:
            mine["history_mismatches"] += 1
            wrong_history.append(
                {"user": name, "expected": expected_changes, "stored": history[name]}
            )
    return {
        "planners": len(planners),
        "planners_without_record": silent,
        "acknowledged_saves": saves,
        "refused_saves": refused,
        "acknowledged_changes": changes,
        "saves_in_doubt_found_stored": in_doubt,
        "lost_updates": len(lost),
        "lost_update_details": lost[:5],
        "history_mismatches": len(wrong_history),
        "history_mismatch_details": wrong_history[:5],
        "by_server": by_server,
    }


# --- what the servers answered ------------------------------------------------------


def _kind(method, path):
    if path.startswith(SIGN_IN_PATH):
        return "sign in" if method == "POST" else "sign-in page"
    if path.endswith("/recompute/"):
        return "recompute"
    if re.fullmatch(r"/goals/\d+/", path):
        return "save" if method == "POST" else "grid page"
    return "other"


def _percentile(values, share):
    return round(values[max(0, int(len(values) * share + 0.5) - 1)], 1)


def access_log_figures(*paths):
    """What gunicorn itself answered (one server's log, or several together):
    the status codes, and the time each kind of request spent in a worker
    (the queue before a worker took it is not in it: that is the difference
    to what the users saw)."""
    statuses, times = Counter(), {}
    for path in paths:
        for line in path.read_text().splitlines():
            parts = line.split()
            if len(parts) < 4 or not parts[0].isdigit() or parts[2] == "/healthz":
                continue
            status, method, url, micros = parts[:4]
            statuses[status] += 1
            times.setdefault(_kind(method, url), []).append(int(micros) / 1000)
    in_worker = {}
    for kind, values in sorted(times.items()):
        values.sort()
        in_worker[kind] = {
            "requests": len(values),
            "median_ms": _percentile(values, 0.5),
            "p95_ms": _percentile(values, 0.95),
            "p99_ms": _percentile(values, 0.99),
            "max_ms": round(values[-1], 1),
        }
    return {
        "requests": sum(statuses.values()),
        "statuses": dict(sorted(statuses.items())),
        "server_errors": sum(n for s, n in statuses.items() if s.startswith("5")),
        "time_in_worker": in_worker,
    }


def cpu_seconds():
    """CPU time of the finished children (and theirs): locust, gunicorn."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def markdown(result):
    args = result["args"]
    servers = result["servers"]
    lines = [
        f"# Load test: {args['users']} users, {args['duration']} s, "
        f"{len(servers)} servers",
        "",
        f"{result['started']}, {len(servers)} gunicorn servers of "
        f"{args['workers']} sync workers each on one PostgreSQL "
        f"{result['postgresql']} database, half the planners on each; locust "
        f"{result['locust']['version']}, {os.cpu_count()} CPUs shared by all of them.",
        "",
        "| check | figure |",
        "| --- | --- |",
    ]
    check = result["checks"]
    server = result["server"]
    for label, figure in (
        ("requests (gunicorn access logs)", server["requests"]),
        ("server errors (5xx) in the access logs", server["server_errors"]),
        ("5xx seen by the users", result["client_server_errors"]),
        ("failed requests and checks (locust)", result["locust"]["total"]["failures"]),
        ("acknowledged saves", check["acknowledged_saves"]),
        ("values changed by them", check["acknowledged_changes"]),
        ("saves refused", check["refused_saves"]),
        ("lost updates (stored ≠ last acknowledged)", check["lost_updates"]),
        ("history rows ≠ values changed", check["history_mismatches"]),
        (
            "worker timeouts / tracebacks in the error logs",
            result["server_log_problems"],
        ),
    ):
        lines.append(f"| {label} | {figure:,} |")
    sign_out = result["sign_out_check"]
    lines.append(
        f"| signed in through {sign_out['signed_in_through']}, signed out through "
        f"{sign_out['signed_out_through']}: the same cookie refused by both at once "
        f"| {'yes' if sign_out['passed'] else '**no**'} |"
    )
    lines += [
        "",
        "Per server (the access log's requests; the planners it served and what "
        "the checks found for them):",
        "",
        "| server | port | planners | requests (access log / locust) | 5xx | "
        "user-seen 5xx | "
        "acknowledged saves | lost updates | history mismatches | "
        "timeouts / tracebacks |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, figures in servers.items():
        mine = check["by_server"][label]
        lines.append(
            f"| {label} | {figures['port']} | {mine['planners']} | "
            f"{figures['requests']:,} / {figures['client_requests']:,} | "
            f"{figures['server_errors']} | "
            f"{figures['client_server_errors']} | {mine['acknowledged_saves']:,} | "
            f"{mine['lost_updates']} | {mine['history_mismatches']} | "
            f"{figures['log_problems']} |"
        )
    before = ", ".join(
        f"{k} {'/'.join(map(str, v))}" for k, v in sign_out["statuses_before"].items()
    )
    after = ", ".join(
        f"{k} {'/'.join(map(str, v))}" for k, v in sign_out["statuses_after"].items()
    )
    lines += [
        "",
        f"Sign-out check (`{sign_out['user']}`, before the load): signed in through "
        f"{sign_out['signed_in_through']}; its grid page with that cookie: {before}; "
        f"sign-out through {sign_out['signed_out_through']}: "
        f"{sign_out['sign_out_status']}; the same cookie afterwards: {after} "
        "(200 = the page, 302 = to the sign-in page).",
        "",
        "| request | count | failures | median ms | p95 ms | p99 ms | max ms | req/s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for entry in [*result["locust"]["endpoints"], result["locust"]["total"]]:
        lines.append(
            f"| {entry['method'] or ''} {entry['name']} | {entry['requests']:,} | "
            f"{entry['failures']} | {entry['median_ms']} | {entry['p95_ms']} | "
            f"{entry['p99_ms']} | {entry['max_ms']} | {entry['rps']} |"
        )
    lines += [
        "",
        "Time in a gunicorn worker, both servers (from their access logs; the"
        " users' times above add the wait for a free worker):",
        "",
        "| request | count | median ms | p95 ms | p99 ms | max ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind, entry in server["time_in_worker"].items():
        lines.append(
            f"| {kind} | {entry['requests']:,} | {entry['median_ms']} | "
            f"{entry['p95_ms']} | {entry['p99_ms']} | {entry['max_ms']} |"
        )
    cpu = result["cpu_seconds"]
    lines += [
        "",
        f"CPU: gunicorn {cpu['gunicorn']} s (both servers, masters and workers, "
        f"start-up included), locust {cpu['locust']} s, in a {args['duration']} s "
        f"run on {cpu['cpus']} CPUs shared with PostgreSQL; load average "
        f"{result['load_average'][0]} before, {result['load_average'][1]} at the end.",
    ]
    lines += ["", f"Verdict: {'PASS' if result['passed'] else 'FAIL'}", ""]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--duration", type=int, default=120, help="seconds")
    parser.add_argument(
        "--workers", type=int, default=2, help="sync workers of each server"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help=f"server A's (B takes the next free one); default: the first free "
        f"from {FIRST_PORT}",
    )
    parser.add_argument(
        "--server",
        default=os.environ.get(
            "LOADTEST_PG_SERVER", "postgres://postgres@127.0.0.1:5432"
        ),
        help="the PostgreSQL server the scratch database is made on",
    )
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument(
        "--keep-db",
        action="store_true",
        help="leave the scratch database and the working files (acks, logs)",
    )
    args = parser.parse_args()
    if args.users < len(SERVERS):
        parser.error(f"--users must be at least {len(SERVERS)}: one a server")
    try:
        result = load_test(args)
    except RunError as error:
        log(f"could not run: {error}")
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(
        json.dumps(result, ensure_ascii=False, indent=1)
    )
    report = markdown(result)
    (args.out / "latest.md").write_text(report)
    print(report)
    return 0 if result["passed"] else 1


def load_test(args):
    server = server_params(args.server)
    database = f"gs_loadtest_{secrets.token_hex(4)}"
    first_port = args.port or free_port(FIRST_PORT)
    ports = [first_port, free_port(first_port + 1)]
    work = Path(tempfile.mkdtemp(prefix="loadtest-"))
    acks = work / "acks"
    acks.mkdir()
    secret = f":{server['password']}" if server["password"] else ""
    # One environment for both servers: the same SECRET_KEY (sessions and
    # CSRF tokens made by one must be good on the other) and the same database.
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.loadtest.settings",
        "LOADTEST_STATIC_ROOT": str(work / "static"),
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"postgres://{server['user']}{secret}@{server['host']}:{server['port']}/{database}",
        "LOG_LEVEL": "WARNING",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load_before = os.getloadavg()[0]
    planner_password = secrets.token_urlsafe(16)  # for this run only
    try:
        with admin_connection(server) as admin:
            admin.execute(f'CREATE DATABASE "{database}"')
            postgresql = admin.execute("SHOW server_version").fetchone()[0]
    except psycopg.Error as error:
        raise RunError(f"PostgreSQL at {args.server}: {error}") from error
    servers = []
    try:
        log(f"database {database}: migrate, collectstatic, {args.users} planners")
        run([PY, "manage.py", "migrate", "--noinput", "-v0"], env)
        run([PY, "manage.py", "collectstatic", "--noinput", "-v0"], env)
        created_file = work / "created.json"
        snippet = CREATE_PLANNERS.format(
            n=args.users,
            password=planner_password,
            per=PLANNERS_PER_ACCOUNT,
            year=FIRST_YEAR,
            out=str(created_file),
        )
        run([PY, "manage.py", "shell", "-c", snippet], env)
        created = json.loads(created_file.read_text())

        servers = [
            Gunicorn(label, port, args.workers, env, work)
            for label, port in zip(SERVERS, ports, strict=True)
        ]
        for gunicorn in servers:
            wait_for(f"{gunicorn.url}/healthz", 30, gunicorn.process)
        # Planners of one account on both servers: five to an account, taking
        # turns, so each account's rows are written through both.
        planners = [
            planner | {"server": SERVERS[i % 2], "host": servers[i % 2].url}
            for i, planner in enumerate(created["planners"])
        ]
        planners_file = work / "planners.json"
        planners_file.write_text(json.dumps(planners, ensure_ascii=False))

        log("sign-out check: sign in through A, sign out through B")
        sign_out = sign_out_check(servers, created["sign_out_check"], planner_password)
        for gunicorn in servers:
            # The health probes and the check are not the load; a 5xx in the
            # check fails the check itself.
            gunicorn.access_log.write_text("")

        hosts = ", ".join(f"{s.label} {s.url}" for s in servers)
        log(
            f"locust: {args.users} users, {args.spawn_rate}/s, {args.duration} s "
            f"on {hosts}"
        )
        summary_file = work / "locust.json"
        locust_env = env | {
            "LOADTEST_PLANNERS": str(planners_file),
            "LOADTEST_PASSWORD": planner_password,
            "LOADTEST_ACKS": str(acks),
            "LOADTEST_SUMMARY": str(summary_file),
        }
        cpu_before_locust = cpu_seconds()
        locust = subprocess.run(  # noqa: S603
            [
                PY,
                "-m",
                "locust",
                "-f",
                str(HERE / "locustfile.py"),
                "--headless",
                "-u",
                str(args.users),
                "-r",
                str(args.spawn_rate),
                "-t",
                f"{args.duration}s",
                "--stop-timeout",
                "10",
                # Each user sends to its planner's server (locustfile.py);
                # locust asks for one host all the same.
                "--host",
                servers[0].url,
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            env=locust_env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=args.duration + 120,
            check=False,
        )
        if not summary_file.exists():
            raise RunError(f"locust wrote no summary:\n{locust.stderr[-3000:]}")
        locust_figures = json.loads(summary_file.read_text())
        locust_version = importlib.metadata.version("locust")

        cpu_locust = cpu_seconds() - cpu_before_locust
        load_after = os.getloadavg()[0]
        for gunicorn in servers:
            gunicorn.stop()
        cpu_gunicorn = cpu_seconds() - cpu_before_locust - cpu_locust

        stored, history = stored_years(server, database, planners)
        checks = verify(acks, planners, stored, history)
        client_5xx = sum(
            n
            for status, n in locust_figures["statuses"].items()
            if status.startswith("5")
        )
        per_server = {}
        for gunicorn in servers:
            figures = access_log_figures(gunicorn.access_log)
            seen = locust_figures["statuses_by_server"].get(gunicorn.label, {})
            per_server[gunicorn.label] = {
                "port": gunicorn.port,
                "requests": figures["requests"],
                "statuses": figures["statuses"],
                "server_errors": figures["server_errors"],
                "client_requests": sum(seen.values()),
                "client_server_errors": sum(
                    n for status, n in seen.items() if status.startswith("5")
                ),
                "log_problems": gunicorn.log_problems(),
            }
        server_figures = access_log_figures(*(s.access_log for s in servers))
        server_log_problems = sum(s["log_problems"] for s in per_server.values())
        passed = (
            server_figures["server_errors"] == 0
            and client_5xx == 0
            and checks["lost_updates"] == 0
            and checks["history_mismatches"] == 0
            and not checks["planners_without_record"]
            and checks["acknowledged_saves"] > 0
            and locust_figures["total"]["failures"] == 0
            and server_log_problems == 0
            and sign_out["passed"]
            # Both servers carried their half: a server nobody reached would
            # make this a one-server test.
            and all(
                s["requests"] > 0 and s["client_requests"] > 0
                for s in per_server.values()
            )
        )
        if passed:
            (work / "passed").touch()  # the working files are removed
        return {
            "started": started,
            "args": {
                "users": args.users,
                "spawn_rate": args.spawn_rate,
                "duration": args.duration,
                "workers": args.workers,
                "servers": len(servers),
            },
            "postgresql": postgresql,
            "locust": locust_figures | {"version": locust_version},
            "client_server_errors": client_5xx,
            "server": server_figures,
            "servers": per_server,
            "server_log_problems": server_log_problems,
            "sign_out_check": sign_out,
            # Other work on the machine slows the run: its 1-minute load
            # average before the run and when locust stopped.
            "load_average": [round(load_before, 2), round(load_after, 2)],
            "cpu_seconds": {
                "gunicorn": round(cpu_gunicorn, 1),
                "locust": round(cpu_locust, 1),
                "cpus": os.cpu_count(),
            },
            "checks": checks,
            "database": database if args.keep_db else None,
            "passed": passed,
            "work": str(work) if args.keep_db or not passed else None,
        }
    finally:
        for gunicorn in servers:
            gunicorn.kill()
        if not args.keep_db:
            with admin_connection(server) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        if (work / "passed").exists() and not args.keep_db:
            shutil.rmtree(work)


if __name__ == "__main__":
    sys.exit(main())
