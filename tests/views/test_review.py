"""The manager's review (提出 / 承認 / 差し戻し), the lock it puts on a year, the
change history, and fiscal years."""

from decimal import Decimal

import pytest

from funnel.models import (
    ChangeRecord,
    GoalYearPlan,
    MonthlyGoal,
    PlanEvent,
    PlanStatus,
    Role,
)
from tests.conftest import make_member
from tests.views.test_grid import page_base, stored, year_post
from tests.views.test_worksheets import loaded_base

pytestmark = pytest.mark.django_db


def review(client, action, comment="", year=2026):
    return client.post(f"/goals/{year}/review/", {"action": action, "comment": comment})


def status(account, year=2026):
    plan = GoalYearPlan.objects.filter(account=account, year=year).first()
    return plan.status if plan else PlanStatus.DRAFT


@pytest.fixture
def clients(client, marketer, manager, admin_member):
    from django.test import Client

    made = {}
    for name, user in (
        ("marketer", marketer),
        ("manager", manager),
        ("admin", admin_member),
    ):
        made[name] = Client()
        made[name].force_login(user)
    return made


def test_submit_approve_locks_the_year_and_admin_reopens(clients, account):
    marketer, manager, admin = clients["marketer"], clients["manager"], clients["admin"]
    marketer.post("/goals/2026/", year_post(m1=("20", "1")))

    assert review(marketer, "submit", "確認お願いします").status_code == 302
    assert status(account) == PlanStatus.SUBMITTED
    assert review(manager, "approve", "OKです").status_code == 302
    assert status(account) == PlanStatus.APPROVED

    # Approved: read-only for everyone, and a save is refused with nothing stored.
    html = marketer.get("/goals/2026/").content.decode()
    assert 'aria-label="1月 CV数"' not in html
    assert "承認済みのため編集できません" in html
    response = marketer.post("/goals/2026/", year_post(m1=("99", "9")))
    assert response.status_code == 409
    assert "承認済みのため編集できません" in response.content.decode()
    assert 'value="99"' in response.content.decode()  # typed values kept
    assert stored(account) == {1: (20, Decimal("1"))}
    assert 'aria-label="1月 CV数"' not in admin.get("/goals/2026/").content.decode()

    assert review(admin, "reopen").status_code == 302
    assert status(account) == PlanStatus.DRAFT
    response = marketer.post(
        "/goals/2026/", year_post(page_base(marketer), m1=("30", "1"))
    )
    assert response.status_code == 302
    assert stored(account) == {1: (30, Decimal("1"))}

    events = list(PlanEvent.objects.order_by("created_at", "id"))
    assert [(e.action, e.actor.username, e.comment) for e in events] == [
        ("submit", "marketer", "確認お願いします"),
        ("approve", "manager", "OKです"),
        ("reopen", "admin", ""),
    ]
    page = manager.get("/goals/2026/overview/").content.decode()
    for text in (
        "確認お願いします",
        "OKです",
        "marketer",
        "manager",
        "admin",
        "提出",
        "承認",
    ):
        assert text in page


def test_send_back_needs_a_comment_and_returns_to_the_marketer(clients, account):
    marketer, manager = clients["marketer"], clients["manager"]
    review(marketer, "submit")
    response = review(manager, "return", "   ")
    assert response.status_code == 200
    assert "差し戻しの理由をコメントに入力してください。" in response.content.decode()
    assert status(account) == PlanStatus.SUBMITTED
    assert review(manager, "return", "3月が高すぎます").status_code == 302
    assert status(account) == PlanStatus.RETURNED
    assert "3月が高すぎます" in marketer.get("/goals/2026/overview/").content.decode()
    # Sent back: editable again, and can be submitted again.
    assert 'aria-label="1月 CV数"' in marketer.get("/goals/2026/").content.decode()
    assert review(marketer, "submit").status_code == 302
    assert status(account) == PlanStatus.SUBMITTED


@pytest.mark.parametrize(
    ("who", "action"),
    [
        ("marketer", "approve"),
        ("marketer", "return"),
        ("marketer", "reopen"),
        ("manager", "submit"),
        ("manager", "reopen"),
        ("admin", "approve"),
    ],
)
def test_roles_cannot_take_others_actions(clients, account, who, action):
    review(clients["marketer"], "submit")
    before = status(account)
    assert review(clients[who], action, "x").status_code == 403
    assert status(account) == before
    assert PlanEvent.objects.count() == 1


def test_action_from_the_wrong_state_is_explained(clients, account):
    response = review(clients["manager"], "approve")
    assert response.status_code == 200
    assert "この操作はできません" in response.content.decode()
    assert status(account) == PlanStatus.DRAFT


def test_unknown_action_is_refused_without_a_500(clients, account):
    response = review(clients["marketer"], "delete-everything")
    assert response.status_code == 200
    assert status(account) == PlanStatus.DRAFT


def test_overview_buttons_follow_the_role(clients):
    assert (
        "提出</button>"
        in clients["marketer"].get("/goals/2026/overview/").content.decode()
    )
    manager_page = clients["manager"].get("/goals/2026/overview/").content.decode()
    assert "提出</button>" not in manager_page and "承認</button>" not in manager_page
    review(clients["marketer"], "submit")
    manager_page = clients["manager"].get("/goals/2026/overview/").content.decode()
    assert "承認</button>" in manager_page and "差し戻し</button>" in manager_page


def test_plans_are_per_account(clients, account, outsider_client, other_account):
    review(clients["marketer"], "submit")
    review(clients["manager"], "approve")
    assert status(other_account) == PlanStatus.DRAFT
    assert (
        outsider_client.post("/goals/2026/", year_post(m1=("5", "5"))).status_code
        == 302
    )


def test_overview_compares_with_last_year_by_quarter(marketer_client, account):
    for month in range(1, 13):
        MonthlyGoal.objects.create(
            account=account, year=2025, month=month, cv_count=10, cv_rate=1
        )
        MonthlyGoal.objects.create(
            account=account, year=2026, month=month, cv_count=12, cv_rate=1
        )
    html = marketer_client.get("/goals/2026/overview/").content.decode()
    assert "<svg" in html and "サイト訪問数" in html
    assert 'id="overview-total-cv">144<' in html
    assert 'id="overview-total-visits">14,400<' in html
    # ">Q1<": the bare "Q1" also turns up in random CSRF tokens.
    assert html.count(">Q1<") == 1 and ">Q4<" in html
    assert "+24" in html  # CV vs last year
    assert "+2,400" in html  # visits vs last year


def test_saving_records_who_changed_what(marketer_client, marketer, account):
    MonthlyGoal.objects.create(
        account=account, year=2026, month=1, cv_count=20, cv_rate=1
    )
    marketer_client.post(
        "/goals/2026/",
        year_post(page_base(marketer_client), m1=("24", "1"), m2=("10", "2")),
    )
    records = {
        (r.month, r.field): (r.old_value, r.new_value, r.user_id)
        for r in ChangeRecord.objects.filter(account=account)
    }
    assert records == {
        (1, "CV数"): ("20", "24", marketer.pk),
        (2, "CV数"): ("", "10", marketer.pk),
        (2, "CV率"): ("", "2", marketer.pk),
    }
    page = marketer_client.get("/goals/2026/history/").content.decode()
    assert "24" in page and "marketer" in page and "変更履歴" in page
    fragment = marketer_client.get(
        "/goals/2026/history/", headers={"HX-Request": "true"}
    ).content.decode()
    assert "<html" not in fragment and "marketer" in fragment
    # Saving the same values again records nothing.
    marketer_client.post(
        "/goals/2026/",
        year_post(page_base(marketer_client), m1=("24", "1"), m2=("10", "2")),
    )
    assert ChangeRecord.objects.filter(account=account).count() == 3


def test_history_is_per_account(clients, outsider, account):
    from django.test import Client

    clients["marketer"].post("/goals/2026/", year_post(m1=("777", "1")))
    other = Client()
    other.force_login(outsider)
    assert "777" not in other.get("/goals/2026/history/").content.decode()
    assert "777" in clients["marketer"].get("/goals/2026/history/").content.decode()


def test_worksheet_changes_are_recorded(marketer_client, account):
    from funnel.models import Worksheet

    data = {
        "action": "save",
        "name": "計画A",
        "entry_date": "2026-04-01",
        "basis": "monthly",
        "total_revenue": "",
        "web_revenue": "",
        "unit_price": "",
        "win_rate": "",
        "opportunity_rate": "",
        "cv_rate": "1",
        "channels-TOTAL_FORMS": "1",
        "channels-INITIAL_FORMS": "0",
        "channels-0-channel": "",
        "channels-0-name": "広告",
        "channels-0-online": "on",
        "channels-0-meetings": "10",
        "channels-0-meeting_rate": "10",
    }
    marketer_client.post("/worksheets/new/", data)
    worksheet = Worksheet.objects.get()
    marketer_client.post(
        f"/worksheets/{worksheet.pk}/",
        data | loaded_base(worksheet) | {"cv_rate": "2", "name": "計画B"},
    )
    changes = {
        (r.field, r.old_value, r.new_value)
        for r in ChangeRecord.objects.filter(worksheet=worksheet)
    }
    assert ("CV率", "1", "2") in changes
    assert ("名前", "計画A", "計画B") in changes
    page = marketer_client.get(f"/worksheets/{worksheet.pk}/history/").content.decode()
    assert "計画B" in page and "marketer" in page
    marketer_client.post(f"/worksheets/{worksheet.pk}/delete/")
    assert ChangeRecord.objects.filter(field="削除", old_value="計画B").exists()


def test_fiscal_year_starting_in_april(marketer_client, account):
    account.fiscal_year_start_month = 4
    account.save()
    MonthlyGoal.objects.create(
        account=account, year=2025, month=1, cv_count=7, cv_rate=1
    )
    MonthlyGoal.objects.create(
        account=account, year=2024, month=1, cv_count=99, cv_rate=1
    )
    html = marketer_client.get("/goals/2024/").content.decode()
    assert "2024年度" in html
    assert html.index('aria-label="4月 CV数"') < html.index('aria-label="1月 CV数"')
    assert 'id="id_cv_count_1" value="7"' in html  # January 2025 belongs to 2024年度
    assert 'value="99"' not in html
    marketer_client.post(
        "/goals/2024/",
        year_post(page_base(marketer_client, 2024), m3=("30", "1"), m4=("40", "1")),
    )
    assert MonthlyGoal.objects.get(account=account, month=3, cv_count=30).year == 2025
    assert MonthlyGoal.objects.get(account=account, month=4, cv_count=40).year == 2024
    overview = marketer_client.get("/goals/2024/overview/").content.decode()
    table = overview[overview.index('id="overview-table"') :]
    assert table.index(">4月<") < table.index("Q1") < table.index(">7月<")
    assert table.index(">7月<") < table.index(">1月<") < table.index("Q4")


def test_current_fiscal_year_page(client, account, marketer):
    from datetime import date

    account.fiscal_year_start_month = 4
    assert account.fiscal_year_of(date(2026, 3, 31)) == 2025
    assert account.fiscal_year_of(date(2026, 4, 1)) == 2026
    account.fiscal_year_start_month = 1
    assert account.fiscal_year_of(date(2026, 1, 1)) == 2026


def test_admin_of_two_accounts_sees_plan_of_the_chosen_one(
    client, account, other_account
):
    user = make_member("agency", account, Role.ADMIN)
    from funnel.models import Membership

    Membership.objects.create(user=user, account=other_account, role=Role.MANAGER)
    client.force_login(user)
    session = client.session
    session["funnel_account_id"] = account.pk
    session.save()
    assert review(client, "submit").status_code == 302
    assert status(account) == PlanStatus.SUBMITTED
    assert status(other_account) == PlanStatus.DRAFT
    # In the other account the same person is a manager: submitting is refused.
    session = client.session
    session["funnel_account_id"] = other_account.pk
    session.save()
    assert review(client, "submit").status_code == 403
    assert status(other_account) == PlanStatus.DRAFT
