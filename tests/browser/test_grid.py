"""The goal grid (レポート・データ > 目標設定) in a real browser: live recompute,
saving, validation messages, roles, and the plain form without JavaScript."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from funnel.models import MonthlyGoal
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

YEAR = 2026
GRID = f"/goals/{YEAR}/"

# The cells' messages, which each recompute empties before it shows its own
# (goal_grid.html#computed).
CELL_MESSAGES = "#grid-body .field-error[data-for]"
COUNT_INVALID = "数値を入力してください（例: 1,200）。"
RATE_RANGE = "0より大きく100以下の値を入力してください（%）。"
SAVE_ERROR = "入力内容に誤りがあります。"
SAVED = "保存しました"


def count_input(page, month):
    return page.get_by_role("textbox", name=f"{month}月 CV数", exact=True)


def rate_input(page, month):
    return page.get_by_role("textbox", name=f"{month}月 CV率", exact=True)


def save_button(page):
    return page.get_by_role("button", name="保存", exact=True)


def open_grid(page, username, path=GRID):
    sign_in(page, username)
    page.goto(path)
    expect(page.get_by_role("heading", name="目標設定", level=1)).to_be_visible()


def goals(account, year=YEAR):
    return {
        goal.month: (goal.cv_count, goal.cv_rate)
        for goal in MonthlyGoal.objects.filter(account=account, year=year)
    }


def test_anonymous_user_is_sent_to_sign_in_and_back_to_the_grid(page, marketer):
    page.goto(GRID)

    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/goals/2026/"))
    expect(page.get_by_role("heading", name="ログイン")).to_be_visible()

    page.get_by_label("ユーザー名").fill("marketer")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()

    expect(page).to_have_url(re.compile(r"/goals/2026/$"))
    expect(page.get_by_role("heading", name="目標設定", level=1)).to_be_visible()
    breadcrumb = page.get_by_role("navigation", name="パンくずリスト")
    expect(breadcrumb).to_contain_text("レポート・データ")
    expect(breadcrumb).to_contain_text("目標設定")


def test_typing_recomputes_visits_and_totals_without_a_page_load(
    page, account, marketer
):
    MonthlyGoal.objects.create(
        account=account, year=YEAR, month=2, cv_count=30, cv_rate=Decimal("2")
    )
    open_grid(page, "marketer")
    expect(page.locator("#visits-1")).to_have_text("—")
    expect(page.locator("#total-visits")).to_have_text("1,500")
    expect(page.locator("#total-cv")).to_have_text("30")
    page.evaluate("window.__marker = 1")

    count_input(page, 1).press_sequentially("20")
    rate = rate_input(page, 1)
    rate.press_sequentially("1")

    expect(page.locator("#visits-1")).to_have_text("2,000")
    expect(page.locator("#total-visits")).to_have_text("3,500")
    expect(page.locator("#total-cv")).to_have_text("50")
    # 50 / 3,500 = 1.428… %
    expect(page.locator("#total-rate")).to_have_text("1.43")
    # The spans were swapped in place: same document, input untouched.
    assert page.evaluate("window.__marker") == 1
    expect(rate).to_be_focused()
    expect(rate).to_have_value("1")
    expect(count_input(page, 1)).to_have_value("20")

    # Typing on in the focused input keeps working after the swap.
    rate.press_sequentially("0")
    expect(page.locator("#visits-1")).to_have_text("200")
    expect(rate).to_be_focused()
    expect(rate).to_have_value("10")
    assert page.evaluate("window.__marker") == 1


def test_full_width_digits_and_percent_sign_are_accepted_live(page, marketer):
    open_grid(page, "marketer")

    count_input(page, 1).fill("２０")
    rate_input(page, 1).fill("1 %")

    expect(page.locator("#visits-1")).to_have_text("2,000")
    expect(page.locator("#total-visits")).to_have_text("2,000")
    expect(page.locator("#total-cv")).to_have_text("20")
    expect(page.locator(".field-error", has_text=re.compile(r"\S"))).to_have_count(0)


def test_year_navigation_goes_back_and_forward(page, marketer):
    open_grid(page, "marketer")
    expect(page.locator("#year-label")).to_have_text("2026年")

    page.get_by_role("link", name="<前の年へ").click()
    expect(page).to_have_url(re.compile(r"/goals/2025/$"))
    expect(page.locator("#year-label")).to_have_text("2025年")

    page.get_by_role("link", name="次>").click()
    expect(page).to_have_url(re.compile(r"/goals/2026/$"))
    expect(page.locator("#year-label")).to_have_text("2026年")


def test_bad_values_show_messages_and_nothing_is_saved(page, account, marketer):
    MonthlyGoal.objects.create(
        account=account, year=YEAR, month=1, cv_count=10, cv_rate=Decimal("2")
    )
    open_grid(page, "marketer")

    # Valid changes in other months, a bad value in March.
    count_input(page, 1).fill("40")
    count_input(page, 2).fill("30")
    rate_input(page, 2).fill("3")
    count_input(page, 3).fill("abc")
    rate_input(page, 3).fill("0")

    count_error = page.locator("#id_cv_count_3-error")
    rate_error = page.locator("#id_cv_rate_3-error")
    row = page.locator("#month-3")
    expect(count_error).to_have_text(COUNT_INVALID)
    expect(rate_error).to_have_text(RATE_RANGE)
    expect(row.get_by_text(COUNT_INVALID)).to_be_visible()
    expect(row.get_by_text(RATE_RANGE)).to_be_visible()
    expect(count_input(page, 3)).to_have_attribute("aria-invalid", "true")
    expect(rate_input(page, 3)).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#visits-2")).to_have_text("1,000")

    save_button(page).click()

    expect(page.get_by_role("alert").filter(has_text=SAVE_ERROR)).to_be_visible()
    expect(page.locator("#id_cv_count_3-error")).to_have_text(COUNT_INVALID)
    expect(page.locator("#id_cv_rate_3-error")).to_have_text(RATE_RANGE)
    expect(count_input(page, 3)).to_have_value("abc")
    expect(rate_input(page, 3)).to_have_value("0")
    expect(count_input(page, 1)).to_have_value("40")
    expect(count_input(page, 2)).to_have_value("30")
    expect(rate_input(page, 2)).to_have_value("3")
    expect(page.get_by_text(SAVED)).to_have_count(0)

    # All or nothing: the valid months were not saved either.
    assert goals(account) == {1: (10, Decimal("2.00"))}
    assert MonthlyGoal.objects.count() == 1


def test_saved_values_survive_a_reload(page, account, marketer):
    open_grid(page, "marketer")

    count_input(page, 1).fill("20")
    rate_input(page, 1).fill("1")
    count_input(page, 4).fill("1,200")
    rate_input(page, 4).fill("2.5")
    expect(page.locator("#visits-4")).to_have_text("48,000")

    save_button(page).click()
    expect(page.get_by_role("status").filter(has_text=SAVED)).to_be_visible()

    assert goals(account) == {
        1: (20, Decimal("1.00")),
        4: (1200, Decimal("2.50")),
    }
    row = MonthlyGoal.objects.get(account=account, year=YEAR, month=4)
    assert row.updated_by == marketer

    page.reload()
    expect(count_input(page, 1)).to_have_value("20")
    expect(rate_input(page, 1)).to_have_value("1")
    expect(count_input(page, 4)).to_have_value("1200")
    expect(rate_input(page, 4)).to_have_value("2.5")
    expect(page.locator("#visits-1")).to_have_text("2,000")
    expect(page.locator("#visits-4")).to_have_text("48,000")
    expect(page.locator("#total-visits")).to_have_text("50,000")
    expect(count_input(page, 2)).to_have_value("")


def test_manager_sees_numbers_but_no_inputs(page, account, manager):
    MonthlyGoal.objects.create(
        account=account, year=YEAR, month=1, cv_count=20, cv_rate=Decimal("1")
    )
    open_grid(page, "manager")

    expect(page.locator("#visits-1")).to_have_text("2,000")
    expect(page.locator("#total-cv")).to_have_text("20")
    expect(page.locator("#total-visits")).to_have_text("2,000")
    first_row = page.locator("#month-1")
    expect(first_row).to_contain_text("20")
    expect(first_row).to_contain_text("1 %")

    expect(count_input(page, 1)).to_have_count(0)
    expect(page.get_by_role("textbox")).to_have_count(0)
    expect(save_button(page)).to_have_count(0)
    expect(page.get_by_text("マネージャーは目標を閲覧のみできます。")).to_be_visible()


def test_changed_cells_are_marked_until_saved(page, account, marketer):
    MonthlyGoal.objects.create(
        account=account, year=YEAR, month=1, cv_count=10, cv_rate=Decimal("2")
    )
    open_grid(page, "marketer")
    changed = re.compile(r"\bchanged\b")
    count = count_input(page, 1)
    expect(count).not_to_have_class(changed)

    count.fill("15")
    expect(count).to_have_class(changed)
    expect(rate_input(page, 1)).not_to_have_class(changed)

    # Back to the saved value: no longer changed.
    count.fill("10")
    expect(count).not_to_have_class(changed)

    count.fill("15")
    rate_input(page, 2).fill("3")
    expect(count).to_have_class(changed)
    expect(rate_input(page, 2)).to_have_class(changed)

    save_button(page).click()
    expect(page.get_by_role("status").filter(has_text=SAVED)).to_be_visible()
    expect(count_input(page, 1)).to_have_value("15")
    expect(count_input(page, 1)).not_to_have_class(changed)
    expect(rate_input(page, 2)).not_to_have_class(changed)
    expect(page.locator("input.changed")).to_have_count(0)
    assert goals(account) == {1: (15, Decimal("2.00")), 2: (None, Decimal("3.00"))}


def test_plain_form_works_without_javascript(browser, live_server, account, marketer):
    context = browser.new_context(
        base_url=live_server.url,
        java_script_enabled=False,
        locale="ja-JP",
        timezone_id="Asia/Tokyo",
    )
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        open_grid(page, "marketer")
        expect(page.get_by_role("button", name="再計算")).to_be_visible()

        count_input(page, 1).fill("20")
        rate_input(page, 1).fill("1")
        count_input(page, 5).fill("３００")
        rate_input(page, 5).fill("1.5％")
        save_button(page).click()

        expect(page).to_have_url(re.compile(r"/goals/2026/$"))
        expect(page.get_by_role("status").filter(has_text=SAVED)).to_be_visible()
        expect(count_input(page, 1)).to_have_value("20")
        expect(rate_input(page, 1)).to_have_value("1")
        expect(count_input(page, 5)).to_have_value("300")
        expect(rate_input(page, 5)).to_have_value("1.5")
        expect(page.locator("#visits-1")).to_have_text("2,000")
        expect(page.locator("#visits-5")).to_have_text("20,000")
        assert goals(account) == {
            1: (20, Decimal("1.00")),
            5: (300, Decimal("1.50")),
        }

        # A bad value is refused by the server, with the message beside the cell.
        count_input(page, 1).fill("abc")
        save_button(page).click()
        expect(page.locator("#id_cv_count_1-error")).to_have_text(COUNT_INVALID)
        expect(count_input(page, 1)).to_have_value("abc")
        assert goals(account)[1] == (20, Decimal("1.00"))
    finally:
        context.close()


def test_correcting_a_bad_value_clears_its_message_and_saves(page, account, marketer):
    open_grid(page, "marketer")
    count = count_input(page, 3)
    count.fill("abc")
    rate_input(page, 3).fill("2")
    save_button(page).click()
    expect(page.get_by_role("alert").filter(has_text=SAVE_ERROR)).to_be_visible()
    expect(count_input(page, 3)).to_have_attribute("aria-invalid", "true")

    count_input(page, 3).fill("40")

    expect(page.locator("#id_cv_count_3-error")).to_have_text("")
    expect(page.locator("#visits-3")).to_have_text("2,000")
    expect(count_input(page, 3)).not_to_have_attribute("aria-invalid", "true")
    save_button(page).click()
    expect(page.get_by_role("status").filter(has_text=SAVED)).to_be_visible()
    expect(page.get_by_role("alert").filter(has_text=SAVE_ERROR)).to_have_count(0)
    assert goals(account) == {3: (40, Decimal("2.00"))}


def test_a_recompute_clears_only_the_messages_it_no_longer_has(page, marketer):
    """The recompute empties every cell's message (CELL_MESSAGES: exactly the
    24 beside the cells) and then shows the ones it has: fixing one of two
    bad cells clears that one and keeps the other, its input still flagged."""
    open_grid(page, "marketer")
    expect(page.locator(CELL_MESSAGES)).to_have_count(24)
    count_input(page, 3).fill("abc")
    rate_input(page, 5).fill("0")
    expect(page.locator("#id_cv_count_3-error")).to_have_text(COUNT_INVALID)
    expect(page.locator("#id_cv_rate_5-error")).to_have_text(RATE_RANGE)

    count_input(page, 3).fill("40")

    expect(page.locator("#id_cv_count_3-error")).to_have_text("")
    expect(count_input(page, 3)).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_cv_rate_5-error")).to_have_text(RATE_RANGE)
    expect(rate_input(page, 5)).to_have_attribute("aria-invalid", "true")
    expect(page.locator(f"{CELL_MESSAGES}:not(:empty)")).to_have_count(1)


def test_typing_the_moment_the_saved_form_appears_is_recomputed(page, marketer):
    """The answer to a save replaces the form; a keystroke that comes before
    the next task (a fast typist, a test driver) still reaches the new form's
    recompute: htmx wires the new content up as it swaps it, not 20 ms later."""
    open_grid(page, "marketer")
    count_input(page, 3).fill("abc")
    page.evaluate(
        """() => document.addEventListener("htmx:afterSwap", function typed(event) {
            // The save's answer, not a recompute's: the recompute's first
            // out-of-band swap (the messages emptied) also names the form, and
            // may come first. So not {once: true}: the listener goes when it
            // has typed.
            const config = event.detail.requestConfig;
            if (!config || config.elt.id !== "grid-form") return;
            document.removeEventListener("htmx:afterSwap", typed);
            setTimeout(() => {
                const cell = document.getElementById("id_cv_count_3");
                cell.value = "40";
                cell.dispatchEvent(new Event("input", {bubbles: true}));
            });
        })"""
    )
    rate_input(page, 3).fill("2")
    save_button(page).click()
    expect(page.get_by_role("alert").filter(has_text=SAVE_ERROR)).to_be_visible()

    expect(page.locator("#visits-3")).to_have_text("2,000")
    expect(page.locator("#id_cv_count_3-error")).to_have_text("")


# The aborted recompute, as the browser and htmx report it.
@pytest.mark.allow_console_errors(
    r"net::ERR_FAILED \(http://[^/]+/goals/2026/recompute/",
    r"^console: htmx:sendError,",
)
def test_unreachable_server_shows_a_banner_and_keeps_typed_values(page, marketer):
    open_grid(page, "marketer")
    banner = page.locator("#error-banner")
    expect(banner).to_be_hidden()

    page.route("**/recompute/**", lambda route: route.abort())
    count_input(page, 1).fill("20")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("サーバーと通信できませんでした")
    expect(count_input(page, 1)).to_have_value("20")

    page.unroute("**/recompute/**")
    rate_input(page, 1).fill("1")
    expect(page.locator("#visits-1")).to_have_text("2,000")
    expect(banner).to_be_hidden()
    expect(count_input(page, 1)).to_have_value("20")


def test_a_refused_save_puts_the_caret_in_the_first_bad_cell(page, account, marketer):
    open_grid(page, "marketer")
    count_input(page, 1).fill("20")
    rate_input(page, 4).fill("abc")
    count_input(page, 9).fill("x")
    count_input(page, 1).focus()
    save_button(page).click()
    expect(page.get_by_role("alert").filter(has_text=SAVE_ERROR)).to_be_visible()
    expect(rate_input(page, 4)).to_be_focused()
    assert goals(account) == {}


def test_a_month_with_one_input_is_marked_and_saved_with_a_warning(
    page, account, marketer
):
    open_grid(page, "marketer")
    count_input(page, 1).fill("20")
    rate_input(page, 1).fill("1")
    count_input(page, 5).fill("10")
    expect(page.locator("#total-note")).to_contain_text("1 か月は入力が不完全です")
    expect(page.locator("#total-note")).to_contain_text("（5月）")
    expect(page.locator("#visits-5 .incomplete-mark")).to_be_visible()
    expect(page.locator("#visits-1 .incomplete-mark")).to_have_count(0)
    save_button(page).click()
    expect(
        page.get_by_text("5月はCV数とCV率の一方だけが入力されている")
    ).to_be_visible()
    assert goals(account) == {1: (20, Decimal("1.00")), 5: (10, None)}
    rate_input(page, 5).fill("2")
    expect(page.locator("#total-note")).not_to_contain_text("不完全")
    expect(page.locator("#visits-5 .incomplete-mark")).to_have_count(0)
