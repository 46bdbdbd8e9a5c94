"""Entering actuals (実績) in Chromium, and seeing them against the targets."""

import pytest
from playwright.sync_api import expect

from funnel.models import MonthlyActual, MonthlyGoal, Role
from tests.browser.conftest import sign_in
from tests.conftest import make_member

pytestmark = pytest.mark.django_db(transaction=True)

PAST = 2025  # every month has passed: the statuses do not depend on today


def test_marketer_enters_actuals_and_sees_achievement(page, account, marketer, manager):
    for month in range(1, 13):
        MonthlyGoal.objects.create(
            account=account, year=PAST, month=month, cv_count=20, cv_rate=1
        )
    sign_in(page, "marketer")
    page.goto(f"/goals/{PAST}/")
    page.get_by_role("link", name="実績", exact=True).click()
    expect(page).to_have_url(f"/goals/{PAST}/actuals/")
    expect(page.get_by_text("暦日")).to_be_visible()  # how pace is counted is said

    page.get_by_label("1月 実績CV数", exact=True).fill("２５")
    page.get_by_label("1月 実績訪問数", exact=True).fill("2,100")
    page.get_by_label("2月 実績CV数", exact=True).fill("10")
    page.get_by_label("2月 実績訪問数", exact=True).fill("abc")
    page.get_by_role("button", name="実績を保存").click()
    # A bad value: its message beside the cell, every typed value kept, nothing stored.
    expect(page.locator("#id_actual_visits_2-error")).to_contain_text(
        "数値を入力してください"
    )
    expect(page.get_by_label("1月 実績CV数", exact=True)).to_have_value("２５")
    expect(page.get_by_label("2月 実績訪問数", exact=True)).to_have_value("abc")
    assert not MonthlyActual.objects.exists()

    page.get_by_label("2月 実績訪問数", exact=True).fill("1,000")
    page.get_by_role("button", name="実績を保存").click()
    expect(page.get_by_text("実績を保存しました")).to_be_visible()
    expect(page.locator("#cv-achievement-1")).to_have_text("125.0%")
    expect(page.locator("#visits-achievement-1")).to_have_text("105.0%")
    expect(page.locator("#cv-status-1")).to_have_text("達成")
    expect(page.locator("#cv-status-2")).to_have_text("未達")  # a finished month
    expect(page.locator("#cv-status-3")).to_have_text("未入力")
    assert {(a.month, a.cv_count, a.visits) for a in MonthlyActual.objects.all()} == {
        (1, 25, 2100),
        (2, 10, 1000),
    }

    # The manager sees the same figures on the year's overview, read-only.
    manager_page = page.context.browser.new_page(base_url=page.url.split("/goals/")[0])
    sign_in(manager_page, "manager")
    manager_page.goto(f"/goals/{PAST}/overview/")
    table = manager_page.locator("#overview-actuals")
    expect(table).to_contain_text("125.0%")
    expect(table).to_contain_text("達成")
    expect(manager_page.locator("#actual-chart-title")).to_be_attached()
    manager_page.goto(f"/goals/{PAST}/actuals/")
    expect(manager_page.get_by_label("1月 実績CV数", exact=True)).to_have_count(0)
    manager_page.close()


# The refused 保存 answers 409, which the browser reports in its console.
@pytest.mark.allow_console_errors(
    r"status of 409 \(Conflict\) \(http://[^/]+/goals/\d+/actuals/\)"
)
def test_a_save_from_a_stale_page_offers_overwrite_and_enter_never_takes_it(
    page, account, marketer
):
    make_member("marketer2", account, Role.MARKETER)
    MonthlyActual.objects.create(
        account=account, year=PAST, month=1, cv_count=20, visits=2000
    )
    sign_in(page, "marketer")
    page.goto(f"/goals/{PAST}/actuals/")
    other = page.context.browser.new_page(base_url=page.url.split("/goals/")[0])
    sign_in(other, "marketer2")
    other.goto(f"/goals/{PAST}/actuals/")
    other.get_by_label("1月 実績CV数", exact=True).fill("24")
    other.get_by_role("button", name="実績を保存").click()
    expect(other.get_by_text("実績を保存しました")).to_be_visible()
    other.close()

    cv = page.get_by_label("1月 実績CV数", exact=True)
    cv.fill("30")
    page.get_by_role("button", name="実績を保存").click()
    conflict = page.locator("#conflict")
    expect(conflict).to_contain_text("1月 実績CV数: 20 → 24")
    expect(conflict).to_contain_text("marketer2")
    expect(cv).to_have_value("30")  # what was typed stays

    # Enter in a field saves, and the save is refused again: it never overwrites.
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_label("2月 実績CV数", exact=True).press("Enter")
    assert answer.value.status == 409
    assert "action=save" in answer.value.request.post_data
    expect(page.locator("#conflict")).to_be_visible()
    assert MonthlyActual.objects.get(month=1).cv_count == 24

    page.get_by_role("button", name="自分の入力で上書き保存").click()
    expect(page.get_by_text("実績を保存しました")).to_be_visible()
    expect(page.locator("#conflict")).to_have_count(0)
    assert MonthlyActual.objects.get(month=1).cv_count == 30


def test_the_year_to_date_card_follows_a_save_without_a_reload(page, account, marketer):
    for month in range(1, 13):
        MonthlyGoal.objects.create(
            account=account, year=PAST, month=month, cv_count=20, cv_rate=1
        )
    sign_in(page, "marketer")
    page.goto(f"/goals/{PAST}/actuals/")
    cv = page.locator("#ytd-cv td")
    # Nothing entered: no figure, not 0 and 0.0 %.
    expect(cv).to_have_text(["240", "—", "—", "240", "—", "—"])
    page.evaluate("window.loadedMarker = true")

    page.get_by_label("1月 実績CV数", exact=True).fill("25")
    page.get_by_label("1月 実績訪問数", exact=True).fill("2100")
    page.get_by_label("2月 実績CV数", exact=True).fill("35")
    page.get_by_role("button", name="実績を保存").click()
    expect(page.get_by_text("実績を保存しました")).to_be_visible()
    expect(cv).to_have_text(["240", "60", "25.0%", "240", "60", "25.0%"])
    expect(page.locator("#ytd-visits td").nth(1)).to_have_text("2,100")
    expect(page.locator("#ytd-card")).to_have_count(1)
    # The same page: the card came with the answer, not from a reload.
    assert page.evaluate("window.loadedMarker") is True
    # Visits as saved come back with thousands separators.
    expect(page.get_by_label("1月 実績訪問数", exact=True)).to_have_value("2,100")


def test_a_refused_save_puts_the_caret_in_the_first_bad_field(page, account, marketer):
    sign_in(page, "marketer")
    page.goto(f"/goals/{PAST}/actuals/")
    page.get_by_label("3月 実績訪問数", exact=True).fill("abc")
    page.get_by_label("7月 実績CV数", exact=True).fill("-1")
    page.get_by_role("button", name="実績を保存").click()
    expect(page.locator("#id_actual_visits_3-error")).not_to_be_empty()
    expect(page.get_by_label("3月 実績訪問数", exact=True)).to_be_focused()
    assert not MonthlyActual.objects.exists()
