"""Playwright in Debian's Chromium against Django's live server.

The browser tests never skip: if Chromium or Playwright is missing they fail,
and CI fails with them.
"""

import os
import re
import shutil

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, sync_playwright

from tests.conftest import PASSWORD

# Playwright's sync API runs an event loop in this thread; the ORM calls the
# tests make to arrange data are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# Reported as a console error, so that the watcher below sees it like any other.
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(
    `CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile}:${event.lineNumber}`
  );
});
"""

# hx-sync="this:replace" cancels a recompute a newer keystroke overtook, and
# a swap cancels the requests of what it replaces: by design, yet htmx logs
# each cancel with console.error. A failed or refused request (sendError,
# responseError) is not among these and still fails the test.
HTMX_CANCELS = [r"^console: htmx:(afterRequest|sendAbort), "]

# The WCAG 2.2 A and AA rules axe-core checks (it ships inside the package:
# nothing is fetched).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "allow_console_errors(*patterns): console errors this test provokes on "
        "purpose (regular expressions, each error must match one)",
    )


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if shutil.which(CHROMIUM) is None and not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: the browser tests cannot run")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def _watch(context, errors):
    """Record every console error, uncaught exception and CSP violation in
    every page of ``context``."""
    context.add_init_script(CSP_REPORTER)
    context.on(
        "console",
        lambda message: (
            message.type == "error"
            and errors.append(
                f"console: {message.text} ({message.location.get('url')})"
            )
        ),
    )
    context.on("weberror", lambda error: errors.append(f"pageerror: {error.error}"))


@pytest.fixture(autouse=True)
def console_errors(request, monkeypatch):
    """Fail the test if any page it opened logged an error, threw, or broke the
    Content-Security-Policy. Every context a test opens is watched, including
    the ones tests open themselves (two tabs, two users), hence the patch on
    Browser rather than on the ``page`` fixture alone."""
    errors = []
    new_context = Browser.new_context

    def watched_context(self, *args, **kwargs):
        context = new_context(self, *args, **kwargs)
        _watch(context, errors)
        return context

    def watched_page(self, *args, **kwargs):
        # Browser.new_page makes its own context; watch it before the page
        # loads anything by making the context here.
        context = watched_context(self, *args, **kwargs)
        page = context.new_page()
        page.on("close", lambda _page: context.close())
        return page

    monkeypatch.setattr(Browser, "new_context", watched_context)
    monkeypatch.setattr(Browser, "new_page", watched_page)
    yield errors
    marker = request.node.get_closest_marker("allow_console_errors")
    allowed = [re.compile(p) for p in (*HTMX_CANCELS, *(marker.args if marker else ()))]
    unexpected = [e for e in errors if not any(p.search(e) for p in allowed)]
    if unexpected:
        pytest.fail("errors in the browser:\n" + "\n".join(unexpected))


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, locale="ja-JP", timezone_id="Asia/Tokyo"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def assert_accessible(page):
    """axe-core's WCAG 2.2 A/AA rules find nothing on the page as it is now."""
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    violations = [
        f"{v['id']} ({v['impact']}): {v['help']}\n    "
        + "\n    ".join(node["html"][:160] for node in v["nodes"][:5])
        for v in results.response["violations"]
    ]
    assert not violations, f"axe on {page.url}:\n" + "\n".join(violations)


def sign_in(page, username, password=PASSWORD):
    page.goto("/accounts/login/")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def hold_the_first_post(page, path):
    """The route of the first POST to ``path``, held until the test continues
    it (a list, empty until the page posts); every other request goes on."""
    held = []

    def hold(route):
        if route.request.method == "POST" and not held:
            held.append(route)
        else:
            route.continue_()

    page.route(f"**{path}", hold)
    return held


def wait_until_held(page, held):
    for _ in range(250):  # the route's handler runs while the page is waited on
        if held:
            return
        page.wait_for_timeout(20)
    raise AssertionError("nothing was posted")
