"""A server error while the user works: a banner, and nothing they typed is lost."""

import pytest
from playwright.sync_api import expect

from funnel.models import MonthlyGoal
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


# The 500s this test answers, as the browser and htmx report them.
@pytest.mark.allow_console_errors(
    r"status of 500 \(Internal Server Error\) \(http://[^/]+/goals/2026/",
    r"Response Status Error Code 500 from /goals/2026/",
)
def test_5xx_shows_a_banner_and_keeps_every_typed_value(page, account, marketer):
    sign_in(page, "marketer")
    page.goto("/goals/2026/")
    # Every recompute and save answers 500 while the route is in place.
    page.route("**/goals/2026/**", lambda route: route.fulfill(status=500, body="boom"))
    page.get_by_label("1月 CV数", exact=True).fill("20")
    page.get_by_label("1月 CV率", exact=True).fill("1")
    banner = page.locator("#error-banner")
    expect(banner).to_be_visible()
    page.get_by_role("button", name="保存").click()
    expect(banner).to_be_visible()
    expect(page.get_by_label("1月 CV数", exact=True)).to_have_value("20")
    expect(page.get_by_label("1月 CV率", exact=True)).to_have_value("1")
    assert not MonthlyGoal.objects.exists()
    # The server is back: the next save goes through and the banner goes away.
    page.unroute("**/goals/2026/**")
    page.get_by_role("button", name="保存").click()
    expect(banner).to_be_hidden()
    expect(page.get_by_text("保存しました")).to_be_visible()
    assert MonthlyGoal.objects.get(month=1).cv_count == 20
