"""The goal grid's bulk input over the test client: 全月に適用, 前年をコピー and
年間の配分 are previews in the inputs, never saved; their messages; the roles."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from funnel.models import MonthlyActual, MonthlyGoal
from tests.conftest import without_tokens
from tests.views.test_grid import (
    GRID_PAGE_QUERIES,
    RECOMPUTE_QUERIES,
    _fill_years,
    statements,
    stored,
    year_post,
)

pytestmark = pytest.mark.django_db

GRID = "/goals/2026/"
HTMX = {"HX-Request": "true"}
UNSAVED = "保存するまで反映されません。"


def bulk_post(action, base=None, **months):
    """A POST of the grid as a page loaded with ``base`` ({month: (cv, rate)}
    texts) would send it, with ``months`` typed and the bulk button pressed."""
    data = year_post(**months)
    data["action"] = action
    base = base or {}
    for month in range(1, 13):
        cv, rate = base.get(month, ("", ""))
        data[f"base_cv_count_{month}"] = cv
        data[f"base_cv_rate_{month}"] = rate
    data.update(fill_from="1", spread_total="", spread_rate="", spread_by="even")
    return data


def value(html, name):
    match = re.search(
        rf'<input type="text" name="{name}" id="id_{name}" value="([^"]*)"', html
    )
    assert match, name
    return match.group(1)


def values(html):
    return {
        m: (value(html, f"cv_count_{m}"), value(html, f"cv_rate_{m}"))
        for m in range(1, 13)
    }


def hidden(html, name):
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', html)
    assert match, name
    return match.group(1)


def make_year(account, year, months):
    MonthlyGoal.objects.bulk_create(
        MonthlyGoal(account=account, year=year, month=m, cv_count=cv, cv_rate=rate)
        for m, (cv, rate) in months.items()
    )


@pytest.mark.parametrize("htmx", [False, True])
def test_fill_all_previews_one_month_everywhere(marketer_client, account, htmx):
    make_year(account, 2026, {2: (5, Decimal(3))})
    data = bulk_post(
        "fill_all", base={2: ("5", "3")}, m2=("5", "3"), m4=("1,200", "１．５％")
    )
    data["fill_from"] = "4"
    response = marketer_client.post(GRID, data, headers=HTMX if htmx else {})

    assert response.status_code == 200
    html = response.content.decode()
    if htmx:
        assert html.lstrip().startswith('<form id="grid-form"')
    assert values(html) == {m: ("1200", "1.5") for m in range(1, 13)}
    assert "4月の値を全月に適用しました。" + UNSAVED in html
    assert 'data-bulk="fill_all"' in html
    # Visits and totals of the preview: 1,200 / 1.5 % = 80,000 a month.
    assert 'id="visits-7">80,000<' in html
    assert 'id="total-cv">14,400<' in html
    # The loaded values still travel with the form, for conflict detection.
    assert hidden(html, "base_cv_count_2") == "5"
    assert hidden(html, "base_cv_count_4") == ""
    # Cells that differ from the stored values are marked, even without JS.
    assert 'data-saved="5" class="changed"' in html
    assert stored(account) == {2: (5, Decimal(3))}


def test_fill_all_with_only_a_rate_keeps_the_other_months_counts(
    marketer_client, account
):
    data = bulk_post("fill_all", m1=("", "2"), m3=("30", "1"), m5=("abc", ""))
    html = marketer_client.post(GRID, data).content.decode()
    assert value(html, "cv_rate_3") == "2"
    assert value(html, "cv_count_3") == "30"
    # What was typed stays, with its message, where the fill did not reach.
    assert value(html, "cv_count_5") == "abc"
    assert "数値を入力してください" in html
    assert stored(account) == {}


@pytest.mark.parametrize(
    ("months", "message"),
    [
        (
            {"m1": ("abc", "1")},
            "1月の値に誤りがあります。直してから全月に適用してください。",
        ),
        ({}, "1月にCV数かCV率を入力してから全月に適用してください。"),
    ],
)
def test_fill_all_from_a_bad_or_empty_month_changes_nothing(
    marketer_client, account, months, message
):
    data = bulk_post("fill_all", m2=("7", "2"), **months)
    html = marketer_client.post(GRID, data, headers=HTMX).content.decode()
    assert message in html
    assert 'role="alert"' in html
    assert value(html, "cv_count_2") == "7"
    assert value(html, "cv_count_3") == ""
    assert "data-bulk" not in html
    assert stored(account) == {}


def test_fill_all_refuses_a_month_that_is_not_one(marketer_client):
    data = bulk_post("fill_all", m1=("7", "2"))
    data["fill_from"] = "13"
    html = marketer_client.post(GRID, data).content.decode()
    assert "コピー元の月を選んでください。" in html
    assert value(html, "cv_count_2") == ""


@pytest.mark.parametrize("htmx", [False, True])
def test_copy_previous_loads_last_year_unsaved(marketer_client, account, htmx):
    make_year(account, 2025, {1: (20, Decimal(1)), 6: (1200, Decimal("2.5"))})
    make_year(account, 2026, {3: (9, Decimal(9))})
    data = bulk_post(
        "copy_previous", base={3: ("9", "9")}, m3=("9", "9"), m12=("5", "5")
    )
    response = marketer_client.post(GRID, data, headers=HTMX if htmx else {})

    html = response.content.decode()
    assert response.status_code == 200
    got = values(html)
    assert got[1] == ("20", "1")
    assert got[6] == ("1200", "2.5")
    # This year becomes last year's: months last year left empty are empty.
    assert got[3] == ("", "")
    assert got[12] == ("", "")
    assert "前年（2025年）の目標を読み込みました。" + UNSAVED in html
    assert 'data-bulk="copy_previous"' in html
    assert hidden(html, "base_cv_count_3") == "9"
    assert 'id="visits-6">48,000<' in html
    assert stored(account) == {3: (9, Decimal(9))}
    assert set(stored(account, 2025)) == {1, 6}


def test_copy_previous_with_an_empty_last_year_says_so(marketer_client, account):
    make_year(account, 2024, {1: (1, Decimal(1))})  # two years back does not count
    data = bulk_post("copy_previous", m1=("40", "4"))
    response = marketer_client.post(GRID, data, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "前年（2025年）の目標がありません。" in html
    assert value(html, "cv_count_1") == "40"
    assert "data-bulk" not in html
    assert stored(account) == {}


def test_copy_previous_follows_the_fiscal_year(marketer_client, account):
    account.fiscal_year_start_month = 4
    account.save()
    # 2025年度 is April 2025 to March 2026.
    make_year(account, 2025, {4: (40, Decimal(4)), 3: (99, Decimal(9))})
    make_year(account, 2026, {3: (30, Decimal(3))})
    html = marketer_client.post(GRID, bulk_post("copy_previous")).content.decode()
    assert "2025年度" in html
    assert value(html, "cv_count_4") == "40"
    assert value(html, "cv_count_3") == "30"


@pytest.mark.parametrize("htmx", [False, True])
def test_spread_evenly(marketer_client, account, htmx):
    data = bulk_post("spread", m1=("1", "9"))
    data.update(spread_total="1,000", spread_rate="１．２５％", spread_by="even")
    response = marketer_client.post(GRID, data, headers=HTMX if htmx else {})
    html = response.content.decode()
    assert response.status_code == 200
    counts = [int(value(html, f"cv_count_{m}")) for m in range(1, 13)]
    assert counts == [84] * 4 + [83] * 8
    assert sum(counts) == 1000
    assert {value(html, f"cv_rate_{m}") for m in range(1, 13)} == {"1.25"}
    assert "年間CV数 1,000 を各月に配分しました。" + UNSAVED in html
    assert 'id="total-cv">1,000<' in html
    # The spread's own inputs keep their text, and its panel stays open.
    assert 'value="1,000"' in html and 'value="１．２５％"' in html
    assert '<details class="spread" id="spread" open>' in html
    assert stored(account) == {}


def test_spread_without_a_rate_keeps_each_months_rate(marketer_client, account):
    data = bulk_post("spread", m1=("", "2"), m2=("", "abc"))
    data.update(spread_total="24")
    html = marketer_client.post(GRID, data).content.decode()
    assert value(html, "cv_count_1") == "2"
    assert value(html, "cv_rate_1") == "2"
    assert value(html, "cv_rate_2") == "abc"
    assert value(html, "cv_rate_3") == ""


def test_spread_by_last_years_profile(marketer_client, account):
    make_year(
        account, 2025, {m: (cv, Decimal(1)) for m, cv in {1: 10, 2: 30, 7: 60}.items()}
    )
    data = bulk_post("spread")
    data.update(spread_total="1000", spread_rate="2", spread_by="last_year")
    html = marketer_client.post(GRID, data, headers=HTMX).content.decode()
    counts = {m: value(html, f"cv_count_{m}") for m in range(1, 13)}
    assert counts[1] == "100" and counts[2] == "300" and counts[7] == "600"
    assert counts[3] == "0"
    assert sum(int(c) for c in counts.values()) == 1000
    assert stored(account) == {}


def test_spread_by_last_year_without_last_year_says_so(marketer_client, account):
    data = bulk_post("spread", m1=("5", "5"))
    data.update(spread_total="1000", spread_rate="2", spread_by="last_year")
    html = marketer_client.post(GRID, data).content.decode()
    assert (
        "前年（2025年）の実績CV数も目標CV数もないため、前年の実績比では配分できません。"
        in html
    )
    assert value(html, "cv_count_1") == "5"
    assert value(html, "cv_count_2") == ""


def test_spread_by_typed_weights(marketer_client, account):
    data = bulk_post("spread")
    data.update(spread_total="100", spread_rate="1", spread_by="weights")
    data.update({f"spread_weight_{m}": "" for m in range(1, 13)})
    data.update(
        spread_weight_1="1,000", spread_weight_2="１０００", spread_weight_3="2000"
    )
    html = marketer_client.post(GRID, data).content.decode()
    counts = [value(html, f"cv_count_{m}") for m in range(1, 4)]
    assert sum(int(c) for c in counts) == 100
    assert counts == ["25", "25", "50"]
    assert value(html, "cv_count_4") == "0"


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        ({"spread_total": "-100"}, "id_spread_total", "マイナスの値は入力できません"),
        ({"spread_total": ""}, "id_spread_total", "年間CV数を入力してください。"),
        ({"spread_total": "12.5"}, "id_spread_total", "小数は入力できません"),
        (
            {"spread_rate": "0"},
            "id_spread_rate",
            "0より大きく100以下の値を入力してください",
        ),
        ({"spread_rate": "abc"}, "id_spread_rate", "率を数値で入力してください"),
        ({"spread_by": "random"}, "id_spread_by", "配分のしかたを選んでください。"),
        (
            {"spread_by": "weights"},
            "id_spread_by",
            "比率を1つ以上入力してください（0より大きい整数）。",
        ),
        (
            {"spread_by": "weights", "spread_weight_5": "1.5"},
            "id_spread_weight_5",
            "比率は整数で入力してください（例: 前年のCV数）。",
        ),
    ],
)
def test_bad_spread_input_is_refused_beside_the_field(
    marketer_client, account, fields, field_id, message
):
    data = bulk_post("spread", m1=("20", "1"), m3=("abc", ""))
    data.update(spread_total="1200", spread_rate="1")
    data.update(fields)
    response = marketer_client.post(GRID, data, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "配分できませんでした。赤く表示された欄を直してください。" in html
    error = re.search(
        rf'<span class="field-error" id="{field_id}-error"[^>]*>([^<]*)<', html
    )
    assert error and message in error.group(1)
    # The typed text stays: in the spread's fields and in the grid.
    for name, text in fields.items():
        if name != "spread_by":
            assert f'name="{name}" id="id_{name}" value="{text}"' in html
    assert value(html, "cv_count_1") == "20"
    assert value(html, "cv_count_2") == ""
    assert value(html, "cv_count_3") == "abc"
    assert "data-bulk" not in html
    assert stored(account) == {}


def test_a_preview_saves_like_typed_values(marketer_client, account):
    """保存 after a bulk action stores what the preview showed; the base the page
    was loaded with still guards against someone else's save."""
    make_year(account, 2025, {m: (m, Decimal(1)) for m in range(1, 13)})
    html = marketer_client.post(GRID, bulk_post("copy_previous")).content.decode()
    data = {"action": "save"}
    for m, (cv, rate) in values(html).items():
        data |= {f"cv_count_{m}": cv, f"cv_rate_{m}": rate}
        data |= {f"base_cv_count_{m}": "", f"base_cv_rate_{m}": ""}
    make_year(account, 2026, {1: (99, Decimal(9))})  # someone else saves meanwhile
    conflict = marketer_client.post(GRID, data)
    assert conflict.status_code == 409
    assert stored(account) == {1: (99, Decimal(9))}
    MonthlyGoal.objects.filter(account=account, year=2026).delete()
    assert marketer_client.post(GRID, data).status_code == 302
    assert stored(account) == {m: (m, Decimal(1)) for m in range(1, 13)}


@pytest.mark.parametrize("action", ["fill_all", "copy_previous", "spread"])
def test_managers_may_not_use_bulk_actions(manager_client, account, action):
    make_year(account, 2025, {1: (1, Decimal(1))})
    data = bulk_post(action, m1=("20", "1"))
    data["spread_total"] = "12"
    assert manager_client.post(GRID, data).status_code == 403
    assert manager_client.post(GRID, data, headers=HTMX).status_code == 403
    assert stored(account) == {}


@pytest.mark.parametrize("action", ["fill_all", "copy_previous", "spread"])
def test_another_accounts_last_year_is_never_read(outsider_client, account, action):
    make_year(account, 2025, {1: (777, Decimal(7))})
    data = bulk_post(action)
    data.update(spread_total="12", spread_by="last_year")
    html = outsider_client.post(GRID, data).content.decode()
    assert "777" not in without_tokens(html)
    assert stored(account, 2025) == {1: (777, Decimal(7))}


def test_manager_page_has_no_bulk_tools(manager_client):
    html = manager_client.get(GRID).content.decode()
    for text in ("全月に適用", "前年をコピー", "配分する", "元に戻す"):
        assert text not in html


def test_marketer_page_has_bulk_tools_and_js_only_parts_hidden(marketer_client):
    html = marketer_client.get(GRID).content.decode()
    for text in (
        'value="fill_all"',
        'value="copy_previous"',
        'value="spread"',
        "2025年の目標をこの年に読み込みます。",
    ):
        assert text in html
    assert re.search(r'<button type="button" id="bulk-undo" hidden', html)
    assert re.search(r'<p class="hint keys" data-js-only hidden>', html)
    # Nothing inline: the Content-Security-Policy forbids it.
    assert "<script>" not in html and " onclick=" not in html and "hx-on" not in html
    # 保存 stays the first submit button: Enter without JavaScript saves.
    first = re.search(r'<button type="submit" name="action" value="(\w+)"', html)
    assert first.group(1) == "save"


def test_query_counts_of_the_page_and_recompute_are_unchanged(
    marketer_client, account, django_assert_max_num_queries
):
    _fill_years(account, range(2016, 2031))
    with django_assert_max_num_queries(GRID_PAGE_QUERIES):
        marketer_client.get(GRID)
    with CaptureQueriesContext(connection) as recompute:
        marketer_client.get(
            "/goals/2026/recompute/",
            {"cv_count_1": "20", "cv_rate_1": "1", "spread_total": "5"},
            headers=HTMX,
        )
    assert len(statements(recompute.captured_queries)) <= RECOMPUTE_QUERIES


@pytest.mark.parametrize(
    ("action", "extra", "limit"),
    [
        ("fill_all", {}, 5),
        # Last year's plan (its input mode), then its goals.
        ("copy_previous", {}, 7),
        # Last year's actuals, then its plan and goals.
        ("spread", {"spread_total": "12", "spread_by": "last_year"}, 8),
    ],
)
def test_bulk_action_query_counts(
    marketer_client, account, django_assert_max_num_queries, action, extra, limit
):
    _fill_years(account, range(2016, 2031))
    data = bulk_post(action, m1=("1", "1")) | extra
    # session, user, membership, the year's goals, its plan; last year's goals.
    with django_assert_max_num_queries(limit):
        response = marketer_client.post(GRID, data, headers=HTMX)
    assert 'data-bulk="' in response.content.decode()


# --- 前年の実績比: last year's actuals, its targets where a month has none --------


def test_spread_by_last_year_uses_last_years_actuals(marketer_client, account):
    make_year(account, 2025, {m: (100, Decimal(1)) for m in range(1, 13)})
    MonthlyActual.objects.bulk_create(
        MonthlyActual(account=account, year=2025, month=m, cv_count=cv, visits=1)
        for m, cv in {1: 10, 2: 30, 7: 60}.items()
    )
    # Actuals for every month but the fallback ones: here, all months have
    # targets, so the nine months without an actual weigh by their target.
    data = bulk_post("spread")
    data.update(spread_total="1000", spread_rate="2", spread_by="last_year")
    html = marketer_client.post(GRID, data, headers=HTMX).content.decode()
    counts = {m: int(value(html, f"cv_count_{m}")) for m in range(1, 13)}
    # Weights 10, 30, 100 × 4, 60, 100 × 5: sum 1,000.
    assert counts[1] == 10 and counts[2] == 30 and counts[7] == 60
    assert counts[3] == 100 and sum(counts.values()) == 1000
    assert (
        "前年（2025年）の実績CV数がない月（3月、4月、5月、6月、8月、9月、10月、11月、12月）は、前年の目標CV数の比で配分しました。"
        in html
    )
    assert stored(account) == {}


def test_spread_by_last_year_with_every_actual_says_nothing_of_targets(
    marketer_client, account
):
    MonthlyActual.objects.bulk_create(
        MonthlyActual(account=account, year=2025, month=m, cv_count=m, visits=1)
        for m in range(1, 13)
    )
    data = bulk_post("spread")
    data.update(spread_total="78", spread_by="last_year")
    html = marketer_client.post(GRID, data, headers=HTMX).content.decode()
    assert [value(html, f"cv_count_{m}") for m in range(1, 13)] == [
        str(m) for m in range(1, 13)
    ]
    assert "前年の目標CV数の比で配分しました" not in html


def test_the_fill_tool_names_the_month_it_copies_from(marketer_client):
    html = marketer_client.get(GRID).content.decode()
    assert ">コピー元の月</label>" in html and "適用する月" not in html


def test_the_weights_are_in_one_block_the_script_can_hide(marketer_client):
    html = marketer_client.get(GRID).content.decode()
    # The block names the choice the script reads (the channel plan has one
    # per channel).
    block = html.split(
        '<div class="spread-weights" id="spread-weights" data-spread-weights="spread_by">'
    )[1]
    # Shown without JavaScript: the script hides it for 均等 and 前年の実績比.
    assert block.index('id="weights-hint"') < block.index("</table>")
    assert block.index('name="spread_weight_12"') < block.index("</div>")
    assert 'id="spread-weights" hidden' not in html
