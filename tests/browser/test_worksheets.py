"""The revenue worksheet (BtoBマーケティングにおける目標設定) in a real browser:
the seed's worked example computed live, channels, skipping ③, validation,
applying to the 目標設定 grid, the print view and the manager's read-only view."""

import datetime
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from funnel import services
from funnel.models import (
    Basis,
    Channel,
    ChannelActual,
    ChannelGoal,
    MonthlyActual,
    MonthlyGoal,
    Worksheet,
    WorksheetChannel,
)
from tests.browser.conftest import (
    assert_accessible,
    hold_the_first_post,
    sign_in,
    wait_until_held,
)

pytestmark = pytest.mark.django_db(transaction=True)

NEW = "/worksheets/new/"
TITLE = "BtoBマーケティングにおける目標設定"
SKIP_OPPORTUNITY = "③ 案件化数を省略する（低単価商材など）"

WEB_ABOVE_TOTAL = "Web売上は全体売上以下にしてください（全体売上の一部です）。"
RATE_RANGE = "0より大きく100以下の値を入力してください（%）。"
SAVE_ERROR = "入力内容に誤りがあります。赤く表示された欄を直してから保存してください。"
# The inputs' messages, all emptied by the first swap of each recompute
# (worksheet.html#computed).
INPUT_MESSAGES = "#worksheet-form .field-error[data-for]"

# The seed's worked example (domain.md, screen 2).
SEED_FIELDS = {
    "全体売上": "50,000,000",
    "Web売上": "12,000,000",
    "受注単価": "4,000,000",
    "受注率": "30",
    "案件化率": "25",
}
SEED_CHANNELS = [
    ("広告", "10", "10"),
    ("オーガニック", "20", "30"),
    ("メルマガ", "10", "20"),
]
SEED_CV_RATE = "1"
SEED_RESULTS = {
    "#result-nonweb": "3,800万円",
    "#result-orders": "3",
    "#result-opportunities": "10",
    "#result-meetings": "40",
    "#result-allotted": "40",
    "#channel-1-leads": "100",
    "#channel-2-leads": "67",
    "#channel-3-leads": "50",
    "#result-leads-total": "217",
    "#result-online-leads": "217",
    "#result-visits": "21,700",
}


# --- locators ---------------------------------------------------------------


def field(page, name):
    return page.get_by_role("textbox", name=name, exact=True)


def row(page, number):
    return page.locator(f"#channel-row-{number}")


def channel_field(page, number, name):
    return row(page, number).get_by_role("textbox", name=name, exact=True)


def online_box(page, number):
    return row(page, number).get_by_role("checkbox", name="オンライン", exact=True)


def save_button(page):
    return page.get_by_role("button", name="保存", exact=True)


def add_channel_button(page):
    return page.get_by_role("button", name="＋ チャネルを追加", exact=True)


def result(page, selector):
    return page.locator(selector)


# --- steps ------------------------------------------------------------------


def open_new_worksheet(page, username="marketer"):
    sign_in(page, username)
    page.goto(NEW)
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    expect(row(page, 3)).to_be_visible()


def type_seed_example(page, name="2026年度 月次"):
    """Type the seed's example as a user would; CV率 last, key by key."""
    field(page, "ワークシート名").fill(name)
    for label, value in SEED_FIELDS.items():
        field(page, label).fill(value)
    for number, (channel, meetings, rate) in enumerate(SEED_CHANNELS, start=1):
        expect(channel_field(page, number, "チャネル名")).to_have_value(channel)
        channel_field(page, number, "商談数").fill(meetings)
        channel_field(page, number, "商談化率").fill(rate)
    cv_rate = field(page, "CV率")
    cv_rate.press_sequentially(SEED_CV_RATE)
    return cv_rate


def expect_seed_results(page):
    for selector, text in SEED_RESULTS.items():
        expect(result(page, selector)).to_have_text(text)


def expect_seed_inputs(page):
    for label, value in SEED_FIELDS.items():
        expect(field(page, label)).to_have_value(value)
    for number, (channel, meetings, rate) in enumerate(SEED_CHANNELS, start=1):
        expect(channel_field(page, number, "チャネル名")).to_have_value(channel)
        expect(channel_field(page, number, "商談数")).to_have_value(meetings)
        expect(channel_field(page, number, "商談化率")).to_have_value(rate)
        expect(online_box(page, number)).to_be_checked()
    expect(field(page, "CV率")).to_have_value(SEED_CV_RATE)


def expect_saved(page, name):
    """A new worksheet saved: its own page, and the message saying so."""
    expect(page).to_have_url(re.compile(r"/worksheets/\d+/$"))
    expect(
        page.get_by_role("status").filter(
            has_text=f"ワークシート「{name}」を保存しました。"
        )
    ).to_be_visible()


def save_seed_worksheet(account, user, name="2026年度 月次", basis=Basis.MONTHLY):
    """The seed's example stored directly, as the editor would have saved it."""
    return services.worksheet_save(
        account=account,
        fields={
            "name": name,
            "entry_date": datetime.date(2026, 4, 1),
            "basis": basis,
            "total_revenue": 50_000_000,
            "web_revenue": 12_000_000,
            "unit_price": 4_000_000,
            "win_rate": Decimal("30"),
            "opportunity_rate": Decimal("25"),
            "skip_opportunity": False,
            "cv_rate": Decimal("1"),
        },
        channels=[
            {
                "name": channel,
                "online": True,
                "meetings": int(meetings),
                "meeting_rate": Decimal(rate),
            }
            for channel, meetings, rate in SEED_CHANNELS
        ],
        user=user,
    )


# --- tests ------------------------------------------------------------------


def test_seed_example_computes_live_without_a_page_load(page, marketer):
    open_new_worksheet(page)
    # An empty worksheet: nothing computed yet.
    expect(result(page, "#result-orders")).to_have_text("—")
    expect(result(page, "#result-visits")).to_have_text("—")
    page.evaluate("window.__marker = 1")

    cv_rate = type_seed_example(page)

    expect_seed_results(page)
    expect(page.locator("#result-unallotted")).to_have_text(
        "④の商談数と一致しています。"
    )
    # The formulas show the user's own numbers.
    expect(page.locator("#formula-2")).to_contain_text("1,200万円 / 受注単価 400万円")
    expect(page.locator("#formula-6")).to_contain_text("217件 / CV率 1%")
    # Only result spans were swapped: same document, the focused input untouched.
    assert page.evaluate("window.__marker") == 1
    expect(cv_rate).to_be_focused()
    expect(cv_rate).to_have_value("1")
    expect_seed_inputs(page)

    # Typing on in the focused input keeps working after the swaps: 1.5 %.
    cv_rate.press_sequentially(".5")
    expect(result(page, "#result-visits")).to_have_text("14,467")
    expect(cv_rate).to_be_focused()
    expect(cv_rate).to_have_value("1.5")
    assert page.evaluate("window.__marker") == 1
    assert Worksheet.objects.count() == 0


def test_added_channel_changes_allotment_and_leads(page, marketer):
    open_new_worksheet(page)
    type_seed_example(page)
    expect(result(page, "#result-leads-total")).to_have_text("217")
    page.evaluate("window.__marker = 1")

    add_channel_button(page).click()

    name = channel_field(page, 4, "チャネル名")
    expect(name).to_be_visible()
    expect(name).to_be_focused()
    expect(name).to_have_value("")
    expect(row(page, 5)).to_have_count(0)
    name.fill("展示会")
    # An exhibition is offline: its leads are not site conversions.
    online_box(page, 4).uncheck()
    channel_field(page, 4, "商談数").fill("5")
    channel_field(page, 4, "商談化率").fill("25")

    expect(result(page, "#channel-4-leads")).to_have_text("20")
    expect(result(page, "#result-allotted")).to_have_text("45")
    expect(result(page, "#result-leads-total")).to_have_text("237")
    expect(result(page, "#result-online-leads")).to_have_text("217")
    expect(result(page, "#result-visits")).to_have_text("21,700")
    expect(page.locator("#result-unallotted")).to_have_text(
        "④より 5件 多く割り当てています。"
    )

    # Counted as online, its leads join CV and visits.
    online_box(page, 4).check()
    expect(result(page, "#result-online-leads")).to_have_text("237")
    expect(result(page, "#result-visits")).to_have_text("23,700")
    expect(result(page, "#result-leads-total")).to_have_text("237")

    # The rows typed before the channel was added kept their values.
    expect_seed_inputs(page)
    expect(channel_field(page, 4, "チャネル名")).to_have_value("展示会")
    expect(channel_field(page, 4, "商談数")).to_have_value("5")
    expect(channel_field(page, 4, "商談化率")).to_have_value("25")
    for selector in ("#result-meetings", "#channel-1-leads", "#channel-2-leads"):
        expect(result(page, selector)).to_have_text(SEED_RESULTS[selector])
    assert page.evaluate("window.__marker") == 1
    assert Worksheet.objects.count() == 0


def test_a_save_pressed_while_a_channel_is_being_added_is_not_lost(
    page, account, marketer
):
    """保存 while ＋チャネルを追加 is still on its way: the save waits for the
    answer and saves the form it brings (htmx alone would queue it on the
    form the answer replaces, and drop it)."""
    open_new_worksheet(page)
    type_seed_example(page)
    expect(result(page, "#result-visits")).to_have_text("21,700")
    held = hold_the_first_post(page, NEW)
    add_channel_button(page).click()
    wait_until_held(page, held)
    save_button(page).click()
    held[0].continue_()

    expect_saved(page, "2026年度 月次")
    worksheet = Worksheet.objects.get(account=account)
    # The empty row the addition brought is not a channel.
    assert worksheet.channels.count() == 3
    assert worksheet.web_revenue == 12_000_000
    expect_seed_inputs(page)


def test_a_row_button_pressed_while_the_form_is_posted_is_not_pressed_again(
    page, marketer
):
    """削除 acts on a row by its place, which the answer may have changed: a
    press made while ＋チャネルを追加 is answered is not made again."""
    open_new_worksheet(page)
    type_seed_example(page)
    held = hold_the_first_post(page, NEW)
    add_channel_button(page).click()
    wait_until_held(page, held)
    page.get_by_role("button", name="1行目を削除").click()
    held[0].continue_()

    expect(row(page, 4)).to_be_visible()
    page.wait_for_timeout(500)  # time for a press made again to be answered
    expect_seed_inputs(page)
    expect(row(page, 5)).to_have_count(0)
    assert Worksheet.objects.count() == 0


@pytest.mark.parametrize("rows", [3, 0])
def test_enter_in_a_field_saves_and_presses_no_row_button(page, marketer, rows):
    """Enter in a text field submits the form with its first submit button: a
    plain 保存 (out of sight), never a row's ↑ ↓ 削除 nor ＋チャネルを追加
    (which, with no channel row, was the first)."""
    open_new_worksheet(page)
    for number in range(3, rows, -1):
        page.get_by_role("button", name=f"{number}行目を削除").click()
        expect(row(page, number)).to_have_count(0)
    posts = []
    page.on(
        "request",
        lambda request: request.method == "POST" and posts.append(request.post_data),
    )
    field(page, "全体売上").fill("50,000,000")
    field(page, "全体売上").press("Enter")

    # Saved as 保存 is: refused here, for the worksheet has no name yet.
    expect(page.get_by_role("alert").filter(has_text=SAVE_ERROR)).to_be_visible()
    assert len(posts) == 1 and "action=save" in posts[0], posts
    expect(page.locator("tr[id^=channel-row-]")).to_have_count(rows)
    expect(field(page, "全体売上")).to_have_value("50,000,000")
    assert Worksheet.objects.count() == 0


# The refused 保存 answers 409, which the browser reports in its console.
@pytest.mark.allow_console_errors(r"status of 409 \(Conflict\)")
def test_a_save_from_a_stale_tab_is_refused_and_overwrites_only_by_choice(
    page, account, marketer
):
    """The same worksheet open in two tabs: the second tab's 保存 is told what
    the first saved, keeps its typing, Enter does not overwrite, and 上書き保存
    does."""
    worksheet = save_seed_worksheet(account, marketer)
    sign_in(page, "marketer")
    page.goto(worksheet.get_absolute_url())
    other_tab = page.context.new_page()
    other_tab.goto(worksheet.get_absolute_url())
    expect(field(other_tab, "受注率")).to_have_value("30")

    field(page, "受注率").fill("40")
    save_button(page).click()
    expect(
        page.get_by_role("status").filter(has_text="を保存しました。")
    ).to_be_visible()

    field(other_tab, "CV率").fill("2")
    channel_field(other_tab, 3, "チャネル名").fill("ウェビナー")
    save_button(other_tab).click()
    conflict = other_tab.locator("#conflict")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text("別のタブで保存された変更:")
    expect(conflict).to_contain_text("受注率: 30 → 40")
    expect(field(other_tab, "CV率")).to_have_value("2")
    expect(channel_field(other_tab, 3, "チャネル名")).to_have_value("ウェビナー")
    worksheet.refresh_from_db()
    assert (worksheet.win_rate, worksheet.cv_rate) == (Decimal("40"), Decimal("1"))

    # Enter is 保存 again, refused again: it never overwrites.
    with other_tab.expect_response(lambda r: r.request.method == "POST") as sent:
        field(other_tab, "CV率").press("Enter")
    assert sent.value.status == 409
    assert "action=save" in sent.value.request.post_data
    expect(conflict).to_contain_text("受注率: 30 → 40")
    expect(field(other_tab, "CV率")).to_have_value("2")
    worksheet.refresh_from_db()
    assert worksheet.cv_rate == Decimal("1")

    other_tab.get_by_role("button", name="自分の入力で上書き保存").click()
    expect(
        other_tab.get_by_role("status").filter(has_text="を保存しました。")
    ).to_be_visible()
    expect(other_tab.locator("#conflict")).to_have_count(0)
    worksheet.refresh_from_db()
    assert (worksheet.win_rate, worksheet.cv_rate) == (Decimal("30"), Decimal("2"))
    assert [c.name for c in worksheet.channels.all()][2] == "ウェビナー"


# Ticking the box twice quickly: hx-sync="this:replace" aborts the first
# recompute for the second, on purpose, and htmx logs the abort as an error.
@pytest.mark.allow_console_errors(r"htmx:sendAbort", r"htmx:afterRequest")
def test_skipping_step_3_uses_the_win_rate_for_meetings(page, account, marketer):
    open_new_worksheet(page)
    type_seed_example(page)
    expect(result(page, "#result-meetings")).to_have_text("40")
    formula = page.locator("#formula-4")
    expect(formula).to_contain_text("案件化率 25%")

    page.get_by_role("checkbox", name=SKIP_OPPORTUNITY).check()

    # 商談数 = ceil(受注数 3 / 受注率 30 %) = 10.
    expect(result(page, "#result-meetings")).to_have_text("10")
    expect(formula).to_contain_text("3件 / 受注率 30% = 商談数 10件")
    expect(formula).not_to_contain_text("案件化率")
    expect(page.locator("#formula-3")).to_contain_text("③は省略しています")
    expect(result(page, "#result-opportunities")).to_be_hidden()
    expect(page.locator("#result-unallotted")).to_have_text(
        "④より 30件 多く割り当てています。"
    )

    page.get_by_role("checkbox", name=SKIP_OPPORTUNITY).uncheck()
    expect(result(page, "#result-meetings")).to_have_text("40")
    expect(result(page, "#result-opportunities")).to_have_text("10")
    expect(formula).to_contain_text("案件化率 25%")

    page.get_by_role("checkbox", name=SKIP_OPPORTUNITY).check()
    expect(result(page, "#result-meetings")).to_have_text("10")
    save_button(page).click()
    expect(page).to_have_url(re.compile(r"/worksheets/\d+/$"))
    expect(page.get_by_role("checkbox", name=SKIP_OPPORTUNITY)).to_be_checked()
    expect(result(page, "#result-meetings")).to_have_text("10")
    assert Worksheet.objects.get(account=account).skip_opportunity is True


def test_bad_values_show_messages_and_nothing_is_stored(page, marketer):
    open_new_worksheet(page)
    field(page, "ワークシート名").fill("誤りのある例")
    field(page, "全体売上").fill("50,000,000")
    field(page, "Web売上").fill("60,000,000")
    field(page, "受注単価").fill("4,000,000")
    field(page, "受注率").fill("0")
    field(page, "案件化率").fill("25")

    save_button(page).click()

    expect(page.get_by_role("alert").filter(has_text=SAVE_ERROR)).to_be_visible()
    web_error = page.locator("#id_web_revenue-error")
    rate_error = page.locator("#id_win_rate-error")
    expect(web_error).to_have_text(WEB_ABOVE_TOTAL)
    expect(rate_error).to_have_text(RATE_RANGE)
    # Beside their fields, in the same paragraph.
    expect(
        page.locator("p.field", has=field(page, "Web売上")).get_by_text(WEB_ABOVE_TOTAL)
    ).to_be_visible()
    expect(
        page.locator("p.field", has=field(page, "受注率")).get_by_text(RATE_RANGE)
    ).to_be_visible()
    expect(field(page, "Web売上")).to_have_attribute("aria-invalid", "true")
    expect(field(page, "受注率")).to_have_attribute("aria-invalid", "true")
    expect(field(page, "全体売上")).not_to_have_attribute("aria-invalid", "true")
    # What was typed is still there.
    expect(page).to_have_url(re.compile(r"/worksheets/new/$"))
    expect(field(page, "ワークシート名")).to_have_value("誤りのある例")
    expect(field(page, "全体売上")).to_have_value("50,000,000")
    expect(field(page, "Web売上")).to_have_value("60,000,000")
    expect(field(page, "受注率")).to_have_value("0")
    expect(field(page, "案件化率")).to_have_value("25")

    assert Worksheet.objects.count() == 0
    assert WorksheetChannel.objects.count() == 0

    # Correcting one clears its message alone; correcting both lets it save.
    expect(page.locator(INPUT_MESSAGES)).to_have_count(9 + 3 * 3)
    field(page, "Web売上").fill("12,000,000")
    expect(web_error).to_have_text("")
    expect(field(page, "Web売上")).not_to_have_attribute("aria-invalid", "true")
    expect(rate_error).to_have_text(RATE_RANGE)
    expect(field(page, "受注率")).to_have_attribute("aria-invalid", "true")
    field(page, "受注率").fill("30")
    expect(rate_error).to_have_text("")
    expect(page.locator(f"{INPUT_MESSAGES}:not(:empty)")).to_have_count(0)
    expect(result(page, "#result-opportunities")).to_have_text("10")
    save_button(page).click()
    expect(page).to_have_url(re.compile(r"/worksheets/\d+/$"))
    saved = Worksheet.objects.get()
    assert (saved.web_revenue, saved.win_rate) == (12_000_000, Decimal("30.00"))


def test_bad_value_on_a_saved_worksheet_changes_nothing(page, account, marketer):
    worksheet = save_seed_worksheet(account, marketer)
    sign_in(page, "marketer")
    page.goto(worksheet.get_absolute_url())
    expect(field(page, "受注率")).to_have_value("30")

    field(page, "受注率").fill("0")
    channel_field(page, 1, "商談数").fill("12")
    save_button(page).click()

    expect(page.get_by_role("alert").filter(has_text=SAVE_ERROR)).to_be_visible()
    expect(page.locator("#id_win_rate-error")).to_have_text(RATE_RANGE)
    expect(field(page, "受注率")).to_have_value("0")
    expect(channel_field(page, 1, "商談数")).to_have_value("12")
    worksheet.refresh_from_db()
    assert worksheet.win_rate == Decimal("30.00")
    assert [c.meetings for c in worksheet.channels.all()] == [10, 20, 10]


def test_saved_worksheet_is_applied_to_the_goal_grid(page, account, marketer):
    MonthlyGoal.objects.create(
        account=account, year=2026, month=1, cv_count=5, cv_rate=Decimal("2")
    )
    open_new_worksheet(page)
    type_seed_example(page, name="2026年度 月次")
    expect(result(page, "#result-visits")).to_have_text("21,700")

    save_button(page).click()

    expect_saved(page, "2026年度 月次")
    worksheet = Worksheet.objects.get(account=account)
    assert worksheet.basis == Basis.MONTHLY
    assert worksheet.channels.count() == 3
    expect_seed_inputs(page)

    page.get_by_role("link", name="目標設定に反映").click()
    expect(page).to_have_url(re.compile(rf"/worksheets/{worksheet.pk}/apply/$"))
    expect(page.get_by_role("heading", name="目標設定に反映", level=1)).to_be_visible()
    page.get_by_label("反映する年").select_option("2026")
    page.get_by_role("button", name="プレビュー").click()

    preview = page.locator("#apply-preview")
    expect(preview).to_be_visible()
    rows = preview.locator("tbody tr")
    expect(rows).to_have_count(12)
    for month in range(1, 13):
        cells = rows.nth(month - 1).locator("th, td")
        expected_current = ["5", "2 %", "250"] if month == 1 else ["—", "—", "—"]
        expect(cells).to_have_text(
            [f"{month}月", *expected_current, "217", "1 %", "21,700"]
        )
    # The year's totals, as stored and as they would be written.
    expect(preview.locator("#apply-totals th, #apply-totals td")).to_have_text(
        ["合計", "5", "2.00 %", "250", "2,604", "1.00 %", "260,400"]
    )
    # Nothing is written before the user confirms.
    assert MonthlyGoal.objects.filter(account=account).count() == 1

    page.get_by_role("button", name="2026年の目標設定に反映する").click()

    expect(page).to_have_url(re.compile(r"/goals/2026/$"))
    expect(
        page.get_by_role("status").filter(has_text="2026年の目標設定に反映しました")
    ).to_be_visible()
    for month in range(1, 13):
        expect(field(page, f"{month}月 CV数")).to_have_value("217")
        expect(field(page, f"{month}月 CV率")).to_have_value("1")
        expect(page.locator(f"#visits-{month}")).to_have_text("21,700")
    expect(page.locator("#total-cv")).to_have_text("2,604")
    expect(page.locator("#total-visits")).to_have_text("260,400")
    goals = {
        goal.month: (goal.cv_count, goal.cv_rate)
        for goal in MonthlyGoal.objects.filter(account=account, year=2026)
    }
    assert goals == {month: (217, Decimal("1.00")) for month in range(1, 13)}


def test_print_view_shows_the_numbers_on_one_a4_landscape_page(page, account, marketer):
    worksheet = save_seed_worksheet(account, marketer)
    sign_in(page, "marketer")
    page.goto(worksheet.get_absolute_url())
    page.get_by_role("link", name="印刷", exact=True).click()

    expect(page).to_have_url(re.compile(rf"/worksheets/{worksheet.pk}/print/$"))
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    expect(page).to_have_title(re.compile(TITLE))
    sheet = page.locator(".sheet")
    expect(sheet).to_contain_text("3,800万円")
    expect(sheet).to_contain_text("67件")
    expect(sheet).to_contain_text("21,700")
    expect(sheet).to_contain_text("合計 217件（うちオンライン 217件）")
    expect(page.locator("header .meta")).to_contain_text("2026年4月1日")

    # Laid out at the printable width of A4 landscape (297 mm − 2 × 10 mm).
    page.set_viewport_size({"width": 1123, "height": 794})
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="印刷する")).to_be_hidden()
    height = page.evaluate("document.body.scrollHeight")
    # A4 landscape is 210 mm tall (≈ 794 px at 96 dpi); less the @page margins
    # of 10 mm, 190 mm ≈ 718 px are printable.
    assert height <= 718, f"the print view is {height}px tall"
    # And Chromium's own print layout (honouring @page) gives exactly one page.
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))
    assert pages == 1, f"the print view prints on {pages} pages"


def test_manager_sees_the_worksheet_read_only(page, account, marketer, manager):
    worksheet = save_seed_worksheet(account, marketer)
    sign_in(page, "manager")
    page.goto(worksheet.get_absolute_url())
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()

    expect_seed_results(page)
    form = page.locator("#worksheet-form")
    # Every visible control is there to read, and disabled.
    controls = form.locator("input:not([type=hidden]), select, textarea")
    expect(controls).to_have_count(1 + 1 + 2 + 5 + 1 + 3 * 4 + 1)
    expect(form.locator("input:not([type=hidden]):enabled")).to_have_count(0)
    expect(form.locator("select:enabled, textarea:enabled")).to_have_count(0)
    for label in ("ワークシート名", *SEED_FIELDS, "CV率"):
        expect(field(page, label)).to_be_disabled()
    expect(field(page, "全体売上")).to_have_value("50,000,000")
    expect(page.get_by_label("記入日")).to_be_disabled()
    expect(page.get_by_role("checkbox", name=SKIP_OPPORTUNITY)).to_be_disabled()
    expect(channel_field(page, 2, "商談化率")).to_be_disabled()
    expect(channel_field(page, 2, "商談化率")).to_have_value("30")
    expect(online_box(page, 2)).to_be_disabled()

    expect(save_button(page)).to_have_count(0)
    expect(add_channel_button(page)).to_have_count(0)
    expect(page.get_by_role("button", name="1行目を削除")).to_have_count(0)
    expect(page.get_by_role("link", name="目標設定に反映")).to_have_count(0)
    expect(page.get_by_role("button", name="複製")).to_have_count(0)
    expect(page.get_by_role("link", name="印刷", exact=True)).to_be_visible()


BELOW_ONE_YEN = "円未満の金額は入力できません。1円単位になる金額を入力してください（例: 1,200万円）。"


def test_money_typed_with_units_computes_live_and_is_saved_in_yen(
    page, account, marketer
):
    open_new_worksheet(page)
    field(page, "ワークシート名").fill("万で入力")
    field(page, "全体売上").fill("5000万")
    field(page, "Web売上").fill("1,200万円")
    field(page, "受注単価").press_sequentially("400万")
    expect(result(page, "#result-nonweb")).to_have_text("3,800万円")
    expect(result(page, "#result-orders")).to_have_text("3")
    expect(page.locator("#formula-2")).to_contain_text("1,200万円 / 受注単価 400万円")

    # Not whole yen: the message beside the field, and only ① goes blank.
    field(page, "全体売上").fill("0.5円")
    expect(page.locator("#id_total_revenue-error")).to_have_text(BELOW_ONE_YEN)
    expect(result(page, "#result-nonweb")).to_have_text("—")
    expect(result(page, "#result-orders")).to_have_text("3")
    expect(field(page, "全体売上")).to_have_value("0.5円")

    field(page, "全体売上").fill("0.5億")
    expect(page.locator("#id_total_revenue-error")).to_have_text("")
    expect(result(page, "#result-nonweb")).to_have_text("3,800万円")
    save_button(page).click()
    expect_saved(page, "万で入力")
    saved = Worksheet.objects.get(account=account)
    assert (saved.total_revenue, saved.web_revenue, saved.unit_price) == (
        50_000_000,
        12_000_000,
        4_000_000,
    )
    expect(field(page, "全体売上")).to_have_value("50,000,000")


def test_one_refused_rate_blanks_only_the_steps_after_it(page, marketer):
    open_new_worksheet(page)
    type_seed_example(page)
    expect_seed_results(page)
    field(page, "案件化率").fill("abc")
    expect(page.locator("#id_opportunity_rate-error")).not_to_have_text("")
    expect(result(page, "#result-meetings")).to_have_text("—")
    # The steps that do not need the 案件化率 still show their figures.
    for selector in ("#result-nonweb", "#result-orders", "#result-opportunities"):
        expect(result(page, selector)).to_have_text(SEED_RESULTS[selector])
    expect(result(page, "#result-visits")).to_have_text("21,700")
    # Web売上 above 全体売上: ① blank, ② … from the Web売上.
    field(page, "案件化率").fill("25")
    field(page, "Web売上").fill("6,000万")
    expect(page.locator("#id_web_revenue-error")).to_have_text(WEB_ABOVE_TOTAL)
    expect(result(page, "#result-nonweb")).to_have_text("—")
    expect(result(page, "#result-orders")).to_have_text("15")
    expect(result(page, "#result-meetings")).to_have_text("200")


@pytest.mark.allow_console_errors(r"htmx:sendAbort", r"htmx:afterRequest")
def test_skipping_step_3_hides_the_opportunity_rate_and_keeps_its_value(
    page, account, marketer
):
    open_new_worksheet(page)
    type_seed_example(page)
    rate = field(page, "案件化率")
    rate.fill("80")  # outside 40–60 %: a warning while it is used
    warning = page.locator("#warning-opportunity_rate")
    expect(warning).to_have_text("参考値の範囲外です。前提を見直してみてください。")
    note = page.locator("#opportunity-rate-skipped")
    expect(note).to_be_hidden()

    page.get_by_role("checkbox", name=SKIP_OPPORTUNITY).check()
    # Hidden with its label, hint and warning; the note says why.
    expect(rate).to_be_hidden()
    expect(page.get_by_text("参考: 商談化→案件化 40〜60%程度")).to_be_hidden()
    expect(warning).to_be_hidden()
    expect(note).to_be_visible()
    expect(result(page, "#result-meetings")).to_have_text("10")
    expect(warning).to_have_text("")

    page.get_by_role("checkbox", name=SKIP_OPPORTUNITY).uncheck()
    expect(rate).to_be_visible()
    expect(rate).to_have_value("80")
    expect(note).to_be_hidden()
    page.get_by_role("checkbox", name=SKIP_OPPORTUNITY).check()
    # Out of the accessibility tree while hidden: found by its id.
    hidden_rate = page.locator("#id_opportunity_rate")
    expect(hidden_rate).to_be_hidden()
    expect(hidden_rate).to_have_value("80")
    expect(result(page, "#result-meetings")).to_have_text("10")

    save_button(page).click()
    expect_saved(page, "2026年度 月次")
    saved = Worksheet.objects.get(account=account)
    assert (saved.skip_opportunity, saved.opportunity_rate) == (True, Decimal(80))
    # Shown again as saved: still hidden, still kept.
    expect(hidden_rate).to_be_hidden()
    expect(hidden_rate).to_have_value("80")
    expect(note).to_be_visible()


def test_apply_offers_the_worksheets_own_year(page, account, marketer):
    worksheet = save_seed_worksheet(account, marketer)
    worksheet.entry_date = datetime.date(2030, 4, 1)
    worksheet.save()
    sign_in(page, "marketer")
    page.goto(f"/worksheets/{worksheet.pk}/apply/")
    expect(page.get_by_label("反映する年")).to_have_value("2030")
    page.get_by_role("button", name="プレビュー").click()
    expect(page.locator("#apply-preview")).to_be_visible()
    expect(page.locator("#total-new-cv")).to_have_text("2,604")
    expect(page.locator("#total-current-cv")).to_have_text("0")


def test_an_annual_worksheet_is_applied_by_last_years_profile_on_a_phone(
    page, account, marketer
):
    """配分 = 前年の実績比 at 360 px: the preview follows 2025's actuals (and
    January's target, for want of its actual), names the channels spread
    evenly for want of anything in 2025, passes axe, and 反映 writes what
    was previewed."""
    services.channel_defaults_create(account=account)
    worksheet = save_seed_worksheet(
        account, marketer, name="2026年度 年間", basis=Basis.ANNUAL
    )
    # 2025: January's target only, then the actuals; 広告 only in Q1.
    MonthlyGoal.objects.create(account=account, year=2025, month=1, cv_count=30)
    for month, cv in enumerate((20, 10, 10, 10, 20, 30, 20, 10, 10, 10, 20), start=2):
        MonthlyActual.objects.create(
            account=account, year=2025, month=month, cv_count=cv
        )
    ad = Channel.objects.get(account=account, name="広告")
    for month in (1, 2, 3):
        ChannelActual.objects.create(
            account=account, channel=ad, year=2025, month=month, cv_count=5
        )
    page.set_viewport_size({"width": 360, "height": 780})
    sign_in(page, "marketer")
    page.goto(f"/worksheets/{worksheet.pk}/apply/")
    spread = page.get_by_role("group", name="配分")
    expect(spread.get_by_role("radio", name="均等")).to_be_checked()
    page.get_by_label("反映する年").select_option("2026")
    spread.get_by_role("radio", name="前年の実績比").check()
    page.get_by_role("button", name="プレビュー").click()

    expect(page).to_have_url(re.compile(r"year=2026&spread=last_year"))
    expect(page.get_by_role("radio", name="前年の実績比")).to_be_checked()
    expect(page.locator("#apply-spread-totals")).to_have_text(
        "CV数は前年（2025年）の実績CV数の比で配分しています。"
        "実績CV数がない月（1月）は、前年の目標CV数の比で配分しました。"
    )
    expect(page.locator("#apply-spread-channels-even")).to_have_text(
        "前年の実績も目標もないため均等に配分したチャネル: オーガニック、メルマガ"
    )
    # The totals: 217 by 30, 20, 10, 10, 10, 20, 30, 20, 10, 10, 10, 20 (200).
    expected = [32, 22, 11, 11, 11, 22, 32, 22, 11, 11, 11, 21]
    # What the grid will show, the year planned per channel: the Web
    # channels' sums, 広告 by its Q1 (34, 33, 33), オーガニック 67 and メルマガ 50
    # evenly.
    grid = [45, 44, 43, 10, 10, 10, 10, 9, 9, 9, 9, 9]
    new_cv = page.locator("#apply-preview tbody tr td:nth-of-type(4)")
    expect(new_cv).to_have_text([str(cv) for cv in grid])
    ad_row = page.locator('#apply-channels tr[data-channel="広告"][data-when="new"] td')
    expect(ad_row.nth(1)).to_have_text("34")
    expect(ad_row.nth(4)).to_have_text("0")
    assert page.evaluate(
        "() => document.documentElement.scrollWidth <= window.innerWidth"
    )
    assert_accessible(page)
    assert not MonthlyGoal.objects.filter(year=2026).exists()

    page.get_by_role("button", name="2026年の目標設定に反映する").click()

    expect(page).to_have_url(re.compile(r"/goals/2026/$"))
    expect(
        page.get_by_role("status").filter(has_text="2026年の目標設定に反映しました")
    ).to_be_visible()
    # The grid shows what the preview showed.
    for month in (1, 4, 12):
        expect(page.get_by_label(f"{month}月 CV数", exact=True)).to_have_text(
            str(grid[month - 1])
        )
    stored = dict(
        MonthlyGoal.objects.filter(account=account, year=2026).values_list(
            "month", "cv_count"
        )
    )
    assert [stored[month] for month in range(1, 13)] == expected
    assert [
        goal.cv_count
        for goal in ChannelGoal.objects.filter(channel=ad, year=2026).order_by("month")
    ] == [34, 33, 33] + [0] * 9
