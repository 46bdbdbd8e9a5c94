"""A marketer manages the account's channels on a desktop and on a phone:
adds one, archives one, and the list holds without sideways scroll and with
nothing axe-core finds."""

import pytest
from playwright.sync_api import expect

from funnel import services
from funnel.models import Account, Channel, Role, WorksheetChannel
from tests.browser.conftest import assert_accessible, sign_in
from tests.conftest import make_member

pytestmark = pytest.mark.django_db(transaction=True)

NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"


def stored(account):
    return [
        (c.name, c.online, c.archived)
        for c in Channel.objects.filter(account=account).order_by("position", "id")
    ]


@pytest.mark.parametrize(
    "viewport",
    [{"width": 1366, "height": 800}, {"width": 390, "height": 844}],
    ids=["desktop", "phone"],
)
def test_add_a_channel_and_archive_one(page, viewport):
    account = Account.objects.create(name="デモ株式会社")
    services.channel_defaults_create(account=account)
    make_member("marketer", account, Role.MARKETER)
    page.set_viewport_size(viewport)
    sign_in(page, "marketer")
    page.goto("/account/channels/")
    expect(page.get_by_role("heading", name="獲得チャネル", level=1)).to_be_visible()
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    assert_accessible(page)

    page.get_by_role("button", name="＋ チャネルを追加").click()
    name = page.get_by_role("textbox", name="5行目のチャネル名")
    expect(name).to_be_focused()
    name.fill("セミナー")
    page.get_by_role("checkbox", name="5行目 Web（オンライン）").uncheck()
    page.get_by_role("checkbox", name="3行目 アーカイブ").check()
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("チャネル一覧を保存しました。")
    assert stored(account) == [
        ("広告", True, False),
        ("オーガニック", True, False),
        ("メルマガ", True, True),
        ("展示会", False, False),
        ("セミナー", False, False),
    ]
    expect(page.get_by_role("checkbox", name="3行目 アーカイブ")).to_be_checked()
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    assert_accessible(page)


def test_a_duplicate_name_is_shown_beside_the_field(page):
    account = Account.objects.create(name="デモ株式会社")
    services.channel_defaults_create(account=account)
    make_member("marketer", account, Role.MARKETER)
    sign_in(page, "marketer")
    page.goto("/account/channels/")
    page.get_by_role("button", name="＋ チャネルを追加").click()
    name = page.get_by_role("textbox", name="5行目のチャネル名")
    name.fill("ＳＥＯ広告")
    page.get_by_role("textbox", name="1行目のチャネル名").fill("seo広告")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator("#id_channels-4-name-error")).to_contain_text(
        "同じ名前のチャネルがあります"
    )
    expect(name).to_have_value("ＳＥＯ広告")
    assert Channel.objects.filter(account=account).count() == 4
    assert_accessible(page)


def test_a_worksheet_row_picks_a_channel(page):
    account = Account.objects.create(name="デモ株式会社")
    services.channel_defaults_create(account=account)
    make_member("marketer", account, Role.MARKETER)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "marketer")
    page.goto("/worksheets/new/")
    pick = page.get_by_role("combobox", name="1行目のチャネル")
    expect(pick).to_have_value(
        str(Channel.objects.get(account=account, name="広告").pk)
    )
    row = page.locator("#channel-row-1")
    row.get_by_role("textbox", name="商談数").fill("5")
    row.get_by_role("textbox", name="商談化率").fill("50")
    exhibition = Channel.objects.get(account=account, name="展示会")
    pick.select_option(str(exhibition.pk))
    # The sheet comes back with the channel's Web flag: not online.
    expect(row.get_by_role("checkbox", name="オンライン")).not_to_be_checked()
    expect(row.get_by_role("checkbox", name="オンライン")).to_be_disabled()
    expect(row.get_by_role("textbox", name="商談数")).to_have_value("5")
    expect(page.locator("#channel-1-leads")).to_have_text("10")
    expect(page.get_by_role("link", name="チャネルを追加・編集")).to_be_visible()
    page.get_by_role("textbox", name="ワークシート名", exact=True).fill("展示会計画")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("保存しました")
    first = WorksheetChannel.objects.get(worksheet__name="展示会計画", position=1)
    assert (first.name, first.online, first.channel) == ("展示会", False, exhibition)
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    assert_accessible(page)
