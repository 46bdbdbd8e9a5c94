"""The 年間サマリー of a year planned per channel in a real browser: the
stacked chart by channel with its figures as a table, and each channel's year
beside its actuals; on a desktop and a phone, with axe and no sideways
scroll."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from funnel import selectors, services
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

YEAR = 2026
NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"


@pytest.mark.parametrize(
    "viewport", [{"width": 1440, "height": 900}, {"width": 360, "height": 780}]
)
def test_a_manager_reads_the_plan_by_channel(
    page, account, marketer, manager, viewport
):
    services.channel_defaults_create(account=account)
    channels = {c.name: c.pk for c in selectors.channel_list(account=account)}
    services.channel_year_save(
        account=account,
        year=YEAR,
        values={(channels["広告"], m): (7, Decimal(3)) for m in range(1, 13)}
        | {(channels["オーガニック"], m): (7, Decimal(3)) for m in range(1, 13)}
        | {(channels["展示会"], 10): (30, None)},
        user=marketer,
    )
    services.channel_actual_year_save(
        account=account,
        year=YEAR,
        values={(channels["広告"], 1): (5, 200)},
        user=marketer,
    )
    page.set_viewport_size(viewport)
    sign_in(page, "manager")
    page.goto(f"/goals/{YEAR}/overview/")
    section = page.locator("#overview-channels")
    expect(section.get_by_role("heading", name="チャネル別の計画")).to_be_visible()
    chart = section.get_by_role("img", name="月別のリード数（チャネル別の積み上げ）")
    expect(chart).to_be_visible()
    # The figures behind the chart, one click away.
    section.get_by_text("グラフの数値").click()
    october = section.locator("#overview-channel-months tr", has_text="10月")
    expect(october).to_contain_text("30")
    expect(october.locator("td").last).to_have_text("44")
    table = section.locator("#overview-channel-table")
    expect(table.locator("tr", has_text="広告")).to_contain_text("2,808")
    expect(page.locator("#overview-channel-leads")).to_have_text("198")
    expect(page.locator("#overview-channel-visits")).to_have_text("5,616")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    assert_accessible(page)
