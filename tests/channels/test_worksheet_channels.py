"""Worksheets pick their channels from the account's list: a select per row,
the channel's name and Web flag copied, the link kept by a duplicate, an old
row without a channel still readable and saved."""

import datetime
import re
from decimal import Decimal

import pytest
from django.test import Client

from funnel import selectors, services
from funnel.models import Channel, Worksheet, WorksheetChannel
from tests.views.test_worksheets import worksheet_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def channels(account):
    services.channel_defaults_create(account=account)
    return {c.name: c for c in selectors.channel_list(account=account)}


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def selected(html, index):
    select = re.search(
        rf'<select name="channels-{index}-channel"[^>]*>(.*?)</select>', html, re.S
    )
    assert select, f"no select for row {index}"
    option = re.search(r'<option value="([^"]*)" selected>', select.group(1))
    return option.group(1) if option else None


def options(html, index):
    select = re.search(
        rf'<select name="channels-{index}-channel"[^>]*>(.*?)</select>', html, re.S
    )
    return re.findall(r'<option value="([^"]*)"', select.group(1))


def test_a_new_worksheet_starts_with_the_accounts_channels(account, channels, marketer):
    Channel.objects.filter(pk=channels["メルマガ"].pk).update(archived=True)
    html = signed_in(marketer).get("/worksheets/new/").content.decode()
    assert 'name="channels-TOTAL_FORMS" value="3"' in html
    assert selected(html, 0) == str(channels["広告"].pk)
    assert selected(html, 2) == str(channels["展示会"].pk)
    # An archived channel is offered to no row.
    assert str(channels["メルマガ"].pk) not in options(html, 0)
    assert "チャネルを追加・編集" in html
    assert 'href="/account/channels/"' in html


def test_a_picked_channel_gives_its_name_and_web_flag(account, channels, marketer):
    rows = [
        # Typed name and box are the channel's on save.
        {
            "channel": channels["展示会"].pk,
            "name": "x",
            "online": True,
            "meetings": "5",
            "meeting_rate": "50",
        },
        {
            "channel": channels["広告"].pk,
            "name": "広告",
            "online": True,
            "meetings": "10",
            "meeting_rate": "10",
        },
    ]
    response = signed_in(marketer).post("/worksheets/new/", worksheet_data(rows))
    assert response.status_code == 302
    stored = list(
        WorksheetChannel.objects.order_by("position").values_list(
            "name", "online", "channel"
        )
    )
    assert stored == [
        ("展示会", False, channels["展示会"].pk),
        ("広告", True, channels["広告"].pk),
    ]


def test_picking_shows_the_channel_again_without_saving(account, channels, marketer):
    rows = [
        {
            "channel": channels["展示会"].pk,
            "name": "広告",
            "online": True,
            "meetings": "5",
            "meeting_rate": "50",
        },
    ]
    html = (
        signed_in(marketer)
        .post("/worksheets/new/", worksheet_data(rows, action="recompute"))
        .content.decode()
    )
    assert 'type="hidden" name="channels-0-name" value="展示会"' in html
    # Not Web: its leads are not online leads.
    assert re.search(r'id="result-online-leads">([^<]*)<', html).group(1) == "—"
    assert not Worksheet.objects.exists()


def test_another_accounts_channel_is_refused_beside_the_row(
    account, channels, other_account, marketer
):
    services.channel_defaults_create(account=other_account)
    theirs = Channel.objects.filter(account=other_account).first()
    rows = [
        {
            "channel": theirs.pk,
            "name": "広告",
            "online": True,
            "meetings": "10",
            "meeting_rate": "10",
        }
    ]
    response = signed_in(marketer).post("/worksheets/new/", worksheet_data(rows))
    assert response.status_code == 200
    assert "このチャネルはチャネル一覧にありません" in response.content.decode()
    assert not Worksheet.objects.exists()


def test_an_old_row_without_a_channel_stays_readable_and_saves(
    account, channels, marketer
):
    worksheet = Worksheet.objects.create(
        account=account, name="旧", entry_date=datetime.date(2026, 4, 1)
    )
    WorksheetChannel.objects.create(
        worksheet=worksheet,
        position=1,
        name="ウェビナー",
        online=True,
        meetings=4,
        meeting_rate=Decimal("25"),
    )
    client = signed_in(marketer)
    html = client.get(f"/worksheets/{worksheet.pk}/").content.decode()
    assert selected(html, 0) == ""
    assert re.search(
        r'<input type="text" name="channels-0-name"[^>]*value="ウェビナー"', html
    )
    rows = [
        {
            "channel": "",
            "name": "ウェビナー",
            "online": True,
            "meetings": "4",
            "meeting_rate": "25",
        }
    ]
    data = worksheet_data(rows, loaded=worksheet, **{"name": "旧"})
    assert client.post(f"/worksheets/{worksheet.pk}/", data).status_code == 302
    row = WorksheetChannel.objects.get(worksheet=worksheet)
    assert (row.name, row.channel) == ("ウェビナー", None)


def test_a_typed_name_of_a_listed_channel_is_linked(account, channels, marketer):
    rows = [
        {
            "channel": "",
            "name": "ｵｰｶﾞﾆｯｸ",
            "online": True,
            "meetings": "20",
            "meeting_rate": "30",
        }
    ]
    assert (
        signed_in(marketer).post("/worksheets/new/", worksheet_data(rows)).status_code
        == 302
    )
    assert WorksheetChannel.objects.get().channel == channels["オーガニック"]


def test_a_row_of_an_archived_channel_keeps_it(account, channels, marketer):
    worksheet = Worksheet.objects.create(
        account=account, name="旧", entry_date=datetime.date(2026, 4, 1)
    )
    WorksheetChannel.objects.create(
        worksheet=worksheet,
        position=1,
        name="メルマガ",
        online=True,
        channel=channels["メルマガ"],
    )
    Channel.objects.filter(pk=channels["メルマガ"].pk).update(archived=True)
    html = signed_in(marketer).get(f"/worksheets/{worksheet.pk}/").content.decode()
    assert selected(html, 0) == str(channels["メルマガ"].pk)
    assert "（アーカイブ）" in html


def test_duplicate_copies_the_channel_link(account, channels, marketer):
    worksheet = Worksheet.objects.create(
        account=account, name="元", entry_date=datetime.date(2026, 4, 1)
    )
    WorksheetChannel.objects.create(
        worksheet=worksheet,
        position=1,
        name="広告",
        online=True,
        channel=channels["広告"],
    )
    response = signed_in(marketer).post(f"/worksheets/{worksheet.pk}/duplicate/")
    assert response.status_code == 302
    copy = Worksheet.objects.exclude(pk=worksheet.pk).get()
    assert copy.channels.get().channel == channels["広告"]


def test_a_manager_sees_the_picked_channel_disabled(account, channels, manager):
    worksheet = Worksheet.objects.create(
        account=account, name="元", entry_date=datetime.date(2026, 4, 1)
    )
    WorksheetChannel.objects.create(
        worksheet=worksheet,
        position=1,
        name="広告",
        online=True,
        channel=channels["広告"],
    )
    html = signed_in(manager).get(f"/worksheets/{worksheet.pk}/").content.decode()
    select = re.search(r'<select name="channels-0-channel"[^>]*>', html).group(0)
    assert " disabled" in select
    assert "hx-post" not in select
