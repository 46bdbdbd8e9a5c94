"""The account's channel list (/account/channels/) over the test client: every
role, another account's channel, unique names, archive, reorder, the stale
page and an incomplete form."""

import pytest
from django.test import Client

from funnel import selectors, services
from funnel.models import ChangeKind, ChangeRecord, Channel
from tests.conftest import make_member

pytestmark = pytest.mark.django_db
URL = "/account/channels/"


@pytest.fixture
def channels(account):
    services.channel_defaults_create(account=account)
    return selectors.channel_list(account=account)


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def stored(account):
    return [
        (c.name, c.online, c.archived)
        for c in Channel.objects.filter(account=account).order_by("position", "id")
    ]


def page_data(account, rows=None, action="save", base=True):
    """The list as the page sends it: each row's id, name and boxes (an
    unchecked box absent), the button and the list as loaded."""
    current = list(Channel.objects.filter(account=account).order_by("position", "id"))
    if rows is None:
        rows = [
            {"id": c.pk, "name": c.name, "online": c.online, "archived": c.archived}
            for c in current
        ]
    data = {"channels-TOTAL_FORMS": str(len(rows)), "channels-INITIAL_FORMS": "0"}
    for index, row in enumerate(rows):
        prefix = f"channels-{index}-"
        data[prefix + "id"] = str(row.get("id") or "")
        data[prefix + "name"] = row["name"]
        if row.get("online"):
            data[prefix + "online"] = "on"
        if row.get("archived"):
            data[prefix + "archived"] = "on"
    data["action"] = action
    if base:
        data["base_channels"] = services.channel_list_snapshot(current)
    return data


def as_rows(account):
    return [
        {"id": c.pk, "name": c.name, "online": c.online, "archived": c.archived}
        for c in Channel.objects.filter(account=account).order_by("position", "id")
    ]


@pytest.mark.parametrize("role", ["marketer", "admin"])
def test_marketers_and_admins_see_the_list(account, channels, role, marketer):
    user = marketer if role == "marketer" else make_member("adm", account, 100)
    response = signed_in(user).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("広告", "オーガニック", "メルマガ", "展示会"):
        assert f'value="{name}"' in html
    assert 'name="base_channels"' in html
    assert "獲得チャネル" in html


def test_a_manager_is_refused_and_nothing_is_written(account, channels, manager):
    client = signed_in(manager)
    before = stored(account)
    assert client.get(URL).status_code == 403
    rows = [*as_rows(account), {"name": "セミナー", "online": False}]
    assert client.post(URL, page_data(account, rows)).status_code == 403
    assert stored(account) == before


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_add_a_channel(account, channels, marketer):
    rows = [*as_rows(account), {"name": "セミナー", "online": False}]
    response = signed_in(marketer).post(URL, page_data(account, rows))
    assert response.status_code == 302
    assert stored(account)[-1] == ("セミナー", False, False)
    record = ChangeRecord.objects.get(
        account=account, kind=ChangeKind.ACCOUNT, subject="セミナー"
    )
    assert record.field == "チャネル追加"
    assert record.user == marketer


def test_add_row_and_move_rows_without_saving(account, channels, marketer):
    client = signed_in(marketer)
    before = stored(account)
    html = client.post(URL, page_data(account, action="add")).content.decode()
    assert 'name="channels-4-name"' in html
    assert 'name="channels-TOTAL_FORMS" value="5"' in html
    html = client.post(URL, page_data(account, action="up-3")).content.decode()
    # 展示会 typed up to the third row; nothing saved yet.
    assert html.index('value="展示会"') < html.index('value="メルマガ"')
    assert stored(account) == before


def test_rename_web_flag_archive_and_reorder(account, channels, marketer):
    rows = as_rows(account)
    rows[0]["name"] = "リスティング広告"
    rows[1]["online"] = False
    rows[2]["archived"] = True
    rows = [rows[3], *rows[:3]]
    response = signed_in(marketer).post(URL, page_data(account, rows))
    assert response.status_code == 302
    assert stored(account) == [
        ("展示会", False, False),
        ("リスティング広告", True, False),
        ("オーガニック", False, False),
        ("メルマガ", True, True),
    ]
    fields = set(
        ChangeRecord.objects.filter(
            account=account, kind=ChangeKind.ACCOUNT
        ).values_list("field", flat=True)
    )
    assert fields == {"チャネル名", "Web（オンライン）", "アーカイブ", "表示順"}
    # An archived channel is offered for no new plan but keeps its row.
    assert "メルマガ" not in [c.name for c in selectors.channel_list(account=account)]
    assert "メルマガ" in [
        c.name for c in selectors.channel_list(account=account, archived=True)
    ]


def test_unarchive(account, channels, marketer):
    Channel.objects.filter(account=account, name="展示会").update(archived=True)
    rows = as_rows(account)
    rows[3]["archived"] = False
    assert signed_in(marketer).post(URL, page_data(account, rows)).status_code == 302
    assert stored(account)[3] == ("展示会", False, False)


def test_two_channels_may_swap_names(account, channels, marketer):
    rows = as_rows(account)
    rows[0]["name"], rows[1]["name"] = rows[1]["name"], rows[0]["name"]
    assert signed_in(marketer).post(URL, page_data(account, rows)).status_code == 302
    assert [name for name, _o, _a in stored(account)][:2] == ["オーガニック", "広告"]


@pytest.mark.parametrize("typed", ["広告", " 広告 ", "ＳＥＯ", "seo", "Seo"])
def test_names_are_unique_without_regard_to_case_or_width(
    account, channels, marketer, typed
):
    rows = as_rows(account)
    rows[1]["name"] = "SEO" if typed in ("ＳＥＯ", "seo", "Seo") else "オーガニック"
    rows.append({"name": typed, "online": True})
    before = stored(account)
    response = signed_in(marketer).post(URL, page_data(account, rows))
    assert response.status_code == 200
    html = response.content.decode()
    assert "同じ名前のチャネルがあります" in html
    # The typed text stays in its field, marked, and nothing is stored.
    assert f'value="{typed}"' in html
    assert 'aria-invalid="true"' in html
    assert stored(account) == before


def test_a_name_taken_by_a_channel_left_out_is_refused(account, channels, marketer):
    """A 上書き保存 that leaves a stored channel out keeps it: its name is still
    taken."""
    rows = [{"name": "メルマガ", "online": True}]
    response = signed_in(marketer).post(
        URL, page_data(account, rows, action="overwrite", base=False)
    )
    assert response.status_code == 200
    assert "同じ名前のチャネルがあります" in response.content.decode()
    assert Channel.objects.filter(account=account).count() == 4


def test_empty_name_is_refused_beside_the_field(account, channels, marketer):
    rows = as_rows(account)
    rows[0]["name"] = ""
    before = stored(account)
    response = signed_in(marketer).post(URL, page_data(account, rows))
    assert response.status_code == 200
    assert "チャネル名を入力してください。" in response.content.decode()
    assert stored(account) == before


def test_a_blank_new_row_is_skipped(account, channels, marketer):
    rows = [*as_rows(account), {"name": "", "online": True}]
    assert signed_in(marketer).post(URL, page_data(account, rows)).status_code == 302
    assert Channel.objects.filter(account=account).count() == 4


def test_another_accounts_channel_is_a_404(account, channels, other_account, marketer):
    services.channel_defaults_create(account=other_account)
    theirs = Channel.objects.filter(account=other_account).first()
    rows = as_rows(account)
    rows[0]["id"] = theirs.pk
    rows[0]["name"] = "乗っ取り"
    before_theirs = stored(other_account)
    before = stored(account)
    response = signed_in(marketer).post(URL, page_data(account, rows))
    assert response.status_code == 404
    assert stored(other_account) == before_theirs
    assert stored(account) == before


def test_a_stale_page_is_refused_with_409(account, channels, marketer, admin_member):
    loaded = page_data(account)
    # Someone else renames a channel after the page was loaded.
    rows = as_rows(account)
    rows[0]["name"] = "広告（検索）"
    assert (
        signed_in(admin_member).post(URL, page_data(account, rows)).status_code == 302
    )
    mine = as_rows(account)
    mine[0]["name"] = "ディスプレイ広告"
    mine[0]["id"] = rows[0]["id"]
    data = page_data(account, mine)
    data["base_channels"] = loaded["base_channels"]
    client = signed_in(marketer)
    response = client.post(URL, data)
    assert response.status_code == 409
    html = response.content.decode()
    assert "ほかのユーザーが保存しました" in html
    assert "admin" in html  # who saved meanwhile
    assert 'value="ディスプレイ広告"' in html  # what was typed stays
    assert stored(account)[0][0] == "広告（検索）"
    # 上書き保存: the user's list wins.
    data["action"] = "overwrite"
    assert client.post(URL, data).status_code == 302
    assert stored(account)[0][0] == "ディスプレイ広告"


@pytest.mark.parametrize(
    "drop",
    [
        "channels-0-name",
        "channels-0-id",
        "channels-TOTAL_FORMS",
        "base_channels",
        "action",
    ],
)
def test_an_incomplete_form_is_a_400_and_writes_nothing(
    account, channels, marketer, drop
):
    rows = as_rows(account)
    rows[0]["name"] = "変更"
    data = page_data(account, rows)
    del data[drop]
    before = stored(account)
    response = signed_in(marketer).post(URL, data)
    assert response.status_code == 400
    assert stored(account) == before


def test_a_row_beyond_the_count_is_a_400(account, channels, marketer):
    data = page_data(account)
    data["channels-4-id"] = ""
    data["channels-4-name"] = "隠れた行"
    assert signed_in(marketer).post(URL, data).status_code == 400
    assert Channel.objects.filter(account=account).count() == 4


def test_the_list_is_the_accounts_own(account, channels, other_account, outsider):
    """A member of another account sees and saves their own account's list."""
    html = signed_in(outsider).get(URL).content.decode()
    assert 'value="広告"' not in html
    rows = [{"name": "展示会", "online": False}]
    response = signed_in(outsider).post(URL, page_data(other_account, rows, base=True))
    assert response.status_code == 302
    assert stored(other_account) == [("展示会", False, False)]
    assert len(stored(account)) == 4
