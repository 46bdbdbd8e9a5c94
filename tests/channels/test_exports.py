"""Exports of a year planned per channel: the XLSX's チャネル別 sheet (every
year, empty when the year is planned as totals), the CSV in long format for
a channel-mode year, the grid sheet's sums, formula-neutralising of channel
names, and constant queries whatever the number of channels."""

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from funnel import selectors, services
from funnel.models import Channel, MonthlyGoal

pytestmark = pytest.mark.django_db

D = Decimal
CSV_URL = "/goals/2026/export.csv"
XLSX_URL = "/goals/2026/export.xlsx"
MONTHS = [f"{m}月" for m in range(1, 13)]


@pytest.fixture
def channels(account):
    services.channel_defaults_create(account=account)
    return {c.name: c for c in selectors.channel_list(account=account)}


@pytest.fixture
def planned(account, marketer, channels):
    """2026 planned per channel over totals that stay stored (ignored): two
    Web channels of 7 at 3 % in January (234 + 234 = 468 visits, not 467),
    展示会's 30 leads, and 広告 10 at 2 % in February."""
    MonthlyGoal.objects.create(
        account=account, year=2026, month=1, cv_count=100, cv_rate=D(1)
    )
    ads, organic, expo = (channels[n].pk for n in ("広告", "オーガニック", "展示会"))
    services.channel_year_save(
        account=account,
        year=2026,
        values={
            (ads, 1): (7, D(3)),
            (organic, 1): (7, D(3)),
            (expo, 1): (30, None),
            (ads, 2): (10, D(2)),
        },
        user=marketer,
        switch=True,
    )
    return channels


def read_csv(response):
    assert response.status_code == 200
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def read_xlsx(response):
    assert response.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(response.content))


def rows_of(sheet):
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_csv_of_a_channel_year_is_long_format(marketer_client, planned):
    rows = read_csv(marketer_client.get(CSV_URL))
    assert rows == [
        ["年月", "チャネル", "CV数", "CV率", "サイト訪問数"],
        ["2026年1月", "広告", "7", "3", "234"],
        ["2026年1月", "オーガニック", "7", "3", "234"],
        ["2026年1月", "展示会", "30", "", ""],
        ["2026年2月", "広告", "10", "2", "500"],
    ]


def test_csv_months_follow_the_fiscal_year(marketer_client, account, marketer):
    account.fiscal_year_start_month = 4
    account.save()
    services.channel_defaults_create(account=account)
    ads = selectors.channel_list(account=account)[0]
    services.channel_year_save(
        account=account,
        year=2026,
        values={(ads.pk, 1): (5, D(1)), (ads.pk, 4): (3, D(1))},
        user=marketer,
    )
    rows = read_csv(marketer_client.get(CSV_URL))
    # 2026年度 is April 2026 to March 2027: April first, January in 2027.
    assert [row[:3] for row in rows[1:]] == [
        ["2026年4月", "広告", "3"],
        ["2027年1月", "広告", "5"],
    ]


def test_csv_of_a_year_back_to_totals_is_the_grid(
    marketer_client, account, marketer, planned
):
    services.plan_mode_total(account=account, year=2026, user=marketer)
    rows = read_csv(marketer_client.get(CSV_URL))
    assert rows[0] == ["月", "CV数", "CV率(%)", "サイト訪問数"]
    # The last sums became the totals: 14 at 2.99 % (14 ÷ 468).
    assert rows[1][:3] == ["1月", "14", "2.99"]


def test_channel_names_that_look_like_formulas_stay_text(
    marketer_client, account, marketer
):
    evil = Channel.objects.create(
        account=account, name="=HYPERLINK(1)", online=True, position=1
    )
    services.channel_year_save(
        account=account, year=2026, values={(evil.pk, 3): (4, D(2))}, user=marketer
    )
    rows = read_csv(marketer_client.get(CSV_URL))
    assert rows[1][:2] == ["2026年3月", "'=HYPERLINK(1)"]
    sheet = read_xlsx(marketer_client.get(XLSX_URL))["チャネル別"]
    cell = sheet["A3"]
    assert cell.value == "=HYPERLINK(1)"
    assert cell.data_type == "s"


def test_xlsx_has_a_channel_sheet_with_months_and_totals(marketer_client, planned):
    book = read_xlsx(marketer_client.get(XLSX_URL))
    assert book.sheetnames == ["目標設定", "目標と実績", "チャネル別"]
    rows = rows_of(book["チャネル別"])
    assert rows[0][:2] == ["デモ株式会社", "チャネル別 2026年"]
    assert rows[1] == ["チャネル", "項目", *MONTHS, "年間"]
    body = {(row[0], row[1]): row[2:] for row in rows[2:]}
    empty = [None] * 10
    assert body["広告", "CV数"] == [7, 10, *empty, 17]
    assert body["広告", "CV率(%)"][:2] == [3, 2]
    assert body["広告", "サイト訪問数"] == [234, 500, *empty, 734]
    assert body["オーガニック", "サイト訪問数"] == [234, None, *empty, 234]
    assert body["メルマガ", "CV数"] == [None] * 13
    # A channel that is not Web has リード数 only.
    assert body["展示会", "リード数"] == [30, None, *empty, 30]
    assert ("展示会", "CV率(%)") not in body
    assert body["合計", "CV数（Web）"] == [14, 10, *empty, 24]
    assert body["合計", "サイト訪問数"] == [468, 500, *empty, 968]
    assert body["合計", "CV率(%)"][:2] == [2.99, 2]
    assert body["合計", "CV率(%)"][-1] == 2.48  # 24 ÷ 968
    assert body["合計", "リード数（Web以外）"] == [30, None, *empty, 30]
    assert body["合計", "リード数 合計"] == [44, 10, *empty, 54]


def test_xlsx_grid_and_actuals_sheets_show_the_channel_sums(marketer_client, planned):
    book = read_xlsx(marketer_client.get(XLSX_URL))
    grid = rows_of(book["目標設定"])
    # The stored total of 100 CV in January is ignored: the channels' sums.
    assert grid[2] == ["1月", 14, 2.99, 468]
    assert grid[3] == ["2月", 10, 2, 500]
    assert grid[14] == ["合計", 24, 2.48, 968]
    actuals = rows_of(book["目標と実績"])
    assert actuals[2][:2] == ["2026年1月", 14]
    assert actuals[2][4] == 468  # 目標訪問数


def test_xlsx_of_a_year_planned_as_totals_has_an_empty_channel_sheet(
    marketer_client, account, channels
):
    MonthlyGoal.objects.create(
        account=account, year=2026, month=1, cv_count=20, cv_rate=D(1)
    )
    rows = rows_of(read_xlsx(marketer_client.get(XLSX_URL))["チャネル別"])
    assert rows[1] == ["チャネル", "項目", *MONTHS, "年間"]
    assert rows[2][0] == "この年はチャネル別に計画されていません（合計で入力）。"
    assert len(rows) == 3


def test_managers_download(manager_client, planned):
    assert len(read_csv(manager_client.get(CSV_URL))) == 5
    assert "チャネル別" in read_xlsx(manager_client.get(XLSX_URL)).sheetnames


def test_other_accounts_see_nothing(outsider_client, planned):
    # The outsider's own 2026 is empty: nothing of this account leaks.
    rows = read_csv(outsider_client.get(CSV_URL))
    assert rows[0][0] == "月"
    assert all(row[1] == "" for row in rows[1:13])
    sheet = read_xlsx(outsider_client.get(XLSX_URL))["チャネル別"]
    assert "広告" not in [row[0] for row in rows_of(sheet)]


def count_queries(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("url", [CSV_URL, XLSX_URL])
def test_queries_do_not_grow_with_channels(
    marketer_client, account, marketer, planned, url
):
    few = count_queries(marketer_client, url)
    more = [
        Channel.objects.create(account=account, name=f"ch{i}", online=i % 2 == 0)
        for i in range(10)
    ]
    services.channel_year_save(
        account=account,
        year=2026,
        values={
            (c.pk, m): (m, D(1) if c.online else None)
            for c in more
            for m in range(1, 13)
        },
        user=marketer,
    )
    assert count_queries(marketer_client, url) == few
    # session, user, membership, the plan, its channel goals, the channels
    # (and the actuals in the XLSX)
    assert few <= (7 if url == XLSX_URL else 6)
