"""The backup drill with Django's own tools: dumpdata of every row the app and
sign-in keep, loaddata into a fresh database built by ``migrate``, and every row
compared. The fresh database is of the kind the suite runs on: a temporary
SQLite file, or a scratch PostgreSQL database created and dropped here.

The dump is YAML (PyYAML), the one format of Django's three that gives every
row back unchanged: JSON cuts timestamps to the millisecond (Django's encoder
writes ``.123`` for ``.123456``), and XML strips the spaces at either end of
every text value (the history's channel summary "展示会 / × / 4 / " came back
without its last space). PostgreSQL's own drill (pg_dump / pg_restore) is in
docs/reliability.md.
"""

import json
import os
import secrets
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.db import connection

from funnel import services
from funnel.models import (
    Account,
    ChangeSource,
    Channel,
    GA4ChannelMapping,
    Membership,
    PlanAction,
    Role,
)

ROOT = Path(__file__).resolve().parents[2]
# Everything the app keeps (its own tables and the users, groups and their
# permissions), referring to users, content types and permissions by natural
# key. Permissions and content types are made by migrate, not restored;
# sessions (django.contrib.sessions) are not data: a restore signs everybody
# in again.
DUMP = {
    "args": ["funnel", "auth"],
    "exclude": ["auth.permission"],
    "natural_foreign": True,
    "format": "yaml",
}


def all_rows():
    """Every row of every funnel model, of the users and groups and of their
    many-to-many tables, as comparable text. Permissions are named by natural
    key: their ids come from migrate and may differ between databases."""
    User = get_user_model()
    tables = {
        model._meta.label: model.objects.values_list()
        for model in apps.get_app_config("funnel").get_models()
    }
    tables["auth.User"] = User.objects.values_list()
    tables["auth.Group"] = Group.objects.values_list()
    tables["auth.User.groups"] = User.groups.through.objects.values_list()
    for label, model, owner in (
        ("auth.User.user_permissions", User.user_permissions.through, "user__pk"),
        ("auth.Group.permissions", Group.permissions.through, "group__pk"),
    ):
        tables[label] = model.objects.values_list(
            owner, "permission__content_type__app_label", "permission__codename"
        )
    return {label: sorted(repr(row) for row in rows) for label, rows in tables.items()}


# Run in the fresh database's own process: build it, load the dump, read every
# row, then check that new rows can still be added (the id sequences were moved
# past the restored ids).
RESTORE = """
import json, sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
call_command("loaddata", sys.argv[1], verbosity=0)
from tests.reliability.test_backup import all_rows, add_after_restore
rows = all_rows()
add_after_restore()
with open(sys.argv[2], "w") as out:
    json.dump(rows, out)
"""


def add_after_restore():
    from funnel.models import ChangeRecord, MonthlyGoal, Worksheet

    account = Account.objects.create(name="復元後に追加")
    user = get_user_model().objects.create_user("after-restore")
    Membership.objects.create(account=account, user=user, role=Role.ADMIN)
    MonthlyGoal.objects.create(account=account, year=2026, month=1, cv_count=1)
    Worksheet.objects.create(account=account, name="復元後", entry_date="2026-04-01")
    ChangeRecord.objects.create(account=account, kind="goal", field="CV数")


def seed():
    """Real data through the app's own services: the demo, a year saved twice,
    its review submitted, returned with a comment, submitted and approved, the
    actuals of three months (imported from a CSV), two worksheets (one edited, one a copy), a member
    added, a group with a permission, a superuser."""
    call_command(
        "seed_demo", password="backup-drill-2026", stdout=open(os.devnull, "w")
    )
    demo = Account.objects.get(name="デモ株式会社")
    User = get_user_model()
    marketer, manager = (
        User.objects.get(username="marketer"),
        User.objects.get(username="manager"),
    )
    member = {m.user.username: m for m in Membership.objects.filter(account=demo)}
    for cv in (40, 41):
        services.goal_year_save(
            account=demo,
            year=2031,
            months={1: (cv, Decimal("1.25")), 2: (12, Decimal("0.5"))},
            user=marketer,
        )
    for action, who, comment in (
        (PlanAction.SUBMIT, "marketer", ""),
        (
            PlanAction.RETURN,
            "manager",
            "2月が低すぎます。\n「展示会」の分 & <b>'再考'</b> 😀",
        ),
        (PlanAction.SUBMIT, "marketer", "見直しました"),
        (PlanAction.APPROVE, "manager", ""),
    ):
        services.plan_transition(
            account=demo,
            year=2031,
            action=action,
            membership=member[who],
            comment=comment,
        )
    fields = {
        "name": "2031年度 計画",
        "entry_date": "2031-04-01",
        "basis": "annual",
        "total_revenue": 50_000_000,
        "web_revenue": 12_000_000,
        "unit_price": 4_000_000,
        "win_rate": Decimal("30"),
        "opportunity_rate": Decimal("25.5"),
        "skip_opportunity": False,
        "cv_rate": Decimal("1.2"),
    }
    channels = [
        {"name": "広告", "online": True, "meetings": 10, "meeting_rate": Decimal(10)},
        {"name": "展示会", "online": False, "meetings": 4, "meeting_rate": None},
    ]
    sheet = services.worksheet_save(
        account=demo, fields=fields, channels=channels, user=marketer
    )
    services.worksheet_save(
        account=demo,
        worksheet=sheet,
        fields=fields | {"name": "2031年度 計画（改）", "skip_opportunity": True},
        channels=channels[::-1],
        user=marketer,
    )
    services.actual_year_save(
        account=demo,
        year=2030,
        months={1: (18, 2_000), 2: (None, 1_500), 3: (25, None)},
        user=marketer,
        replace_missing=False,
        source=ChangeSource.CSV,
    )
    services.worksheet_duplicate(worksheet=sheet, name="別案", user=marketer)
    # A year planned per channel, a channel's actuals and a GA4 answer.
    ad = Channel.objects.get(account=demo, name="広告")
    services.channel_year_save(
        account=demo,
        year=2032,
        values={(ad.pk, 4): (12, Decimal("2.5"))},
        user=marketer,
    )
    services.channel_actual_year_save(
        account=demo, year=2030, values={(ad.pk, 1): (9, 700)}, user=marketer
    )
    GA4ChannelMapping.objects.create(account=demo, group="Paid Search", channel=ad)
    services.member_add(
        account=demo,
        username="新人",
        role=Role.MARKETER,
        create=True,
        acting_user=member["admin"].user,
    )
    # A name that is not (yet) anyone's: an invitation waiting for an answer.
    services.member_add(
        account=demo,
        username="招待中",
        role=Role.MANAGER,
        create=False,
        acting_user=member["admin"].user,
    )
    reviewers = Group.objects.create(name="reviewers")
    reviewers.permissions.add(Permission.objects.get(codename="view_account"))
    manager.groups.add(reviewers)
    manager.user_permissions.add(Permission.objects.get(codename="view_worksheet"))
    User.objects.create_superuser("operator", password="operator-pass-2026")


def _fresh_database(tmp_path):
    """A DATABASE_URL of a new, empty database of the suite's kind, and a
    function that removes it."""
    if connection.vendor == "sqlite":
        path = tmp_path / "restored.sqlite3"
        return f"sqlite:///{path}", lambda: None
    db = connection.settings_dict
    name = f"gs_restore_{secrets.token_hex(4)}"
    server = {
        "host": db["HOST"],
        "port": db["PORT"] or 5432,
        "user": db["USER"],
        "password": db["PASSWORD"] or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(**server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    url = f"postgres://{db['USER']}{password}@{db['HOST']}:{server['port']}/{name}"
    return url, drop


@pytest.mark.django_db
def test_dump_and_load_into_a_fresh_database_gives_every_row_back(tmp_path):
    seed()
    before = all_rows()
    empty = sorted(label for label, rows in before.items() if not rows)
    assert not empty, (
        f"{empty} hold no rows: seed() in this file must create some, or the "
        "backup of that table is never checked"
    )
    dump = tmp_path / "backup.yaml"
    call_command(
        "dumpdata",
        *DUMP["args"],
        exclude=DUMP["exclude"],
        natural_foreign=DUMP["natural_foreign"],
        format=DUMP["format"],
        output=str(dump),
        verbosity=0,
    )

    url, drop = _fresh_database(tmp_path)
    try:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "goalsetting.settings",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "SECURE_SSL_REDIRECT": "0",
            "DATABASE_URL": url,
        }
        restored_rows = tmp_path / "restored.json"
        result = subprocess.run(
            [sys.executable, "-c", RESTORE, str(dump), str(restored_rows)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    finally:
        drop()
    after = json.loads(restored_rows.read_text())

    assert after.keys() == before.keys()
    for label in before:
        assert after[label] == before[label], label
    counts = {label: len(rows) for label, rows in before.items()}
    print(
        f"\nbackup drill ({connection.vendor}): {sum(counts.values())} rows in "
        f"{len(counts)} tables restored equal, dump {dump.stat().st_size} bytes: "
        f"{counts}"
    )
