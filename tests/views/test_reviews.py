"""The manager's day: 承認待ち (the years waiting for review, the manager's
start page), the years sent back with the manager's comment, the send-back
reason above the grid, and the history's sources and review events."""

import html as html_text
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from funnel import services
from funnel.models import (
    ChangeKind,
    ChangeRecord,
    ChangeSource,
    GoalYearPlan,
    Membership,
    PlanAction,
    PlanEvent,
    PlanStatus,
    Role,
)
from tests.conftest import PASSWORD, make_member, without_tokens
from tests.views.test_actuals import actual_post
from tests.views.test_actuals_import import confirm, token_of, upload
from tests.views.test_grid import loaded_base, year_post
from tests.views.test_grid_bulk import bulk_post, make_year
from tests.views.test_worksheets import make_worksheet

pytestmark = pytest.mark.django_db

REVIEWS = "/reviews/"


def move(account, year, action, user, comment=""):
    """A review step through the service, as the overview's buttons make it."""
    return services.plan_transition(
        account=account,
        year=year,
        action=action,
        membership=Membership.objects.get(user=user, account=account),
        comment=comment,
    )


def signed_in(user):
    # Not the conftest's *_client fixtures: they share one Client, so a test
    # using two of them would be one user twice.
    client = Client()
    client.force_login(user)
    return client


def page(response):
    assert response.status_code == 200
    return without_tokens(response.content.decode())


# --- 承認待ち ----------------------------------------------------------------


def test_a_manager_starts_at_the_review_list(client, manager, marketer):
    signed_in = client.post(
        "/accounts/login/", {"username": "manager", "password": PASSWORD}
    )
    assert signed_in["Location"] == REVIEWS
    assert client.get("/")["Location"] == REVIEWS
    # A marketer still starts at this year's targets; a next= still wins.
    marketer_client = Client()
    assert (
        marketer_client.post(
            "/accounts/login/", {"username": "marketer", "password": PASSWORD}
        )["Location"]
        == "/goals/"
    )
    assert marketer_client.get("/")["Location"] == "/goals/"
    again = Client().post(
        "/accounts/login/",
        {"username": "manager", "password": PASSWORD, "next": "/worksheets/"},
    )
    assert again["Location"] == "/worksheets/"


def test_the_manager_sees_every_submitted_year_with_who_and_when(
    manager_client, account, marketer, manager, admin_member
):
    move(account, 2026, PlanAction.SUBMIT, marketer, "確認お願いします")
    # Submitted by the admin, returned, submitted again by the marketer: the
    # latest 提出 is the one shown.
    move(account, 2027, PlanAction.SUBMIT, admin_member)
    move(account, 2027, PlanAction.RETURN, manager, "もう一度")
    move(account, 2027, PlanAction.SUBMIT, marketer)
    # A draft and an approved year are not waiting.
    move(account, 2028, PlanAction.SUBMIT, marketer)
    move(account, 2028, PlanAction.APPROVE, manager)
    GoalYearPlan.objects.create(account=account, year=2029)

    html = page(manager_client.get(REVIEWS))
    rows = re.findall(r'<tr id="submitted-(\d+)">(.*?)</tr>', html, re.S)
    assert [year for year, _row in rows] == ["2026", "2027"]
    for _year, row in rows:
        assert "<td>marketer</td>" in row and "admin" not in row
    latest = PlanEvent.objects.filter(plan__year=2027, action=PlanAction.SUBMIT).first()
    assert latest.created_at.astimezone().strftime("%Y-%m-%d") in rows[1][1]
    assert 'href="/goals/2026/overview/"' in rows[0][1]
    assert 'href="/goals/2027/overview/"' in rows[1][1]
    # The manager has nothing returned to act on.
    assert 'id="returned-list"' not in html
    # The count in the navigation.
    assert re.search(r'id="nav-reviews-count">2件<', html)


def test_nothing_waiting_says_so_and_shows_no_count(manager_client, account):
    html = page(manager_client.get(REVIEWS))
    assert 'id="submitted-none"' in html
    assert 'id="nav-reviews"' in html
    assert 'id="nav-reviews-count"' not in html


def test_the_count_is_only_in_a_managers_navigation(marketer_client, account, marketer):
    move(account, 2026, PlanAction.SUBMIT, marketer)
    html = page(marketer_client.get("/goals/2026/"))
    assert 'id="nav-reviews"' not in html


def test_a_marketer_sees_the_years_sent_back_with_the_comment(
    marketer_client, account, marketer, manager
):
    move(account, 2026, PlanAction.SUBMIT, marketer)
    move(account, 2026, PlanAction.RETURN, manager, "2月が低すぎます。\n<b>再考</b>")
    move(account, 2027, PlanAction.SUBMIT, marketer)
    html = page(marketer_client.get(REVIEWS))
    returned = re.findall(r'<tr id="returned-(\d+)">(.*?)</tr>', html, re.S)
    assert [year for year, _row in returned] == ["2026"]
    row = returned[0][1]
    assert "manager" in row
    assert "2月が低すぎます。<br>&lt;b&gt;再考&lt;/b&gt;" in row
    assert 'href="/goals/2026/"' in row
    # What waits for the manager is listed too.
    assert 'id="submitted-2027"' in html


def test_another_accounts_plans_never_appear(
    client, account, other_account, marketer, manager
):
    outsider = make_member("outsider", other_account, Role.MARKETER)
    other_manager = make_member("other-manager", other_account, Role.MANAGER)
    move(other_account, 2030, PlanAction.SUBMIT, outsider)
    move(other_account, 2031, PlanAction.SUBMIT, outsider)
    move(other_account, 2031, PlanAction.RETURN, other_manager, "他社のコメント")
    move(account, 2026, PlanAction.SUBMIT, marketer)
    for user in (manager, marketer):
        client.force_login(user)
        html = page(client.get(REVIEWS))
        assert "2030" not in html and "2031" not in html
        assert "他社のコメント" not in html and "outsider" not in html
    client.force_login(manager)
    assert re.search(r'id="nav-reviews-count">1件<', page(client.get(REVIEWS)))


def test_review_list_queries_do_not_grow_with_the_years(account, marketer, manager):
    manager_client, marketer_client = signed_in(manager), signed_in(marketer)

    def submit_years(years):
        for year in years:
            move(account, year, PlanAction.SUBMIT, marketer)

    def count(client):
        with CaptureQueriesContext(connection) as captured:
            html = page(client.get(REVIEWS))
        return len(captured), html

    submit_years([2026])
    move(account, 2026, PlanAction.RETURN, manager, "理由")
    submit_years([2027])
    few_manager, _ = count(manager_client)
    few_marketer, _ = count(marketer_client)
    for year in range(2030, 2040):
        submit_years([year])
        move(account, year, PlanAction.RETURN, manager, f"理由{year}")
        submit_years([year])  # submitted again: two 提出 each
    for year in range(2040, 2045):
        submit_years([year])
        move(account, year, PlanAction.RETURN, manager, f"理由{year}")
    many_manager, html = count(manager_client)
    many_marketer, marketer_html = count(marketer_client)
    assert html.count('<tr id="submitted-') == 11
    assert 'id="returned-list"' not in html
    assert marketer_html.count('<tr id="returned-') == 6
    assert many_manager == few_manager
    assert many_marketer == few_marketer


# --- the send-back reason on the grid -----------------------------------------


def test_a_returned_year_shows_the_managers_latest_comment_above_the_grid(
    account, marketer, manager
):
    marketer_client, manager_client = signed_in(marketer), signed_in(manager)

    move(account, 2026, PlanAction.SUBMIT, marketer)
    move(account, 2026, PlanAction.RETURN, manager, "最初の理由")
    move(account, 2026, PlanAction.SUBMIT, marketer)
    move(account, 2026, PlanAction.RETURN, manager, "3月を\n見直してください")
    latest = PlanEvent.objects.filter(action=PlanAction.RETURN).first()
    for client in (marketer_client, manager_client):
        html = page(client.get("/goals/2026/"))
        reason = re.search(r'<section class="return-reason".*?</section>', html, re.S)
        assert reason, "no send-back reason"
        text = reason.group(0)
        assert "3月を<br>見直してください" in text
        assert "最初の理由" not in text
        assert "manager" in text
        assert latest.created_at.astimezone().strftime("%Y-%m-%d %H:%M") in text
        # Above the table.
        assert html.index('id="return-reason"') < html.index('id="grid-table"')


def test_no_reason_unless_the_year_is_returned(
    marketer_client, account, marketer, manager
):
    assert 'id="return-reason"' not in page(marketer_client.get("/goals/2026/"))
    move(account, 2026, PlanAction.SUBMIT, marketer)
    move(account, 2026, PlanAction.RETURN, manager, "理由")
    move(account, 2026, PlanAction.SUBMIT, marketer)
    assert 'id="return-reason"' not in page(marketer_client.get("/goals/2026/"))
    # Another year of the same account shows nothing either.
    move(account, 2026, PlanAction.RETURN, manager, "理由")
    assert 'id="return-reason"' not in page(marketer_client.get("/goals/2027/"))


# --- history with sources ----------------------------------------------------


def sources(account, kind):
    return list(
        ChangeRecord.objects.filter(account=account, kind=kind)
        .order_by("id")
        .values_list("source", flat=True)
        .distinct()
    )


def test_the_grids_save_records_input_and_overwrite_records_overwrite(
    marketer_client, account
):
    assert (
        marketer_client.post("/goals/2026/", year_post(m1=("20", "1"))).status_code
        == 302
    )
    assert set(sources(account, ChangeKind.GOAL)) == {ChangeSource.INPUT}
    ChangeRecord.objects.all().delete()
    overwrite = year_post(loaded_base(account), m1=("30", "1")) | {
        "action": "overwrite"
    }
    assert marketer_client.post("/goals/2026/", overwrite).status_code == 302
    assert set(sources(account, ChangeKind.GOAL)) == {ChangeSource.OVERWRITE}


def form_data(html):
    """What the grid's form sends when its 保存 is pressed: every text and
    hidden input as the page has it (the bulk tools' inputs included)."""
    inputs = re.findall(
        r'<input type="(?:text|hidden)" name="([^"]+)"[^>]*? value="([^"]*)"', html
    )
    return {name: html_text.unescape(value) for name, value in inputs} | {
        "action": "save"
    }


@pytest.mark.parametrize("tool", ["fill_all", "copy_previous", "spread"])
def test_a_save_after_a_bulk_tool_records_bulk_and_the_history_says_so(
    marketer_client, account, tool
):
    make_year(account, 2025, {m: (m, Decimal(1)) for m in range(1, 13)})
    data = bulk_post(tool, m1=("20", "1"))
    data.update(spread_total="1200", spread_rate="1")
    preview = marketer_client.post("/goals/2026/", data).content.decode()
    assert 'name="bulk" value="1"' in preview
    assert not ChangeRecord.objects.exists()  # a preview saves nothing

    # 保存 from the page the tool answered with (htmx or not, the same form).
    assert marketer_client.post("/goals/2026/", form_data(preview)).status_code == 302
    assert set(sources(account, ChangeKind.GOAL)) == {ChangeSource.BULK}
    history = page(marketer_client.get("/goals/2026/history/"))
    assert re.search(r'class="source source-bulk">一括入力<', history)
    # The page after the save carries no mark: the next save is typing.
    assert 'name="bulk"' not in page(marketer_client.get("/goals/2026/"))


def test_a_bulk_preview_then_overwrite_records_overwrite(marketer_client, account):
    make_year(account, 2025, {1: (5, Decimal(1))})
    preview = marketer_client.post(
        "/goals/2026/", bulk_post("copy_previous")
    ).content.decode()
    overwrite = form_data(preview) | {"action": "overwrite"}
    assert marketer_client.post("/goals/2026/", overwrite).status_code == 302
    assert set(sources(account, ChangeKind.GOAL)) == {ChangeSource.OVERWRITE}


def test_worksheet_apply_records_its_source(marketer_client, account):
    worksheet = make_worksheet(account)
    response = marketer_client.post(
        f"/worksheets/{worksheet.pk}/apply/", {"year": "2026"}
    )
    assert response.status_code == 302
    assert set(sources(account, ChangeKind.GOAL)) == {ChangeSource.WORKSHEET}


def test_the_actuals_page_and_the_csv_import_record_their_sources(
    marketer_client, account
):
    year = 2025
    response = marketer_client.post(
        f"/goals/{year}/actuals/", actual_post(marketer_client, year, m1=("5", "500"))
    )
    assert response.status_code == 302
    assert set(sources(account, ChangeKind.ACTUAL)) == {ChangeSource.INPUT}
    ChangeRecord.objects.all().delete()
    data = actual_post(marketer_client, year, m1=("6", "600")) | {"action": "overwrite"}
    assert marketer_client.post(f"/goals/{year}/actuals/", data).status_code == 302
    assert set(sources(account, ChangeKind.ACTUAL)) == {ChangeSource.OVERWRITE}
    ChangeRecord.objects.all().delete()
    assert (
        confirm(marketer_client, token_of(upload(marketer_client))).status_code == 302
    )
    assert set(sources(account, ChangeKind.ACTUAL)) == {ChangeSource.CSV}


def test_the_history_shows_sources_and_the_review_among_the_changes(
    marketer_client, account, marketer, manager, admin_member
):
    worksheet = make_worksheet(account)
    marketer_client.post(f"/worksheets/{worksheet.pk}/apply/", {"year": "2026"})
    move(account, 2026, PlanAction.SUBMIT, marketer, "提出します")
    move(account, 2026, PlanAction.RETURN, manager, "1月を減らして")
    marketer_client.post(
        "/goals/2026/", year_post(loaded_base(account), m1=("10", "1"))
    )
    move(account, 2026, PlanAction.SUBMIT, marketer)
    move(account, 2026, PlanAction.WITHDRAW, marketer, "取り下げます")
    overwrite = year_post(loaded_base(account), m1=("11", "1")) | {
        "action": "overwrite"
    }
    marketer_client.post("/goals/2026/", overwrite)
    move(account, 2026, PlanAction.SUBMIT, marketer)
    move(account, 2026, PlanAction.APPROVE, manager, "承認します")
    move(account, 2026, PlanAction.REOPEN, admin_member, "再編集")

    html = page(marketer_client.get("/goals/2026/history/"))
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    rows = re.findall(r"<tr( class=\"plan-event[^\"]*\")?>(.*?)</tr>", body, re.S)

    def label(row):
        event, cells = row
        if event:
            return re.search(r'class="event-action">([^<]+)<', cells).group(1)
        return re.search(r'class="source source-\w+">([^<]+)<', cells).group(1)

    # Newest first, each save's rows together, the review between them.
    labels = [label(row) for row in rows]
    collapsed = [x for i, x in enumerate(labels) if i == 0 or labels[i - 1] != x]
    assert collapsed == [
        "再編集のため差し戻し（管理者）",
        "承認",
        "提出",
        "上書き",
        "取り下げ",
        "提出",
        "入力",
        "差し戻し",
        "提出",
        "ワークシート反映",
    ]
    for comment in (
        "提出します",
        "1月を減らして",
        "取り下げます",
        "承認します",
        "再編集",
    ):
        assert comment in body
    # The events of another year or account are not this year's history.
    assert "提出します" not in page(marketer_client.get("/goals/2027/history/"))


def test_the_history_keeps_to_the_account(client, account, other_account, marketer):
    outsider = make_member("outsider", other_account, Role.MARKETER)
    move(other_account, 2026, PlanAction.SUBMIT, outsider, "他社の提出")
    client.force_login(marketer)
    assert "他社の提出" not in page(client.get("/goals/2026/history/"))


def test_history_query_count_is_constant(
    marketer_client, account, marketer, manager, django_assert_max_num_queries
):
    move(account, 2026, PlanAction.SUBMIT, marketer)
    marketer_client.get("/goals/2026/history/")
    for _ in range(5):
        move(account, 2026, PlanAction.RETURN, manager, "理由")
        move(account, 2026, PlanAction.SUBMIT, marketer)
    # session, user, membership, the changes, the events
    with django_assert_max_num_queries(5):
        page(marketer_client.get("/goals/2026/history/"))


def test_plan_status_of_the_list_is_read_from_the_plans(manager_client, account):
    # A submitted year with no recorded event (made by hand): still listed.
    GoalYearPlan.objects.create(account=account, year=2026, status=PlanStatus.SUBMITTED)
    html = page(manager_client.get(REVIEWS))
    assert 'id="submitted-2026"' in html
