"""Every page on a phone and on a desktop: nothing scrolls sideways, the
header and the menu keep their words whole, the menu folds away on a narrow
screen, and axe-core finds no WCAG 2.2 A/AA violation.

SCREENSHOTS=1 also saves the main screens at both widths into
docs/screenshots/ (docs/screens.md shows them); CI leaves them alone.
"""

import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from funnel import selectors, services
from funnel.models import (
    Account,
    ChangeSource,
    Invitation,
    Membership,
    MonthlyActual,
    PlanAction,
    Role,
    Worksheet,
    WorksheetChannel,
)
from tests.browser.conftest import assert_accessible, sign_in
from tests.conftest import make_member

pytestmark = pytest.mark.django_db(transaction=True)

YEAR = 2025  # every month has passed: the actuals page shows every status
RETURNED = YEAR + 1  # sent back: its grid shows the reason, its history the review
SUBMITTED = YEAR - 1  # waiting for the manager: 承認待ち lists it, the menu counts it
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 800}
# The widths the layout must hold between (checked without reloading).
NARROWEST, WIDEST = 360, 1440
SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"

# A phone-sized page's overflow and its header's and menu's words.
NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"
# What sticks out of the window: the outermost elements past its right edge.
STICKING_OUT = """() => [...document.body.querySelectorAll('*')]
  .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
  .filter((el) => el.parentElement.getBoundingClientRect().right
    <= window.innerWidth + 1)
  .filter((el) => {
    for (let up = el.parentElement; up; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== "visible") return false;
    }
    return true;
  })
  .slice(0, 5)
  .map((el) => `${el.tagName.toLowerCase()}#${el.id}.${el.className}`
    + ` (${Math.round(el.getBoundingClientRect().right)}px)`)"""
# Elements of the header and the menu that are taller than two lines and a
# half: a word broken one character per line.
BROKEN_WORDS = """() => [...document.querySelectorAll(
    '.site-header a, .site-header span, .site-header button, .side a,'
    + ' .side .nav-group, .menu-toggle')]
  .filter((el) => el.getClientRects().length)
  .filter((el) => {
    const line = parseFloat(getComputedStyle(el).lineHeight) || 24;
    return el.getBoundingClientRect().height > line * 2.5;
  })
  .map((el) => el.textContent.trim())"""


@pytest.fixture
def seeded(live_server):
    """An account with a year of targets and actuals (and their history), a
    year sent back with a reason, a year waiting for review, a worksheet with
    channels, a second account, and an invitation waiting."""
    account = Account.objects.create(name="デモ株式会社")
    admin = make_member("admin", account, Role.ADMIN)
    manager = make_member("manager", account, Role.MANAGER)
    months = {month: (100 + month * 5, Decimal("1.25")) for month in range(1, 13)}
    services.goal_year_save(account=account, year=YEAR, months=months, user=admin)
    services.goal_year_save(
        account=account,
        year=RETURNED,
        months=months,
        user=admin,
        source=ChangeSource.BULK,
    )
    as_admin = Membership.objects.get(user=admin, account=account)
    as_manager = Membership.objects.get(user=manager, account=account)
    for year, action, member, comment in [
        (RETURNED, PlanAction.SUBMIT, as_admin, "今年度の目標です。"),
        (
            RETURNED,
            PlanAction.RETURN,
            as_manager,
            "4月〜6月のCV数が前年の実績に比べて高すぎます。展示会の予定を"
            "確認して、7月以降に振り分けてから提出し直してください。",
        ),
        (SUBMITTED, PlanAction.SUBMIT, as_admin, ""),
    ]:
        services.plan_transition(
            account=account,
            year=year,
            action=action,
            membership=member,
            comment=comment,
        )
    for month in range(1, 13):
        MonthlyActual.objects.create(
            account=account,
            year=YEAR + (month < 4),
            month=month,
            cv_count=90 + month * 7,
            visits=8_000 + month * 600,
        )
    # The four channels a new account starts with, April's actuals per
    # channel and a remembered GA4 answer (the channel pages' tables).
    services.channel_defaults_create(account=account)
    channels = selectors.channel_list(account=account)
    services.channel_actual_year_save(
        account=account,
        year=YEAR,
        values={(c.pk, 4): (10 + c.position, 900 + c.position) for c in channels},
        user=admin,
    )
    services.ga4_mappings_save(
        account=account, mappings={"Organic Search": channels[1].pk, "Direct": None}
    )
    worksheet = Worksheet.objects.create(
        account=account,
        name="2025年度 月次計画",
        entry_date="2025-04-01",
        total_revenue=1_200_000_000,
        web_revenue=360_000_000,
        unit_price=3_000_000,
        win_rate=Decimal("20"),
        opportunity_rate=Decimal("50"),
        cv_rate=Decimal("1"),
    )
    for position, (name, meetings, rate) in enumerate(
        [("展示会", 100, "30"), ("広告", 200, "25"), ("ウェビナー", 150, "20")],
        start=1,
    ):
        WorksheetChannel.objects.create(
            worksheet=worksheet,
            position=position,
            name=name,
            meetings=meetings,
            meeting_rate=Decimal(rate),
        )
    agency = Account.objects.create(name="代理店アカウント")
    make_member("agency_admin", agency, Role.ADMIN)
    Membership.objects.create(user=admin, account=agency, role=Role.MARKETER)
    third = Account.objects.create(name="グループ会社")
    Invitation.objects.create(
        account=third,
        username="admin",
        role=Role.MANAGER,
        invited_by=make_member("third_admin", third, Role.ADMIN),
    )
    return {"worksheet": worksheet.pk}


def admin_pages(worksheet):
    """Every signed-in page (funnel/urls.py's and the password change's) an
    admin opens with GET; the POST-only views answer into these pages."""
    return {
        "grid": f"/goals/{YEAR}/",
        "grid (this year)": "/goals/",
        "grid (returned)": f"/goals/{RETURNED}/",
        "history (review events)": f"/goals/{RETURNED}/history/",
        "reviews (returned)": "/reviews/",
        "overview": f"/goals/{YEAR}/overview/",
        "history": f"/goals/{YEAR}/history/",
        "actuals": f"/goals/{YEAR}/actuals/",
        "actuals-import": f"/goals/{YEAR}/actuals/import/",
        "channels": f"/goals/{YEAR}/channels/",
        "channel-actuals": f"/goals/{YEAR}/actuals/channels/",
        "channel-actuals-import": f"/goals/{YEAR}/actuals/channels/import/",
        "worksheets": "/worksheets/",
        "worksheet-new": "/worksheets/new/",
        "worksheet": f"/worksheets/{worksheet}/",
        "worksheet-print": f"/worksheets/{worksheet}/print/",
        "worksheet-apply": f"/worksheets/{worksheet}/apply/",
        "worksheet-actuals": f"/worksheets/{worksheet}/actuals/",
        "worksheet-history": f"/worksheets/{worksheet}/history/",
        "worksheet-delete": f"/worksheets/{worksheet}/delete/",
        "members": "/account/members/",
        "settings": "/account/settings/",
        "switch": "/account/switch/",
        "invitations": "/invitations/",
        "password-change": "/accounts/password_change/",
        "password-change-done": "/accounts/password_change/done/",
    }


# What a manager sees differently: 承認待ち with its count in the menu, the
# review form on the overview, and the grid read-only.
MANAGER_PAGES = {
    "reviews (manager)": "/reviews/",
    "overview (manager)": f"/goals/{SUBMITTED}/overview/",
    "grid (manager)": f"/goals/{YEAR}/",
}


SCREENSHOTTED = {"grid", "worksheet", "overview", "actuals"}


def check_page(page, name, viewport, problems):
    """Everything this file asks of one page, as it is now; what fails is
    added to ``problems`` so that one run names every page that fails."""
    width = viewport["width"]
    if not page.evaluate(NO_SIDEWAYS_SCROLL):
        overflow = page.evaluate("document.documentElement.scrollWidth")
        problems.append(
            f"{name} at {width}px scrolls sideways ({overflow}px):"
            f" {page.evaluate(STICKING_OUT)}"
        )
    broken = page.evaluate(BROKEN_WORDS)
    if broken:
        problems.append(f"{name} at {width}px breaks words: {broken}")
    try:
        assert_accessible(page)
    except AssertionError as error:
        problems.append(f"{name} at {width}px: {error}")
    # The widths either side of this one, without reloading.
    other = NARROWEST if width < 1000 else WIDEST
    page.set_viewport_size({"width": other, "height": viewport["height"]})
    if not page.evaluate(NO_SIDEWAYS_SCROLL):
        problems.append(f"{name} at {other}px scrolls sideways")
    page.set_viewport_size(viewport)
    if os.environ.get("SCREENSHOTS") == "1" and name in SCREENSHOTTED:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_every_page_fits_and_passes_axe(page, seeded, viewport):
    page.set_viewport_size(viewport)
    problems = []
    page.goto("/accounts/login/")
    check_page(page, "sign-in", viewport, problems)
    sign_in(page, "admin")
    for name, path in admin_pages(seeded["worksheet"]).items():
        response = page.goto(path)
        assert response.status == 200, f"{path}: {response.status}"
        check_page(page, name, viewport, problems)
    page.context.clear_cookies()
    sign_in(page, "manager")
    for name, path in MANAGER_PAGES.items():
        response = page.goto(path)
        assert response.status == 200, f"{path}: {response.status}"
        check_page(page, name, viewport, problems)
    assert not problems, "\n".join(problems)


def test_the_grid_shows_its_four_columns_on_a_phone(page, seeded):
    page.set_viewport_size(PHONE)
    sign_in(page, "admin")
    page.goto(f"/goals/{YEAR}/")
    viewport_width = page.evaluate("window.innerWidth")
    for header in ["CV数", "CV率", "サイト訪問数"]:
        cell = page.get_by_role("columnheader", name=header)
        box = cell.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport_width, header
    # The month column is kept, and the last value column is in view too.
    month = page.get_by_role("rowheader").first.bounding_box()
    visits = page.locator("#visits-4").bounding_box()
    assert month["x"] >= 0
    assert visits["x"] + visits["width"] <= viewport_width


def test_the_menu_folds_on_a_phone_and_opens_from_the_keyboard(page, seeded):
    page.set_viewport_size(PHONE)
    sign_in(page, "admin")
    page.goto(f"/goals/{YEAR}/")
    menu = page.locator(".menu-toggle")
    worksheets = page.get_by_role("link", name="ワークシート", exact=True)
    expect(menu).to_be_visible()
    expect(worksheets).to_be_hidden()
    menu.focus()
    page.keyboard.press("Enter")
    expect(worksheets).to_be_visible()
    page.keyboard.press("Enter")
    expect(worksheets).to_be_hidden()
    menu.click()
    worksheets.click()
    expect(page).to_have_url("/worksheets/")
    # A desktop shows the menu open, with no toggle.
    page.set_viewport_size(DESKTOP)
    expect(page.locator(".menu-toggle")).to_be_hidden()
    expect(page.get_by_role("link", name="目標設定", exact=True)).to_be_visible()


def test_the_worksheet_steps_stack_on_a_phone(page, seeded):
    page.set_viewport_size(PHONE)
    sign_in(page, "admin")
    page.goto(f"/worksheets/{seeded['worksheet']}/")
    steps = page.locator(".step")
    lefts = {round(steps.nth(i).bounding_box()["x"]) for i in range(steps.count())}
    assert len(lefts) == 1, lefts  # one column: every step starts at the same x


def test_the_axe_check_fails_on_a_violation(page):
    # Without this, a helper that ran no rules would pass every page above.
    page.set_content(
        '<html lang="ja"><title>t</title><main><input type="text"></main></html>'
    )
    with pytest.raises(AssertionError, match="label"):
        assert_accessible(page)
