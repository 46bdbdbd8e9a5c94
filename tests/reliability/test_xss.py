"""Every text a user can store, written with markup, template syntax and
spreadsheet formulas, then shown on every page and in every export.

Each payload is stored in every stored text field at once: the account name,
a worksheet's name and a channel's name (and so the history records of those
changes), a review comment, and a username where the validator allows one.
Every page that shows them is then compared, parsed with ``html.parser``,
with the same pages after the same steps with a harmless text: the same
elements, the same attributes (an injected ``on…`` or ``hx-…`` attribute or
element shows up as a difference), only the app's own scripts, and the
payload present as text, escaped in the HTML. The exports carry the payload
as plain text, with spreadsheet formulas neutralised.
"""

import csv
import io
import re
from collections import Counter
from urllib.parse import unquote

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils.html import escape
from openpyxl import load_workbook

from funnel.exports import FORMULA_TRIGGERS
from funnel.models import Account, PlanEvent, Role, Worksheet, WorksheetChannel
from tests.conftest import make_member
from tests.reliability.test_inputs import Page
from tests.views.test_grid import year_post
from tests.views.test_worksheets import loaded_base

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    '<div hx-on:click="alert(1)">x</div>',
    '<a hx-get="/accounts/logout/" hx-trigger="load">',
    "<x hx-vals='js:{a:alert(1)}' hx-post=/x>",
    "{{ 7*7 }}",
    "{% debug %}",
    "${7*7} #{7*7} <%= 7*7 %>",
    "javascript:alert(1)",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "<style>*{display:none}</style>",
    "<iframe src=javascript:alert(1)>",
    '<base href="//evil.example/">',
    '<meta http-equiv=refresh content="0;url=//x">',
    '" onmouseover="alert(1)',
    "' onfocus='alert(1)' autofocus='",
    "<form action=//evil><button>go",
    "<img src=x onerror=alert(1)//",
    "]]><!--<script>",
    r"\u003cscript\u003ealert(1)\u003c/script\u003e",
    "＜script＞alert(1)＜/script＞",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "\u202e<script>\u200b",
    '=HYPERLINK("http://x","y")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,1)",
]
# The shortest stored text field is a channel's name (50 characters).
assert all(len(payload) <= 50 for payload in PAYLOADS)
HARMLESS = "無害な名前"

# Where a URL goes: none may be script.
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "hx-get", "hx-post"}
SPECIAL = re.compile(r"[<>&\"']")


def is_username(text):
    try:
        UnicodeUsernameValidator()(text)
    except ValidationError:
        return False
    return True


# --- one site, the steps that store a text, the pages that show it -------------


def make_site(prefix):
    account = Account.objects.create(name="初期名")
    admin = make_member(f"{prefix}-admin", account, Role.ADMIN)
    manager = make_member(f"{prefix}-manager", account, Role.MANAGER)
    worksheet = Worksheet.objects.create(
        account=account, name="初期ワークシート", entry_date="2026-04-01", cv_rate=1
    )
    WorksheetChannel.objects.bulk_create(
        WorksheetChannel(worksheet=worksheet, position=i, name=name, meetings=10)
        for i, name in enumerate(["広告", "オーガニック"], start=1)
    )
    clients = {}
    for role, user in (("admin", admin), ("manager", manager)):
        clients[role] = Client(raise_request_exception=False)
        clients[role].force_login(user)
    return account, worksheet.pk, clients


def worksheet_post(text, **changes):
    return {
        "action": "save",
        "name": text,
        "entry_date": "2026-04-01",
        "basis": "monthly",
        "total_revenue": "50,000,000",
        "web_revenue": "12,000,000",
        "unit_price": "4,000,000",
        "win_rate": "30",
        "opportunity_rate": "25",
        "cv_rate": "1",
        "channels-TOTAL_FORMS": "2",
        "channels-INITIAL_FORMS": "0",
        "channels-0-channel": "",
        "channels-0-name": text,
        "channels-0-online": "on",
        "channels-0-meetings": "10",
        "channels-0-meeting_rate": "10",
        "channels-1-channel": "",
        "channels-1-name": "広告",
        "channels-1-online": "on",
        "channels-1-meetings": "30",
        "channels-1-meeting_rate": "25",
    } | changes


def store_and_render(text, prefix):
    """Store ``text`` everywhere through the views, then render every page that
    shows it. Returns ({page name: response}, the site's account)."""
    account, pk, clients = make_site(prefix)
    admin, manager = clients["admin"], clients["manager"]
    pages = {}

    def expect(response, status, step):
        assert response.status_code == status, (step, response.status_code, text)
        return response

    # The account name; the change goes into the account's history.
    expect(
        admin.post(
            "/account/settings/",
            {
                "name": text,
                "fiscal_year_start_month": "1",
                "base_name": "初期名",
                "base_fiscal_year_start_month": "1",
            },
        ),
        302,
        "settings",
    )

    def sheet(**changes):
        """The worksheet posted from its page as loaded now (its base_*)."""
        return worksheet_post(text, **changes) | loaded_base(
            Worksheet.objects.get(pk=pk)
        )

    # A worksheet renamed and a channel named: the history records old and new.
    expect(admin.post(f"/worksheets/{pk}/", sheet()), 302, "worksheet")
    # Applied to the grid: the message names the worksheet.
    expect(admin.post(f"/worksheets/{pk}/apply/", {"year": "2026"}), 302, "apply")
    pages["grid"] = admin.get("/goals/2026/")
    # A review refused (an unknown action): the comment comes back in the
    # textarea. Then submitted with the comment: a PlanEvent.
    pages["review-refused"] = admin.post(
        "/goals/2026/review/", {"action": "bogus", "comment": text}
    )
    expect(
        admin.post("/goals/2026/review/", {"action": "submit", "comment": text}),
        302,
        "review",
    )
    assert PlanEvent.objects.get(plan__account=account).comment == text.strip()
    pages["overview"] = admin.get("/goals/2026/overview/")
    pages["goal-history"] = admin.get("/goals/2026/history/")
    pages["goal-history-htmx"] = admin.get(
        "/goals/2026/history/", headers={"HX-Request": "true"}
    )
    # A number field that refuses the text keeps it in the input.
    refused = year_post(m1=(text, ""))
    pages["grid-refused"] = admin.post("/goals/2026/", refused)
    pages["grid-refused-htmx"] = admin.post(
        "/goals/2026/", refused, headers={"HX-Request": "true"}
    )
    pages["worksheet-list"] = admin.get("/worksheets/")
    pages["worksheet"] = admin.get(f"/worksheets/{pk}/")
    pages["worksheet-read-only"] = manager.get(f"/worksheets/{pk}/")
    pages["worksheet-refused"] = admin.post(
        f"/worksheets/{pk}/", sheet(unit_price="abc")
    )
    pages["worksheet-refused-htmx"] = admin.post(
        f"/worksheets/{pk}/",
        sheet(unit_price="abc"),
        headers={"HX-Request": "true"},
    )
    pages["worksheet-print"] = admin.get(f"/worksheets/{pk}/print/")
    pages["worksheet-apply"] = admin.get(f"/worksheets/{pk}/apply/?year=2026")
    pages["worksheet-delete"] = admin.get(f"/worksheets/{pk}/delete/")
    pages["worksheet-history"] = admin.get(f"/worksheets/{pk}/history/")
    pages["actuals"] = admin.get("/goals/2026/actuals/")
    pages["actuals-import"] = admin.get("/goals/2026/actuals/import/")
    pages["worksheet-actuals"] = admin.get(f"/worksheets/{pk}/actuals/")
    pages["members"] = admin.get("/account/members/")
    pages["settings"] = admin.get("/account/settings/")
    pages["switch"] = admin.get("/account/switch/")
    pages["export.csv"] = admin.get("/goals/2026/export.csv")
    pages["export.xlsx"] = admin.get("/goals/2026/export.xlsx")
    pages["actuals.csv"] = admin.get("/goals/2026/actuals/export.csv")
    pages["worksheet.xlsx"] = admin.get(f"/worksheets/{pk}/export.xlsx")
    # Last, as it changes the members page: a user with the text as username.
    pages["member-add"] = admin.post(
        "/account/members/", {"mode": "new", "username": text, "role": "200"}
    )
    pages["members-after"] = admin.get("/account/members/")
    for name, response in pages.items():
        assert response.status_code == 200, (name, response.status_code, text)
    return pages, account


HTML_PAGES = [
    "grid",
    "review-refused",
    "overview",
    "goal-history",
    "goal-history-htmx",
    "grid-refused",
    "grid-refused-htmx",
    "worksheet-list",
    "worksheet",
    "worksheet-read-only",
    "worksheet-refused",
    "worksheet-refused-htmx",
    "worksheet-print",
    "worksheet-apply",
    "worksheet-delete",
    "worksheet-history",
    "actuals",
    "actuals-import",
    "worksheet-actuals",
    "members",
    "settings",
    "switch",
    "member-add",
    "members-after",
]
# The goal history fragment lists month changes only: no stored text in it.
SHOWS_NO_TEXT = {"goal-history-htmx"}
# Pages whose structure depends on whether the username was accepted.
MEMBER_PAGES = {"member-add", "members-after"}


def _normalised(name, value):
    if name == "hx-headers":
        return ""  # the CSRF token, different on every page
    return re.sub(r"\d+", "0", value or "")


def signature(page):
    """What a page is made of, text aside: its elements, every attribute
    name, and the value of every attribute that makes the page act."""
    elements = Counter(tag for tag, _attrs in page.elements)
    attributes = Counter(
        (tag, name) for tag, attrs in page.elements for name, _value in attrs
    )
    active = Counter(
        (tag, name, _normalised(name, value))
        for tag, attrs in page.elements
        for name, value in attrs
        if name.startswith(("on", "hx-", "data-hx-"))
    )
    return elements, attributes, active


# Where each page shows the stored text: (tag, attribute), the attribute's
# value or (None) the element's text containing it.
SHOWN_IN = {
    "grid": [("p", None)],  # the apply message names the worksheet
    "review-refused": [("textarea", None)],
    "overview": [("q", None)],  # the review comment
    "worksheet-list": [("a", None)],
    "worksheet": [("input", "value"), ("title", None), ("li", None)],
    "worksheet-read-only": [("input", "value")],
    "worksheet-refused": [("input", "value")],
    "worksheet-refused-htmx": [("input", "value")],
    "grid-refused": [("input", "value")],
    "grid-refused-htmx": [("input", "value")],
    "worksheet-print": [("title", None), ("th", None), ("p", None)],
    "worksheet-apply": [("a", None)],
    "worksheet-delete": [("p", None)],
    "worksheet-history": [("td", None)],  # subject, old and new values
    "worksheet-actuals": [("title", None), ("a", None)],
    "members": [("td", None)],  # the account's own history: its new name
    "settings": [("input", "value")],
    "switch": [("strong", None)],
}


def shown_in(page, tag, attribute, stored):
    if attribute:
        return any(
            stored in (dict(attrs).get(attribute) or "")
            for t, attrs in page.elements
            if t == tag
        )
    return any(stored in text for t, _attrs, text in page.closed if t == tag)


_BASELINES = {}


def baselines():
    """The harmless text's pages, parsed: once per run (built in whichever
    test asks first, in that test's database)."""
    if not _BASELINES:
        for accepted, text in ((True, HARMLESS), (False, HARMLESS + " x")):
            pages, _account = store_and_render(text, f"base{int(accepted)}")
            _BASELINES[accepted] = {
                name: Page(pages[name].content.decode()) for name in HTML_PAGES
            }
    return _BASELINES


def _difference(counter, baseline):
    extra = counter - baseline
    missing = baseline - counter
    return f"extra {dict(extra)}, missing {dict(missing)}"


def check_page(name, page, baseline, payload, problems):
    where = f"{name}:"
    for label, got, want in zip(
        ("elements", "attributes", "on*/hx-* attributes"),
        signature(page),
        signature(baseline),
        strict=True,
    ):
        if got != want:
            problems.append(f"{where} {label} differ: {_difference(got, want)}")
    for attrs, body in page.scripts:
        if not (attrs.get("src") or "").startswith("/static/") or body.strip():
            problems.append(f"{where} a script not the app's own: {attrs} {body[:40]}")
    for tag, attrs in page.elements:
        for attr, value in attrs:
            if attr in URL_ATTRIBUTES and re.match(
                r"\s*javascript:", value or "", re.IGNORECASE
            ):
                problems.append(f"{where} <{tag} {attr}={value!r}>")
    stored = payload.strip()
    shown = any(stored in text for text in page.texts) or any(
        stored in (value or "") for _tag, attrs in page.elements for _a, value in attrs
    )
    for tag, attribute in SHOWN_IN.get(name, []):
        if not shown_in(page, tag, attribute, stored):
            problems.append(f"{where} not shown in <{tag}> {attribute or 'text'}")
    if page.html.lstrip().startswith("<!doctype") and name != "worksheet-print":
        header = [text for t, attrs, text in page.closed if t == "a"]
        if stored not in header:
            problems.append(f"{where} the account name is not in the header")
    if not shown and name not in SHOWS_NO_TEXT:
        # Also what catches template syntax that was evaluated ({{ 7*7 }} -> 49).
        problems.append(f"{where} the text is not shown as text")
    if SPECIAL.search(stored):
        if stored in page.html:
            problems.append(f"{where} the text appears unescaped")
        if escape(stored) not in page.html and name not in SHOWS_NO_TEXT:
            problems.append(f"{where} the escaped text is missing")


def check_member_add(payload, pages, account, problems):
    """A username is refused unless the validator allows it: then it is stored
    as typed and shown escaped."""
    user_model = get_user_model()
    page = Page(pages["member-add"].content.decode())
    created = user_model.objects.filter(username=payload.strip()).exists()
    if is_username(payload):
        if not created:
            problems.append("member-add: a valid username was not created")
        return
    if created or user_model.objects.filter(memberships__account=account).count() != 2:
        problems.append("member-add: an invalid username was stored")
    error = page.text("id_username_error") or ""
    if not error.strip():
        problems.append("member-add: refused without a message beside the username")
    if page.input_value("username") != payload:
        problems.append("member-add: the typed username was not kept")


def check_exports(payload, pages, problems):
    stored = payload.strip()

    # The CSVs hold month labels and numbers only: no stored text, and no
    # cell a spreadsheet would read as a formula.
    for name in ("export.csv", "actuals.csv"):
        text = pages[name].content.decode("utf-8-sig")
        for row in csv.reader(io.StringIO(text)):
            for cell in row:
                if cell.startswith(FORMULA_TRIGGERS):
                    problems.append(f"{name}: a formula cell {cell!r}")

    for name, first in (("export.xlsx", "A1"), ("worksheet.xlsx", "A1")):
        book = load_workbook(io.BytesIO(pages[name].content))
        sheet = book.active
        cell = sheet[first]
        # Exactly what was typed, in a string cell; text that looks like a
        # formula also carries the quote-prefix style.
        if cell.value != stored or cell.data_type != "s":
            problems.append(f"{name}: {first} is {cell.value!r} ({cell.data_type})")
        strings = [
            c for row in sheet.iter_rows() for c in row if isinstance(c.value, str)
        ]
        for c in strings:
            if c.data_type != "s" or (
                c.value.startswith(FORMULA_TRIGGERS) and not c.quotePrefix
            ):
                problems.append(f"{name}: {c.coordinate} reads as a formula")
        if name == "worksheet.xlsx" and not any(c.value == stored for c in strings[1:]):
            problems.append(f"{name}: the channel name is missing")

    disposition = pages["worksheet.xlsx"]["Content-Disposition"]
    if "\r" in disposition or "\n" in disposition:
        problems.append("worksheet.xlsx: a line break in Content-Disposition")
    fallback, _sep, encoded = disposition.partition("filename*=UTF-8''")
    if not fallback.isascii() or not re.fullmatch(r"[A-Za-z0-9%._~-]+", encoded):
        problems.append(f"worksheet.xlsx: Content-Disposition {disposition!r}")
    elif re.search(r'[\x00-\x1f\\/:*?"<>|]', unquote(encoded)):
        problems.append(f"worksheet.xlsx: unsafe file name {unquote(encoded)!r}")


@pytest.mark.django_db
@pytest.mark.parametrize("payload", PAYLOADS)
def test_stored_text_is_shown_escaped_everywhere(payload):
    base = baselines()
    pages, account = store_and_render(payload, "site")
    problems = []
    accepted = is_username(payload)
    for name in HTML_PAGES:
        page = Page(pages[name].content.decode())
        baseline = base[accepted if name in MEMBER_PAGES else True][name]
        check_page(name, page, baseline, payload, problems)
    check_member_add(payload, pages, account, problems)
    check_exports(payload, pages, problems)
    assert not problems, "\n".join(problems)


def test_the_corpus_reaches_every_kind_of_payload():
    assert len(PAYLOADS) >= 20
    assert len(set(PAYLOADS)) == len(PAYLOADS)
    # At least one payload a username may be, so that path is exercised too.
    assert any(is_username(payload) for payload in PAYLOADS)
    assert sum(payload.startswith(FORMULA_TRIGGERS) for payload in PAYLOADS) >= 4


@pytest.mark.django_db
def test_the_checks_catch_an_injection():
    """The checks above, shown to fail on a page where the text was not
    escaped: the harmless name replaced by raw markup in the real page."""
    injected = "<img src=x onerror=alert(1)><script>alert(2)</script>"
    for name in ("worksheet", "overview", "members"):
        baseline = baselines()[True][name]
        broken = Page(baseline.html.replace(HARMLESS, injected))
        problems = []
        check_page(name, broken, baseline, injected, problems)
        text = "\n".join(problems)
        for expected in (
            "elements differ",
            "on*/hx-* attributes differ",
            "a script not the app's own",
            "appears unescaped",
        ):
            assert expected in text, (name, expected, text)
