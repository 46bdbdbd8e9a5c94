"""CSVから実績を取り込む in a real browser: choose a file, read the preview,
confirm, and land on the actuals page; a refused file offers no confirmation;
the same flow without JavaScript."""

import re

import pytest
from playwright.sync_api import expect

from funnel.models import MonthlyActual
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

YEAR = 2026
IMPORT = f"/goals/{YEAR}/actuals/import/"
GA4 = (
    "# Google Analytics 4\n"
    "\n"
    "Year month,Sessions,Key events\n"
    '202601,"1,200",12\n'
    "202602,900,9\n"
    "Grand total,2100,21\n"
)


def csv_path(tmp_path, text, encoding="utf-8"):
    path = tmp_path / "analytics.csv"
    path.write_bytes(text.encode(encoding))
    return path


def stored(account):
    return {
        (a.year, a.month): (a.cv_count, a.visits)
        for a in MonthlyActual.objects.filter(account=account)
    }


def open_import(page):
    page.goto(IMPORT)
    expect(page.get_by_role("heading", name="CSVから実績を取り込む")).to_be_visible()


def test_marketer_uploads_previews_and_confirms(page, marketer, account, tmp_path):
    MonthlyActual.objects.create(
        account=account, year=YEAR, month=1, cv_count=3, visits=300
    )
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, "marketer")
    open_import(page)
    expect(page.get_by_text("1 MB", exact=False).first).to_be_visible()

    page.get_by_label("CSVファイル").set_input_files(csv_path(tmp_path, GA4))
    page.get_by_role("button", name="プレビュー").click()

    months = page.locator("#import-months")
    expect(months).to_be_visible()
    january = page.locator("#import-month-1")
    expect(january).to_contain_text("2026年1月")
    expect(january.locator("td")).to_have_text(["4", "3", "300", "12", "1,200"])
    expect(page.locator("#import-month-2")).to_contain_text("900")
    expect(page.locator("#import-skipped")).to_contain_text("Grand total")
    expect(page.locator("#import-changes")).to_have_text(
        "確定すると4件の値が変わります。"
    )
    # The preview came in place (htmx): the file is still chosen, nothing written.
    assert page.locator("#id_file").evaluate("input => input.files.length") == 1
    assert stored(account) == {(2026, 1): (3, 300)}

    page.get_by_role("button", name="取り込みを確定する").click()

    expect(page).to_have_url(re.compile(r"/goals/2026/actuals/$"))
    expect(page.get_by_role("status").filter(has_text="4件の値を変更")).to_be_visible()
    assert stored(account) == {(2026, 1): (12, 1200), (2026, 2): (9, 900)}
    assert errors == []  # no script or style refused by the CSP


def test_a_refused_row_offers_no_confirmation(page, marketer, account, tmp_path):
    text = "年月,訪問数,CV数\n2026年1月,100,1\n2026年13月,100,1\n2026年2月,=1+1,2\n"
    sign_in(page, "marketer")
    open_import(page)
    page.get_by_label("CSVファイル").set_input_files(
        csv_path(tmp_path, text, encoding="cp932")
    )
    page.get_by_role("button", name="プレビュー").click()

    expect(page.locator("#import-blocked")).to_contain_text("確定できません")
    refused = page.locator("#import-refused tbody tr")
    expect(refused).to_have_count(2)
    expect(refused.nth(0)).to_contain_text("存在しない月です")
    expect(refused.nth(1)).to_contain_text("数式は取り込めません")
    expect(page.get_by_role("button", name="取り込みを確定する")).to_have_count(0)
    assert stored(account) == {}


def test_a_file_that_is_not_csv_gets_a_message_beside_the_field(
    page, marketer, tmp_path
):
    path = tmp_path / "report.xlsx"
    path.write_bytes(b"PK\x03\x04\x14\x00\x06\x00")
    sign_in(page, "marketer")
    open_import(page)
    page.get_by_label("CSVファイル").set_input_files(path)
    page.get_by_role("button", name="プレビュー").click()
    expect(page.locator("#id_file-error")).to_contain_text(
        "Excelファイル（.xlsx）は読み込めません"
    )


def test_without_javascript(browser, live_server, marketer, account, tmp_path):
    context = browser.new_context(
        base_url=live_server.url, locale="ja-JP", java_script_enabled=False
    )
    page = context.new_page()
    try:
        sign_in(page, "marketer")
        open_import(page)
        page.get_by_label("CSVファイル").set_input_files(csv_path(tmp_path, GA4))
        page.get_by_role("button", name="プレビュー").click()
        expect(page.locator("#import-months")).to_be_visible()
        page.get_by_role("button", name="取り込みを確定する").click()
        expect(page).to_have_url(re.compile(r"/goals/2026/actuals/$"))
        expect(page.get_by_text("4件の値を変更")).to_be_visible()
        assert stored(account) == {(2026, 1): (12, 1200), (2026, 2): (9, 900)}
    finally:
        context.close()
