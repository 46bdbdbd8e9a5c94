"""The load test's simulated planners (run by bench/loadtest/run.py).

Each simulated user signs in as its own marketer, on the server its planner
was given (run.py gives half the planners to each of two gunicorn servers
sharing one database), opens its own year's grid
(no two users share an account and year, so what ends up stored is known),
then over and over: types into a few cells (each keystroke pause sends the
live recompute, as htmx does), saves with the page's hidden base values and
CSRF token, and reloads the page, checking it shows exactly what was saved.

What a user last saw acknowledged (a 302 after 保存) is written to
``$LOADTEST_ACKS/<username>.json`` after every save, with the save in flight
marked ``pending`` until its answer arrives, so the runner can compare the
database with it afterwards. ``$LOADTEST_SUMMARY`` receives the request
statistics and the count of every status code, in all and per server, when
locust quits.
"""

import html
import itertools
import json
import os
import random
import re
import unicodedata
from decimal import Decimal
from pathlib import Path

from locust import HttpUser, between, events, task
from locust.exception import StopUser

PLANNERS = json.loads(Path(os.environ["LOADTEST_PLANNERS"]).read_text())
PASSWORD = os.environ["LOADTEST_PASSWORD"]
ACKS = Path(os.environ["LOADTEST_ACKS"])
SUMMARY = Path(os.environ["LOADTEST_SUMMARY"])
_next_planner = itertools.count()
STATUSES = {}
STATUSES_BY_SERVER = {}
# What the planners type: test data, not secrets.
rng = random.Random()  # noqa: S311

INPUT = re.compile(r'<input type="(?:text|hidden)" name="([^"]+)"[^>]*?value="([^"]*)"')
MONTHS = range(1, 13)
CELLS = [f"{kind}_{month}" for month in MONTHS for kind in ("cv_count", "cv_rate")]


def inputs(page):
    return {name: html.unescape(value) for name, value in INPUT.findall(page)}


def value(text):
    """A cell's text as the number it stands for (None when empty), so "1,200",
    "１２００" and "1200" compare equal, and "1.5 %" equals "1.50"."""
    text = unicodedata.normalize("NFKC", text or "")
    text = text.replace(",", "").replace("%", "").strip()
    return str(Decimal(text).normalize()) if text else None


def grid(form):
    return {cell: value(form.get(cell)) for cell in CELLS}


def typed_count():
    count = rng.randint(1, 3000)
    return rng.choice([str(count), f"{count:,}"])


def typed_rate():
    rate = Decimal(rng.randint(1, 500)) / 100
    return rng.choice([str(rate), f"{rate}%"])


class Planner(HttpUser):
    wait_time = between(0.5, 1.5)

    def on_start(self):
        number = next(_next_planner)
        if number >= len(PLANNERS):
            raise StopUser
        self.planner = PLANNERS[number]
        # locust gives every user the one --host; this one talks to its own
        # planner's server (its cookies are that server's to start with, and
        # any server would accept them: the session is in the database).
        self.client.base_url = self.planner["host"]
        self.url = f"/goals/{self.planner['year']}/"
        self.ack_file = ACKS / f"{self.planner['username']}.json"
        self.record = {
            **self.planner,
            "ack": None,
            "pending": None,
            "pending_changes": 0,
            "saves_acknowledged": 0,
            "changes_acknowledged": 0,
            "saves_refused": 0,
        }
        self.sign_in()
        self.form = self.load("/goals/[year]/ open")
        if self.form is not None:
            self.record["ack"] = grid(self.form)
            self.write()

    def context(self):
        # Sent with every request event: count_status() files it by server.
        planner = getattr(self, "planner", None)
        return {"server": planner["server"] if planner else None}

    def unsecure_cookies(self):
        # The production cookies are Secure. A browser sends them to loopback
        # over plain HTTP (it counts as a secure context); Python's cookie jar
        # does not, so they are marked plain here.
        for cookie in self.client.cookies:
            cookie.secure = False

    def sign_in(self):
        page = self.client.get("/accounts/login/", name="/accounts/login/")
        self.unsecure_cookies()
        token = inputs(page.text).get("csrfmiddlewaretoken", "")
        with self.client.post(
            "/accounts/login/",
            {
                "username": self.planner["username"],
                "password": PASSWORD,
                "csrfmiddlewaretoken": token,
            },
            name="/accounts/login/ sign in",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"sign-in answered {response.status_code}")
                raise StopUser
        self.unsecure_cookies()

    def load(self, name):
        with self.client.get(self.url, name=name, catch_response=True) as response:
            self.unsecure_cookies()
            if response.status_code != 200 or 'id="grid-form"' not in response.text:
                response.failure(f"grid answered {response.status_code}")
                return None
            return inputs(response.text)

    def write(self):
        temporary = self.ack_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.record, ensure_ascii=False))
        temporary.replace(self.ack_file)

    @task
    def edit_save_reload(self):
        if self.form is None:
            self.form = self.load("/goals/[year]/ open")
            if self.form is None:
                return
        loaded = grid(self.form)
        data = dict(self.form)
        for month in rng.sample(MONTHS, rng.randint(1, 4)):
            if rng.random() < 0.1:
                data[f"cv_count_{month}"], data[f"cv_rate_{month}"] = "", ""
            else:
                data[f"cv_count_{month}"] = typed_count()
                data[f"cv_rate_{month}"] = typed_rate()
            self.client.get(
                f"{self.url}recompute/",
                params={k: v for k, v in data.items() if k != "csrfmiddlewaretoken"},
                headers={"HX-Request": "true"},
                name="/goals/[year]/recompute/",
            )
        saving = grid(data)
        changes = sum(saving[cell] != loaded[cell] for cell in CELLS)
        self.record["pending"], self.record["pending_changes"] = saving, changes
        self.write()
        with self.client.post(
            self.url,
            data | {"action": "save"},
            name="/goals/[year]/ save",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code == 302:
                self.record.update(ack=saving, pending=None, pending_changes=0)
                self.record["saves_acknowledged"] += 1
                self.record["changes_acknowledged"] += changes
            else:
                self.record["saves_refused"] += 1
                response.failure(f"save answered {response.status_code}")
        self.write()
        self.form = self.load("/goals/[year]/ reload")
        if self.form is None:
            return
        shown = grid(self.form)
        if shown == self.record["ack"]:
            self.record["pending"], self.record["pending_changes"] = None, 0
        elif self.record["pending"] is not None and shown == self.record["pending"]:
            # A save whose answer was lost but which was stored after all.
            self.record["ack"] = shown
            self.record["changes_acknowledged"] += self.record["pending_changes"]
            self.record["pending"], self.record["pending_changes"] = None, 0
        else:
            events.request.fire(
                request_type="CHECK",
                name="reload shows the last save",
                response_time=0,
                response_length=0,
                exception=AssertionError(f"{self.planner['username']}: {shown}"),
            )
        self.write()


@events.request.add_listener
def count_status(
    response=None, exception=None, request_type=None, context=None, **_kwargs
):
    if request_type == "CHECK":
        return
    status = getattr(response, "status_code", None) or 0
    STATUSES[status] = STATUSES.get(status, 0) + 1
    by_server = STATUSES_BY_SERVER.setdefault((context or {}).get("server"), {})
    by_server[status] = by_server.get(status, 0) + 1


@events.quitting.add_listener
def write_summary(environment, **_kwargs):
    stats = environment.stats
    entries = sorted(
        stats.entries.values(), key=lambda entry: (entry.name, entry.method)
    )

    def figures(entry):
        return {
            "method": entry.method,
            "name": entry.name,
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "median_ms": entry.median_response_time,
            "p95_ms": entry.get_response_time_percentile(0.95),
            "p99_ms": entry.get_response_time_percentile(0.99),
            "max_ms": round(entry.max_response_time or 0),
            "rps": round(entry.total_rps, 2),
        }

    SUMMARY.write_text(
        json.dumps(
            {
                "endpoints": [figures(entry) for entry in entries],
                "total": figures(stats.total),
                "statuses": {str(k): v for k, v in sorted(STATUSES.items())},
                "statuses_by_server": {
                    str(server): {str(k): v for k, v in sorted(counts.items())}
                    for server, counts in sorted(
                        STATUSES_BY_SERVER.items(), key=lambda item: str(item[0])
                    )
                },
                "errors": [
                    {
                        "name": error.name,
                        "error": str(error.error),
                        "occurrences": error.occurrences,
                    }
                    for error in stats.errors.values()
                ],
            },
            ensure_ascii=False,
            indent=1,
        )
    )
