"""In-process figures of each endpoint with the Django test client: time per
request, the SQL statements it runs, and a cProfile of where the time goes.

Run with the database in the environment (bench/run.py does it):
``python bench/inprocess.py --worksheet-pk N --out FILE``. No HTTP, no server:
the connection stays open between requests (as CONN_MAX_AGE keeps it under
gunicorn), so these times leave out connecting, parsing HTTP and the network.
"""

import argparse
import cProfile
import importlib
import inspect
import io
import json
import pstats
import re
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

common.setup_django()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")

# Where a request's CPU goes, phase by phase: each function below is timed
# exclusively (a phase called inside another counts for itself, not for both);
# what is left is the middleware, the handler and the test client. The SQL of
# the sign-in phases counts in those phases. Only Django's own functions are
# hooked, so the phases mean the same whatever the app's code is called; the
# app's own breakdown is the cProfile beside them (profile-<db>-<name>.txt).
PHASES = [
    (
        "django.contrib.sessions.backends.db",
        "SessionStore",
        "load",
        "session load (SQL)",
    ),
    ("django.contrib.auth", None, "get_user", "user load (SQL)"),
    (
        "django.template.response",
        "SimpleTemplateResponse",
        "rendered_content",
        "template rendering",
    ),
    ("django.forms.forms", "BaseForm", "full_clean", "form parsing and validation"),
    ("django.db.models.base", "Model", "full_clean", "model full_clean"),
    (
        "django.db.models.query",
        "QuerySet",
        "bulk_create",
        "bulk_create (building INSERTs)",
    ),
    (
        "django.db.backends.utils",
        "CursorWrapper",
        "_execute",
        "SQL sent and read (driver)",
    ),
    ("django.core.handlers.base", "BaseHandler", "_get_response", "view code (Python)"),
]
SIGN_IN = {"session load (SQL)", "user load (SQL)"}
REST = "middleware, handler, test client"


class Phases:
    """Patches the PHASES functions with exclusive CPU timers while in use."""

    def __init__(self):
        self.totals = {}
        self.stack = []
        self.patched = []
        self.missing = []

    def timed(self, label, function):
        def wrapper(*args, **kwargs):
            # The sign-in phases keep their own SQL.
            if self.stack and self.stack[-1][0] in SIGN_IN and label not in SIGN_IN:
                return function(*args, **kwargs)
            now = time.process_time()
            if self.stack:
                self.stack[-1][1] += now - self.stack[-1][2]
            self.stack.append([label, 0.0, now])
            try:
                return function(*args, **kwargs)
            finally:
                end = time.process_time()
                _label, spent, since = self.stack.pop()
                self.totals[label] = self.totals.get(label, 0) + spent + end - since
                if self.stack:
                    self.stack[-1][2] = end

        return wrapper

    def __enter__(self):
        for module_name, class_name, name, label in PHASES:
            try:
                owner = importlib.import_module(module_name)
                if class_name:
                    owner = getattr(owner, class_name)
                original = inspect.getattr_static(owner, name)
            except (ImportError, AttributeError):
                # A Django upgrade moved it: reported, not silently dropped.
                self.missing.append(f"{module_name}.{class_name or ''}.{name}")
                continue
            if isinstance(original, property):
                patched = property(self.timed(label, original.fget))
            else:
                patched = self.timed(label, getattr(owner, name))
            setattr(owner, name, patched)
            self.patched.append((owner, name, original))
        return self

    def __exit__(self, *exc):
        for owner, name, original in reversed(self.patched):
            setattr(owner, name, original)

    def measure(self, call, iterations):
        whole = self.timed(REST, call)
        started = time.process_time()
        for _ in range(iterations):
            whole()
        total = (time.process_time() - started) / iterations * 1000
        return {
            "cpu_ms": round(total, 3),
            "phases_ms": {
                label: round(seconds / iterations * 1000, 3)
                for label, seconds in sorted(
                    self.totals.items(), key=lambda item: -item[1]
                )
            },
            "phases_missing": self.missing,
        }


def statements(captured):
    """The SQL a request ran, transaction control left out (as tests/views do)."""
    return [
        q["sql"]
        for q in captured
        if not q["sql"].lstrip().upper().startswith(TRANSACTION_CONTROL)
    ]


class Caller:
    """Makes one endpoint's request; the save gets new values every time, a
    recompute a new keystroke (common.KEYSTROKES)."""

    def __init__(self, client, name, spec, first=0):
        _label, self.method, self.path, query, htmx, self.status, self.marker = spec
        self.client = client
        self.name = name
        self.query = query
        self.headers = {"HX-Request": "true"} if htmx else {}
        self.n = first

    def __call__(self):
        if self.method == "POST" and self.query:
            # A POST recompute: the keystroke's query is the body.
            return self.client.post(
                self.path,
                self._query(typing=True),
                content_type="application/x-www-form-urlencoded",
                headers=self.headers,
            )
        if self.method == "POST":
            self.n += 1
            # Form-encoded, as browsers, htmx and wrk (save.lua) send it: the
            # test client's default, multipart, costs more to parse.
            return self.client.post(
                self.path,
                urlencode(common.save_body(self.n)),
                content_type="application/x-www-form-urlencoded",
                headers=self.headers,
            )
        return self.client.get(self._path(typing=True), headers=self.headers)

    def _query(self, typing):
        query = self.query
        if typing and self.name in common.KEYSTROKES:
            self.n += 1
            query = common.keystroke(self.name, query, self.n)
        return query

    def _path(self, typing):
        query = self._query(typing)
        return f"{self.path}?{query}" if query else self.path

    def check(self):
        """The answer to the endpoint's own query (a save's: new values)."""
        if self.method == "POST" and self.query:
            response = self.client.post(
                self.path,
                self._query(typing=False),
                content_type="application/x-www-form-urlencoded",
                headers=self.headers,
            )
        elif self.method == "POST":
            response = self()
        else:
            response = self.client.get(self._path(typing=False), headers=self.headers)
        body = response.content.decode()
        if response.status_code != self.status or not common.found(self.marker, body):
            raise SystemExit(
                f"{self.method} {self.path}: status {response.status_code}, "
                f"expected {self.status} and {self.marker!r}"
            )


def timings(call, iterations):
    times = []
    for _ in range(iterations):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def profile(call, iterations, name, directory):
    """A cProfile of ``iterations`` requests, the top functions as text."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(iterations):
        call()
    profiler.disable()
    stats = pstats.Stats(profiler)
    text = io.StringIO()
    text.write(
        f"{name}: cProfile of {iterations} requests, "
        f"{stats.total_tt * 1000 / iterations:.2f} ms a request under the profiler\n"
    )
    for order in ("cumulative", "tottime"):
        text.write(f"\n--- top 40 by {order} ---\n")
        pstats.Stats(profiler, stream=text).sort_stats(order).print_stats(40)
    output = re.sub(r"\S*/site-packages/", "", text.getvalue())
    output = output.replace(str(common.ROOT) + "/", "")
    path = directory / f"{name}.txt"
    path.write_text(output)
    return str(path.relative_to(common.ROOT))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--worksheet-pk", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--profile-prefix", default="profile")
    parser.add_argument("--iterations", type=int, default=200)
    args = parser.parse_args()

    user = get_user_model().objects.get(username=common.BENCH_USER)
    client = Client(SERVER_NAME="127.0.0.1")
    # Named: the settings list django-axes' backend before Django's.
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    results = {"vendor": connection.vendor, "endpoints": {}}
    for name, spec in common.endpoints(args.worksheet_pk).items():
        call = Caller(client, name, spec)
        call.check()
        for _ in range(20):  # warm: templates compiled, statements prepared
            call()
        saving = common.is_save(name, spec)
        iterations = args.iterations // 2 if saving else args.iterations
        times = timings(call, iterations)
        with CaptureQueriesContext(connection) as captured:
            call()
        sql = statements(captured.captured_queries)
        with Phases() as phases:
            # A new client: the handler binds its view step when it builds
            # the middleware chain, after the phases are patched.
            timed_client = Client(SERVER_NAME="127.0.0.1")
            timed_client.cookies = client.cookies
            timed_call = Caller(timed_client, name, spec, first=100_000)
            timed_call()
            cpu = phases.measure(timed_call, iterations)
        profile_path = profile(
            call,
            max(20, iterations // 3),
            f"{args.profile_prefix}-{name}",
            common.RESULTS,
        )
        results["endpoints"][name] = {
            "ms_median": round(statistics.median(times), 3),
            "ms_mean": round(statistics.fmean(times), 3),
            "ms_p90": round(statistics.quantiles(times, n=10)[-1], 3),
            "queries": len(sql),
            "queries_with_transaction_control": len(captured.captured_queries),
            "sql": sql,
            "cpu_ms": cpu["cpu_ms"],
            "phases_ms": cpu["phases_ms"],
            "phases_missing": cpu["phases_missing"],
            "profile": profile_path,
        }
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
