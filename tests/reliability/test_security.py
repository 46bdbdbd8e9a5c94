"""Production settings and the htmx pitfalls, each with a test."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from tests.conftest import PASSWORD
from tests.test_access import LOGIN, MATRIX, _fill, snapshot

ROOT = Path(__file__).resolve().parents[2]


def _run(args, **env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "SECRET_KEY",
            "DATABASE_URL",
            "DEBUG",
            "DJANGO_SETTINGS_MODULE",
            "SECURE_SSL_REDIRECT",
            # Set by the browser tests for this process (Playwright's event
            # loop); production never has it, and the deploy check refuses it.
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "DATABASE_URL": "sqlite:///deploy-check.sqlite3",
    "ALLOWED_HOSTS": "goals.example.jp",
}


def test_deploy_check_passes_with_debug_off():
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("value", "expected"), [(None, "True"), ("0", "False"), ("1", "True")]
)
def test_ssl_redirect_is_on_by_default_and_comes_from_the_environment(value, expected):
    env = PRODUCTION | ({"SECURE_SSL_REDIRECT": value} if value is not None else {})
    code = "import django; django.setup(); from django.conf import settings; print(settings.SECURE_SSL_REDIRECT, settings.SESSION_COOKIE_SECURE)"
    result = _run(["-c", code], DJANGO_SETTINGS_MODULE="goalsetting.settings", **env)
    assert result.returncode == 0, result.stderr
    # Secure cookies stay on either way: browsers treat loopback as secure.
    assert result.stdout.split() == [expected, "True"]


@pytest.mark.django_db
def test_security_headers_on_a_real_response(client, marketer):
    response = client.get("/accounts/login/", secure=True)
    headers = response.headers
    assert (
        headers["Strict-Transport-Security"]
        == "max-age=31536000; includeSubDomains; preload"
    )
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    csp = headers["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]+)", csp).group(1)
    assert "'unsafe-eval'" not in csp and "'unsafe-inline'" not in script_src
    nonce = re.search(r"'nonce-([^']+)'", script_src).group(1)
    html = response.content.decode()
    # htmx (served from the project, not a CDN) carries the request's nonce.
    assert re.search(
        rf'<script src="/static/django_htmx/htmx-2[^"]*"[^>]* nonce="{re.escape(nonce)}"',
        html,
    ), html[:2000]
    assert "https://" not in "".join(re.findall(r"<script[^>]*>", html))
    assert "frame-ancestors 'none'" in csp

    response = client.post(
        "/accounts/login/", {"username": "marketer", "password": PASSWORD}, secure=True
    )
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    csrf = client.cookies["csrftoken"]
    assert csrf["secure"] and csrf["samesite"] == "Lax"


HOSTILE_NEXT = [
    "//evil.example",
    "https://evil.example/",
    "http:evil.example",
    "https:evil.example",
    "\\\\evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "///evil.example",
    "http://127.0.0.1.evil.example/",
    "%2F%2Fevil.example",
    " //evil.example",
    "\t//evil.example",
]


@pytest.mark.django_db
@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_hostile_next_never_reaches_location(client, marketer, target):
    response = client.post(
        "/accounts/login/",
        {"username": "marketer", "password": PASSWORD, "next": target},
    )
    assert response.status_code == 302
    assert response["Location"] == "/goals/"
    client.get(f"/accounts/login/?next={target}")
    response = client.post("/accounts/logout/", {"next": target})
    assert response["Location"] == "/accounts/login/"


@pytest.mark.django_db
@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_hostile_paths_never_reach_hx_redirect(client, account, target):
    response = client.get(
        f"/goals/2026/history/?next={target}", headers={"HX-Request": "true"}
    )
    assert response["HX-Redirect"].startswith(
        "/accounts/login/?next=/goals/2026/history/"
    )


def _role_that_may_post(case):
    for role in ("admin", "marketer", "manager", "anonymous"):
        if case.post[role] not in (LOGIN, 403, 404, 405):
            return role
    return None


POSTABLE = [name for name, case in MATRIX.items() if _role_that_may_post(case)]


@pytest.mark.parametrize("name", POSTABLE)
def test_every_state_changing_request_without_csrf_token_is_refused(world, name):
    case = MATRIX[name]
    role = _role_that_may_post(case)
    client = Client(enforce_csrf_checks=True)
    if role != "anonymous":
        client.force_login(world["users"][role])
    before = snapshot()
    data = {key: _fill(value, world) for key, value in case.post_data.items()}
    response = client.post(_fill(case.path, world), data)
    assert response.status_code == 403, (name, response.status_code)
    assert snapshot() == before


def _normalised(response):
    """The body without what differs per response anyway (nonce, tokens)."""
    text = response.content.decode(errors="replace")
    text = re.sub(r'nonce="[^"]+"', "", text)
    text = re.sub(r'(csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]+"', "", text)
    return text


GETTABLE = [name for name, case in MATRIX.items() if case.get["marketer"] == 200]


@pytest.mark.parametrize("name", GETTABLE)
def test_htmx_answers_vary_and_history_restore_gets_the_page(world, name):
    case = MATRIX[name]
    client = Client()
    client.force_login(world["users"]["marketer"])
    path = _fill(case.path, world)
    plain = client.get(path)
    htmx = client.get(path, headers={"HX-Request": "true"})
    differs = (plain.status_code, _normalised(plain)) != (
        htmx.status_code,
        _normalised(htmx),
    )
    if differs:
        for response in (plain, htmx):
            assert "HX-Request" in response.get("Vary", ""), (
                name,
                response.get("Vary"),
            )
    restore = client.get(
        path, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    if (
        plain.status_code == 200
        and "text/html" in plain["Content-Type"]
        and "<html" in _normalised(plain)
    ):
        assert "<html" in _normalised(restore), name
