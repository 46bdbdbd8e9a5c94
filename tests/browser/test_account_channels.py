"""A marketer manages the account's channels on a desktop and on a phone:
adds one, archives one, and the list holds without sideways scroll and with
nothing axe-core finds."""

import pytest
from playwright.sync_api import expect

from funnel import services
from funnel.models import Account, Channel, Role
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
