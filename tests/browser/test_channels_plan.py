"""The year's plan per channel in a real browser: a marketer plans two Web
channels and 展示会 for a month, watches the visits computed as they type,
saves, and finds the sums on the 目標設定 grid; on a desktop and a phone,
with axe and no sideways scroll."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from funnel import services
from funnel.models import (
    ChangeRecord,
    ChangeSource,
    ChannelActual,
    ChannelGoal,
    GoalYearPlan,
    MonthlyGoal,
)
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


def test_a_channel_is_spread_by_last_years_actuals_on_a_phone(page, account, marketer):
    """広告's 配分 by 前年の実績比: its actuals of last year (a month without
    one weighs by its target), previewed in its months, then saved; at 360 px
    with axe, the weights shown only for 比率を指定."""
    services.channel_defaults_create(account=account)
    ads = account.channels.get(name="広告")
    for month, cv_count in {1: 10, 2: 30, 7: 50}.items():
        ChannelActual.objects.create(
            account=account, channel=ads, year=YEAR - 1, month=month, cv_count=cv_count
        )
    services.channel_year_save(
        account=account, year=YEAR - 1, values={(ads.pk, 3): (10, None)}, user=marketer
    )
    page.set_viewport_size({"width": 360, "height": 800})
    sign_in(page, "marketer")
    page.goto(PLAN)
    section = page.locator(f"#channel-{ads.pk}")
    section.get_by_text("広告の一括入力").click()
    weights = section.locator(f"#spread-weights-{ads.pk}")
    expect(weights).to_be_hidden()  # 均等 is chosen
    section.get_by_label("比率を指定").check()
    expect(weights).to_be_visible()
    expect(section.get_by_label("広告 12月 比率", exact=True)).to_be_visible()
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    assert_accessible(page)

    section.get_by_label("前年の実績比").check()
    expect(weights).to_be_hidden()
    section.get_by_label("年間CV数").fill("1,000")
    section.get_by_label("CV率（全月）").fill("2")
    section.get_by_role("button", name="配分する").click()
    expect(
        page.get_by_text("広告 の年間 1,000 を前年の実績比で配分しました。")
    ).to_be_visible()
    expect(
        page.get_by_text("前年（2025年）の広告の実績がない月（3月）")
    ).to_be_visible()
    expected = {1: "100", 2: "300", 3: "100", 4: "0", 7: "500"}
    for month, cv_count in expected.items():
        expect(page.get_by_label(f"広告 {month}月 CV数", exact=True)).to_have_value(
            cv_count
        )
    expect(page.get_by_label("広告 1月 CV率", exact=True)).to_have_value("2")
    expect(visits(page, "広告", 1)).to_have_text("5,000")
    # The tool stays open with its choice; nothing is stored yet.
    section = page.locator(f"#channel-{ads.pk}")
    expect(section.get_by_label("前年の実績比")).to_be_checked()
    expect(section.locator(f"#spread-weights-{ads.pk}")).to_be_hidden()
    assert not ChannelGoal.objects.filter(year=YEAR).exists()
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    assert_accessible(page)

    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_text("チャネル別の計画を保存しました。")).to_be_visible()
    saved = dict(
        ChannelGoal.objects.filter(year=YEAR, channel=ads).values_list(
            "month", "cv_count"
        )
    )
    assert saved[1] == 100 and saved[7] == 500 and sum(saved.values()) == 1000
    assert set(
        ChangeRecord.objects.filter(year=YEAR, subject="広告").values_list(
            "source", flat=True
        )
    ) == {ChangeSource.BULK}


def test_enter_in_a_channels_spread_spreads_and_saves_nothing(page, account, marketer):
    """Enter in a channel's 年間CV数 presses that channel's 配分する (as on the
    grid), not 保存, the form's first button: the months are filled, nothing
    is stored until 保存."""
    services.channel_defaults_create(account=account)
    mail = account.channels.get(name="メルマガ")
    sign_in(page, "marketer")
    page.goto(PLAN)
    section = page.locator(f"#channel-{mail.pk}")
    section.get_by_text("メルマガの一括入力").click()
    section.get_by_label("年間CV数").fill("120")
    section.get_by_label("CV率（全月）").fill("1.5")
    section.get_by_label("CV率（全月）").press("Enter")
    expect(
        page.get_by_text("メルマガ の年間 120 を各月に均等に配分しました。")
    ).to_be_visible()
    for month in (1, 6, 12):
        expect(page.get_by_label(f"メルマガ {month}月 CV数", exact=True)).to_have_value(
            "10"
        )
    expect(visits(page, "メルマガ", 1)).to_have_text("667")
    assert not ChannelGoal.objects.exists()
    assert not GoalYearPlan.objects.filter(channel_mode=True).exists()
