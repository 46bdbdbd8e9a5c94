"""GA4から取り込む in a real browser: a marketer uploads a GA4 export, answers
which GA4 channel group is which channel, reads the preview, confirms, and
sees the channel furthest behind named first; the channel actuals page on a
phone, without sideways scroll and with no axe finding."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from funnel import selectors, services
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

YEAR = 2026
IMPORT = f"/goals/{YEAR}/actuals/channels/import/"
PAGE = f"/goals/{YEAR}/actuals/channels/"
NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"

GA4 = """\
# ----------------------------------------
# トラフィック獲得: セッションのデフォルト チャネル グループ
# ----------------------------------------
#
# 開始日: 20260401
# 終了日: 20260430
セッションのデフォルト チャネル グループ,セッション,エンゲージのあったセッション数,キーイベント
Organic Search,"1,100",700,12
Paid Search,320,200,5
Email,150,90,2
Direct,400,300,3
合計,"1,970","1,290",22
"""


@pytest.fixture
def planned(account, marketer):
    """The account's four channels and April's plan per channel."""
    services.channel_defaults_create(account=account)
    channels = {c.name: c for c in selectors.channel_list(account=account)}
    services.channel_year_save(
        account=account,
        year=YEAR,
        values={
            (channels["広告"].pk, 4): (8, Decimal(2)),
            (channels["オーガニック"].pk, 4): (10, Decimal(1)),
            (channels["メルマガ"].pk, 4): (2, Decimal(1)),
        },
        user=marketer,
    )
    return channels


def test_marketer_imports_ga4_with_a_mapping_and_sees_who_is_behind(
    page, account, planned, tmp_path
):
    path = tmp_path / "ga4.csv"
    path.write_bytes(GA4.encode("utf-8-sig"))
    page.set_viewport_size({"width": 1366, "height": 800})
    sign_in(page, "marketer")
    page.goto(f"/goals/{YEAR}/actuals/")
    page.get_by_role("link", name="チャネル別の実績").click()
    page.get_by_role("link", name="GA4から取り込む").click()
    expect(page.get_by_role("heading", name="GA4から実績を取り込む")).to_be_visible()

    page.get_by_label("GA4のCSVファイル").set_input_files(path)
    page.get_by_role("button", name="読み込む").click()

    # Four groups never seen: each is asked about, none is guessed.
    expect(page.locator("#ga4-new-groups")).to_contain_text("4件")
    for group in ("Direct", "Email", "Organic Search", "Paid Search"):
        expect(page.get_by_label(group, exact=True)).to_have_value("")
    page.get_by_label("Organic Search", exact=True).select_option(label="オーガニック")
    page.get_by_label("Paid Search", exact=True).select_option(label="広告")
    page.get_by_label("Email", exact=True).select_option(label="メルマガ")
    page.get_by_label("Direct", exact=True).select_option(
        label="未分類（取り込まない）"
    )
    page.get_by_role("button", name="この対応でプレビュー").click()

    differences = page.locator("#ga4-differences")
    expect(differences).to_be_visible()
    expect(differences.locator('tr[data-channel="広告"] td')).to_have_text(
        ["広告", "—", "5", "—", "320"]
    )
    expect(page.locator("#ga4-changes")).to_contain_text("6件の値が変わります")
    assert_accessible(page)
    assert selectors.channel_actual_values(account=account, year=YEAR) == {}

    page.get_by_role("button", name="取り込みを確定する").click()

    expect(page).to_have_url(re.compile(r"/goals/2026/actuals/channels/$"))
    expect(page.locator("#furthest-behind")).to_have_text(
        "最も遅れているチャネル: 広告（達成率 62.5%）"
    )
    ranking = page.locator("#channel-ranking tbody th")
    expect(ranking).to_have_text(
        [
            re.compile("^広告"),
            re.compile("^メルマガ"),
            re.compile("^オーガニック"),
            re.compile("^展示会"),
        ]
    )
    expect(page.get_by_label("広告 4月 CV数")).to_have_value("5")
    expect(page.get_by_label("オーガニック 4月 訪問数")).to_have_value("1,100")
    assert_accessible(page)

    # The answers are remembered: the next import asks nothing.
    page.goto(IMPORT)
    expect(page.get_by_label("Direct", exact=True)).to_have_value("none")
    page.get_by_label("GA4のCSVファイル").set_input_files(path)
    page.get_by_role("button", name="読み込む").click()
    expect(page.locator("#ga4-new-groups")).to_have_count(0)
    expect(page.locator("#ga4-changes")).to_contain_text("変わりません")


def test_channel_actuals_on_a_phone(page, account, planned):
    services.channel_actual_year_save(
        account=account,
        year=YEAR,
        values={(planned["広告"].pk, 4): (5, 320)},
        user=None,
    )
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "marketer")
    page.goto(PAGE)
    expect(page.locator("#furthest-behind")).to_contain_text("広告")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    assert_accessible(page)
    page.goto(IMPORT)
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    assert_accessible(page)
