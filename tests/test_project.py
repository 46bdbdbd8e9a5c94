"""The project around the app: compose file, production settings, demo data."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

from funnel.models import (
    Account,
    Membership,
    MonthlyActual,
    MonthlyGoal,
    Role,
    Worksheet,
    WorksheetChannel,
)

ROOT = Path(__file__).resolve().parent.parent


def test_docker_compose_has_services_and_settings_variables():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "web"}
    assert services["db"]["image"].startswith("postgres:")
    web = services["web"]
    env = web["environment"]
    for variable in ("DATABASE_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"):
        assert variable in env, variable
    assert env["DATABASE_URL"].startswith("postgres://")
    assert "@db:5432/" in env["DATABASE_URL"]
    assert env["DEBUG"] == "0"
    assert "migrate" in web["command"] and "gunicorn goalsetting.wsgi" in web["command"]
    assert web["depends_on"]["db"]["condition"] == "service_healthy"
    dockerfile = (ROOT / web["build"] / "Dockerfile").read_text()
    # The manifest whitenoise serves from is written only with DEBUG off.
    assert "DEBUG=0" in dockerfile and "collectstatic" in dockerfile


def _start_django(env_overrides):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "DATABASE_URL", "DEBUG", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_refuses_to_start_without_secret_key():
    result = _start_django({"DEBUG": "0", "DATABASE_URL": "sqlite:///x.sqlite3"})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_refuses_to_start_without_database_url():
    result = _start_django({"DEBUG": "0", "SECRET_KEY": "k" * 50})
    assert result.returncode != 0
    assert "DATABASE_URL is not set" in result.stderr


def test_development_starts_on_embedded_sqlite():
    result = _start_django({"DEBUG": "1"})
    assert result.returncode == 0, result.stderr


@pytest.mark.django_db
def test_seed_demo_creates_accounts_users_and_goals_and_is_idempotent(capsys):
    call_command("seed_demo", password="pw-for-tests-123")
    demo = Account.objects.get(name="デモ株式会社")
    other = Account.objects.get(name="サンプル商事")
    roles = {m.user.username: m.role for m in Membership.objects.filter(account=demo)}
    assert roles == {
        "admin": Role.ADMIN,
        "marketer": Role.MARKETER,
        "manager": Role.MANAGER,
    }
    assert Membership.objects.get(user__username="outsider").account == other
    assert MonthlyGoal.objects.filter(account=demo).count() == 24
    worksheet = Worksheet.objects.get(account=demo)
    assert worksheet.channels.count() == 3
    assert MonthlyActual.objects.filter(account=demo).count() == 12
    snapshot = (
        list(
            MonthlyGoal.objects.values_list(
                "account", "year", "month", "cv_count", "cv_rate"
            )
        ),
        list(Membership.objects.values_list("user", "account", "role")),
        list(Account.objects.values_list("id", "name")),
        list(Worksheet.objects.values_list()),
        list(WorksheetChannel.objects.values_list()),
        list(
            MonthlyActual.objects.values_list(
                "account", "year", "month", "cv_count", "visits"
            )
        ),
    )
    from django.contrib.auth import get_user_model

    passwords = dict(get_user_model().objects.values_list("username", "password"))
    call_command("seed_demo")
    assert "変更はありません" in capsys.readouterr().out
    assert snapshot == (
        list(
            MonthlyGoal.objects.values_list(
                "account", "year", "month", "cv_count", "cv_rate"
            )
        ),
        list(Membership.objects.values_list("user", "account", "role")),
        list(Account.objects.values_list("id", "name")),
        list(Worksheet.objects.values_list()),
        list(WorksheetChannel.objects.values_list()),
        list(
            MonthlyActual.objects.values_list(
                "account", "year", "month", "cv_count", "visits"
            )
        ),
    )
    assert passwords == dict(
        get_user_model().objects.values_list("username", "password")
    )


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
