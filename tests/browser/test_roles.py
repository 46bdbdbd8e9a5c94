"""Each role's job, done as a new user would do it in a real browser: the
marketer fills and submits a year, the manager sends it back or approves it,
the admin reopens it, manages the members and the settings; nobody else sees
the admin's pages; an agency user switches accounts; an expired session sends
the browser to sign-in.

Every test signs in through the form and then only clicks what the page shows
(the one exception: opening an admin page directly to see it refused)."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from funnel import services
from funnel.models import (
    GoalYearPlan,
    Membership,
    MonthlyGoal,
    PlanAction,
    PlanEvent,
    PlanStatus,
    Role,
)
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD, make_member

pytestmark = pytest.mark.django_db(transaction=True)

SAVED = "保存しました"
READ_ONLY_MANAGER = "マネージャーは目標を閲覧のみできます。"
LOCKED = "この年の目標は承認済みのため編集できません。"
RETURN_NEEDS_REASON = "差し戻しの理由をコメントに入力してください。"
LAST_ADMIN = "このアカウントの最後の管理者の役割は変更できません。先に他のメンバーを管理者にしてください。"
FORBIDDEN = "アクセスできません"
REOPEN = "再編集のため差し戻し（管理者）"
# Long, not common, not numeric, not like the username.
TANAKA_PASSWORD = "Sakura-Kawa-2718-Mori"


# --- browser contexts -------------------------------------------------------


@pytest.fixture
def new_page(browser, live_server):
    """Another person's browser (its own cookies), closed at teardown."""
    contexts = []

    def make():
        context = browser.new_context(
            base_url=live_server.url, locale="ja-JP", timezone_id="Asia/Tokyo"
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


# --- locators ---------------------------------------------------------------


def menu(page):
    return page.get_by_role("navigation", name="メニュー")


def header(page):
    return page.get_by_role("banner")


def count_input(page, month):
    return page.get_by_role("textbox", name=f"{month}月 CV数", exact=True)


def rate_input(page, month):
    return page.get_by_role("textbox", name=f"{month}月 CV率", exact=True)


def button(page, name):
    return page.get_by_role("button", name=name, exact=True)


def plan_status(page):
    return page.locator("#plan-status")


def events(page):
    return page.locator("#plan-events")


def latest_event(page):
    """The history lists the newest event first."""
    return events(page).locator("li").first


def status_message(page, text):
    return page.get_by_role("status").filter(has_text=text)


def alert_message(page, text):
    return page.get_by_role("alert").filter(has_text=text)


# --- steps ------------------------------------------------------------------


def open_goals(page):
    """目標設定 from the side menu."""
    menu(page).get_by_role("link", name="目標設定", exact=True).click()
    expect(page.get_by_role("heading", name="目標設定", level=1)).to_be_visible()


def open_overview(page):
    """年間サマリー・承認 from the grid."""
    page.get_by_role("link", name="年間サマリー・承認").click()
    expect(page.get_by_role("heading", name="年間サマリー", level=1)).to_be_visible()


def sign_in_here(page, username, password=PASSWORD):
    """Fill the sign-in form already on screen."""
    expect(page.get_by_role("heading", name="ログイン", level=1)).to_be_visible()
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def save_grid(page):
    """保存, and the server's answer to it (a refused save names its status)."""
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        button(page, "保存").click()
    response = answer.value
    assert response.status == 200, (
        f"保存 answered {response.status} to POST {response.url}"
    )
    expect(status_message(page, SAVED)).to_be_visible()


def expect_grid_editable(page):
    expect(count_input(page, 1)).to_be_visible()
    expect(button(page, "保存")).to_be_visible()


def expect_grid_read_only(page, note):
    expect(page.locator("#grid-table")).to_be_visible()
    expect(count_input(page, 1)).to_have_count(0)
    expect(page.locator("#grid-form").get_by_role("textbox")).to_have_count(0)
    expect(button(page, "保存")).to_have_count(0)
    expect(page.get_by_text(note)).to_be_visible()


# --- arrangement ------------------------------------------------------------


def add_goal(account, year, month, cv_count, cv_rate):
    return MonthlyGoal.objects.create(
        account=account,
        year=year,
        month=month,
        cv_count=cv_count,
        cv_rate=Decimal(cv_rate),
    )


def submit_year(account, year, user, comment=""):
    services.plan_transition(
        account=account,
        year=year,
        action=PlanAction.SUBMIT,
        membership=Membership.objects.get(account=account, user=user),
        comment=comment,
    )


def plan_of(account, year):
    return GoalYearPlan.objects.get(account=account, year=year)


def goals(account, year):
    return {
        goal.month: (goal.cv_count, goal.cv_rate)
        for goal in MonthlyGoal.objects.filter(account=account, year=year)
    }


# --- 1. the marketer --------------------------------------------------------


def test_marketer_fills_three_months_and_submits_the_year(page, account, marketer):
    year = account.fiscal_year_of(timezone.localdate())
    comment = "1〜3月の目標を入力しました。ご確認ください。"
    sign_in(page, "marketer")
    open_goals(page)
    expect(page.locator("#year-label")).to_have_text(f"{year}年")
    expect(plan_status(page)).to_have_text("状態: 下書き")

    for month, count, rate in ((1, "20", "1"), (2, "30", "2"), (3, "1,200", "2.5")):
        count_input(page, month).fill(count)
        rate_input(page, month).fill(rate)
    expect(page.locator("#total-visits")).to_have_text("51,500")
    save_grid(page)
    assert goals(account, year) == {
        1: (20, Decimal("1.00")),
        2: (30, Decimal("2.00")),
        3: (1200, Decimal("2.50")),
    }

    open_overview(page)
    expect(page.locator("#overview-total-cv")).to_have_text("1,250")
    expect(page.locator("#overview-total-visits")).to_have_text("51,500")
    expect(plan_status(page)).to_have_text("状態: 下書き")
    # A marketer submits; approving and sending back are the manager's.
    expect(button(page, "提出")).to_be_visible()
    expect(button(page, "承認")).to_have_count(0)
    expect(button(page, "差し戻し")).to_have_count(0)

    page.get_by_label("コメント").fill(comment)
    button(page, "提出").click()

    expect(status_message(page, "目標を「提出」しました")).to_be_visible()
    expect(plan_status(page)).to_have_text("状態: 提出済み")
    history = events(page)
    expect(history).to_contain_text("marketer")
    expect(history).to_contain_text("提出")
    expect(history.locator("q")).to_have_text(comment)
    # A submitted year waits for the review: the marketer can only take it
    # back (取り下げ) to change it.
    expect(button(page, "提出")).to_have_count(0)
    expect(button(page, "承認")).to_have_count(0)
    expect(button(page, "取り下げ")).to_be_visible()

    plan = plan_of(account, year)
    assert plan.status == PlanStatus.SUBMITTED
    event = PlanEvent.objects.get(plan=plan)
    assert (event.action, event.actor, event.comment) == ("submit", marketer, comment)


# --- 2. the manager sends a year back --------------------------------------


def test_manager_sends_the_year_back_with_a_reason_and_the_marketer_edits_again(
    page, new_page, account, marketer, manager
):
    year = account.fiscal_year_of(timezone.localdate())
    reason = "2月のCV率が高すぎます。前年並みに見直してください。"
    add_goal(account, year, 1, 20, "1")
    add_goal(account, year, 2, 30, "9")
    submit_year(account, year, marketer, "ご確認ください。")

    sign_in(page, "manager")
    open_goals(page)
    expect(plan_status(page)).to_have_text("状態: 提出済み")
    expect_grid_read_only(page, READ_ONLY_MANAGER)
    expect(page.locator("#month-2")).to_contain_text("30")

    open_overview(page)
    expect(events(page)).to_contain_text("ご確認ください。")
    expect(button(page, "承認")).to_be_visible()
    expect(button(page, "提出")).to_have_count(0)

    # No reason: refused, with the message beside the comment.
    button(page, "差し戻し").click()
    comment_box = page.get_by_label("コメント")
    expect(page.locator("#id_comment-error")).to_have_text(RETURN_NEEDS_REASON)
    expect(comment_box).to_have_attribute("aria-invalid", "true")
    expect(comment_box).to_have_attribute("aria-describedby", "id_comment-error")
    expect(plan_status(page)).to_have_text("状態: 提出済み")
    assert plan_of(account, year).status == PlanStatus.SUBMITTED

    comment_box.fill(reason)
    button(page, "差し戻し").click()

    expect(status_message(page, "目標を「差し戻し」しました")).to_be_visible()
    expect(plan_status(page)).to_have_text("状態: 差し戻し")
    expect(latest_event(page)).to_contain_text("manager")
    expect(latest_event(page).locator("q")).to_have_text(reason)
    expect(page.locator("#id_comment-error")).to_have_count(0)
    expect(events(page).locator("li")).to_have_count(2)
    expect(events(page).locator("li").last).to_contain_text("ご確認ください。")
    assert plan_of(account, year).status == PlanStatus.RETURNED

    # The marketer, in their own browser, reads why and fixes the grid.
    marketer_page = new_page()
    sign_in(marketer_page, "marketer")
    open_goals(marketer_page)
    expect(plan_status(marketer_page)).to_have_text("状態: 差し戻し")
    open_overview(marketer_page)
    expect(events(marketer_page)).to_contain_text(reason)
    expect(button(marketer_page, "提出")).to_be_visible()

    marketer_page.get_by_role("link", name="目標設定を開く").click()
    expect_grid_editable(marketer_page)
    expect(rate_input(marketer_page, 2)).to_have_value("9")
    rate_input(marketer_page, 2).fill("1.5")
    expect(marketer_page.locator("#visits-2")).to_have_text("2,000")
    save_grid(marketer_page)
    assert goals(account, year)[2] == (30, Decimal("1.50"))


# --- 3. the manager approves; the admin reopens ----------------------------


def test_approved_year_is_read_only_until_the_admin_reopens_it(
    page, new_page, account, marketer, manager, admin_member
):
    year = account.fiscal_year_of(timezone.localdate())
    add_goal(account, year, 1, 20, "1")
    submit_year(account, year, marketer)

    sign_in(page, "manager")
    open_goals(page)
    open_overview(page)
    button(page, "承認").click()
    expect(status_message(page, "目標を「承認」しました")).to_be_visible()
    expect(plan_status(page)).to_have_text("状態: 承認済み")
    expect(latest_event(page)).to_contain_text("承認")
    expect(button(page, "承認")).to_have_count(0)
    expect(button(page, "差し戻し")).to_have_count(0)
    assert plan_of(account, year).status == PlanStatus.APPROVED

    marketer_page = new_page()
    sign_in(marketer_page, "marketer")
    open_goals(marketer_page)
    expect(plan_status(marketer_page)).to_have_text("状態: 承認済み")
    expect_grid_read_only(marketer_page, LOCKED)
    expect(marketer_page.locator("#locked-note")).to_be_visible()
    expect(marketer_page.locator("#month-1")).to_contain_text("20")
    expect(marketer_page.locator("#visits-1")).to_have_text("2,000")

    admin_page = new_page()
    sign_in(admin_page, "admin")
    open_goals(admin_page)
    expect_grid_read_only(admin_page, LOCKED)
    open_overview(admin_page)
    expect(button(admin_page, "承認")).to_have_count(0)
    button(admin_page, REOPEN).click()
    expect(status_message(admin_page, f"目標を「{REOPEN}」しました")).to_be_visible()
    expect(plan_status(admin_page)).to_have_text("状態: 下書き")
    expect(latest_event(admin_page)).to_contain_text("admin")
    assert plan_of(account, year).status == PlanStatus.DRAFT

    marketer_page.reload()
    expect(plan_status(marketer_page)).to_have_text("状態: 下書き")
    expect(marketer_page.locator("#locked-note")).to_have_count(0)
    expect_grid_editable(marketer_page)
    expect(count_input(marketer_page, 1)).to_have_value("20")
    count_input(marketer_page, 1).fill("25")
    save_grid(marketer_page)
    assert goals(account, year)[1] == (25, Decimal("1.00"))


def test_manager_lands_on_the_review_list_and_approves_a_year_from_it(
    page, account, marketer, manager
):
    year = account.fiscal_year_of(timezone.localdate())
    add_goal(account, year, 1, 20, "1")
    add_goal(account, year + 1, 1, 30, "1")
    submit_year(account, year, marketer, "ご確認ください。")
    submit_year(account, year + 1, marketer)

    sign_in(page, "manager")
    # A manager starts at 承認待ち, its count in the side menu.
    expect(page).to_have_url(re.compile(r"/reviews/$"))
    expect(page.get_by_role("heading", name="承認待ち", level=1)).to_be_visible()
    review_link = menu(page).get_by_role("link", name=re.compile("^承認待ち"))
    expect(review_link).to_have_text("承認待ち 2件")
    row = page.locator(f"#submitted-{year}")
    expect(row).to_contain_text("marketer")
    expect(page.locator(f"#submitted-{year + 1}")).to_be_visible()

    row.get_by_role("link", name="年間サマリーを開く").click()
    expect(page.get_by_role("heading", name="年間サマリー", level=1)).to_be_visible()
    expect(events(page)).to_contain_text("ご確認ください。")
    button(page, "承認").click()
    expect(status_message(page, "目標を「承認」しました")).to_be_visible()
    expect(plan_status(page)).to_have_text("状態: 承認済み")
    assert plan_of(account, year).status == PlanStatus.APPROVED

    # Back to the list: one year still waits.
    review_link.click()
    expect(page.locator(f"#submitted-{year}")).to_have_count(0)
    expect(page.locator(f"#submitted-{year + 1}")).to_be_visible()
    expect(review_link).to_have_text("承認待ち 1件")


# --- 4. the admin manages the members ---------------------------------------


def test_admin_adds_a_manager_who_sets_a_password_then_changes_their_role(
    page, new_page, live_server, account, admin_member
):
    sign_in(page, "admin")
    menu(page).get_by_role("link", name="メンバー", exact=True).click()
    expect(page.get_by_role("heading", name="メンバー", level=1)).to_be_visible()

    add = page.locator("#member-add")
    expect(add.get_by_label("新しいユーザーを作成する")).to_be_checked()
    add.get_by_label("ユーザー名").fill("tanaka")
    add.get_by_label("役割", exact=True).select_option(label="マネージャー")
    add.get_by_role("button", name="追加", exact=True).click()

    expect(
        status_message(page, "ユーザー「tanaka」を作成し、メンバーに追加しました。")
    ).to_be_visible()
    expect(
        page.get_by_role("heading", name="「tanaka」のパスワード設定用リンク")
    ).to_be_visible()
    link_box = page.get_by_role("textbox", name="パスワード設定用リンク")
    set_password_url = link_box.input_value()
    assert set_password_url.startswith(f"{live_server.url}/accounts/reset/")
    tanaka_role = page.get_by_label("tanaka の役割", exact=True)
    expect(tanaka_role).to_have_value(str(Role.MANAGER))
    tanaka = get_user_model().objects.get(username="tanaka")
    assert not tanaka.has_usable_password()

    # tanaka opens the link in their own browser and chooses a password.
    tanaka_page = new_page()
    tanaka_page.goto(set_password_url)
    expect(
        tanaka_page.get_by_role("heading", name="パスワードの設定", level=1)
    ).to_be_visible()
    expect(
        tanaka_page.get_by_text("ユーザー「tanaka」のパスワードを設定してください。")
    ).to_be_visible()
    tanaka_page.get_by_label("新しいパスワード", exact=True).fill(TANAKA_PASSWORD)
    tanaka_page.get_by_label("新しいパスワード(確認用)").fill(TANAKA_PASSWORD)
    button(tanaka_page, "パスワードを設定する").click()
    expect(
        tanaka_page.get_by_role("heading", name="パスワードを設定しました")
    ).to_be_visible()
    tanaka_page.get_by_role("link", name="ログイン画面へ").click()
    sign_in_here(tanaka_page, "tanaka", TANAKA_PASSWORD)

    # A manager starts at 承認待ち.
    expect(tanaka_page.get_by_role("heading", name="承認待ち", level=1)).to_be_visible()
    expect(header(tanaka_page)).to_contain_text("マネージャー")
    open_goals(tanaka_page)
    expect_grid_read_only(tanaka_page, READ_ONLY_MANAGER)

    # The admin makes tanaka a marketer.
    tanaka_role.select_option(label="マーケター")
    page.locator("#member-table tbody tr").filter(has=tanaka_role).get_by_role(
        "button", name="変更"
    ).click()
    expect(
        status_message(page, "「tanaka」の役割を「マーケター」にしました。")
    ).to_be_visible()
    expect(page.get_by_label("tanaka の役割", exact=True)).to_have_value(
        str(Role.MARKETER)
    )
    # The one-time link is not shown again.
    expect(page.get_by_role("textbox", name="パスワード設定用リンク")).to_have_count(0)

    tanaka_page.reload()
    expect(header(tanaka_page)).to_contain_text("マーケター")
    expect_grid_editable(tanaka_page)
    expect(tanaka_page.get_by_text(READ_ONLY_MANAGER)).to_have_count(0)

    # The account's only admin cannot demote themself.
    admin_role = page.get_by_label("admin の役割", exact=True)
    admin_role.select_option(label="マーケター")
    page.locator("#member-table tbody tr").filter(has=admin_role).get_by_role(
        "button", name="変更"
    ).click()
    expect(alert_message(page, LAST_ADMIN)).to_be_visible()
    expect(page.get_by_role("heading", name="メンバー", level=1)).to_be_visible()
    expect(page.get_by_label("admin の役割", exact=True)).to_have_value(str(Role.ADMIN))
    expect(menu(page).get_by_role("link", name="メンバー", exact=True)).to_be_visible()
    assert Membership.objects.get(user=admin_member).role == Role.ADMIN
    assert Membership.objects.get(user=tanaka).role == Role.MARKETER


# --- 5. the admin's settings ------------------------------------------------


def test_admin_starts_the_fiscal_year_in_april(page, account, admin_member):
    sign_in(page, "admin")
    menu(page).get_by_role("link", name="アカウント設定", exact=True).click()
    expect(page.get_by_role("heading", name="アカウント設定", level=1)).to_be_visible()
    start = page.get_by_label("年度の開始月")
    expect(start).to_have_value("1")

    start.select_option(label="4月")
    button(page, "保存").click()
    expect(status_message(page, "保存しました。")).to_be_visible()
    expect(page.get_by_label("年度の開始月")).to_have_value("4")
    account.refresh_from_db()
    assert account.fiscal_year_start_month == 4

    fiscal_year = account.fiscal_year_of(timezone.localdate())
    open_goals(page)
    expect(page.locator("#year-label")).to_have_text(f"{fiscal_year}年度")
    rows = page.locator("#grid-table tbody tr")
    expect(rows).to_have_count(12)
    expect(rows.first).to_have_attribute("id", "month-4")
    expect(rows.first.get_by_role("rowheader")).to_have_text("4月")
    expect(rows.last).to_have_attribute("id", "month-3")
    expect(page.locator("#month-1").get_by_role("rowheader")).to_have_text(
        f"{fiscal_year + 1}年 1月"
    )
    expect(page.get_by_role("textbox").first).to_have_accessible_name("4月 CV数")

    # January of this fiscal year is January of the next calendar year.
    count_input(page, 1).fill("10")
    rate_input(page, 1).fill("1")
    save_grid(page)
    expect(
        status_message(page, f"{fiscal_year}年度の目標を保存しました。")
    ).to_be_visible()
    assert goals(account, fiscal_year + 1) == {1: (10, Decimal("1.00"))}


# --- 6. nobody else sees the admin's pages ----------------------------------


# The admin pages opened directly answer 403, which the browser reports.
@pytest.mark.allow_console_errors(
    r"status of 403 \(Forbidden\) \(http://[^/]+/account/(members|settings)/\)"
)
@pytest.mark.parametrize("username", ["marketer", "manager"])
def test_members_and_settings_are_not_offered_to_others_and_refused(
    page, request, account, username
):
    request.getfixturevalue(username)
    sign_in(page, username)
    nav = menu(page)
    expect(nav.get_by_role("link", name="目標設定", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="ワークシート", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="メンバー")).to_have_count(0)
    expect(nav.get_by_role("link", name="アカウント設定")).to_have_count(0)
    expect(nav).not_to_contain_text("アカウント管理")

    for path in ("/account/members/", "/account/settings/"):
        response = page.goto(path)
        assert response.status == 403, path
        expect(page.get_by_role("heading", name=FORBIDDEN, level=1)).to_be_visible()
        expect(
            page.get_by_text("このページを表示・操作する権限がありません。")
        ).to_be_visible()
        expect(page.locator("#member-table")).to_have_count(0)
        expect(page.get_by_label("年度の開始月")).to_have_count(0)


# --- 7. an agency user in two accounts --------------------------------------


def test_agency_user_switches_accounts_and_sees_only_that_accounts_numbers(
    page, account, other_account, outsider
):
    # Admin of デモ株式会社, marketer of サンプル商事 (the first by name).
    agency = make_member("agency", account, Role.ADMIN)
    Membership.objects.create(user=agency, account=other_account, role=Role.MARKETER)
    add_goal(account, account.fiscal_year_of(timezone.localdate()), 1, 111, "1")
    add_goal(
        other_account, other_account.fiscal_year_of(timezone.localdate()), 1, 222, "2"
    )

    sign_in(page, "agency")
    expect(header(page).get_by_role("link", name="サンプル商事")).to_be_visible()
    expect(header(page)).to_contain_text("マーケター")
    open_goals(page)
    expect(count_input(page, 1)).to_have_value("222")
    expect(page.locator("#total-cv")).to_have_text("222")
    expect(page.locator("#visits-1")).to_have_text("11,100")
    expect(menu(page).get_by_role("link", name="メンバー")).to_have_count(0)

    header(page).get_by_role("link", name="サンプル商事").click()
    expect(
        page.get_by_role("heading", name="アカウントの切り替え", level=1)
    ).to_be_visible()
    accounts = page.locator("#account-list")
    expect(accounts.locator("[aria-current]")).to_have_text("サンプル商事")
    accounts.get_by_role("button", name="デモ株式会社").click()

    expect(page.get_by_role("heading", name="目標設定", level=1)).to_be_visible()
    expect(
        status_message(page, "アカウント「デモ株式会社」に切り替えました。")
    ).to_be_visible()
    expect(header(page).get_by_role("link", name="デモ株式会社")).to_be_visible()
    expect(header(page)).to_contain_text("管理者")
    expect(count_input(page, 1)).to_have_value("111")
    expect(page.locator("#total-cv")).to_have_text("111")
    expect(page.locator("#visits-1")).to_have_text("11,100")
    open_overview(page)
    expect(page.locator("#overview-total-cv")).to_have_text("111")

    # デモ株式会社's members only: サンプル商事's outsider is not listed.
    menu(page).get_by_role("link", name="メンバー", exact=True).click()
    members = page.locator("#member-table")
    expect(members).to_contain_text("agency")
    expect(members).not_to_contain_text("outsider")

    header(page).get_by_role("link", name="デモ株式会社").click()
    page.locator("#account-list").get_by_role("button", name="サンプル商事").click()
    expect(header(page).get_by_role("link", name="サンプル商事")).to_be_visible()
    expect(count_input(page, 1)).to_have_value("222")
    expect(page.locator("#total-cv")).to_have_text("222")


# --- 8. the session expires while typing ------------------------------------


def test_expired_session_sends_the_browser_to_sign_in_not_into_a_cell(
    page, account, marketer
):
    year = account.fiscal_year_of(timezone.localdate())
    sign_in(page, "marketer")
    open_goals(page)
    # Leaving with a typed value asks first (beforeunload): the user agrees.
    dialogs = []

    def leave(dialog):
        dialogs.append(dialog.type)
        dialog.accept()

    page.on("dialog", leave)

    # The session ends (its cookie is gone; the CSRF cookie lasts a year).
    page.context.clear_cookies(name="sessionid")
    # The live figures need no session (a calculator): they keep coming.
    count_input(page, 1).fill("20")
    rate_input(page, 1).fill("1")
    expect(page.locator("#visits-1")).to_have_text("2,000")
    # 保存 does: the whole browser goes to sign-in, never a form in a cell.
    with page.expect_response(lambda r: r.request.method == "POST") as save:
        button(page, "保存").click()
    redirect_to = save.value.headers.get("hx-redirect", "")
    assert redirect_to.startswith("/accounts/login/?next="), redirect_to

    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    expect(page.get_by_role("heading", name="ログイン", level=1)).to_be_visible()
    expect(page.locator("#grid-table")).to_have_count(0)
    expect(page.locator("form[action='/accounts/login/']")).to_have_count(1)
    assert dialogs == ["beforeunload"]

    # Signing in again goes back to the grid; nothing was saved.
    sign_in_here(page, "marketer")
    expect(page).to_have_url(re.compile(rf"/goals/{year}/$"))
    expect(page.get_by_role("heading", name="目標設定", level=1)).to_be_visible()
    expect(count_input(page, 1)).to_have_value("")
    assert not MonthlyGoal.objects.exists()
