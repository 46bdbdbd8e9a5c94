#!/usr/bin/env python3
"""The load test, in one command (``make loadtest``): many planners saving their
goals at once against gunicorn and PostgreSQL, and afterwards not one server
error and not one lost update.

Steps: create a scratch PostgreSQL database, migrate, collect the static files
into a temporary directory, create one marketer per simulated user (each with
its own account and year), start gunicorn on 127.0.0.1 with the production
settings (DEBUG off, 2 sync workers, as docker-compose.yml runs it), run
locust headless for a fixed time (bench/loadtest/locustfile.py), stop
gunicorn, then compare every user's stored year with the last save that user
saw acknowledged, and its history rows with the values those saves changed.
Prints the figures, writes them to ``--out``/latest.json and latest.md, drops
the database (unless ``--keep-db``) and exits 1 when a check fails, 2 when the
run itself could not be made.

Full run: ``run.py`` (50 users, 10 a second, 120 s). The CI form in
tests/reliability/test_load.py: ``run.py --users 10 --duration 15 --out DIR``.
PostgreSQL only, on purpose: the load test is about the production stack.
"""

import argparse
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
import urllib.request
from collections import Counter
from decimal import Decimal
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PY = sys.executable
FIRST_PORT = 8811
PLANNERS_PER_ACCOUNT = 5
FIRST_YEAR = 2030

# Run with manage.py shell: N marketers, five to an account, each planning its
# own year. One password hash for all of them (hashing is made slow on purpose;
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
with open(out, "w") as f:
    json.dump(planners, f)
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
    rows against the values its saves changed."""
    lost, in_doubt, wrong_history, silent = [], 0, [], []
    saves = changes = refused = 0
    for planner in planners:
        name = planner["username"]
        path = acks_dir / f"{name}.json"
        if not path.exists():
            silent.append(name)
            continue
        record = json.loads(path.read_text())
        saves += record["saves_acknowledged"]
        refused += record["saves_refused"]
        expected_changes = record["changes_acknowledged"]
        if stored[name] == record["ack"]:
            pass
        elif record["pending"] is not None and stored[name] == record["pending"]:
            in_doubt += 1
            expected_changes += record["pending_changes"]
        else:
            lost.append(
                {
                    "user": name,
                    "acknowledged": record["ack"],
                    "stored": stored[name],
                }
            )
        changes += expected_changes
        if history[name] != expected_changes:
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
    }


def _kind(method, path):
    if path.startswith("/accounts/login/"):
        return "sign in" if method == "POST" else "sign-in page"
    if path.endswith("/recompute/"):
        return "recompute"
    if re.fullmatch(r"/goals/\d+/", path):
        return "save" if method == "POST" else "grid page"
    return "other"


def _percentile(values, share):
    return round(values[max(0, int(len(values) * share + 0.5) - 1)], 1)


def access_log_figures(path):
    """What gunicorn itself answered: the status codes, and the time each kind
    of request spent in a worker (the queue before a worker took it is not in
    it: that is the difference to what the users saw)."""
    statuses, times = Counter(), {}
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
    lines = [
        f"# Load test: {args['users']} users, {args['duration']} s",
        "",
        f"{result['started']}, gunicorn {args['workers']} sync workers, "
        f"PostgreSQL {result['postgresql']}, locust {result['locust']['version']}, "
        f"{os.cpu_count()} CPUs shared by all of them.",
        "",
        "| check | figure |",
        "| --- | --- |",
    ]
    check = result["checks"]
    server = result["server"]
    for label, figure in (
        ("requests (gunicorn access log)", server["requests"]),
        ("server errors (5xx) in the access log", server["server_errors"]),
        ("5xx seen by the users", result["client_server_errors"]),
        ("failed requests and checks (locust)", result["locust"]["total"]["failures"]),
        ("acknowledged saves", check["acknowledged_saves"]),
        ("values changed by them", check["acknowledged_changes"]),
        ("saves refused", check["refused_saves"]),
        ("lost updates (stored ≠ last acknowledged)", check["lost_updates"]),
        ("history rows ≠ values changed", check["history_mismatches"]),
        (
            "worker timeouts / tracebacks in the error log",
            result["server_log_problems"],
        ),
    ):
        lines.append(f"| {label} | {figure:,} |")
    lines += [
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
        "Time in a gunicorn worker (from its access log; the users' times above"
        " add the wait for a free worker):",
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
        f"CPU: gunicorn {cpu['gunicorn']} s (master and workers, start-up "
        f"included), locust {cpu['locust']} s, in a {args['duration']} s run on "
        f"{cpu['cpus']} CPUs shared with PostgreSQL; load average "
        f"{result['load_average'][0]} before, {result['load_average'][1]} at the end.",
    ]
    lines += ["", f"Verdict: {'PASS' if result['passed'] else 'FAIL'}", ""]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--duration", type=int, default=120, help="seconds")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help=f"default: the first free from {FIRST_PORT}",
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
    port = args.port or free_port(FIRST_PORT)
    work = Path(tempfile.mkdtemp(prefix="loadtest-"))
    acks = work / "acks"
    acks.mkdir()
    secret = f":{server['password']}" if server["password"] else ""
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
    gunicorn = None
    try:
        log(f"database {database}: migrate, collectstatic, {args.users} planners")
        run([PY, "manage.py", "migrate", "--noinput", "-v0"], env)
        run([PY, "manage.py", "collectstatic", "--noinput", "-v0"], env)
        planners_file = work / "planners.json"
        snippet = CREATE_PLANNERS.format(
            n=args.users,
            password=planner_password,
            per=PLANNERS_PER_ACCOUNT,
            year=FIRST_YEAR,
            out=str(planners_file),
        )
        run([PY, "manage.py", "shell", "-c", snippet], env)
        planners = json.loads(planners_file.read_text())

        access_log, error_log = work / "access.log", work / "error.log"
        gunicorn = subprocess.Popen(  # noqa: S603
            [
                PY,
                "-m",
                "gunicorn",
                "goalsetting.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.workers),
                "--worker-class",
                "sync",
                "--access-logfile",
                str(access_log),
                "--access-logformat",
                "%(s)s %(m)s %(U)s %(D)s",
                "--error-logfile",
                str(error_log),
            ],
            env=env,
            cwd=ROOT,
        )
        host = f"http://127.0.0.1:{port}"
        wait_for(f"{host}/healthz", 30, gunicorn)
        access_log.write_text("")  # the health probes are not the load

        log(
            f"locust: {args.users} users, {args.spawn_rate}/s, {args.duration} s on {host}"
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
                "--host",
                host,
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
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)
        cpu_gunicorn = cpu_seconds() - cpu_before_locust - cpu_locust
        errors = error_log.read_text()
        server_log_problems = errors.count("WORKER TIMEOUT") + errors.count("Traceback")

        stored, history = stored_years(server, database, planners)
        checks = verify(acks, planners, stored, history)
        client_5xx = sum(
            n
            for status, n in locust_figures["statuses"].items()
            if status.startswith("5")
        )
        server_figures = access_log_figures(access_log)
        passed = (
            server_figures["server_errors"] == 0
            and client_5xx == 0
            and checks["lost_updates"] == 0
            and checks["history_mismatches"] == 0
            and not checks["planners_without_record"]
            and checks["acknowledged_saves"] > 0
            and locust_figures["total"]["failures"] == 0
            and server_log_problems == 0
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
            },
            "postgresql": postgresql,
            "locust": locust_figures | {"version": locust_version},
            "client_server_errors": client_5xx,
            "server": server_figures,
            "server_log_problems": server_log_problems,
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
        if gunicorn is not None and gunicorn.poll() is None:
            gunicorn.kill()
            gunicorn.wait()
        if not args.keep_db:
            with admin_connection(server) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        if (work / "passed").exists() and not args.keep_db:
            shutil.rmtree(work)


if __name__ == "__main__":
    sys.exit(main())
