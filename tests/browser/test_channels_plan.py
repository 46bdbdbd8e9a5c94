"""The year's plan per channel in a real browser: a marketer plans two Web
channels and 展示会 for a month, watches the visits computed as they type,
saves, and finds the sums on the 目標設定 grid; on a desktop and a phone,
with axe and no sideways scroll."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from funnel import services
from funnel.models import ChannelGoal, GoalYearPlan, MonthlyGoal
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

YEAR = 2026
PLAN = f"/goals/{YEAR}/channels/"
NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"


def visits(page, channel, month):
    return page.locator(
        f'[data-channel="{channel}"][data-month="{month}"][data-figure="visits"]'
    )


@pytest.mark.parametrize(
    "viewport", [{"width": 1366, "height": 800}, {"width": 390, "height": 844}]
)
def test_a_marketer_plans_three_channels_and_the_grid_follows(
    page, account, marketer, viewport
):
    services.channel_defaults_create(account=account)
    page.set_viewport_size(viewport)
    sign_in(page, "marketer")
    page.goto(f"/goals/{YEAR}/")
    page.get_by_role("link", name="チャネル別", exact=True).click()
    expect(
        page.get_by_role("heading", name="チャネル別の計画", level=1)
    ).to_be_visible()
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    assert_accessible(page)

    page.get_by_label("広告 4月 CV数", exact=True).fill("7")
    page.get_by_label("広告 4月 CV率", exact=True).fill("3")
    expect(visits(page, "広告", 4)).to_have_text("234")
    page.get_by_label("オーガニック 4月 CV数", exact=True).fill("7")
    page.get_by_label("オーガニック 4月 CV率", exact=True).fill("3%")
    expect(visits(page, "オーガニック", 4)).to_have_text("234")
    page.get_by_label("展示会 4月 リード数", exact=True).fill("30")
    expect(page.locator("#month-visits-4")).to_have_text("468")
    expect(page.locator("#month-cv-4")).to_have_text("14")
    expect(page.locator("#month-leads-4")).to_have_text("30")
    expect(page.get_by_label("展示会 4月 CV率")).to_have_count(0)

    # A bad value: a message beside the cell, as typed.
    page.get_by_label("メルマガ 4月 CV率", exact=True).fill("abc")
    expect(
        page.locator("#id_rate_" + str(_id(account, "メルマガ")) + "_4-error")
    ).to_contain_text("率を数値で入力してください")
    page.get_by_label("メルマガ 4月 CV率", exact=True).fill("")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)

    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_text("チャネル別の計画を保存しました。")).to_be_visible()
    assert ChannelGoal.objects.filter(account=account).count() == 3
    assert GoalYearPlan.objects.get(account=account, year=YEAR).channel_mode
    assert_accessible(page)

    page.get_by_role("link", name="目標", exact=True).click()
    expect(page.get_by_role("heading", name="目標設定", level=1)).to_be_visible()
    expect(page.locator("#visits-4")).to_have_text("468")
    expect(page.get_by_label("4月 CV数", exact=True)).to_have_text("14")
    expect(page.get_by_label("4月 CV率", exact=True)).to_have_text("2.99")
    expect(page.get_by_role("link", name="チャネル別の計画を開く")).to_be_visible()
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    assert_accessible(page)


def _id(account, name):
    return account.channels.get(name=name).pk


def test_paste_keys_and_undo_work_in_a_channel_table(
    browser, live_server, account, marketer
):
    """The grid's spreadsheet behaviour (static/js/app.js) on a channel's
    table: a two-column block from Excel fills CV数 and CV率 down the months,
    Enter moves down, and 全月に適用 can be undone before saving."""
    services.channel_defaults_create(account=account)
    context = browser.new_context(
        base_url=live_server.url, locale="ja-JP", timezone_id="Asia/Tokyo"
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, "marketer")
    page.goto(PLAN)
    first = page.get_by_label("広告 4月 CV数", exact=True)
    page.evaluate("text => navigator.clipboard.writeText(text)", "7\t3\r\n10\t2\r\n")
    first.focus()
    page.keyboard.press("Control+V")
    expect(page.get_by_label("広告 5月 CV数", exact=True)).to_have_value("10")
    expect(page.get_by_label("広告 5月 CV率", exact=True)).to_have_value("2")
    expect(visits(page, "広告", 4)).to_have_text("234")
    expect(visits(page, "広告", 5)).to_have_text("500")
    first.press("Enter")
    expect(page.get_by_label("広告 5月 CV数", exact=True)).to_be_focused()

    page.get_by_text("広告の一括入力").click()
    page.get_by_label("コピー元の月").first.select_option("4")
    page.get_by_role("button", name="全月に適用").first.click()
    expect(page.get_by_label("広告 3月 CV数", exact=True)).to_have_value("7")
    # The tools open, after a bulk action, on a phone.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    assert_accessible(page)
    page.get_by_role("button", name="元に戻す").click()
    expect(page.get_by_label("広告 3月 CV数", exact=True)).to_have_value("")
    expect(page.get_by_label("広告 5月 CV数", exact=True)).to_have_value("10")
    assert not ChannelGoal.objects.exists()
    context.close()


def test_a_year_with_totals_switches_after_the_confirmation(page, account, marketer):
    MonthlyGoal.objects.create(
        account=account, year=YEAR, month=4, cv_count=50, cv_rate=Decimal(1)
    )
    services.channel_defaults_create(account=account)
    sign_in(page, "marketer")
    page.goto(PLAN)
    page.get_by_label("広告 4月 CV数", exact=True).fill("7")
    page.get_by_label("広告 4月 CV率", exact=True).fill("3")
    expect(visits(page, "広告", 4)).to_have_text("234")
    page.get_by_role("button", name="保存", exact=True).click()
    confirm = page.locator("#mode-switch")
    expect(confirm).to_contain_text("50 / 1 % / 5,000")
    expect(confirm).to_contain_text("7 / 2.99 % / 234")
    assert not ChannelGoal.objects.exists()
    assert_accessible(page)
    page.get_by_role("button", name="チャネル別に切り替えて保存").click()
    expect(page.get_by_text("チャネル別の計画を保存しました。")).to_be_visible()
    assert GoalYearPlan.objects.get(account=account, year=YEAR).channel_mode
    page.goto(f"/goals/{YEAR}/")
    expect(page.locator("#visits-4")).to_have_text("234")
    page.get_by_role("link", name="合計で入力に戻す").click()
    page.get_by_role("button", name="合計で入力に戻す").click()
    expect(page.get_by_label("4月 CV数", exact=True)).to_have_value("7")
    assert not GoalYearPlan.objects.get(account=account, year=YEAR).channel_mode
