"""The revenue worksheet loses nothing: a save from a page loaded before someone
else's save (another user, or the same user in another tab) is refused with
who changed what, and written only when the user chooses 上書き保存; a POST
that is not the page's complete form writes nothing; a worksheet deleted
meanwhile costs no typing; ids beyond the database's range are 404s; and a
submitted or approved year takes no worksheet."""

import json
import threading
from decimal import Decimal
from html.parser import HTMLParser
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.urls import URLPattern

from funnel import services
from funnel.models import (
    Account,
    ChangeRecord,
    GoalYearPlan,
    MonthlyGoal,
    PlanStatus,
    Role,
    Worksheet,
    WorksheetChannel,
)
from funnel.urls import urlpatterns
from tests.conftest import make_member
from tests.views.test_worksheets import make_worksheet, worksheet_data

pytestmark = pytest.mark.django_db

D = Decimal
HX = {"HX-Request": "true"}
INCOMPLETE = (
    "入力内容がそろっていないため保存しませんでした。"
    "ページを読み込み直してから、もう一度保存してください。"
)
BY_OTHER = "ほかのユーザーが保存しました"
BY_SELF = "別のタブで保存されています"
GONE = "このワークシートは見つかりません"
DELETED_MEANWHILE = "このワークシートは、あなたが画面を開いた後に削除されたため"
SAVE_AS_NEW = "保存すると、新しいワークシートとして作成します。"


# --- the page as a browser has it ----------------------------------------------


class FormReader(HTMLParser):
    """What a browser would send from #worksheet-form as loaded: every text,
    date and hidden input, the checked boxes and radios; and its submit
    buttons in tree order (the first is the one Enter presses)."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.inside = False
        self.data = {}
        self.buttons = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == "worksheet-form":
            self.inside = True
        if not self.inside:
            return
        if tag == "button" and attrs.get("type") == "submit":
            self.buttons.append(attrs)
        if tag != "input" or "name" not in attrs or "disabled" in attrs:
            return
        kind = attrs.get("type", "text")
        if kind in ("checkbox", "radio"):
            if "checked" in attrs:
                self.data[attrs["name"]] = attrs.get("value", "on")
        else:
            self.data[attrs["name"]] = attrs.get("value", "")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def loaded(client, worksheet):
    """The edit page's form as loaded by ``client`` (a tab)."""
    response = client.get(f"/worksheets/{worksheet.pk}/")
    assert response.status_code == 200
    data = FormReader(response.content.decode()).data
    data.pop("csrfmiddlewaretoken", None)
    return data


def rows():
    """Every stored worksheet, channel and history row."""
    return (
        list(Worksheet.objects.order_by("pk").values()),
        list(WorksheetChannel.objects.order_by("pk").values()),
        list(ChangeRecord.objects.order_by("pk").values()),
    )


def stored(worksheet):
    worksheet = Worksheet.objects.get(pk=worksheet.pk)
    return {
        "name": worksheet.name,
        "win_rate": worksheet.win_rate,
        "channels": list(
            worksheet.channels.order_by("position").values_list(
                "name", "online", "meetings", "meeting_rate"
            )
        ),
    }


@pytest.fixture
def other_marketer(account):
    return make_member("marketer2", account, Role.MARKETER)


@pytest.fixture
def two_users(marketer, other_marketer):
    first, second = Client(), Client()
    first.force_login(marketer)
    second.force_login(other_marketer)
    return first, second


@pytest.fixture
def worksheet(account, marketer):
    return make_worksheet(account)


# --- two users, and one user in two tabs -----------------------------------------


def test_second_user_is_told_who_changed_what_and_overwrites_by_choice(
    two_users, worksheet, marketer
):
    first, second = two_users
    page_a, page_b = loaded(first, worksheet), loaded(second, worksheet)

    response = first.post(
        f"/worksheets/{worksheet.pk}/",
        page_a | {"name": "A案", "channels-0-meetings": "15", "action": "save"},
    )
    assert response.status_code == 302
    after_first = stored(worksheet)
    assert after_first["name"] == "A案"
    assert after_first["channels"][0] == ("広告", True, 15, D("10"))

    typed = page_b | {
        "win_rate": "40",
        "channels-2-name": "ウェビナー",
        "channels-2-meetings": "12",
    }
    response = second.post(f"/worksheets/{worksheet.pk}/", typed | {"action": "save"})
    html = response.content.decode()
    assert response.status_code == 409
    assert BY_OTHER in html
    assert "ほかのユーザーが保存した変更:" in html
    # Which field, from what to what, and who.
    assert "名前: 2026年度 計画 → A案" in html
    assert "獲得チャネル: 広告 / ○ / 10 / 10; " in html
    assert "広告 / ○ / 15 / 10" in html
    assert "（marketer、" in html
    assert "受注率:" not in html  # only what changed meanwhile
    # The second user's typing stays, channels included.
    form = FormReader(html)
    assert form.data["win_rate"] == "40"
    assert form.data["channels-2-name"] == "ウェビナー"
    assert form.data["channels-2-meetings"] == "12"
    assert form.data["name"] == "2026年度 計画"
    assert {"name": "action", "value": "overwrite"} in [
        {k: b.get(k) for k in ("name", "value")} for b in form.buttons
    ]
    # The first save is kept.
    assert stored(worksheet) == after_first

    # 上書き保存: the second user's sheet, as typed, replaces it.
    response = second.post(
        f"/worksheets/{worksheet.pk}/", form.data | {"action": "overwrite"}
    )
    assert response.status_code == 302
    now = stored(worksheet)
    assert now["name"] == "2026年度 計画"
    assert now["win_rate"] == D("40")
    assert now["channels"] == [
        ("広告", True, 10, D("10")),
        ("オーガニック", True, 20, D("30")),
        ("ウェビナー", True, 12, D("20")),
    ]
    # Both saves are in the history, each by its user.
    users = set(
        ChangeRecord.objects.filter(worksheet=worksheet).values_list(
            "user__username", flat=True
        )
    )
    assert users == {"marketer", "marketer2"}


def test_same_user_in_two_tabs_is_told_it_was_another_tab(marketer_client, worksheet):
    tab1, tab2 = loaded(marketer_client, worksheet), loaded(marketer_client, worksheet)
    url = f"/worksheets/{worksheet.pk}/"
    assert (
        marketer_client.post(
            url, tab1 | {"opportunity_rate": "50", "action": "save"}
        ).status_code
        == 302
    )
    response = marketer_client.post(url, tab2 | {"cv_rate": "2", "action": "save"})
    html = response.content.decode()
    assert response.status_code == 409
    assert BY_SELF in html and BY_OTHER not in html
    assert "別のタブで保存された変更:" in html
    assert "案件化率: 25 → 50" in html
    assert FormReader(html).data["cv_rate"] == "2"
    worksheet.refresh_from_db()
    assert (worksheet.opportunity_rate, worksheet.cv_rate) == (D("50"), D("1"))

    response = marketer_client.post(
        url, FormReader(html).data | {"action": "overwrite"}
    )
    assert response.status_code == 302
    worksheet.refresh_from_db()
    assert (worksheet.opportunity_rate, worksheet.cv_rate) == (D("25"), D("2"))


def test_a_change_of_basis_is_named_as_the_screen_names_it(two_users, worksheet):
    first, second = two_users
    page_a, page_b = loaded(first, worksheet), loaded(second, worksheet)
    first.post(
        f"/worksheets/{worksheet.pk}/", page_a | {"basis": "annual", "action": "save"}
    )
    html = second.post(
        f"/worksheets/{worksheet.pk}/", page_b | {"action": "save"}
    ).content.decode()
    assert "基準: 月次 → 年間" in html


def test_conflict_over_htmx_swaps_the_form_with_the_choice(two_users, worksheet):
    first, second = two_users
    page_a, page_b = loaded(first, worksheet), loaded(second, worksheet)
    first.post(
        f"/worksheets/{worksheet.pk}/", page_a | {"name": "A案", "action": "save"}
    )
    before = rows()
    response = second.post(
        f"/worksheets/{worksheet.pk}/",
        page_b | {"name": "B案", "action": "save"},
        headers=HX,
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert html.lstrip().startswith('<form id="worksheet-form"')
    assert 'id="conflict"' in html and 'value="overwrite"' in html
    assert FormReader(html).data["name"] == "B案"
    assert rows() == before


def test_enter_saves_and_never_moves_deletes_or_overwrites(two_users, worksheet):
    """Enter in a field submits with the form's first submit button: a plain
    保存, on the page as loaded and after a conflict."""
    first, second = two_users
    page = first.get(f"/worksheets/{worksheet.pk}/").content.decode()
    default = FormReader(page).buttons[0]
    assert (default["name"], default["value"]) == ("action", "save")
    assert default.get("tabindex") == "-1" and default.get("aria-hidden") == "true"

    page_b = loaded(second, worksheet)
    first.post(
        f"/worksheets/{worksheet.pk}/",
        loaded(first, worksheet) | {"name": "A案", "action": "save"},
    )
    html = second.post(
        f"/worksheets/{worksheet.pk}/", page_b | {"action": "save"}
    ).content.decode()
    default = FormReader(html).buttons[0]
    assert (default["name"], default["value"]) == ("action", "save")


def test_saving_again_from_the_saved_page_is_no_conflict(marketer_client, worksheet):
    url = f"/worksheets/{worksheet.pk}/"
    page = loaded(marketer_client, worksheet)
    assert (
        marketer_client.post(url, page | {"name": "一回目", "action": "save"})
    ).status_code == 302
    page = loaded(marketer_client, worksheet)
    assert page["base_name"] == "一回目"
    assert (
        marketer_client.post(url, page | {"name": "二回目", "action": "save"})
    ).status_code == 302
    # Over htmx the answer is the saved form, carrying what is now stored.
    response = marketer_client.post(
        url, page | {"name": "三回目", "action": "save"}, headers=HX
    )
    assert response.status_code == 409  # page was loaded before 二回目
    page = loaded(marketer_client, worksheet)
    response = marketer_client.post(
        url, page | {"name": "三回目", "action": "save"}, headers=HX
    )
    assert response.status_code == 200
    again = FormReader(response.content.decode()).data
    assert again["base_name"] == "三回目"
    response = marketer_client.post(
        url, again | {"name": "四回目", "action": "save"}, headers=HX
    )
    assert response.status_code == 200
    assert stored(worksheet)["name"] == "四回目"


def test_a_row_action_keeps_what_the_page_was_loaded_with(two_users, worksheet):
    """＋ チャネルを追加 re-renders the typed sheet: the save after it is still
    compared with the page's load, not with what is stored by then."""
    first, second = two_users
    page_b = loaded(second, worksheet)
    added = second.post(
        f"/worksheets/{worksheet.pk}/", page_b | {"action": "add"}, headers=HX
    )
    assert added.status_code == 200
    page_b = FormReader(added.content.decode()).data
    assert page_b["channels-TOTAL_FORMS"] == "4"
    first.post(
        f"/worksheets/{worksheet.pk}/",
        loaded(first, worksheet) | {"channels-1-meetings": "25", "action": "save"},
    )
    response = second.post(
        f"/worksheets/{worksheet.pk}/",
        page_b
        | {
            "channels-3-name": "展示会",
            "channels-3-meetings": "5",
            "channels-3-meeting_rate": "50",
            "action": "save",
        },
    )
    assert response.status_code == 409
    assert "オーガニック / ○ / 25 / 30" in response.content.decode()
    assert stored(worksheet)["channels"][1] == ("オーガニック", True, 25, D("30"))
    assert len(stored(worksheet)["channels"]) == 3


def test_a_tampered_base_is_a_conflict_not_an_error(marketer_client, worksheet):
    before = rows()
    page = loaded(marketer_client, worksheet)
    response = marketer_client.post(
        f"/worksheets/{worksheet.pk}/",
        page | {"base_win_rate": "<script>", "action": "save"},
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert rows() == before


# --- a worksheet deleted meanwhile ---------------------------------------------


def test_saving_a_worksheet_deleted_meanwhile_keeps_the_typing(two_users, worksheet):
    first, second = two_users
    page_b = loaded(second, worksheet)
    assert first.post(f"/worksheets/{worksheet.pk}/delete/").status_code == 302
    before = rows()
    typed = page_b | {"name": "消される前の入力", "total_revenue": "70,000,000"}
    for headers in ({}, HX):
        response = second.post(
            f"/worksheets/{worksheet.pk}/", typed | {"action": "save"}, headers=headers
        )
        html = response.content.decode()
        assert response.status_code == 404
        assert GONE in html and SAVE_AS_NEW in html
        form = FormReader(html)
        assert form.data["name"] == "消される前の入力"
        assert form.data["total_revenue"] == "70,000,000"
        assert 'action="/worksheets/new/"' in html
        assert "base_name" not in form.data
        assert rows() == before
    # Saved from there, it is a new worksheet with what was typed.
    response = second.post("/worksheets/new/", form.data | {"action": "save"})
    assert response.status_code == 302
    created = Worksheet.objects.get()
    assert (created.name, created.total_revenue) == ("消される前の入力", 70_000_000)
    assert created.channels.count() == 3


@pytest.mark.parametrize("action", ["save", "overwrite"])
def test_deleted_between_the_page_and_the_save_is_a_message(
    marketer_client, worksheet, marketer, action
):
    """Deleted after the view found it, before the save locked it."""
    page = loaded(marketer_client, worksheet)
    original = services.worksheet_save

    def deleted_first(**kwargs):
        services.worksheet_delete(worksheet=worksheet, user=marketer)
        return original(**kwargs)

    with mock.patch.object(services, "worksheet_save", side_effect=deleted_first):
        response = marketer_client.post(
            f"/worksheets/{worksheet.pk}/", page | {"name": "新", "action": action}
        )
    html = response.content.decode()
    assert response.status_code == 409
    assert DELETED_MEANWHILE in html and SAVE_AS_NEW in html
    assert FormReader(html).data["name"] == "新"
    assert 'action="/worksheets/new/"' in html
    assert not Worksheet.objects.exists() and not WorksheetChannel.objects.exists()


def test_the_service_refuses_a_save_of_a_deleted_worksheet(account, marketer):
    worksheet = make_worksheet(account)
    Worksheet.objects.filter(pk=worksheet.pk).delete()
    with pytest.raises(services.WorksheetGone):
        services.worksheet_save(
            account=account,
            worksheet=worksheet,
            fields={"name": "x"},
            channels=[],
            user=marketer,
        )
    assert not Worksheet.objects.exists()


# --- only a complete form writes ------------------------------------------------

SHEET_FIELDS = [
    "name",
    "entry_date",
    "basis",
    "total_revenue",
    "web_revenue",
    "unit_price",
    "win_rate",
    "opportunity_rate",
    "cv_rate",
]
ROW_FIELDS = [
    f"channels-{i}-{field}"
    for i in range(3)
    for field in ("name", "meetings", "meeting_rate")
]
BASE_FIELDS = [f"base_{name}" for name in [*SHEET_FIELDS, "skip_opportunity"]] + [
    "base_channels"
]


def _without(*names):
    return lambda data: {k: v for k, v in data.items() if k not in names}


def _with(**values):
    return lambda data: data | values


MALFORMED = {
    **{f"no-{name}": _without(name) for name in SHEET_FIELDS + ROW_FIELDS},
    "no-action": _without("action"),
    "unknown-action": _with(action="delete"),
    "row-action-without-row": _with(action="remove-x"),
    "no-total-forms": _without("channels-TOTAL_FORMS"),
    "no-initial-forms": _without("channels-INITIAL_FORMS"),
    "no-management-form": _without("channels-TOTAL_FORMS", "channels-INITIAL_FORMS"),
    **{
        f"total-forms-{key}": _with(**{"channels-TOTAL_FORMS": text})
        for key, text in [
            ("empty", ""),
            ("letters", "abc"),
            ("negative", "-1"),
            ("exponent", "1e3"),
            ("fraction", "2.5"),
            ("above-max", "21"),
            ("huge", "9" * 30),
            ("more-than-sent", "4"),
            ("fewer-than-sent", "2"),
            ("zero-with-rows", "0"),
        ]
    },
}
# On 保存 of a stored worksheet, what the page was loaded with is part of it.
MALFORMED_SAVE = {f"no-{name}": _without(name) for name in BASE_FIELDS} | {
    "no-base": _without(*BASE_FIELDS)
}


def _refused_as_incomplete(response, before):
    html = response.content.decode()
    assert response.status_code == 400
    assert INCOMPLETE in html
    assert rows() == before
    return html


@pytest.mark.parametrize("case", [*MALFORMED, *MALFORMED_SAVE])
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_an_incomplete_save_of_a_worksheet_changes_no_row(
    marketer_client, account, worksheet, case, htmx
):
    make_worksheet(account, name="ほかの計画")
    data = (MALFORMED | MALFORMED_SAVE)[case](
        loaded(marketer_client, worksheet) | {"name": "改名", "action": "save"}
    )
    before = rows()
    response = marketer_client.post(
        f"/worksheets/{worksheet.pk}/", data, headers=HX if htmx else {}
    )
    html = _refused_as_incomplete(response, before)
    if htmx:
        assert html.lstrip().startswith('<form id="worksheet-form"')
    # Shown again without the base: only a page loaded again saves.
    assert "base_name" not in FormReader(html).data
    again = FormReader(html).data | {"action": "save"}
    assert (
        marketer_client.post(f"/worksheets/{worksheet.pk}/", again).status_code == 400
    )
    assert rows() == before


@pytest.mark.parametrize("case", list(MALFORMED))
def test_an_incomplete_new_worksheet_is_not_created(marketer_client, account, case):
    make_worksheet(account, name="ほかの計画")
    data = MALFORMED[case](worksheet_data())
    before = rows()
    response = marketer_client.post("/worksheets/new/", data)
    _refused_as_incomplete(response, before)


@pytest.mark.parametrize("action", ["add", "up-1", "remove-0", "recompute"])
def test_an_incomplete_row_action_is_refused_too(marketer_client, worksheet, action):
    data = loaded(marketer_client, worksheet) | {"action": action}
    del data["channels-1-meetings"]
    before = rows()
    response = marketer_client.post(f"/worksheets/{worksheet.pk}/", data)
    _refused_as_incomplete(response, before)


@pytest.mark.parametrize("url", ["/worksheets/{pk}/", "/worksheets/new/"])
@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("", "application/x-www-form-urlencoded"),
        ("", "multipart/form-data; boundary=x"),
        (json.dumps({"name": "JSON", "action": "save"}), "application/json"),
        ("name=text&action=save", "text/plain"),
    ],
    ids=["empty", "empty-multipart", "json", "text-plain"],
)
def test_a_body_that_is_not_the_form_changes_nothing(
    marketer_client, worksheet, url, body, content_type
):
    before = rows()
    response = marketer_client.generic(
        "POST", url.format(pk=worksheet.pk), body, content_type=content_type
    )
    _refused_as_incomplete(response, before)


def test_what_may_be_absent_is_only_what_a_browser_leaves_out(
    marketer_client, worksheet
):
    """An unchecked box sends nothing: that is sent. 上書き保存 and the row
    actions need no base; 保存 does."""
    url = f"/worksheets/{worksheet.pk}/"
    page = loaded(marketer_client, worksheet)
    assert "skip_opportunity" not in page and "channels-2-online" in page
    data = {k: v for k, v in page.items() if k != "channels-2-online"}
    assert marketer_client.post(url, data | {"action": "save"}).status_code == 302
    assert stored(worksheet)["channels"][2][1] is False
    no_base = {k: v for k, v in data.items() if not k.startswith("base_")}
    assert marketer_client.post(url, no_base | {"action": "add"}).status_code == 200
    assert (
        marketer_client.post(
            url, no_base | {"name": "上書き", "action": "overwrite"}
        ).status_code
        == 302
    )
    assert stored(worksheet)["name"] == "上書き"


def test_a_complete_form_with_no_channels_still_saves_none(marketer_client, worksheet):
    """Every row removed on purpose: TOTAL_FORMS 0 and no row is a complete
    form, and the channels go."""
    page = loaded(marketer_client, worksheet)
    data = {k: v for k, v in page.items() if not k.startswith("channels-")}
    data |= {"channels-TOTAL_FORMS": "0", "channels-INITIAL_FORMS": "0"}
    response = marketer_client.post(
        f"/worksheets/{worksheet.pk}/", data | {"action": "save"}
    )
    assert response.status_code == 302
    assert stored(worksheet)["channels"] == []


# --- ids beyond the database's range ---------------------------------------------

WORKSHEET_URLS = [
    str(pattern.pattern)
    for pattern in urlpatterns
    if isinstance(pattern, URLPattern)
    and str(pattern.pattern).startswith("worksheets/<id:pk>/")
]
BIG_IDS = [str(2**63), str(2**63 + 1), str(2**64), "9" * 19, "9" * 25]


def test_every_worksheet_url_is_checked():
    assert len(WORKSHEET_URLS) >= 8
    assert "worksheets/<id:pk>/" in WORKSHEET_URLS


@pytest.mark.parametrize("pk", BIG_IDS)
@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("pattern", WORKSHEET_URLS)
def test_an_id_of_2_to_the_63_or_more_is_a_404(
    marketer_client, worksheet, pattern, method, pk
):
    marketer_client.raise_request_exception = True
    before = rows()
    path = "/" + pattern.replace("<id:pk>", pk)
    data = worksheet_data(loaded=worksheet) | {"year": "2026"}
    if method == "GET":
        response = marketer_client.get(path)
    else:
        response = marketer_client.post(path, data)
    assert response.status_code == 404, path
    assert rows() == before


def test_the_largest_id_is_looked_up_not_refused(marketer_client):
    """2**63 - 1 is a valid id: looked up, and not there."""
    assert marketer_client.get(f"/worksheets/{2**63 - 1}/").status_code == 404


# --- a submitted or approved year takes no worksheet ---------------------------


@pytest.mark.parametrize("status", [PlanStatus.SUBMITTED, PlanStatus.APPROVED])
def test_apply_into_a_locked_year_is_refused_in_the_preview_and_on_post(
    marketer_client, account, worksheet, status
):
    MonthlyGoal.objects.create(
        account=account, year=2026, month=1, cv_count=5, cv_rate=D("3")
    )
    plan = GoalYearPlan.objects.create(account=account, year=2026, status=status)
    reason = str(services.locked_message(plan))
    goals = list(MonthlyGoal.objects.values())
    url = f"/worksheets/{worksheet.pk}/apply/"

    html = marketer_client.get(url, {"year": "2026"}).content.decode()
    assert 'id="apply-preview"' in html
    assert "2026年の目標設定には反映できません。" in html and reason in html
    assert ("提出済み" if status == PlanStatus.SUBMITTED else "承認済み") in reason
    assert "目標設定に反映する</button>" not in html
    assert 'method="post"' not in html.split('id="apply-preview"')[1]

    response = marketer_client.post(url, {"year": "2026"})
    assert response.status_code == 409
    html = response.content.decode()
    assert reason in html
    assert "目標設定に反映する</button>" not in html
    assert list(MonthlyGoal.objects.values()) == goals
    # Another year is not locked by it.
    assert marketer_client.post(url, {"year": "2027"}).status_code == 302


def test_apply_locked_while_the_preview_was_open_is_a_message(
    marketer_client, account, worksheet
):
    url = f"/worksheets/{worksheet.pk}/apply/"
    html = marketer_client.get(url, {"year": "2026"}).content.decode()
    assert "2026年の目標設定に反映する</button>" in html
    GoalYearPlan.objects.create(account=account, year=2026, status=PlanStatus.SUBMITTED)
    response = marketer_client.post(url, {"year": "2026"})
    assert response.status_code == 409
    assert "提出済みのため編集できません" in response.content.decode()
    assert not MonthlyGoal.objects.exists()


# --- two saves from the same stale page, at the same moment -----------------------

if connection.vendor == "postgresql":
    # Only PostgreSQL locks rows; SQLite serialises whole transactions, which
    # the tests above already cover. Defined only there, so it is never
    # "skipped" (as tests/reliability/test_concurrency.py does).

    @pytest.mark.django_db(transaction=True)
    def test_two_saves_from_one_stale_page_one_wins_each_round_nothing_lost():
        account = Account.objects.create(name="同時編集社")
        users = [make_member(f"racer{i}", account, Role.MARKETER) for i in range(2)]
        clients = []
        for user in users:
            client = Client()
            client.force_login(user)
            clients.append(client)
        worksheet = make_worksheet(account)
        url = f"/worksheets/{worksheet.pk}/"
        lost, rounds = [], 25
        for round_ in range(rounds):
            page = loaded(clients[0], worksheet)
            barrier = threading.Barrier(2)
            outcomes = []

            def save(client, name, page=page, barrier=barrier, outcomes=outcomes):
                try:
                    barrier.wait(timeout=10)
                    response = client.post(
                        url,
                        page
                        | {
                            "name": name,
                            "channels-0-meetings": str(len(name)),
                            "action": "save",
                        },
                    )
                    outcomes.append((response.status_code, name, response))
                finally:
                    connection.close()

            names = [f"r{round_}-{'a' * (i + 1)}" for i in range(2)]
            threads = [
                threading.Thread(target=save, args=(client, name))
                for client, name in zip(clients, names, strict=True)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=30)
            statuses = sorted(status for status, _name, _response in outcomes)
            assert statuses == [302, 409], (round_, outcomes)
            winner = next(name for status, name, _r in outcomes if status == 302)
            loser = next(r for status, _name, r in outcomes if status == 409)
            html = loser.content.decode()
            # The refused one is told what the winner stored, and keeps its own.
            assert f"名前: {page['name']} → {winner}（" in html, round_
            now = stored(worksheet)
            if now["name"] != winner or now["channels"][0][2] != len(winner):
                lost.append((round_, winner, now))
        assert lost == []
        assert (
            ChangeRecord.objects.filter(worksheet=worksheet, field="名前").count()
            == rounds
        )
