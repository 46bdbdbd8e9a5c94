"""Shared fixtures: two accounts, a member of each role, signed-in clients."""

import re

import pytest
from django.contrib.auth import get_user_model
from hypothesis import settings as hypothesis_settings

from funnel.models import (
    Account,
    Invitation,
    Membership,
    MonthlyGoal,
    Role,
    Worksheet,
    WorksheetChannel,
)

PASSWORD = "correct-horse-battery-staple-42"

# Hypothesis checks what the code does, not how fast: its per-example deadline
# (200 ms) fails a correct example when CI's two cores are busy with the
# browser and the database.
hypothesis_settings.register_profile("suite", deadline=None)
hypothesis_settings.load_profile("suite")


def without_tokens(html):
    """The page with its CSRF tokens (64 random letters and digits) taken out,
    so that a check that a figure is absent cannot trip over a token."""
    return re.sub(r"[A-Za-z0-9]{64}", "", html)


def make_member(username, account, role):
    user = get_user_model().objects.create_user(username=username, password=PASSWORD)
    Membership.objects.create(user=user, account=account, role=role)
    return user


@pytest.fixture
def account(db):
    return Account.objects.create(name="デモ株式会社")


@pytest.fixture
def other_account(db):
    return Account.objects.create(name="サンプル商事")


@pytest.fixture
def marketer(account):
    return make_member("marketer", account, Role.MARKETER)


@pytest.fixture
def manager(account):
    return make_member("manager", account, Role.MANAGER)


@pytest.fixture
def admin_member(account):
    return make_member("admin", account, Role.ADMIN)


@pytest.fixture
def outsider(other_account):
    return make_member("outsider", other_account, Role.MARKETER)


@pytest.fixture
def world(db):
    """Account A with a member of each role and some data; account B with a
    marketer and an admin; a deactivated account with its member."""
    a = Account.objects.create(name="A社")
    b = Account.objects.create(name="B社")
    gone = Account.objects.create(name="休止社", is_active=False)
    users = {
        "marketer": make_member("marketer", a, Role.MARKETER),
        "manager": make_member("manager", a, Role.MANAGER),
        "admin": make_member("admin", a, Role.ADMIN),
        "other_member": make_member("other_member", b, Role.MARKETER),
        "other_admin": make_member("other_admin", b, Role.ADMIN),
        "inactive": make_member("inactive", gone, Role.MARKETER),
    }
    MonthlyGoal.objects.create(account=a, year=2026, month=1, cv_count=10, cv_rate=1)
    MonthlyGoal.objects.create(account=b, year=2026, month=1, cv_count=30, cv_rate=3)
    worksheet = Worksheet.objects.create(
        account=a, name="A社の計画", entry_date="2026-04-01", cv_rate=1
    )
    WorksheetChannel.objects.create(
        worksheet=worksheet, position=1, name="広告", meetings=10, meeting_rate=10
    )
    # Invitations waiting: B's admin has invited A's marketer (theirs to
    # answer), and A's admin a name nobody has yet (A's to cancel).
    invitation = Invitation.objects.create(
        account=b,
        username="marketer",
        role=Role.MANAGER,
        invited_by=users["other_admin"],
    )
    account_invitation = Invitation.objects.create(
        account=a, username="newcomer", role=Role.MARKETER, invited_by=users["admin"]
    )
    return {
        "account": a,
        "users": users,
        "year": 2026,
        "worksheet": worksheet.pk,
        "membership": Membership.objects.get(user=users["marketer"]).pk,
        "invitation": invitation.pk,
        "account_invitation": account_invitation.pk,
    }


def _client_for(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def marketer_client(client, marketer):
    return _client_for(client, marketer)


@pytest.fixture
def manager_client(client, manager):
    return _client_for(client, manager)


@pytest.fixture
def outsider_client(client, outsider):
    return _client_for(client, outsider)


# A skipped test is not a passing one: any skip fails the run, so a missing
# browser or database can never turn into a green build.
_skipped = []


def pytest_runtest_logreport(report):
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if _skipped and exitstatus == 0:
        session.exitstatus = 1
        print(f"\nFAIL: {len(_skipped)} test(s) skipped: {', '.join(_skipped[:10])}")
