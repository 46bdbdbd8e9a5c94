"""The goal grid as a spreadsheet, in a real browser: pasting a block copied
from Excel or Google Sheets through the real clipboard, moving with the keys,
the bulk actions (全月に適用, 前年をコピー, 年間の配分) and 元に戻す."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from funnel.models import ChangeRecord, ChangeSource, MonthlyGoal
from tests.browser.conftest import hold_the_first_post, sign_in, wait_until_held
from tests.browser.test_grid import (
    COUNT_INVALID,
    SAVE_ERROR,
    SAVED,
    count_input,
    goals,
    rate_input,
    save_button,
)

pytestmark = pytest.mark.django_db(transaction=True)

YEAR = 2026
GRID = f"/goals/{YEAR}/"
UNSAVED = "保存するまで反映されません。"
CHANGED = re.compile(r"\bchanged\b")

# Twelve months as Excel copies two columns: tab between, CRLF after each row,
# with full-width digits, thousands separators and percent signs among them.
YEAR_BLOCK = (
    "\r\n".join(
        [
            "20\t1",
            "30\t1.5",
            "1,200\t2 %",
            "４０\t１％",
            "50\t2.5",
            "60\t3",
            "70\t1",
            "80\t1",
            "90\t1",
            "100\t1",
            "110\t1",
            "120\t1",
        ]
    )
    + "\r\n"
)


@pytest.fixture
def page(browser, live_server):
    """A page whose context may use the real clipboard."""
    context = browser.new_context(
        base_url=live_server.url, locale="ja-JP", timezone_id="Asia/Tokyo"
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def open_grid(page, username="marketer"):
    sign_in(page, username)
    page.goto(GRID)
    expect(page.get_by_role("heading", name="目標設定", level=1)).to_be_visible()


def copy(page, text):
    """Put ``text`` on the system clipboard, as copying in a sheet would."""
    page.evaluate("text => navigator.clipboard.writeText(text)", text)


def paste(page, text, into):
    copy(page, text)
    into.focus()
    page.keyboard.press("Control+V")


def button(page, name):
    return page.get_by_role("button", name=name, exact=True)


def status(page, text):
    return page.get_by_role("status").filter(has_text=text)


def grid_values(page):
    return {
        m: (count_input(page, m).input_value(), rate_input(page, m).input_value())
        for m in range(1, 13)
    }


def make_year(account, year, months):
    MonthlyGoal.objects.bulk_create(
        MonthlyGoal(account=account, year=year, month=m, cv_count=cv, cv_rate=rate)
        for m, (cv, rate) in months.items()
    )


def tab_to(page, locator, limit=60):
    """Press Tab until ``locator`` has the focus, as a keyboard user would."""
    for _ in range(limit):
        if locator.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {locator}")


def test_paste_a_whole_year_and_save_with_the_keyboard_alone(page, account, marketer):
    open_grid(page)
    copy(page, YEAR_BLOCK)
    # Into the first cell with the keyboard: Tab from the top of the page.
    tab_to(page, count_input(page, 1))
    page.keyboard.press("Control+V")

    expect(count_input(page, 1)).to_be_focused()
    expect(count_input(page, 3)).to_have_value("1,200")
    expect(rate_input(page, 3)).to_have_value("2 %")
    expect(count_input(page, 4)).to_have_value("４０")
    expect(rate_input(page, 4)).to_have_value("１％")
    expect(count_input(page, 12)).to_have_value("120")
    expect(rate_input(page, 12)).to_have_value("1")
    expect(count_input(page, 12)).to_have_class(CHANGED)
    # Visits and totals recomputed by the server from the raw text.
    expect(page.locator("#visits-3")).to_have_text("60,000")
    expect(page.locator("#visits-4")).to_have_text("4,000")
    expect(page.locator("#total-cv")).to_have_text("1,970")
    expect(page.locator(".field-error", has_text=re.compile(r"\S"))).to_have_count(0)
    expect(status(page, "12行を貼り付けました。")).to_be_visible()
    assert goals(account) == {}  # nothing saved until 保存

    # Tab through the year to 保存, and press it.
    for _ in range(24):
        page.keyboard.press("Tab")
    expect(save_button(page)).to_be_focused()
    page.keyboard.press("Enter")
    expect(status(page, SAVED)).to_be_visible()
    expect(page.locator("input.changed")).to_have_count(0)

    stored = goals(account)
    assert stored[3] == (1200, Decimal("2.00"))
    assert stored[4] == (40, Decimal("1.00"))
    assert sum(cv for cv, _rate in stored.values()) == 1970

    page.reload()
    expect(count_input(page, 3)).to_have_value("1200")
    expect(rate_input(page, 3)).to_have_value("2")
    expect(count_input(page, 12)).to_have_value("120")
    expect(page.locator("#total-cv")).to_have_text("1,970")


def test_ctrl_s_saves_a_paste(page, account, marketer):
    open_grid(page)
    paste(page, "5\n6\n", count_input(page, 1))
    expect(page.locator("#total-cv")).to_have_text("11")
    page.keyboard.press("Control+S")
    expect(status(page, SAVED)).to_be_visible()
    assert goals(account) == {1: (5, None), 2: (6, None)}
    # The cell is still focused after the form was swapped.
    expect(count_input(page, 1)).to_be_focused()


def test_paste_fewer_rows_from_a_middle_month(page, account, marketer):
    make_year(account, YEAR, {m: (1, Decimal(1)) for m in range(1, 13)})
    open_grid(page)

    # A column of three counts, Google Sheets style (LF, no trailing newline).
    paste(page, "300\n400\n500", count_input(page, 6))
    expect(count_input(page, 6)).to_have_value("300")
    expect(count_input(page, 8)).to_have_value("500")
    expect(count_input(page, 5)).to_have_value("1")
    expect(count_input(page, 9)).to_have_value("1")
    # The rates were not touched: one column fills one column.
    expect(rate_input(page, 6)).to_have_value("1")
    expect(page.locator("#visits-8")).to_have_text("50,000")

    # Into CV率: the next months' rates, the counts untouched.
    paste(page, "2\n2.5\n", rate_input(page, 11))
    expect(rate_input(page, 11)).to_have_value("2")
    expect(rate_input(page, 12)).to_have_value("2.5")
    expect(count_input(page, 11)).to_have_value("1")

    # Rows below 12月 and a third column do not fit and are left out.
    paste(page, "7\t3\t999\n8\t4\t999\n9\t5\t999\n", count_input(page, 11))
    expect(count_input(page, 11)).to_have_value("7")
    expect(rate_input(page, 12)).to_have_value("4")
    expect(
        status(page, "表に入りきらない行・列は貼り付けませんでした。")
    ).to_be_visible()
    assert "999" not in page.locator("input[type=text]").evaluate_all(
        "inputs => inputs.map(input => input.value)"
    )
    assert goals(account)[11] == (1, Decimal("1.00"))


def test_pasted_bad_values_get_the_servers_messages(page, account, marketer):
    open_grid(page)
    paste(page, "abc\t1\n20\t0\n", count_input(page, 1))
    expect(page.locator("#id_cv_count_1-error")).to_have_text(COUNT_INVALID)
    expect(page.locator("#id_cv_rate_2-error")).to_contain_text("0より大きく100以下")
    expect(count_input(page, 1)).to_have_attribute("aria-invalid", "true")
    expect(count_input(page, 1)).to_have_value("abc")


def test_enter_and_shift_enter_move_between_months(page, marketer):
    open_grid(page)
    count_input(page, 1).focus()
    page.keyboard.type("10")
    page.keyboard.press("Enter")
    expect(count_input(page, 2)).to_be_focused()
    page.keyboard.type("20")
    page.keyboard.press("Enter")
    expect(count_input(page, 3)).to_be_focused()
    page.keyboard.press("Shift+Enter")
    expect(count_input(page, 2)).to_be_focused()
    # The cell reached is wholly selected: typing replaces it.
    page.keyboard.type("25")
    expect(count_input(page, 2)).to_have_value("25")

    rate_input(page, 11).focus()
    page.keyboard.press("Enter")
    expect(rate_input(page, 12)).to_be_focused()
    page.keyboard.press("Enter")  # the last month: stays, never submits
    expect(rate_input(page, 12)).to_be_focused()
    expect(status(page, SAVED)).to_have_count(0)
    expect(page.locator("#total-cv")).to_have_text("35")


def test_arrows_move_unless_the_caret_is_inside_the_number(page, marketer):
    open_grid(page)
    count = count_input(page, 5)
    count.focus()
    page.keyboard.type("1200")
    # The caret is at the end of what was typed: ↓ moves on at once.
    page.keyboard.press("ArrowDown")
    expect(count_input(page, 6)).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(count).to_be_focused()
    # Entered by a key, the value is wholly selected; put the caret inside it.
    page.keyboard.press("ArrowLeft")  # whole value selected: CV数 has no left
    page.keyboard.press("End")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowUp")  # inside the number: the caret goes to the start
    expect(count).to_be_focused()
    page.keyboard.press("ArrowUp")  # now at the start: moves
    expect(count_input(page, 4)).to_be_focused()

    # → at the end of CV数 goes to CV率 of the same month, ← back.
    page.keyboard.press("ArrowRight")
    expect(rate_input(page, 4)).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(count_input(page, 4)).to_be_focused()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")  # 1月: nowhere further up
    expect(count_input(page, 1)).to_be_focused()

    # Esc takes the cell back to what it held when entered.
    count.focus()
    page.keyboard.type("99")
    page.keyboard.press("Escape")
    expect(count).to_have_value("1200")


def test_tab_goes_along_the_months(page, marketer):
    open_grid(page)
    count_input(page, 1).focus()
    page.keyboard.press("Tab")
    expect(rate_input(page, 1)).to_be_focused()
    page.keyboard.press("Tab")
    expect(count_input(page, 2)).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(rate_input(page, 1)).to_be_focused()


def test_fill_all_and_undo(page, account, marketer):
    make_year(account, YEAR, {2: (5, Decimal(5))})
    open_grid(page)
    count_input(page, 4).fill("1,200")
    rate_input(page, 4).fill("1.5")
    # Entering 4月 chose it as the month to apply.
    expect(page.get_by_label("コピー元の月")).to_have_value("4")

    button(page, "全月に適用").click()
    expect(status(page, "4月の値を全月に適用しました。" + UNSAVED)).to_be_visible()
    for month in (1, 2, 12):
        expect(count_input(page, month)).to_have_value("1200")
        expect(rate_input(page, month)).to_have_value("1.5")
    expect(count_input(page, 2)).to_have_class(CHANGED)
    expect(page.locator("#total-cv")).to_have_text("14,400")
    assert goals(account) == {2: (5, Decimal("5.00"))}
    # 保存 now would record 一括入力 …
    expect(page.locator("#bulk-mark")).to_be_attached()

    button(page, "元に戻す").click()
    # The button hides; the focus goes back to the cell last entered.
    expect(rate_input(page, 4)).to_be_focused()
    expect(count_input(page, 2)).to_have_value("5")
    expect(count_input(page, 1)).to_have_value("")
    expect(count_input(page, 4)).to_have_value("1,200")
    expect(count_input(page, 2)).not_to_have_class(CHANGED)
    expect(page.locator("#total-cv")).to_have_text("1,205")
    expect(button(page, "元に戻す")).to_be_hidden()
    expect(status(page, "一括入力の前の値に戻しました。")).to_be_visible()
    # … and after 元に戻す, typing.
    expect(page.locator("#bulk-mark")).not_to_be_attached()


def test_copy_last_year_and_undo(page, account, marketer):
    make_year(account, YEAR - 1, {1: (20, Decimal(1)), 7: (70, Decimal(2))})
    open_grid(page)
    count_input(page, 3).fill("33")

    button(page, "前年をコピー").click()
    expect(
        status(page, "前年（2025年）の目標を読み込みました。" + UNSAVED)
    ).to_be_visible()
    expect(count_input(page, 1)).to_have_value("20")
    expect(rate_input(page, 7)).to_have_value("2")
    expect(count_input(page, 3)).to_have_value("")
    expect(page.locator("#total-visits")).to_have_text("5,500")
    assert goals(account) == {}

    button(page, "元に戻す").click()
    expect(count_input(page, 1)).to_have_value("")
    expect(count_input(page, 3)).to_have_value("33")
    expect(page.locator("#total-cv")).to_have_text("33")


def test_copy_last_year_undo_and_save_with_the_keyboard_alone(page, account, marketer):
    make_year(account, YEAR - 1, {m: (m, Decimal(2)) for m in range(1, 13)})
    open_grid(page)
    tab_to(page, count_input(page, 1))
    page.keyboard.type("7")
    copy_button = button(page, "前年をコピー")
    tab_to(page, copy_button)
    page.keyboard.press("Enter")
    expect(count_input(page, 12)).to_have_value("12")
    expect(count_input(page, 1)).to_have_value("1")
    # The focus stays on the button after the form was swapped.
    expect(copy_button).to_be_focused()

    page.keyboard.press("Control+Z")
    expect(count_input(page, 1)).to_have_value("7")
    expect(count_input(page, 12)).to_have_value("")
    expect(copy_button).to_be_focused()

    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    expect(count_input(page, 1)).to_have_value("1")
    page.keyboard.press("Control+S")
    expect(status(page, SAVED)).to_be_visible()
    assert goals(account) == {m: (m, Decimal("2.00")) for m in range(1, 13)}
    assert set(ChangeRecord.objects.values_list("source", flat=True)) == {
        ChangeSource.BULK
    }


def test_a_save_pressed_while_a_bulk_action_is_answered_is_not_lost(
    page, account, marketer
):
    """Ctrl+S while 前年をコピー is still on its way: the save waits for the
    copy's answer and saves the form it brings (htmx alone would queue it on
    the form the answer replaces, and drop it)."""
    make_year(account, YEAR - 1, {m: (m, Decimal(2)) for m in range(1, 13)})
    open_grid(page)
    held = hold_the_first_post(page, GRID)
    button(page, "前年をコピー").click()
    wait_until_held(page, held)
    page.keyboard.press("Control+S")
    held[0].continue_()
    expect(status(page, SAVED)).to_be_visible()
    assert goals(account) == {m: (m, Decimal("2.00")) for m in range(1, 13)}


def test_copy_an_empty_last_year_says_so(page, account, marketer):
    open_grid(page)
    count_input(page, 1).fill("8")
    button(page, "前年をコピー").click()
    expect(status(page, "前年（2025年）の目標がありません。")).to_be_visible()
    expect(count_input(page, 1)).to_have_value("8")
    expect(button(page, "元に戻す")).to_be_hidden()


def test_spread_evenly_and_undo(page, account, marketer):
    open_grid(page)
    page.get_by_text("年間の数値から配分").click()
    page.get_by_label("年間CV数").fill("1,000")
    page.get_by_label("CV率（全月）").fill("２％")
    button(page, "配分する").click()

    expect(status(page, "年間CV数 1,000 を各月に配分しました。")).to_be_visible()
    counts = [int(v) for v, _rate in grid_values(page).values()]
    assert counts == [84] * 4 + [83] * 8
    expect(rate_input(page, 9)).to_have_value("2")
    expect(page.locator("#total-cv")).to_have_text("1,000")
    expect(page.locator("#visits-1")).to_have_text("4,200")
    assert goals(account) == {}

    button(page, "元に戻す").click()
    expect(count_input(page, 1)).to_have_value("")
    expect(page.locator("#total-cv")).to_have_text("0")


def test_spread_by_last_years_profile_with_the_keyboard(page, account, marketer):
    make_year(
        account,
        YEAR - 1,
        {m: (cv, Decimal(1)) for m, cv in {1: 10, 4: 30, 8: 45, 12: 15}.items()},
    )
    open_grid(page)
    page.get_by_text("年間の数値から配分").click()
    page.get_by_label("年間CV数").fill("301")
    page.get_by_label("前年の実績比").check()
    page.get_by_label("年間CV数").press("Enter")  # Enter in the field spreads

    expect(status(page, "年間CV数 301 を各月に配分しました。")).to_be_visible()
    values = grid_values(page)
    counts = {m: int(cv) for m, (cv, _rate) in values.items()}
    assert sum(counts.values()) == 301
    assert (counts[1], counts[4], counts[8], counts[12]) == (30, 90, 136, 45)
    assert counts[2] == 0
    # No rate given: the months keep theirs (none here).
    assert {rate for _cv, rate in values.values()} == {""}
    assert goals(account) == {}


def test_bad_spread_input_keeps_what_was_typed(page, account, marketer):
    open_grid(page)
    count_input(page, 1).fill("20")
    page.get_by_text("年間の数値から配分").click()
    page.get_by_label("年間CV数").fill("-100")
    page.get_by_label("CV率（全月）").fill("0")
    button(page, "配分する").click()

    expect(page.locator("#id_spread_total-error")).to_contain_text(
        "マイナスの値は入力できません"
    )
    expect(page.locator("#id_spread_rate-error")).to_contain_text("0より大きく100以下")
    expect(page.get_by_label("年間CV数")).to_have_value("-100")
    expect(page.get_by_label("年間CV数")).to_have_attribute("aria-invalid", "true")
    expect(count_input(page, 1)).to_have_value("20")
    expect(button(page, "元に戻す")).to_be_hidden()


def test_undo_a_paste_with_ctrl_z(page, account, marketer):
    make_year(account, YEAR, {1: (1, Decimal(1))})
    open_grid(page)
    paste(page, "10\t2\n20\t2\n", count_input(page, 1))
    expect(page.locator("#total-cv")).to_have_text("30")
    expect(button(page, "元に戻す")).to_be_visible()

    page.keyboard.press("Control+Z")
    expect(count_input(page, 1)).to_have_value("1")
    expect(rate_input(page, 1)).to_have_value("1")
    expect(count_input(page, 2)).to_have_value("")
    expect(page.locator("#total-cv")).to_have_text("1")
    expect(page.locator("input.changed")).to_have_count(0)
    expect(button(page, "元に戻す")).to_be_hidden()


def test_bulk_action_then_a_failed_save_keeps_every_value(page, account, marketer):
    make_year(account, YEAR - 1, {m: (m * 10, Decimal(1)) for m in range(1, 13)})
    open_grid(page)
    button(page, "前年をコピー").click()
    expect(count_input(page, 12)).to_have_value("120")

    count_input(page, 5).fill("abc")
    save_button(page).click()

    expect(page.get_by_role("alert").filter(has_text=SAVE_ERROR)).to_be_visible()
    expect(page.locator("#id_cv_count_5-error")).to_have_text(COUNT_INVALID)
    expect(count_input(page, 5)).to_have_value("abc")
    for month in (1, 4, 6, 12):
        expect(count_input(page, month)).to_have_value(str(month * 10))
        expect(rate_input(page, month)).to_have_value("1")
    assert goals(account) == {}

    # Undo still takes the grid back to before the copy.
    button(page, "元に戻す").click()
    expect(count_input(page, 12)).to_have_value("")
    expect(count_input(page, 5)).to_have_value("")

    # Redo the copy, fix nothing, save: the year is stored.
    button(page, "前年をコピー").click()
    expect(count_input(page, 12)).to_have_value("120")
    save_button(page).click()
    expect(status(page, SAVED)).to_be_visible()
    expect(button(page, "元に戻す")).to_be_hidden()
    assert goals(account) == {m: (m * 10, Decimal("1.00")) for m in range(1, 13)}


def test_bulk_actions_work_without_javascript(browser, live_server, account, marketer):
    make_year(account, YEAR - 1, {1: (20, Decimal(1))})
    context = browser.new_context(
        base_url=live_server.url,
        java_script_enabled=False,
        locale="ja-JP",
        timezone_id="Asia/Tokyo",
    )
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        open_grid(page)
        expect(button(page, "元に戻す")).to_be_hidden()
        button(page, "前年をコピー").click()
        expect(count_input(page, 1)).to_have_value("20")
        expect(count_input(page, 1)).to_have_class(CHANGED)
        page.get_by_label("コピー元の月").select_option("1")
        button(page, "全月に適用").click()
        expect(count_input(page, 12)).to_have_value("20")
        save_button(page).click()
        expect(status(page, SAVED)).to_be_visible()
        assert goals(account) == {m: (20, Decimal("1.00")) for m in range(1, 13)}
    finally:
        context.close()


def test_the_weights_show_only_for_typed_ratios(page, account, marketer):
    open_grid(page)
    page.get_by_text("年間の数値から配分").click()
    weights = page.locator("#spread-weights")
    # 均等 is chosen: the 12 比率 inputs are not in the way.
    expect(weights).to_be_hidden()
    page.get_by_label("前年の実績比").check()
    expect(weights).to_be_hidden()
    page.get_by_label("比率を指定").check()
    expect(weights).to_be_visible()
    paste(
        page,
        "\n".join(["1"] * 6 + ["3"] * 6),
        page.get_by_label("1月 比率", exact=True),
    )
    page.get_by_label("年間CV数").fill("240")
    button(page, "配分する").click()
    expect(status(page, "年間CV数 240 を各月に配分しました。")).to_be_visible()
    # The answer keeps 比率を指定, and with it the weights on screen.
    expect(weights).to_be_visible()
    assert [grid_values(page)[m][0] for m in (1, 12)] == ["10", "30"]
    page.get_by_label("均等").check()
    expect(weights).to_be_hidden()


def test_the_weights_are_there_without_javascript(browser, live_server, marketer):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, "marketer")
    page.goto(GRID)
    page.get_by_text("年間の数値から配分").click()
    expect(page.get_by_label("1月 比率", exact=True)).to_be_visible()
    context.close()
