"""The revenue worksheet over the Django test client: list, create, edit, channel
actions, live recompute, validation, duplicate, delete, print, apply to the grid,
account scoping, permissions and query counts."""

import datetime
import re
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from funnel import selectors, services
from funnel.models import (
    Basis,
    MonthlyActual,
    MonthlyGoal,
    Worksheet,
    WorksheetChannel,
)

pytestmark = pytest.mark.django_db

D = Decimal
HX = {"HX-Request": "true"}

# The seed's worked example: 5,000万 total, 1,200万 web, 400万 a deal, 30 % win,
# 25 % opportunity, channels 広告 10 @ 10 %, オーガニック 20 @ 30 %, メルマガ 10 @ 20 %.
SEED_FIELDS = {
    "name": "2026年度 計画",
    "entry_date": "2026-04-01",
    "basis": "monthly",
    "total_revenue": "50,000,000",
    "web_revenue": "12,000,000",
    "unit_price": "4,000,000",
    "win_rate": "30",
    "opportunity_rate": "25",
    "cv_rate": "1",
}
SEED_CHANNELS = [
    {"name": "広告", "online": True, "meetings": "10", "meeting_rate": "10"},
    {"name": "オーガニック", "online": True, "meetings": "20", "meeting_rate": "30"},
    {"name": "メルマガ", "online": True, "meetings": "10", "meeting_rate": "20"},
]


def loaded_base(worksheet):
    """The hidden base_* inputs the edit page of a stored worksheet carries
    when it is loaded now (what a 保存 is compared with)."""
    stored = selectors.worksheet_get(account=worksheet.account, pk=worksheet.pk)
    return {
        f"base_{name}": value
        for name, value in services.worksheet_snapshot(stored).items()
    }


def worksheet_data(channels=None, action="save", loaded=None, **fields):
    """Form data as the browser sends it: the worksheet fields, the channel
    formset (an unchecked online box is absent), the button pressed and, for
    a stored worksheet (``loaded``), what its page was loaded with."""
    data = {**SEED_FIELDS, **fields}
    data = {key: value for key, value in data.items() if value is not None}
    channels = SEED_CHANNELS if channels is None else channels
    data["channels-TOTAL_FORMS"] = str(len(channels))
    data["channels-INITIAL_FORMS"] = "0"
    for index, channel in enumerate(channels):
        prefix = f"channels-{index}-"
        data[prefix + "channel"] = str(channel.get("channel", ""))
        data[prefix + "name"] = channel["name"]
        if channel.get("online"):
            data[prefix + "online"] = "on"
        data[prefix + "meetings"] = channel.get("meetings", "")
        data[prefix + "meeting_rate"] = channel.get("meeting_rate", "")
    if action is not None:
        data["action"] = action
    if loaded is not None:
        data.update(loaded_base(loaded))
    return data


def make_worksheet(account, channels=None, **fields):
    """A stored worksheet, by default the seed example (monthly, CV率 1 %)."""
    values = {
        "name": "2026年度 計画",
        "entry_date": datetime.date(2026, 4, 1),
        "basis": Basis.MONTHLY,
        "total_revenue": 50_000_000,
        "web_revenue": 12_000_000,
        "unit_price": 4_000_000,
        "win_rate": D("30"),
        "opportunity_rate": D("25"),
        "cv_rate": D("1"),
    } | fields
    worksheet = Worksheet.objects.create(account=account, **values)
    if channels is None:
        channels = [
            ("広告", True, 10, D("10")),
            ("オーガニック", True, 20, D("30")),
            ("メルマガ", True, 10, D("20")),
        ]
    WorksheetChannel.objects.bulk_create(
        WorksheetChannel(
            worksheet=worksheet,
            position=position,
            name=name,
            online=online,
            meetings=meetings,
            meeting_rate=rate,
        )
        for position, (name, online, meetings, rate) in enumerate(channels, start=1)
    )
    return worksheet


def snapshot():
    """Every stored worksheet, channel and goal row, to compare before/after."""
    return (
        list(Worksheet.objects.order_by("pk").values()),
        list(WorksheetChannel.objects.order_by("pk").values()),
        list(MonthlyGoal.objects.order_by("pk").values()),
    )


def text_of(html, element_id):
    """The text of the element with this id (up to its first child tag)."""
    match = re.search(rf'id="{re.escape(element_id)}"[^>]*>([^<]*)<', html)
    assert match, f"no element with id {element_id!r}"
    return match.group(1)


def input_value(html, name):
    """The value="…" of the text input with this name."""
    match = re.search(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>', html)
    assert match, f"no input named {name!r}"
    value = re.search(r'\bvalue="([^"]*)"', match.group(0))
    return value.group(1) if value else None


def is_checked(html, name):
    match = re.search(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>', html)
    assert match, f"no input named {name!r}"
    return bool(re.search(r"\schecked\b", match.group(0)))


def recompute(client, **params):
    data = worksheet_data(action=None, **params)
    return client.get("/worksheets/recompute/", data, headers=HX)


# --- list ----------------------------------------------------------------------


def test_list_shows_worksheets_newest_entry_date_first(marketer_client, account):
    make_worksheet(account, name="一月の計画", entry_date=datetime.date(2026, 1, 15))
    make_worksheet(
        account,
        name="三月の計画",
        entry_date=datetime.date(2026, 3, 1),
        basis=Basis.ANNUAL,
    )
    make_worksheet(account, name="昨年の計画", entry_date=datetime.date(2025, 12, 1))
    response = marketer_client.get("/worksheets/")
    assert response.status_code == 200
    html = response.content.decode()
    positions = [
        html.index(name) for name in ("三月の計画", "一月の計画", "昨年の計画")
    ]
    assert positions == sorted(positions)
    assert "2026年3月1日" in html and "2026年1月15日" in html
    assert "2025年12月1日" in html
    row = html[html.index("三月の計画") : html.index("</tr>", html.index("三月"))]
    assert "<td>年間</td>" in row
    assert "1,200万円" in row  # Web売上
    assert ">217<" in row  # リード数
    assert ">21,700<" in row  # 訪問数
    first = html[html.index("一月の計画") : html.index("</tr>", html.index("一月"))]
    assert "<td>月次</td>" in first


def test_list_empty_and_new_link(marketer_client):
    html = marketer_client.get("/worksheets/").content.decode()
    assert "ワークシートはまだありません。" in html
    assert 'href="/worksheets/new/"' in html


def test_list_shows_only_own_account(marketer_client, account, other_account):
    make_worksheet(account, name="自社の計画")
    make_worksheet(other_account, name="他社の秘密計画")
    html = marketer_client.get("/worksheets/").content.decode()
    assert "自社の計画" in html
    assert "他社の秘密計画" not in html


# --- create ----------------------------------------------------------------------


def test_new_page_shows_default_channels_with_empty_numbers(marketer_client):
    response = marketer_client.get("/worksheets/new/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "BtoBマーケティングにおける目標設定" in html
    assert input_value(html, "channels-TOTAL_FORMS") == "3"
    for index, name in enumerate(("広告", "オーガニック", "メルマガ")):
        assert input_value(html, f"channels-{index}-name") == name
        assert is_checked(html, f"channels-{index}-online")
        assert input_value(html, f"channels-{index}-meetings") == ""
        assert input_value(html, f"channels-{index}-meeting_rate") == ""
    assert "channels-3-name" not in html
    for field in ("total_revenue", "web_revenue", "unit_price", "win_rate", "cv_rate"):
        assert input_value(html, field) == ""
    assert "保存</button>" in html
    assert Worksheet.objects.count() == 0


def test_save_creates_and_redirects_to_detail(marketer_client, account, marketer):
    response = marketer_client.post("/worksheets/new/", worksheet_data())
    assert response.status_code == 302
    worksheet = Worksheet.objects.get()
    assert response["Location"] == f"/worksheets/{worksheet.pk}/"
    assert worksheet.account == account
    assert worksheet.updated_by == marketer
    assert worksheet.name == "2026年度 計画"
    assert worksheet.entry_date == datetime.date(2026, 4, 1)
    assert worksheet.basis == Basis.MONTHLY
    assert (
        worksheet.total_revenue,
        worksheet.web_revenue,
        worksheet.unit_price,
    ) == (50_000_000, 12_000_000, 4_000_000)
    assert (worksheet.win_rate, worksheet.opportunity_rate, worksheet.cv_rate) == (
        D("30"),
        D("25"),
        D("1"),
    )
    assert worksheet.skip_opportunity is False
    assert [
        (c.position, c.name, c.online, c.meetings, c.meeting_rate)
        for c in worksheet.channels.all()
    ] == [
        (1, "広告", True, 10, D("10")),
        (2, "オーガニック", True, 20, D("30")),
        (3, "メルマガ", True, 10, D("20")),
    ]
    page = marketer_client.get(response["Location"]).content.decode()
    assert "ワークシート「2026年度 計画」を保存しました。" in page
    assert text_of(page, "result-visits") == "21,700"
    assert input_value(page, "web_revenue") == "12,000,000"


def test_htmx_save_of_new_worksheet_redirects_the_browser(marketer_client):
    response = marketer_client.post("/worksheets/new/", worksheet_data(), headers=HX)
    worksheet = Worksheet.objects.get()
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/worksheets/{worksheet.pk}/"


def test_entirely_empty_channel_rows_are_not_stored(marketer_client):
    channels = [*SEED_CHANNELS, {"name": "", "meetings": "", "meeting_rate": ""}]
    response = marketer_client.post("/worksheets/new/", worksheet_data(channels))
    assert response.status_code == 302
    assert WorksheetChannel.objects.count() == 3


# --- detail, rename -------------------------------------------------------------


def test_detail_shows_stored_worksheet(marketer_client, account):
    worksheet = make_worksheet(account)
    response = marketer_client.get(f"/worksheets/{worksheet.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert input_value(html, "name") == "2026年度 計画"
    assert input_value(html, "total_revenue") == "50,000,000"
    assert input_value(html, "win_rate") == "30"
    assert input_value(html, "channels-1-name") == "オーガニック"
    assert text_of(html, "result-nonweb") == "3,800万円"
    assert text_of(html, "result-meetings") == "40"
    assert text_of(html, "channel-2-leads") == "67"
    assert text_of(html, "result-visits") == "21,700"
    for action in ("duplicate/", "delete/", "apply/", "print/"):
        assert f"/worksheets/{worksheet.pk}/{action}" in html


def test_rename_saves_the_new_name(marketer_client, account, marketer):
    worksheet = make_worksheet(account, name="旧名")
    response = marketer_client.post(
        f"/worksheets/{worksheet.pk}/",
        worksheet_data(name="新しい名前", loaded=worksheet),
    )
    assert response.status_code == 302
    assert response["Location"] == f"/worksheets/{worksheet.pk}/"
    worksheet.refresh_from_db()
    assert worksheet.name == "新しい名前"
    assert worksheet.updated_by == marketer
    assert Worksheet.objects.count() == 1
    assert list(worksheet.channels.values_list("name", "meetings")) == [
        ("広告", 10),
        ("オーガニック", 20),
        ("メルマガ", 10),
    ]


def test_htmx_save_of_existing_worksheet_answers_with_the_form(
    marketer_client, account
):
    worksheet = make_worksheet(account)
    response = marketer_client.post(
        f"/worksheets/{worksheet.pk}/",
        worksheet_data(name="改名", loaded=worksheet),
        headers=HX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    assert html.lstrip().startswith('<form id="worksheet-form"')
    assert "<html" not in html
    assert "ワークシート「改名」を保存しました。" in html
    worksheet.refresh_from_db()
    assert worksheet.name == "改名"


def test_update_replaces_the_channels(marketer_client, account):
    worksheet = make_worksheet(account)
    channels = [
        {"name": "展示会", "online": False, "meetings": "5", "meeting_rate": "50"},
        {"name": "広告", "online": True, "meetings": "35", "meeting_rate": "25"},
    ]
    marketer_client.post(
        f"/worksheets/{worksheet.pk}/", worksheet_data(channels, loaded=worksheet)
    )
    assert list(
        worksheet.channels.values_list("position", "name", "online", "meetings")
    ) == [(1, "展示会", False, 5), (2, "広告", True, 35)]
    assert WorksheetChannel.objects.count() == 2


# --- duplicate ------------------------------------------------------------------


def test_duplicate_copies_worksheet_and_channels(marketer_client, account):
    original = make_worksheet(
        account,
        name="元の計画",
        channels=[("広告", True, 10, D("10")), ("展示会", False, 5, D("50"))],
    )
    before = snapshot()
    response = marketer_client.post(f"/worksheets/{original.pk}/duplicate/")
    assert response.status_code == 302
    copy = Worksheet.objects.exclude(pk=original.pk).get()
    assert response["Location"] == f"/worksheets/{copy.pk}/"
    assert copy.name == "元の計画 のコピー"
    assert copy.account == account
    for field in (
        "entry_date",
        "basis",
        "total_revenue",
        "web_revenue",
        "unit_price",
        "win_rate",
        "opportunity_rate",
        "skip_opportunity",
        "cv_rate",
    ):
        assert getattr(copy, field) == getattr(original, field), field
    fields = ("position", "name", "online", "meetings", "meeting_rate")
    assert list(copy.channels.values_list(*fields)) == list(
        original.channels.values_list(*fields)
    )
    # The original and its channels are untouched.
    after = snapshot()
    assert [w for w in after[0] if w["id"] == original.pk] == before[0]
    assert [c for c in after[1] if c["worksheet_id"] == original.pk] == before[1]
    page = marketer_client.get(response["Location"]).content.decode()
    assert "ワークシートを複製しました。" in page


def test_duplicate_by_get_is_refused(marketer_client, account):
    worksheet = make_worksheet(account)
    assert (
        marketer_client.get(f"/worksheets/{worksheet.pk}/duplicate/").status_code == 405
    )
    assert Worksheet.objects.count() == 1


# --- delete ---------------------------------------------------------------------


def test_delete_get_confirms_and_deletes_nothing(marketer_client, account):
    worksheet = make_worksheet(account, name="消す候補")
    before = snapshot()
    response = marketer_client.get(f"/worksheets/{worksheet.pk}/delete/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "ワークシート「消す候補」を削除します。元に戻せません。" in html
    assert "削除する</button>" in html
    assert snapshot() == before


def test_delete_post_removes_worksheet_and_channels(marketer_client, account):
    worksheet = make_worksheet(account, name="消す計画")
    kept = make_worksheet(account, name="残す計画")
    response = marketer_client.post(f"/worksheets/{worksheet.pk}/delete/")
    assert response.status_code == 302
    assert response["Location"] == "/worksheets/"
    assert not Worksheet.objects.filter(pk=worksheet.pk).exists()
    assert not WorksheetChannel.objects.filter(worksheet_id=worksheet.pk).exists()
    assert Worksheet.objects.get() == kept
    assert kept.channels.count() == 3
    page = marketer_client.get("/worksheets/").content.decode()
    assert "ワークシート「消す計画」を削除しました。" in page


# --- print ----------------------------------------------------------------------


def test_print_page(marketer_client, account):
    worksheet = make_worksheet(account, name="印刷用")
    response = marketer_client.get(f"/worksheets/{worksheet.pk}/print/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "印刷用" in html and "2026年4月1日" in html
    assert "3,800万円" in html and "21,700" in html
    assert "<input" not in html


# --- live recompute (the seed example) ------------------------------------------


def test_recompute_seed_example(marketer_client):
    response = recompute(marketer_client)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<input" not in html and "<html" not in html
    expected = {
        "result-nonweb": "3,800万円",
        "result-orders": "3",
        "result-opportunities": "10",
        "result-meetings": "40",
        "result-allotted": "40",
        "result-leads-total": "217",
        "result-online-leads": "217",
        "result-visits": "21,700",
        "channel-1-leads": "100",
        "channel-2-leads": "67",
        "channel-3-leads": "50",
    }
    assert {key: text_of(html, key) for key in expected} == expected
    assert 'id="formula-1" hx-swap-oob="true"' in html
    assert "④の商談数と一致しています。" in html
    assert "10件 / 案件化率 25% = 商談数" in html
    assert "③は省略しています" not in html
    assert Worksheet.objects.count() == 0


def test_recompute_skipping_step_3(marketer_client):
    html = recompute(marketer_client, skip_opportunity="on").content.decode()
    assert text_of(html, "result-orders") == "3"
    assert text_of(html, "result-meetings") == "10"  # 3 / 30 % = 10
    assert "③は省略しています（④の商談数を母数にします）。" in html
    assert "3件 / 受注率 30% = 商談数" in html
    assert "案件化率 25% = 商談数" not in html
    # 40 meetings allotted to channels against 10 needed: an excess, not a refusal.
    assert "④より 30件 多く割り当てています。" in html


def test_recompute_offline_channel_is_not_online_leads(marketer_client):
    channels = [dict(channel) for channel in SEED_CHANNELS]
    channels[1]["online"] = False  # オーガニック 67 leads: offline now
    html = recompute(marketer_client, channels=channels).content.decode()
    assert text_of(html, "channel-2-leads") == "67"
    assert text_of(html, "result-leads-total") == "217"
    assert text_of(html, "result-online-leads") == "150"
    assert text_of(html, "result-visits") == "15,000"


def test_recompute_shows_remainder_to_allot(marketer_client):
    channels = [dict(channel) for channel in SEED_CHANNELS]
    channels[2]["meetings"] = ""
    html = recompute(marketer_client, channels=channels).content.decode()
    assert text_of(html, "result-allotted") == "30"
    assert "④まであと 10件 をチャネルに割り当ててください。" in html


def test_recompute_shows_field_errors(marketer_client):
    html = recompute(marketer_client, win_rate="101").content.decode()
    assert "0より大きく100以下の値を入力してください（%）。" in html
    assert text_of(html, "result-opportunities") == "—"
    assert "<input" not in html


def test_recompute_empties_every_message_then_answers_the_ones_there_are(
    marketer_client,
):
    channels = [dict(channel) for channel in SEED_CHANNELS]
    channels[1]["meeting_rate"] = "x"
    html = recompute(
        marketer_client, win_rate="101", cv_rate="-1", channels=channels
    ).content.decode()
    # First, so that the messages after it are shown and every other is empty.
    assert html.startswith(
        '<span hx-swap-oob="innerHTML:#worksheet-form .field-error[data-for]"></span>'
    )
    answered = re.findall(r'id="(id_[a-z_0-9-]+)-error"[^>]*>([^<]*)<', html)
    assert answered == [
        ("id_win_rate", "0より大きく100以下の値を入力してください（%）。"),
        (
            "id_cv_rate",
            "マイナスの値は入力できません。0より大きく100以下の値にしてください。",
        ),
        (
            "id_channels-1-meeting_rate",
            "率を数値で入力してください（例: 1.5 または 1.5%）。",
        ),
    ]


def test_noscript_recompute_button_shows_results_without_saving(marketer_client):
    response = marketer_client.post(
        "/worksheets/new/", worksheet_data(action="recompute")
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert text_of(html, "result-visits") == "21,700"
    assert input_value(html, "channels-1-meetings") == "20"
    assert Worksheet.objects.count() == 0


def _element(html, element_id):
    """The element with this id, as written (its first closing tag ends it)."""
    match = re.search(
        rf'<(\w+)[^>]*\bid="{re.escape(element_id)}"[^>]*>.*?</\1>', html, re.S
    )
    assert match, f"no element with id {element_id!r}"
    return match.group(0)


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"skip_opportunity": "on", "win_rate": "50"},
        {"opportunity_rate": "abc", "cv_rate": ""},
    ],
)
def test_recompute_swaps_in_what_the_page_shows_for_the_same_inputs(
    marketer_client, changes
):
    """The live figures and the page (here after the no-JavaScript 再計算) are
    the same markup: every swapped element reads as the page's own."""
    page = marketer_client.post(
        "/worksheets/new/", worksheet_data(action="recompute", **changes)
    ).content.decode()
    swaps = recompute(marketer_client, **changes).content.decode()
    ids = [
        *(f"formula-{step}" for step in (1, 2, 3, 4, 6)),
        "allotment",
        "lead-totals",
        "warning-win_rate",
        "warning-opportunity_rate",
        *(f"channel-{n}-{part}" for n in (1, 2, 3) for part in ("result", "warning")),
    ]
    for element_id in ids:
        swapped = _element(swaps, element_id)
        assert ' hx-swap-oob="true"' in swapped, element_id
        assert swapped.replace(' hx-swap-oob="true"', "") == _element(page, element_id)


def test_a_refused_date_names_its_message(marketer_client):
    html = marketer_client.post(
        "/worksheets/new/", worksheet_data(entry_date="2026-13-01")
    ).content.decode()
    date_input = re.search(r'<input type="date"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in date_input
    assert 'aria-describedby="id_entry_date-error"' in date_input
    assert text_of(html, "id_entry_date-error") == (
        "記入日を正しい日付で入力してください（例: 2026-04-01）。"
    )


def test_recompute_without_htmx_goes_to_the_list(marketer_client):
    response = marketer_client.get("/worksheets/recompute/")
    assert response.status_code == 302
    assert response["Location"] == "/worksheets/"


# --- validation -------------------------------------------------------------------

BAD_INPUTS = [
    pytest.param(
        {"total_revenue": "10,000,000", "web_revenue": "12,000,000"},
        "12,000,000",
        "Web売上は全体売上以下にしてください（全体売上の一部です）。",
        id="web-above-total",
    ),
    pytest.param(
        {"unit_price": "0"}, "0", "受注単価は1円以上で入力してください。", id="price-0"
    ),
    pytest.param(
        {"win_rate": "0"},
        "0",
        "0より大きく100以下の値を入力してください（%）。",
        id="rate-0",
    ),
    pytest.param(
        {"opportunity_rate": "101"},
        "101",
        "0より大きく100以下の値を入力してください（%）。",
        id="rate-101",
    ),
    pytest.param(
        {"cv_rate": "-1"},
        "-1",
        "マイナスの値は入力できません。0より大きく100以下の値にしてください。",
        id="rate-negative",
    ),
    pytest.param(
        {"total_revenue": "-50,000,000"},
        "-50,000,000",
        "マイナスの金額は入力できません。0円以上で入力してください。",
        id="yen-negative",
    ),
    pytest.param(
        {"unit_price": "abc"},
        "abc",
        "金額を入力してください（例: 12,000,000、1,200万円、1.2億、1億2,000万円）。",
        id="yen-abc",
    ),
    pytest.param(
        {"total_revenue": "0.5円"},
        "0.5円",
        "円未満の金額は入力できません。1円単位になる金額を入力してください（例: 1,200万円）。",
        id="yen-below-one-yen",
    ),
    pytest.param(
        {"unit_price": "1.23456万"},
        "1.23456万",
        "円未満の金額は入力できません。1円単位になる金額を入力してください（例: 1,200万円）。",
        id="yen-man-below-one-yen",
    ),
    pytest.param(
        {"web_revenue": "1億5000"},
        "1億5000",
        "金額を入力してください（例: 12,000,000、1,200万円、1.2億、1億2,000万円）。",
        id="yen-ambiguous-oku",
    ),
    pytest.param(
        {"win_rate": "abc"},
        "abc",
        "率を数値で入力してください（例: 1.5 または 1.5%）。",
        id="rate-abc",
    ),
    pytest.param(
        {"channels-0-meetings": "1.5"},
        "1.5",
        "小数は入力できません。整数を入力してください。",
        id="count-fraction",
    ),
    pytest.param(
        {"channels-0-meetings": "-3"},
        "-3",
        "マイナスの値は入力できません。0以上の整数を入力してください。",
        id="count-negative",
    ),
    pytest.param(
        {"channels-1-name": "", "channels-1-meetings": "25"},
        "25",
        "チャネル名を入力してください。",
        id="channel-name-missing",
    ),
    pytest.param(
        {"name": ""},
        "",
        "ワークシート名を入力してください。",
        id="name-missing",
    ),
]


def _bad_post(changes, loaded=None):
    data = worksheet_data(loaded=loaded)
    data.update(changes)
    return data


def _assert_refused(response, changes, typed, message):
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert (
        "入力内容に誤りがあります。赤く表示された欄を直してから保存してください。"
        in html
    )
    assert 'aria-invalid="true"' in html
    # The typed text stays in the inputs: the bad one and the good ones.
    for name, value in changes.items():
        assert input_value(html, name) == value, name
    assert f'value="{typed}"' in html
    assert input_value(html, "unit_price") == changes.get("unit_price", "4,000,000")
    assert input_value(html, "channels-2-name") == "メルマガ"
    assert input_value(html, "channels-2-meeting_rate") == "20"


@pytest.mark.parametrize(("changes", "typed", "message"), BAD_INPUTS)
def test_bad_input_on_create_is_refused_and_nothing_stored(
    marketer_client, account, changes, typed, message
):
    make_worksheet(account, name="既存")
    before = snapshot()
    response = marketer_client.post("/worksheets/new/", _bad_post(changes))
    _assert_refused(response, changes, typed, message)
    assert snapshot() == before


@pytest.mark.parametrize(("changes", "typed", "message"), BAD_INPUTS)
def test_bad_input_on_update_is_refused_and_nothing_changes(
    marketer_client, account, changes, typed, message
):
    worksheet = make_worksheet(account, name="既存")
    before = snapshot()
    response = marketer_client.post(
        f"/worksheets/{worksheet.pk}/",
        _bad_post({"name": "改名", **changes}, worksheet),
    )
    _assert_refused(response, changes, typed, message)
    assert snapshot() == before


def test_bad_input_over_htmx_answers_with_the_form(marketer_client, account):
    worksheet = make_worksheet(account)
    before = snapshot()
    response = marketer_client.post(
        f"/worksheets/{worksheet.pk}/",
        _bad_post({"win_rate": "abc"}, worksheet),
        headers=HX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<form id="worksheet-form"')
    assert "率を数値で入力してください" in html
    assert input_value(html, "win_rate") == "abc"
    assert snapshot() == before


def test_japanese_input_forms_are_accepted(marketer_client):
    data = worksheet_data(
        total_revenue=" ５０，０００，０００ ",
        web_revenue="１２，０００，０００",
        unit_price="4000000",
        win_rate="30 %",
        opportunity_rate="２５％",
        cv_rate="１．５%",
    )
    data["channels-0-meetings"] = "１０"
    data["channels-0-meeting_rate"] = "３０％"
    response = marketer_client.post("/worksheets/new/", data)
    assert response.status_code == 302
    worksheet = Worksheet.objects.get()
    assert worksheet.total_revenue == 50_000_000
    assert worksheet.web_revenue == 12_000_000
    assert worksheet.unit_price == 4_000_000
    assert worksheet.win_rate == D("30")
    assert worksheet.opportunity_rate == D("25")
    assert worksheet.cv_rate == D("1.5")
    first = worksheet.channels.get(position=1)
    assert (first.meetings, first.meeting_rate) == (10, D("30"))


@pytest.mark.parametrize(
    ("total", "web", "price", "stored"),
    [
        ("5000万", "1,200万円", "400万", (50_000_000, 12_000_000, 4_000_000)),
        (
            "50,000,000円",
            "¥12,000,000",
            "￥４００万",
            (50_000_000, 12_000_000, 4_000_000),
        ),
        ("1.2億", "1億2,000万", "1億2000万円", (120_000_000, 120_000_000, 120_000_000)),
    ],
)
def test_money_as_people_write_it_is_saved_in_yen(
    marketer_client, total, web, price, stored
):
    response = marketer_client.post(
        "/worksheets/new/",
        worksheet_data(total_revenue=total, web_revenue=web, unit_price=price),
    )
    assert response.status_code == 302
    worksheet = Worksheet.objects.get()
    assert (worksheet.total_revenue, worksheet.web_revenue, worksheet.unit_price) == (
        stored
    )
    # Shown again the way the page shows amounts, and read back the same.
    html = marketer_client.get(worksheet.get_absolute_url()).content.decode()
    assert input_value(html, "total_revenue") == f"{stored[0]:,}"


def test_money_with_units_recomputes_as_typed(marketer_client):
    html = recompute(
        marketer_client,
        total_revenue="5000万",
        web_revenue="1,200万円",
        unit_price="400万",
    ).content.decode()
    assert text_of(html, "result-nonweb") == "3,800万円"
    assert text_of(html, "result-orders") == "3"
    assert 'id="id_total_revenue-error"' not in html  # nothing refused


def test_the_page_says_how_money_may_be_typed(marketer_client):
    html = marketer_client.get("/worksheets/new/").content.decode()
    assert (
        "「5000万」「1,200万円」「1.2億」「1億2,000万円」のようにも入力できます" in html
    )
    # No numeric keyboard for money on phones: it has no 万 or 億.
    total = re.search(r'<input[^>]*name="total_revenue"[^>]*>', html).group(0)
    assert "inputmode" not in total


# --- one refused input blanks only the steps that need it ------------------------

STEPS = (
    "result-nonweb",
    "result-orders",
    "result-opportunities",
    "result-meetings",
    "result-visits",
)


@pytest.mark.parametrize(
    ("changes", "shown"),
    [
        pytest.param(
            {"total_revenue": "abc"},
            ("—", "3", "10", "40", "21,700"),
            id="total-refused",
        ),
        pytest.param(
            {"total_revenue": "0.5円"},
            ("—", "3", "10", "40", "21,700"),
            id="total-below-one-yen",
        ),
        # Web売上 above 全体売上: ① has no figure, ② … follow the web revenue.
        pytest.param(
            {"web_revenue": "6,000万"},
            ("—", "15", "50", "200", "21,700"),
            id="web-above-total",
        ),
        pytest.param(
            {"web_revenue": "abc"},
            ("—", "—", "—", "—", "21,700"),
            id="web-refused",
        ),
        pytest.param(
            {"unit_price": "0"},
            ("3,800万円", "—", "—", "—", "21,700"),
            id="price-zero",
        ),
        pytest.param(
            {"win_rate": "0"},
            ("3,800万円", "3", "—", "—", "21,700"),
            id="win-rate-refused",
        ),
        pytest.param(
            {"opportunity_rate": "abc"},
            ("3,800万円", "3", "10", "—", "21,700"),
            id="opportunity-rate-refused",
        ),
        # With ③ skipped the 案件化率 is not needed: its refusal blanks nothing.
        pytest.param(
            {"opportunity_rate": "abc", "skip_opportunity": "on"},
            ("3,800万円", "3", "—", "10", "21,700"),
            id="opportunity-rate-refused-skipped",
        ),
        pytest.param(
            {"cv_rate": "abc"},
            ("3,800万円", "3", "10", "40", "—"),
            id="cv-rate-refused",
        ),
        pytest.param(
            {"name": "", "entry_date": "x"},
            ("3,800万円", "3", "10", "40", "21,700"),
            id="head-refused",
        ),
    ],
)
def test_a_refused_input_blanks_only_the_steps_that_need_it(
    marketer_client, changes, shown
):
    live = recompute(marketer_client, **changes).content.decode()
    assert tuple(text_of(live, step) for step in STEPS) == shown
    response = marketer_client.post("/worksheets/new/", worksheet_data(**changes))
    assert response.status_code == 200  # refused, shown again
    page = response.content.decode()
    assert tuple(text_of(page, step) for step in STEPS) == shown
    assert Worksheet.objects.count() == 0


def test_web_above_total_is_still_refused_beside_web_revenue(marketer_client):
    response = marketer_client.post(
        "/worksheets/new/", worksheet_data(web_revenue="6,000万")
    )
    html = response.content.decode()
    assert "Web売上は全体売上以下にしてください（全体売上の一部です）。" in html
    assert input_value(html, "web_revenue") == "6,000万"
    assert Worksheet.objects.count() == 0


# --- ③ skipped: the 案件化率 is hidden, kept and not warned about ------------------


def _opportunity_field(html):
    match = re.search(r'<p class="field" id="opportunity-rate-field"[^>]*>', html)
    assert match, "no 案件化率 field"
    return match.group(0)


def test_skipping_step_3_hides_the_opportunity_rate_and_keeps_it(
    marketer_client, account
):
    worksheet = make_worksheet(account, skip_opportunity=True, opportunity_rate=D(80))
    html = marketer_client.get(worksheet.get_absolute_url()).content.decode()
    assert " hidden" in _opportunity_field(html)
    # Hidden, not disabled: the browser still sends it, so it is kept.
    assert input_value(html, "opportunity_rate") == "80"
    assert "disabled" not in re.search(
        r'<input[^>]*name="opportunity_rate"[^>]*>', html
    ).group(0)
    assert 'id="opportunity-rate-skipped">' in html  # the note, shown
    # 80 % is outside 40–60 %, but not used: no warning.
    assert text_of(html, "warning-opportunity_rate") == ""
    response = marketer_client.post(
        worksheet.get_absolute_url(),
        worksheet_data(skip_opportunity="on", opportunity_rate="80", loaded=worksheet),
    )
    assert response.status_code == 302
    worksheet.refresh_from_db()
    assert (worksheet.skip_opportunity, worksheet.opportunity_rate) == (True, D(80))


def test_not_skipping_step_3_shows_the_opportunity_rate_and_its_warning(
    marketer_client, account
):
    worksheet = make_worksheet(account, opportunity_rate=D(80))
    html = marketer_client.get(worksheet.get_absolute_url()).content.decode()
    assert " hidden" not in _opportunity_field(html)
    assert 'id="opportunity-rate-skipped" hidden>' in html
    assert text_of(html, "warning-opportunity_rate") == (
        "参考値の範囲外です。前提を見直してみてください。"
    )


def test_recompute_with_step_3_skipped_sends_no_opportunity_rate_warning(
    marketer_client,
):
    html = recompute(
        marketer_client, skip_opportunity="on", opportunity_rate="80"
    ).content.decode()
    assert text_of(html, "warning-opportunity_rate") == ""
    html = recompute(marketer_client, opportunity_rate="80").content.decode()
    assert text_of(html, "warning-opportunity_rate") != ""


def test_a_refused_opportunity_rate_stays_in_sight_when_skipped(marketer_client):
    response = marketer_client.post(
        "/worksheets/new/",
        worksheet_data(skip_opportunity="on", opportunity_rate="abc"),
    )
    html = response.content.decode()
    assert " hidden" not in _opportunity_field(html)
    assert "率を数値で入力してください" in html
    assert Worksheet.objects.count() == 0


def test_the_content_hint_names_no_vendor(marketer_client):
    html = marketer_client.get("/worksheets/new/").content.decode()
    assert "コンテンツの目安: 60記事以上で月約4,000〜4,500訪問。" in html
    assert "ferret" not in html and "中央値" not in html


@pytest.mark.parametrize("typed", ["30 %", "３０％", "30%", "３０"])
def test_rate_forms_parse_on_update(marketer_client, account, typed):
    worksheet = make_worksheet(account, win_rate=D("20"))
    response = marketer_client.post(
        f"/worksheets/{worksheet.pk}/", worksheet_data(win_rate=typed, loaded=worksheet)
    )
    assert response.status_code == 302
    worksheet.refresh_from_db()
    assert worksheet.win_rate == D("30")


# --- channel actions (nothing saved) -------------------------------------------


def _typed_channels():
    return [
        {"name": "広告", "online": True, "meetings": "10", "meeting_rate": "10"},
        {
            "name": "オーガニック",
            "online": False,
            "meetings": "２０",
            "meeting_rate": "30 %",
        },
        {"name": "メルマガ", "online": True, "meetings": "10", "meeting_rate": "abc"},
    ]


def _rows(html):
    count = int(input_value(html, "channels-TOTAL_FORMS"))
    return [
        (
            input_value(html, f"channels-{i}-name"),
            is_checked(html, f"channels-{i}-online"),
            input_value(html, f"channels-{i}-meetings"),
            input_value(html, f"channels-{i}-meeting_rate"),
        )
        for i in range(count)
    ]


AD = ("広告", True, "10", "10")
ORGANIC = ("オーガニック", False, "２０", "30 %")
MAIL = ("メルマガ", True, "10", "abc")


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("add", [AD, ORGANIC, MAIL, ("", True, "", "")]),
        ("remove-1", [AD, MAIL]),
        ("remove-0", [ORGANIC, MAIL]),
        ("up-1", [ORGANIC, AD, MAIL]),
        ("down-0", [ORGANIC, AD, MAIL]),
        ("down-2", [AD, ORGANIC, MAIL]),  # the last row cannot go down
        ("up-0", [AD, ORGANIC, MAIL]),  # the first row cannot go up
    ],
)
@pytest.mark.parametrize("existing", [False, True], ids=["new", "existing"])
def test_channel_action_edits_rows_without_saving(
    marketer_client, account, action, expected, existing
):
    url = "/worksheets/new/"
    if existing:
        url = f"/worksheets/{make_worksheet(account, name='保存済み').pk}/"
    before = snapshot()
    data = worksheet_data(_typed_channels(), action=action, name="入力中の名前")
    response = marketer_client.post(url, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert _rows(html) == expected
    assert input_value(html, "name") == "入力中の名前"
    assert input_value(html, "total_revenue") == "50,000,000"
    # A row action is no save attempt: no refusal message, even with "abc" typed.
    assert "入力内容に誤りがあります" not in html
    assert snapshot() == before


def test_add_focuses_the_new_row(marketer_client):
    html = marketer_client.post(
        "/worksheets/new/", worksheet_data(action="add")
    ).content.decode()
    match = re.search(r'<input[^>]*name="channels-3-name"[^>]*>', html)
    assert match and "autofocus" in match.group(0)
    assert 'id="channel-row-4"' in html


def test_channel_action_results_follow_the_rows(marketer_client):
    html = marketer_client.post(
        "/worksheets/new/", worksheet_data(action="up-1")
    ).content.decode()
    assert text_of(html, "channel-1-leads") == "67"  # オーガニック now first
    assert text_of(html, "channel-2-leads") == "100"
    assert Worksheet.objects.count() == 0


# --- account scoping -----------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", ""),
        ("get", "print/"),
        ("get", "apply/?year=2026"),
        ("get", "delete/"),
        ("post", ""),
        ("post", "duplicate/"),
        ("post", "delete/"),
        ("post", "apply/"),
    ],
)
def test_other_accounts_worksheet_is_404(
    marketer_client, account, other_account, method, path
):
    theirs = make_worksheet(other_account, name="他社の計画")
    make_worksheet(account, name="自社の計画")
    before = snapshot()
    url = f"/worksheets/{theirs.pk}/{path}"
    if method == "get":
        response = marketer_client.get(url)
    else:
        data = worksheet_data(name="乗っ取り") if path == "" else {"year": "2026"}
        response = marketer_client.post(url, data)
    assert response.status_code == 404
    assert "他社の計画" not in response.content.decode()
    assert snapshot() == before


def test_missing_worksheet_is_404(marketer_client):
    assert marketer_client.get("/worksheets/999999/").status_code == 404


# --- permissions ---------------------------------------------------------------


def test_manager_reads_list_detail_and_print(manager_client, account):
    worksheet = make_worksheet(account, name="レビュー対象")
    list_html = manager_client.get("/worksheets/").content.decode()
    assert "レビュー対象" in list_html
    assert 'href="/worksheets/new/"' not in list_html

    response = manager_client.get(f"/worksheets/{worksheet.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    inputs = re.findall(r'<input type="(?:text|checkbox|date|radio)"[^>]*>', html)
    assert len(inputs) >= 9 + 3 * 4  # the worksheet's fields and 3 channel rows
    assert all(" disabled" in tag for tag in inputs), inputs
    assert input_value(html, "web_revenue") == "12,000,000"
    assert "保存</button>" not in html
    assert "hx-post" not in html
    assert "複製</button>" not in html
    assert text_of(html, "result-visits") == "21,700"

    response = manager_client.get(f"/worksheets/{worksheet.pk}/print/")
    assert response.status_code == 200
    assert "21,700" in response.content.decode()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/worksheets/new/"),
        ("post", "/worksheets/new/"),
        ("post", "/worksheets/{pk}/"),
        ("post", "/worksheets/{pk}/duplicate/"),
        ("get", "/worksheets/{pk}/delete/"),
        ("post", "/worksheets/{pk}/delete/"),
        ("get", "/worksheets/{pk}/apply/?year=2026"),
        ("post", "/worksheets/{pk}/apply/"),
    ],
)
def test_manager_cannot_change_anything(manager_client, account, method, path):
    worksheet = make_worksheet(account)
    before = snapshot()
    url = path.format(pk=worksheet.pk)
    if method == "get":
        response = manager_client.get(url)
    else:
        data = worksheet_data(name="改名") | {"year": "2026"}
        response = manager_client.post(url, data)
    assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/worksheets/"),
        ("get", "/worksheets/new/"),
        ("get", "/worksheets/{pk}/"),
        ("get", "/worksheets/{pk}/print/"),
        ("get", "/worksheets/{pk}/apply/"),
        ("get", "/worksheets/{pk}/delete/"),
        ("post", "/worksheets/new/"),
        ("post", "/worksheets/{pk}/"),
        ("post", "/worksheets/{pk}/duplicate/"),
        ("post", "/worksheets/{pk}/delete/"),
        ("post", "/worksheets/{pk}/apply/"),
    ],
)
def test_anonymous_is_sent_to_sign_in(client, account, method, path):
    worksheet = make_worksheet(account)
    before = snapshot()
    url = path.format(pk=worksheet.pk)
    if method == "get":
        response = client.get(url)
    else:
        response = client.post(url, worksheet_data() | {"year": "2026"})
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"
    assert snapshot() == before


def test_recompute_is_a_calculator_without_session_or_database(
    client, django_assert_num_queries
):
    """Anyone gets the figures for the numbers they send, from no query and
    without a session; saving is what needs a member."""
    data = worksheet_data() | {"win_rate": "101"}
    with django_assert_num_queries(0):
        response = client.get("/worksheets/recompute/", data, headers=HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<strong id="result-orders">3</strong>' in html
    assert "0より大きく100以下の値を入力してください" in html
    assert not response.cookies


def test_user_without_membership_is_refused(client, django_user_model):
    user = django_user_model.objects.create_user("nobody", password="x")
    client.force_login(user)
    assert client.get("/worksheets/").status_code == 403
    assert client.get("/worksheets/new/").status_code == 403


def test_admin_can_edit(client, admin_member, account):
    client.force_login(admin_member)
    worksheet = make_worksheet(account)
    response = client.post(
        f"/worksheets/{worksheet.pk}/", worksheet_data(name="管理者", loaded=worksheet)
    )
    assert response.status_code == 302
    worksheet.refresh_from_db()
    assert worksheet.name == "管理者"


# --- apply to the grid ----------------------------------------------------------


def goals(account, year=2026):
    return {
        g.month: (g.cv_count, g.cv_rate)
        for g in MonthlyGoal.objects.filter(account=account, year=year)
    }


def test_apply_preview_writes_nothing(marketer_client, account):
    worksheet = make_worksheet(account)
    MonthlyGoal.objects.create(
        account=account, year=2026, month=1, cv_count=5, cv_rate=D("3")
    )
    before = snapshot()
    response = marketer_client.get(f"/worksheets/{worksheet.pk}/apply/?year=2026")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="apply-preview"' in html
    assert "2026年 反映内容のプレビュー" in html
    assert "2026年の目標設定に反映する</button>" in html
    assert '<input type="hidden" name="year" value="2026">' in html
    assert html.count(">217<") == 12  # new CV数 in each month
    assert html.count(">21,700<") == 12  # new visits in each month
    assert ">5<" in html  # the current CV数 of January
    assert snapshot() == before


def test_apply_page_without_year_shows_no_preview(marketer_client, account):
    worksheet = make_worksheet(account)
    response = marketer_client.get(f"/worksheets/{worksheet.pk}/apply/")
    assert response.status_code == 200
    assert 'id="apply-preview"' not in response.content.decode()
    assert MonthlyGoal.objects.count() == 0


def test_apply_monthly_basis_writes_same_figures_each_month(
    marketer_client, account, other_account, marketer
):
    worksheet = make_worksheet(account)
    MonthlyGoal.objects.create(
        account=other_account, year=2026, month=1, cv_count=1, cv_rate=D("1")
    )
    response = marketer_client.post(
        f"/worksheets/{worksheet.pk}/apply/", {"year": "2026"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/goals/2026/"
    assert goals(account) == {month: (217, D("1")) for month in range(1, 13)}
    assert set(
        MonthlyGoal.objects.filter(account=account).values_list("updated_by", flat=True)
    ) == {marketer.pk}
    # The other account's grid is untouched.
    assert goals(other_account) == {1: (1, D("1"))}
    page = marketer_client.get("/goals/2026/").content.decode()
    assert "ワークシート「2026年度 計画」を2026年の目標設定に反映しました。" in page


def test_apply_annual_basis_spreads_total_over_months(marketer_client, account):
    worksheet = make_worksheet(account, basis=Basis.ANNUAL, cv_rate=D("2.5"))
    marketer_client.post(
        f"/worksheets/{worksheet.pk}/apply/", {"year": "2026", "spread": "even"}
    )
    stored = goals(account)
    assert sorted(stored) == list(range(1, 13))
    counts = [stored[month][0] for month in range(1, 13)]
    assert sum(counts) == 217
    assert max(counts) - min(counts) <= 1
    assert {rate for _, rate in stored.values()} == {D("2.5")}


def _preview_rows(html):
    """(month label, new CV数) of each row of the preview, in order."""
    body = html.split('id="apply-preview"')[1].split("</tbody>")[0]
    return [
        (month, cells[3])
        for month, cells in (
            (m.group(1), re.findall(r"<td[^>]*>([^<]*)</td>", m.group(2)))
            for m in re.finditer(r'<th scope="row">(\d+月)</th>(.*?)</tr>', body, re.S)
        )
    ]


def test_apply_preview_shows_the_months_in_fiscal_order_as_written(
    marketer_client, account
):
    """With an April start the plan's first month is April: the preview says
    so, as services.worksheet_apply writes it (217 = 18 × 12 + 1)."""
    account.fiscal_year_start_month = 4
    account.save()
    worksheet = make_worksheet(account, basis=Basis.ANNUAL)
    html = marketer_client.get(
        f"/worksheets/{worksheet.pk}/apply/?year=2026"
    ).content.decode()
    rows = _preview_rows(html)
    assert [month for month, _cv in rows][:2] == ["4月", "5月"]
    assert rows[0] == ("4月", "19")
    assert rows[-1] == ("3月", "18")
    marketer_client.post(
        f"/worksheets/{worksheet.pk}/apply/", {"year": "2026", "spread": "even"}
    )
    assert goals(account)[4][0] == 19
    assert goals(account, 2027)[3][0] == 18


def test_apply_overwrites_existing_goals_of_that_year_only_on_post(
    marketer_client, account
):
    worksheet = make_worksheet(account)
    MonthlyGoal.objects.bulk_create(
        MonthlyGoal(account=account, year=year, month=m, cv_count=m, cv_rate=D("3"))
        for year in (2026, 2027)
        for m in (1, 6)
    )
    marketer_client.get(f"/worksheets/{worksheet.pk}/apply/?year=2026")
    assert goals(account) == {1: (1, D("3")), 6: (6, D("3"))}
    marketer_client.post(f"/worksheets/{worksheet.pk}/apply/", {"year": "2026"})
    assert goals(account) == {month: (217, D("1")) for month in range(1, 13)}
    assert goals(account, 2027) == {1: (1, D("3")), 6: (6, D("3"))}


def test_apply_without_cv_rate_writes_nothing(marketer_client, account):
    worksheet = make_worksheet(account, cv_rate=None)
    message = "オンラインのリード数とCV率がまだ計算できません。"
    response = marketer_client.get(f"/worksheets/{worksheet.pk}/apply/?year=2026")
    assert message in response.content.decode()
    response = marketer_client.post(
        f"/worksheets/{worksheet.pk}/apply/", {"year": "2026"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert 'id="apply-preview"' not in html
    assert MonthlyGoal.objects.count() == 0


@pytest.mark.parametrize("year", ["1999", "2101", "abc", ""])
def test_apply_with_year_out_of_range_writes_nothing(marketer_client, account, year):
    worksheet = make_worksheet(account)
    response = marketer_client.post(
        f"/worksheets/{worksheet.pk}/apply/", {"year": year}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="apply-preview"' not in html
    if year in ("1999", "2101"):
        assert "2000年から2100年の間で選んでください。" in html
    assert MonthlyGoal.objects.count() == 0


# --- query counts ----------------------------------------------------------------


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries), response.content.decode()


def test_detail_query_count_does_not_grow_with_channels(marketer_client, account):
    small = make_worksheet(account)
    large = make_worksheet(
        account,
        channels=[(f"チャネル{i}", i % 2 == 0, i, D("25")) for i in range(1, 11)],
    )
    marketer_client.get("/worksheets/")  # warm the session
    small_count, _ = _count_queries(marketer_client, f"/worksheets/{small.pk}/")
    large_count, html = _count_queries(marketer_client, f"/worksheets/{large.pk}/")
    assert input_value(html, "channels-TOTAL_FORMS") == "10"
    assert small_count == large_count
    small_print, _ = _count_queries(marketer_client, f"/worksheets/{small.pk}/print/")
    large_print, _ = _count_queries(marketer_client, f"/worksheets/{large.pk}/print/")
    assert small_print == large_print


def test_list_query_count_does_not_grow_with_worksheets(marketer_client, account):
    make_worksheet(account, name="計画0")
    marketer_client.get("/worksheets/")  # warm the session
    one, _ = _count_queries(marketer_client, "/worksheets/")
    for i in range(1, 20):
        make_worksheet(account, name=f"計画{i}")
    twenty, html = _count_queries(marketer_client, "/worksheets/")
    assert html.count('href="/worksheets/') - html.count('href="/worksheets/new/') >= 20
    assert one == twenty


def test_recompute_makes_no_query_whatever_the_channels(marketer_client, account):
    ten = [
        {"name": f"チャネル{i}", "online": True, "meetings": "4", "meeting_rate": "25"}
        for i in range(10)
    ]
    for channels in (None, ten):
        with CaptureQueriesContext(connection) as queries:
            response = recompute(marketer_client, channels=channels)
        assert response.status_code == 200
        assert queries.captured_queries == []


# --- known bug (see the report): this test asserts the correct behaviour -------


def test_apply_with_online_leads_above_grid_limit_is_refused_not_a_server_error(
    marketer_client, account
):
    """A worksheet the form accepts (1,000,000 meetings at 0.5 % = 2億 online
    leads a month) plans more CV than a grid month may hold (1億, MAX_COUNT).
    Applying it must refuse with a message and write nothing; today the POST
    is a 500: IntegrityError goal_cv_count_range on SQLite and PostgreSQL
    (above 2,147,483,647 PostgreSQL's full_clean raises ValidationError)."""
    worksheet = make_worksheet(account, channels=[("広告", True, 1_000_000, D("0.5"))])
    marketer_client.raise_request_exception = False
    response = marketer_client.post(
        f"/worksheets/{worksheet.pk}/apply/", {"year": "2026"}
    )
    assert response.status_code == 200
    assert MonthlyGoal.objects.count() == 0


# --- the year a worksheet is applied to and compared with -----------------------

TODAY = datetime.date(2026, 12, 6)


@pytest.fixture
def today():
    with mock.patch("django.utils.timezone.localdate", return_value=TODAY):
        yield TODAY


def _selected_year(html):
    select = html.split('<select name="year" id="id_year">')[1].split("</select>")[0]
    return re.findall(r'<option value="(\d+)" selected>', select)


@pytest.mark.parametrize(
    ("start_month", "entry_date", "expected"),
    [
        pytest.param(1, datetime.date(2027, 5, 1), "2027", id="next-year"),
        pytest.param(1, datetime.date(2026, 4, 1), "2026", id="this-year"),
        # A past year is never the default: the current one is.
        pytest.param(1, datetime.date(2024, 4, 1), "2026", id="past-year"),
        # 4月 start: 2027-02 falls in 2026年度.
        pytest.param(4, datetime.date(2027, 2, 1), "2026", id="fiscal-year"),
        pytest.param(4, datetime.date(2027, 4, 1), "2027", id="next-fiscal-year"),
    ],
)
def test_apply_offers_the_worksheets_own_year_first(
    marketer_client, account, today, start_month, entry_date, expected
):
    account.fiscal_year_start_month = start_month
    account.save()
    worksheet = make_worksheet(account, entry_date=entry_date)
    html = marketer_client.get(f"/worksheets/{worksheet.pk}/apply/").content.decode()
    assert _selected_year(html) == [expected]
    # Offered once: the year in the list is chosen there, not added again.
    years = re.findall(r'<option value="(\d+)"', html)
    assert len(years) == len(set(years)), years
    assert 'id="apply-preview"' not in html  # chosen, not yet previewed


def test_apply_preview_shows_the_years_totals_before_and_after(
    marketer_client, account
):
    worksheet = make_worksheet(account)
    MonthlyGoal.objects.create(
        account=account, year=2026, month=1, cv_count=5, cv_rate=D("3")
    )
    MonthlyGoal.objects.create(
        account=account, year=2026, month=2, cv_count=20, cv_rate=D("1")
    )
    html = marketer_client.get(
        f"/worksheets/{worksheet.pk}/apply/?year=2026"
    ).content.decode()
    assert text_of(html, "total-current-cv") == "25"
    assert text_of(html, "total-current-visits") == "2,167"  # 167 + 2,000
    assert text_of(html, "total-new-cv") == "2,604"  # 217 × 12
    assert text_of(html, "total-new-visits") == "260,400"  # 21,700 × 12
    assert _selected_year(html) == ["2026"]


def test_actuals_compare_the_worksheets_own_year_by_default(
    marketer_client, account, today
):
    worksheet = make_worksheet(account, entry_date=datetime.date(2025, 4, 1))
    html = marketer_client.get(f"/worksheets/{worksheet.pk}/actuals/").content.decode()
    assert _selected_year(html) == ["2025"]
    assert "2025年の今日まで" in html


def _stage(html, name):
    return html.split(f'id="stage-{name}"')[1].split("</tr>")[0]


def test_actuals_without_any_recorded_show_dashes_not_a_red_table(
    marketer_client, account, today
):
    worksheet = make_worksheet(account, entry_date=datetime.date(2025, 4, 1))
    html = marketer_client.get(f"/worksheets/{worksheet.pk}/actuals/").content.decode()
    assert "この期間の実績はまだ入力されていません。" in html
    assert 'class="short"' not in html
    assert 'id="first-short"' not in html
    cells = re.findall(r'<td class="num">([^<]*)</td>', _stage(html, "online_leads"))
    assert cells == ["2,604", "—", "—"]  # the plan; nothing implied, no gap
    cells = re.findall(r'<td class="num">([^<]*)</td>', _stage(html, "revenue"))
    assert cells == ["14,400万円", "—", "—"]


def test_actuals_show_money_in_one_unit_down_the_column(
    marketer_client, account, today
):
    """1億4,400万円 planned and 6,800万円 implied would read as two formats
    (|yen switches to 円 for amounts that are not whole 万): 万円 throughout."""
    worksheet = make_worksheet(
        account, entry_date=datetime.date(2025, 4, 1), unit_price=1_234_567
    )
    for month in range(1, 13):
        MonthlyActual.objects.create(
            account=account, year=2025, month=month, cv_count=108, visits=10_000
        )
    html = marketer_client.get(f"/worksheets/{worksheet.pk}/actuals/").content.decode()
    cells = re.findall(r'<td class="num">([^<]*)</td>', _stage(html, "revenue"))
    assert all(cell.endswith("万円") for cell in cells), cells
    assert cells[0] == "14,400万円"  # 1,200万 × 12
    assert cells[2].startswith("-")
