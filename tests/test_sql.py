"""The hand-written reads (funnel/sql.py and its users) against the ORM queries
they replace: the same rows, the same types, on SQLite and PostgreSQL."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import SESSION_KEY, get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from funnel import selectors
from funnel.backends import MemberBackend, user_with_memberships
from funnel.models import (
    Account,
    GoalYearPlan,
    Membership,
    MonthlyGoal,
    Role,
    Session,
    Worksheet,
    WorksheetChannel,
)
from funnel.sessions import SessionStore
from tests.conftest import make_member

pytestmark = pytest.mark.django_db


def _fields(instance):
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.fields}


def test_user_with_memberships_is_the_orm_user_with_membership_for():
    first = Account.objects.create(name="B社")
    second = Account.objects.create(name="A社", fiscal_year_start_month=4)
    gone = Account.objects.create(name="休止社", is_active=False)
    user = make_member("planner", first, Role.MARKETER)
    Membership.objects.create(user=user, account=second, role=Role.ADMIN)
    Membership.objects.create(user=user, account=gone, role=Role.ADMIN)
    user.last_login = timezone.now()
    user.save()

    loaded = user_with_memberships(user.pk)

    assert _fields(loaded) == _fields(get_user_model().objects.get(pk=user.pk))
    assert timezone.is_aware(loaded.date_joined)
    expected = list(
        Membership.objects.filter(user=user, account__is_active=True)
        .select_related("account")
        .order_by("account__name", "account_id")
    )
    assert [_fields(m) for m in loaded.active_memberships] == [
        _fields(m) for m in expected
    ]
    assert [_fields(m.account) for m in loaded.active_memberships] == [
        _fields(m.account) for m in expected
    ]
    assert all(m.user is loaded for m in loaded.active_memberships)
    for account_id in (None, first.pk, second.pk, gone.pk, 10_000):
        assert selectors.membership_choose(
            loaded.active_memberships, account_id=account_id
        ) == selectors.membership_for(user=user, account_id=account_id)


def test_a_user_without_an_active_membership_still_loads():
    gone = Account.objects.create(name="休止社", is_active=False)
    user = make_member("alone", gone, Role.MARKETER)
    loaded = user_with_memberships(user.pk)
    assert loaded.pk == user.pk
    assert loaded.active_memberships == []
    assert user_with_memberships(user.pk + 1000) is None


def test_backend_refuses_an_inactive_user():
    account = Account.objects.create(name="A社")
    user = make_member("left", account, Role.MARKETER)
    assert MemberBackend().get_user(user.pk).pk == user.pk
    user.is_active = False
    user.save()
    assert MemberBackend().get_user(user.pk) is None


def test_session_keeps_its_user_and_reads_them_back_in_one_statement(
    django_assert_num_queries,
):
    account = Account.objects.create(name="A社")
    user = make_member("planner", account, Role.MARKETER)
    session = SessionStore()
    session.update({SESSION_KEY: str(user.pk), "note": "日本語"})
    session.save()
    key = session.session_key
    stored = Session.objects.get(session_key=key)
    assert stored.user_id == user.pk
    assert stored.get_decoded() == {SESSION_KEY: str(user.pk), "note": "日本語"}

    loaded = SessionStore(key)
    with django_assert_num_queries(1):
        assert loaded.load() == {SESSION_KEY: str(user.pk), "note": "日本語"}
    expected = user_with_memberships(user.pk)
    assert _fields(loaded.prefetched_user) == _fields(expected)
    assert [_fields(m) for m in loaded.prefetched_user.active_memberships] == [
        _fields(m) for m in expected.active_memberships
    ]

    anonymous = SessionStore()
    anonymous["note"] = "x"
    anonymous.save()
    assert Session.objects.get(session_key=anonymous.session_key).user_id is None
    reread = SessionStore(anonymous.session_key)
    assert reread.load() == {"note": "x"}
    assert reread.prefetched_user is None

    user.delete()  # a deleted user's sessions go with them
    assert not Session.objects.filter(session_key=key).exists()


def test_an_expired_or_unknown_session_starts_anew():
    session = SessionStore()
    session["note"] = "x"
    session.save()
    Session.objects.filter(session_key=session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    for key in (session.session_key, "x" * 32):
        store = SessionStore(key)
        assert store.load() == {}
        assert store.session_key is None  # as Django's: a new session starts


def test_a_signed_in_request_reads_session_user_and_membership_together(client):
    """The backend takes the user the session was read with: one statement
    for all three, and Django still checks the session against the user."""
    account = Account.objects.create(name="A社")
    user = make_member("planner", account, Role.MARKETER)
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/goals/2026/")
    assert response.status_code == 200
    reads_of_users = [q["sql"] for q in queries if "auth_user" in q["sql"]]
    assert len(reads_of_users) == 1 and "funnel_session" in reads_of_users[0]
    # A changed password ends the session: the check is Django's, as before.
    user.set_password("another-password-2026")
    user.save()
    assert client.get("/goals/2026/").status_code == 302


@pytest.mark.parametrize("start", [1, 4])
def test_goal_year_is_the_orm_goals_and_plan(start):
    account = Account.objects.create(name="A社", fiscal_year_start_month=start)
    other = Account.objects.create(name="B社", fiscal_year_start_month=start)
    for year in (2025, 2026, 2027):
        for month in range(1, 13):
            MonthlyGoal.objects.create(
                account=account,
                year=year,
                month=month,
                cv_count=year * 100 + month if month % 3 else None,
                # Never both empty (a row holds at least one value).
                cv_rate=Decimal(f"{month}.25") if month % 4 or not month % 3 else None,
            )
    MonthlyGoal.objects.create(account=other, year=2026, month=5, cv_count=999)

    goals, plan = selectors.goal_year(account=account, year=2026)

    expected = {
        month: (goal.cv_count, goal.cv_rate)
        for month, goal in selectors.goals_by_month(account=account, year=2026).items()
    }
    assert goals == expected
    assert len(goals) == 12
    for _count, rate in goals.values():
        assert rate is None or (isinstance(rate, Decimal) and rate.as_tuple()[2] == -2)
    assert plan.pk is None and plan.status == "draft"

    stored = GoalYearPlan.objects.create(account=account, year=2026, status="submitted")
    _goals, plan = selectors.goal_year(account=account, year=2026)
    assert (plan.pk, plan.status, plan.is_locked) == (stored.pk, "submitted", False)
    _goals, other_plan = selectors.goal_year(account=other, year=2026)
    assert other_plan.pk is None


def test_worksheet_get_is_the_orm_worksheet_with_its_channels(
    django_assert_num_queries,
):
    account = Account.objects.create(name="A社")
    other = Account.objects.create(name="B社")
    worksheet = Worksheet.objects.create(
        account=account,
        name="計画",
        entry_date="2026-04-01",
        total_revenue=50_000_000,
        win_rate=Decimal("30.5"),
        cv_rate=Decimal("1"),
    )
    for position, name in ((2, "展示会"), (1, "広告"), (3, "SEO")):
        WorksheetChannel.objects.create(
            worksheet=worksheet,
            position=position,
            name=name,
            online=position != 2,
            meetings=position * 10,
            meeting_rate=Decimal("25.5") if position == 1 else None,
        )
    empty = Worksheet.objects.create(
        account=account, name="空", entry_date="2026-05-01"
    )

    with django_assert_num_queries(1):
        loaded = selectors.worksheet_get(account=account, pk=worksheet.pk)
        channels = loaded.ordered_channels()
    expected = Worksheet.objects.prefetch_related("channels").get(pk=worksheet.pk)
    assert _fields(loaded) == _fields(expected)
    assert [_fields(c) for c in channels] == [
        _fields(c) for c in expected.channels.all()
    ]
    assert [c.name for c in channels] == ["広告", "展示会", "SEO"]
    assert isinstance(loaded.win_rate, Decimal) and isinstance(loaded.entry_date, date)
    assert (
        selectors.worksheet_get(account=account, pk=empty.pk).ordered_channels() == []
    )
    with pytest.raises(Worksheet.DoesNotExist):
        selectors.worksheet_get(account=other, pk=worksheet.pk)
