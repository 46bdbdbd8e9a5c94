"""Exports over the Django test client: the year's grid as CSV and XLSX, a
worksheet as XLSX; the same figures as the screens, formula injection, account
scoping, roles and query counts."""

import datetime
import io
import re
import zipfile
from decimal import Decimal
from urllib.parse import quote

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from funnel.exports import neutralise
from funnel.models import Account, MonthlyGoal, Worksheet, WorksheetChannel

pytestmark = pytest.mark.django_db

D = Decimal
CSV_URL = "/goals/2026/export.csv"
XLSX_URL = "/goals/2026/export.xlsx"
HEADER = ["月", "CV数", "CV率(%)", "サイト訪問数"]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def goal(account, year, month, cv_count, cv_rate):
    return MonthlyGoal.objects.create(
        account=account,
        year=year,
        month=month,
        cv_count=cv_count,
        cv_rate=None if cv_rate is None else D(cv_rate),
    )


def make_worksheet(account, channels=None, **fields):
    """The seed's worked example by default (monthly, CV率 1 %)."""
    values = {
        "name": "2026年度 計画",
        "entry_date": datetime.date(2026, 4, 1),
        "basis": "monthly",
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


def csv_lines(response):
    """The CSV's cells, line by line, after checking BOM, encoding and CRLF."""
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8")[1:]
    assert text.endswith("\r\n")
    assert text.count("\n") == text.count("\r\n")  # no bare LF
    return [line.split(",") for line in text.split("\r\n")[:-1]]


def workbook(response):
    return openpyxl.load_workbook(io.BytesIO(response.content))


def sheet_xml(response):
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return archive.read("xl/worksheets/sheet1.xml").decode()


def rows_by_label(sheet):
    """{column A text: the rest of the row's values}, for the worksheet export."""
    return {
        row[0]: row[1:]
        for row in sheet.iter_rows(values_only=True)
        if row and row[0] is not None
    }


def text_of(html, element_id):
    match = re.search(rf'id="{re.escape(element_id)}"[^>]*>([^<]*)<', html)
    assert match, f"no element with id {element_id!r}"
    return match.group(1)


@pytest.fixture
def year_2026(account):
    goal(account, 2026, 1, 20, "1")  # the domain's example: 2,000 visits
    goal(account, 2026, 2, 1200, "1.5")
    goal(account, 2026, 3, 5, None)  # CV without a rate: no visits figure
    goal(account, 2026, 12, None, "2.25")


# --- CSV -------------------------------------------------------------------------


def test_csv_is_the_years_grid(marketer_client, year_2026):
    response = marketer_client.get(CSV_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    lines = csv_lines(response)
    assert lines[0] == HEADER
    assert len(lines) == 1 + 12 + 1
    assert [line[0] for line in lines[1:13]] == [f"{m}月" for m in range(1, 13)]
    assert lines[1] == ["1月", "20", "1", "2000"]
    assert lines[2] == ["2月", "1200", "1.5", "80000"]
    assert lines[3] == ["3月", "5", "", ""]
    assert lines[4] == ["4月", "", "", ""]
    assert lines[12] == ["12月", "", "2.25", ""]
    # ΣCV counts month 3; the rate only the months with visits: 1220 / 82000.
    assert lines[13] == ["合計", "1225", "1.49", "82000"]


def test_csv_totals_are_the_screens(marketer_client, year_2026):
    html = marketer_client.get("/goals/2026/").content.decode()
    totals = csv_lines(marketer_client.get(CSV_URL))[-1]
    assert text_of(html, "total-cv").replace(",", "") == totals[1]
    assert text_of(html, "total-rate") == totals[2]
    assert text_of(html, "total-visits").replace(",", "") == totals[3]


def test_csv_of_an_empty_year(marketer_client):
    lines = csv_lines(marketer_client.get(CSV_URL))
    assert lines[1:13] == [[f"{m}月", "", "", ""] for m in range(1, 13)]
    assert lines[13] == ["合計", "0", "", "0"]


def test_csv_filename(marketer_client):
    response = marketer_client.get(CSV_URL)
    assert response["Content-Disposition"] == (
        'attachment; filename="goals-2026.csv"; '
        "filename*=UTF-8''" + quote("目標設定_2026年.csv")
    )


def test_fiscal_year_from_april(marketer_client, account):
    account.fiscal_year_start_month = 4
    account.save()
    goal(account, 2026, 1, 999, "1")  # 2025年度: not this year
    goal(account, 2026, 4, 10, "1")
    goal(account, 2027, 1, 30, "2")
    goal(account, 2027, 3, 40, "4")
    goal(account, 2027, 4, 888, "1")  # 2027年度: not this year
    response = marketer_client.get(CSV_URL)
    lines = csv_lines(response)
    assert [line[0] for line in lines[1:13]] == [
        *(f"{m}月" for m in range(4, 13)),
        "2027年1月",
        "2月",
        "3月",
    ]
    assert lines[1] == ["4月", "10", "1", "1000"]
    assert lines[10] == ["2027年1月", "30", "2", "1500"]
    assert lines[12] == ["3月", "40", "4", "1000"]
    assert lines[13] == ["合計", "80", "2.29", "3500"]
    assert (
        "filename*=UTF-8''" + quote("目標設定_2026年度.csv")
        in (response["Content-Disposition"])
    )
    # The screen shows the same year.
    html = marketer_client.get("/goals/2026/").content.decode()
    assert '<small class="cal-year">2027年</small> 1月' in html
    assert text_of(html, "total-visits") == "3,500"

    sheet = workbook(marketer_client.get(XLSX_URL)).active
    labels = [row[0] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert labels[9] == "2027年1月" and labels[11] == "3月"
    assert sheet["B1"].value == "目標設定 2026年度"


# --- XLSX of the grid ------------------------------------------------------------


def test_xlsx_has_the_grid_as_numbers(marketer_client, year_2026):
    response = marketer_client.get(XLSX_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"] == (
        'attachment; filename="goals-2026.xlsx"; '
        "filename*=UTF-8''" + quote("目標設定_2026年.xlsx")
    )
    sheet = workbook(response).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("デモ株式会社", "目標設定 2026年")
    assert list(rows[1]) == HEADER
    assert len(rows) == 2 + 12 + 1
    assert rows[2] == ("1月", 20, 1, 2000)
    assert rows[3] == ("2月", 1200, 1.5, 80000)
    assert rows[4] == ("3月", 5, None, None)
    assert rows[5] == ("4月", None, None, None)
    assert rows[14] == ("合計", 1225, 1.49, 82000)
    for row in sheet.iter_rows(min_row=3, max_row=15, min_col=2):
        for cell in row:
            assert cell.value is None or cell.data_type == "n"
    for row in (3, 4, 15):
        assert sheet.cell(row=row, column=3).number_format == "0.00"
        assert sheet.cell(row=row, column=4).number_format == "#,##0"


# --- XLSX of a worksheet ---------------------------------------------------------


def test_worksheet_xlsx_has_the_seed_example(marketer_client, account):
    worksheet = make_worksheet(account)
    response = marketer_client.get(f"/worksheets/{worksheet.pk}/export.xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="worksheet-{worksheet.pk}.xlsx"; '
        "filename*=UTF-8''" + quote("2026年度 計画.xlsx")
    )
    sheet = workbook(response).active
    assert sheet["A1"].value == "2026年度 計画"
    rows = rows_by_label(sheet)
    assert rows["記入日"][0] == datetime.datetime(2026, 4, 1)
    assert rows["基準"][0] == "月次"
    assert rows["全体売上"][0] == 50_000_000
    assert rows["Web売上"][0] == 12_000_000
    assert rows["Web以外の売上"][0] == 38_000_000
    assert rows["受注単価"][0] == 4_000_000
    assert rows["受注数"][0] == 3
    assert rows["受注率"][0] == 30
    assert rows["案件化数"][0] == 10
    assert rows["案件化率"][0] == 25
    assert rows["商談数"][0] == 40
    assert rows["チャネルへの割り当て合計"][0] == 40
    assert rows["未割り当て（マイナスは超過）"][0] == 0
    assert rows["広告"][:4] == ("オンライン", 10, 10, 100)
    assert rows["オーガニック"][:4] == ("オンライン", 20, 30, 67)  # the seed's 66
    assert rows["メルマガ"][:4] == ("オンライン", 10, 20, 50)
    assert rows["リード数 合計"][3] == 217
    assert rows["うちオンライン"][3] == 217
    assert rows["CV率"][0] == 1
    assert rows["訪問数"][0] == 21700
    numbers = [
        cell for row in sheet.iter_rows() for cell in row if cell.value in (67, 21700)
    ]
    assert len(numbers) == 2 and all(cell.data_type == "n" for cell in numbers)


def test_worksheet_page_shows_the_same_figures(marketer_client, account):
    worksheet = make_worksheet(account)
    html = marketer_client.get(f"/worksheets/{worksheet.pk}/").content.decode()
    rows = rows_by_label(
        workbook(marketer_client.get(f"/worksheets/{worksheet.pk}/export.xlsx")).active
    )
    assert text_of(html, "channel-2-leads") == str(rows["オーガニック"][3])
    assert text_of(html, "result-visits").replace(",", "") == str(rows["訪問数"][0])


def test_worksheet_xlsx_offline_channel_and_skipped_step(marketer_client, account):
    worksheet = make_worksheet(
        account,
        skip_opportunity=True,
        basis="annual",
        channels=[
            ("広告", True, 10, D("10")),
            ("展示会", False, 20, D("30")),
            ("未定", True, None, None),
        ],
    )
    rows = rows_by_label(
        workbook(marketer_client.get(f"/worksheets/{worksheet.pk}/export.xlsx")).active
    )
    assert rows["基準"][0] == "年間"
    assert rows["案件化数"][0] == "省略"
    assert rows["商談数"][0] == 10  # 3 orders / 30 % (meeting → order)
    assert rows["展示会"][:4] == ("オフライン", 20, 30, 67)
    assert rows["未定"][:4] == ("オンライン", None, None, None)
    assert rows["未割り当て（マイナスは超過）"][0] == -20
    assert rows["リード数 合計"][3] == 167
    assert rows["うちオンライン"][3] == 100
    assert rows["訪問数"][0] == 10000


# --- formula injection and plain text ----------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("広告", "広告"),
        ("a=1", "a=1"),
        ("", ""),
        (-5, -5),
        (None, None),
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected


INJECTIONS = ["+cmd|' /C calc'!A0", "-2+3", '=HYPERLINK("http://x")', "\t=1"]


def test_formula_injection_is_neutralised(marketer_client, account, year_2026):
    account.name = "=1+2"
    account.save()
    worksheet = make_worksheet(
        account,
        name="@SUM(A1)",
        channels=[(name, True, 10, D("10")) for name in INJECTIONS],
    )

    for line in csv_lines(marketer_client.get(CSV_URL)):
        for cell in line:
            assert not cell.startswith(TRIGGERS)

    # XLSX: the text exactly as typed, in a string cell with the quote-prefix
    # style, never a formula.
    response = marketer_client.get(XLSX_URL)
    cell = workbook(response).active["A1"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == ("=1+2", "s", True)
    assert "<f>" not in sheet_xml(response)

    response = marketer_client.get(f"/worksheets/{worksheet.pk}/export.xlsx")
    assert "<f>" not in sheet_xml(response)
    sheet = workbook(response).active
    assert (sheet["A1"].value, sheet["A1"].data_type) == ("@SUM(A1)", "s")
    assert sheet["A1"].quotePrefix
    names = {cell.value: cell for cell in sheet["A"] if isinstance(cell.value, str)}
    for name in INJECTIONS:
        cell = names[name]
        assert (cell.data_type, cell.quotePrefix) == ("s", True)
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and not cell.value.startswith(TRIGGERS):
                assert not cell.quotePrefix


def test_markup_is_exported_as_plain_text(marketer_client, account):
    script = "<script>alert(1)</script>"
    account.name = script
    account.save()
    worksheet = make_worksheet(account, name=script)
    assert workbook(marketer_client.get(XLSX_URL)).active["A1"].value == script
    response = marketer_client.get(f"/worksheets/{worksheet.pk}/export.xlsx")
    assert workbook(response).active["A1"].value == script
    assert "<script>" not in response["Content-Disposition"]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_control_characters_do_not_break_the_xlsx(marketer_client, account):
    worksheet = make_worksheet(account, name="計画\x01\x1b/../x")
    response = marketer_client.get(f"/worksheets/{worksheet.pk}/export.xlsx")
    assert response.status_code == 200
    assert workbook(response).active["A1"].value == "計画/../x"
    assert response["Content-Disposition"].endswith(quote("計画_.._x.xlsx"))


# --- access ------------------------------------------------------------------------


def test_other_accounts_worksheet_is_404(outsider_client, account):
    worksheet = make_worksheet(account)
    assert (
        outsider_client.get(f"/worksheets/{worksheet.pk}/export.xlsx").status_code
        == 404
    )


def test_missing_worksheet_is_404(marketer_client):
    assert marketer_client.get("/worksheets/999999/export.xlsx").status_code == 404


def test_outsider_gets_only_their_own_accounts_data(
    outsider_client, account, other_account
):
    goal(account, 2026, 1, 777, "1")
    goal(other_account, 2026, 1, 5, "1")
    lines = csv_lines(outsider_client.get(CSV_URL))
    assert lines[1] == ["1月", "5", "1", "500"]
    assert lines[13] == ["合計", "5", "1.00", "500"]
    sheet = workbook(outsider_client.get(XLSX_URL)).active
    assert sheet["A1"].value == "サンプル商事"
    assert sheet["B3"].value == 5


@pytest.mark.parametrize("year", [1999, 2101, 9999])
def test_year_outside_range_is_404(marketer_client, year):
    assert marketer_client.get(f"/goals/{year}/export.csv").status_code == 404
    assert marketer_client.get(f"/goals/{year}/export.xlsx").status_code == 404


@pytest.mark.parametrize("year", [2000, 2100])
def test_years_at_the_edges(marketer_client, year):
    assert marketer_client.get(f"/goals/{year}/export.csv").status_code == 200
    assert marketer_client.get(f"/goals/{year}/export.xlsx").status_code == 200


def export_urls(account):
    worksheet = make_worksheet(account)
    return [CSV_URL, XLSX_URL, f"/worksheets/{worksheet.pk}/export.xlsx"]


def test_anonymous_is_sent_to_sign_in(client, account):
    for url in export_urls(account):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next={url}"


def test_manager_may_export(manager_client, account):
    for url in export_urls(account):
        assert manager_client.get(url).status_code == 200


def test_admin_may_export(client, admin_member, account):
    client.force_login(admin_member)
    for url in export_urls(account):
        assert client.get(url).status_code == 200


def test_user_without_membership_is_refused(client, django_user_model, account):
    urls = export_urls(account)
    client.force_login(django_user_model.objects.create_user("nobody", password="x"))
    for url in urls:
        assert client.get(url).status_code == 403


def test_inactive_account_is_refused(marketer_client, account):
    urls = export_urls(account)
    Account.objects.filter(pk=account.pk).update(is_active=False)
    for url in urls:
        assert marketer_client.get(url).status_code == 403


def test_only_get(marketer_client, account):
    for url in export_urls(account):
        assert marketer_client.post(url).status_code == 405


def test_pages_link_to_the_exports(client, marketer, manager, account):
    worksheet = make_worksheet(account)
    for user in (marketer, manager):
        client.force_login(user)
        html = client.get("/goals/2026/").content.decode()
        assert 'href="/goals/2026/export.csv"' in html
        assert 'href="/goals/2026/export.xlsx"' in html
        html = client.get(f"/worksheets/{worksheet.pk}/").content.decode()
        assert f'href="/worksheets/{worksheet.pk}/export.xlsx"' in html


# --- query counts ------------------------------------------------------------------


def count_queries(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("url", [CSV_URL, XLSX_URL])
def test_grid_export_queries_do_not_grow_with_data(marketer_client, account, url):
    goal(account, 2026, 1, 20, "1")
    few = count_queries(marketer_client, url)
    MonthlyGoal.objects.bulk_create(
        MonthlyGoal(account=account, year=year, month=month, cv_count=1, cv_rate=1)
        for year in range(2012, 2027)
        for month in range(1, 13)
        if (year, month) != (2026, 1)
    )
    assert count_queries(marketer_client, url) == few
    # session, user, membership, the year's plan (its input mode), its goals
    # (and its actuals, in the XLSX's 目標と実績 sheet)
    assert few <= (6 if url == XLSX_URL else 5)


def test_worksheet_export_queries_do_not_grow_with_channels(marketer_client, account):
    three = make_worksheet(account)
    ten = make_worksheet(
        account, channels=[(f"チャネル{i}", i % 2 == 0, i, D("25")) for i in range(10)]
    )
    few = count_queries(marketer_client, f"/worksheets/{three.pk}/export.xlsx")
    many = count_queries(marketer_client, f"/worksheets/{ten.pk}/export.xlsx")
    assert few == many
    assert few <= 5  # session, user, membership, worksheet, channels
