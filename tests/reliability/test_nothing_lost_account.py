"""Account administration loses nothing and tells nothing it should not.

Invitations: adding someone who already has a user makes an invitation that
they accept or decline; until then they see nothing of the account. The
members form answers alike whether or not a name belongs to anyone. Role and
settings saves from a stale page are refused (409) and keep what was typed;
only a complete form writes; the fiscal year's start month does not move
while a year is submitted or approved.
"""

import difflib
import json
import re
import threading
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from funnel import selectors
from funnel.models import (
    Account,
    ChangeKind,
    ChangeRecord,
    GoalYearPlan,
    Invitation,
    Membership,
    MonthlyGoal,
    PlanStatus,
    Role,
    Worksheet,
)
from tests.conftest import PASSWORD, make_member, without_tokens
from tests.test_access import snapshot

pytestmark = pytest.mark.django_db

MEMBERS = "/account/members/"
SETTINGS = "/account/settings/"
SWITCH = "/account/switch/"
INVITATIONS = "/invitations/"
INCOMPLETE = "送信された内容がそろっていないため、何も変更していません。"
INVITED = "「{name}」を招待しました。本人がログインして招待を承諾すると、メンバーに追加されます。"

User = get_user_model()


# --- reading a page's form as the browser would send it ----------------------


class _FormReader(HTMLParser):
    """The named values of the form whose action is ``action``: inputs
    (checked radios only), selected options; no buttons, no CSRF token."""

    def __init__(self, action):
        super().__init__(convert_charrefs=True)
        self.action = action
        self.inside = False
        self.select = None
        self.fields = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("action") == self.action
        elif not self.inside:
            return
        elif tag == "input" and attrs.get("type") not in ("submit", "button"):
            if attrs.get("type") == "radio" and "checked" not in attrs:
                return
            if attrs.get("name") and attrs["name"] != "csrfmiddlewaretoken":
                self.fields[attrs["name"]] = attrs.get("value") or ""
        elif tag == "select":
            self.select = attrs.get("name")
        elif tag == "option" and self.select and "selected" in attrs:
            self.fields[self.select] = attrs.get("value")

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None


def form_on(page_html, action):
    reader = _FormReader(action)
    reader.feed(page_html)
    assert reader.fields, f"no form posting to {action}"
    return reader.fields


def loaded(client, url, action):
    """The form posting to ``action`` as ``url`` shows it now."""
    response = client.get(url)
    assert response.status_code == 200
    return form_on(response.content.decode(), action)


def role_url(membership):
    return f"/account/members/{membership.pk}/role/"


def remove_url(membership):
    return f"/account/members/{membership.pk}/remove/"


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def html(response):
    return response.content.decode()


def memberships(account):
    return dict(
        Membership.objects.filter(account=account).values_list("user__username", "role")
    )


def history(account):
    return list(
        ChangeRecord.objects.filter(account=account, kind=ChangeKind.ACCOUNT)
        .order_by("id")
        .values_list("subject", "field", "old_value", "new_value", "user__username")
    )


@pytest.fixture
def admin_client_(admin_member):
    return client_for(admin_member)


@pytest.fixture
def second_admin(account):
    return make_member("admin2", account, Role.ADMIN)


def invite(client, username, *, role=Role.MANAGER, mode="existing"):
    return client.post(
        MEMBERS, {"mode": mode, "username": username, "role": str(int(role))}
    )


# --- invitations ---------------------------------------------------------------


def test_an_invited_user_sees_nothing_of_the_account_until_they_accept(
    admin_client_, account, other_account, outsider
):
    this_year = account.fiscal_year_of(timezone.localdate())
    MonthlyGoal.objects.create(
        account=account, year=this_year, month=1, cv_count=777, cv_rate=1
    )
    MonthlyGoal.objects.create(
        account=other_account, year=this_year, month=1, cv_count=333, cv_rate=1
    )
    sheet = Worksheet.objects.create(
        account=account, name="招待元の計画", entry_date="2026-04-01"
    )
    assert invite(admin_client_, "outsider").status_code == 302
    assert memberships(account) == {"admin": Role.ADMIN}

    # Signing in through the form: the page they land on names the company.
    invitee = Client()
    response = invitee.post(
        "/accounts/login/", {"username": "outsider", "password": PASSWORD}, follow=True
    )
    landing = html(response)
    assert response.redirect_chain[-1][0] == "/goals/"
    assert "「デモ株式会社」から、メンバーへの招待が届いています。" in landing
    assert f'<a href="{INVITATIONS}">招待を確認する</a>' in landing
    # ... and everything on it is their own company's.
    assert "333" in landing and "777" not in landing

    # Not in the switcher's list, and no switching to it.
    switcher = html(invitee.get(SWITCH))
    account_list = re.search(r'<ul class="account-list".*?</ul>', switcher, re.S)[0]
    assert "デモ株式会社" not in account_list
    assert f'value="{account.pk}"' not in switcher
    assert invitee.post(SWITCH, {"account": str(account.pk)}).status_code == 404
    # None of its pages or data.
    assert invitee.get(f"/worksheets/{sheet.pk}/").status_code == 404
    assert "招待元の計画" not in html(invitee.get("/worksheets/"))
    assert "777" not in without_tokens(html(invitee.get(f"/goals/{this_year}/")))
    assert invitee.get(MEMBERS).status_code == 403

    # The invitations page shows who invited them and with which role.
    page = html(invitee.get(INVITATIONS))
    assert "デモ株式会社" in page and "役割: マネージャー" in page
    invitation = Invitation.objects.get()
    response = invitee.post(f"/invitations/{invitation.pk}/accept/", follow=True)
    assert response.redirect_chain[-1][0] == "/goals/"
    page = html(response)
    assert "「デモ株式会社」のメンバーになりました（役割: マネージャー）。" in page
    # The session now works in the account joined.
    assert "777" in page and "333" not in without_tokens(page)
    assert memberships(account) == {"admin": Role.ADMIN, "outsider": Role.MANAGER}
    assert memberships(other_account) == {"outsider": Role.MARKETER}
    assert not Invitation.objects.exists()
    assert history(account)[-1] == (
        "outsider",
        "メンバー追加（招待を承諾）",
        "",
        "マネージャー",
        "outsider",
    )
    assert invitee.get(f"/worksheets/{sheet.pk}/").status_code == 200


def test_a_user_without_an_account_signs_in_to_their_invitations(
    admin_client_, account
):
    loner = User.objects.create_user("loner", password=PASSWORD)
    sign_in = {"username": "loner", "password": PASSWORD}
    refused = Client().post("/accounts/login/", sign_in)
    assert "ご利用いただけません" in html(refused)

    invite(admin_client_, "loner", role=Role.MARKETER)
    client = Client()
    response = client.post("/accounts/login/", sign_in, follow=True)
    assert response.redirect_chain[-1][0] == INVITATIONS
    page = html(response)
    assert "「デモ株式会社」から、メンバーへの招待が届いています。" in page
    assert "「デモ株式会社」に参加する" in page
    # Wherever they go, the invitations are where they can act.
    assert client.get("/").status_code == 302
    assert client.get("/goals/", follow=True).redirect_chain[-1][0] == INVITATIONS
    assert client.post(SWITCH, {"account": str(account.pk)}).status_code == 403

    client.post(f"/invitations/{Invitation.objects.get().pk}/accept/")
    assert memberships(account)["loner"] == Role.MARKETER
    assert client.get("/goals/").status_code == 200
    assert loner.memberships.count() == 1


def test_a_declined_invitation_leaves_no_trace(
    admin_client_, account, other_account, outsider
):
    invite(admin_client_, "outsider")
    invitation = Invitation.objects.get()
    after_invite = snapshot()
    members_page = without_tokens(html(admin_client_.get(MEMBERS)))
    assert "outsider" in members_page

    invitee = client_for(outsider)
    response = invitee.post(f"/invitations/{invitation.pk}/decline/", follow=True)
    assert "「デモ株式会社」からの招待を辞退しました。" in html(response)
    assert "届いている招待はありません。" in html(response)

    # Only the invitation is gone: no membership, no record of the answer in
    # the inviting account or the invitee's own, nothing else changed.
    after_decline = snapshot()
    assert after_decline.pop("Invitation") == []
    assert after_invite.pop("Invitation") != []
    assert after_decline == after_invite
    assert "outsider" not in memberships(account)
    assert not ChangeRecord.objects.filter(account=other_account).exists()
    assert invitee.post(f"/invitations/{invitation.pk}/accept/").status_code == 404


def test_the_admin_cancels_an_invitation(admin_client_, account, outsider):
    invite(admin_client_, "outsider")
    invitation = Invitation.objects.get()
    page = html(admin_client_.get(MEMBERS))
    assert f'action="/account/invitations/{invitation.pk}/cancel/"' in page

    response = admin_client_.post(
        f"/account/invitations/{invitation.pk}/cancel/", follow=True
    )
    assert "「outsider」への招待を取り消しました。" in html(response)
    assert not Invitation.objects.exists()
    assert history(account)[-1] == (
        "outsider",
        "招待の取り消し",
        "マネージャー",
        "",
        "admin",
    )
    invitee = client_for(outsider)
    assert "デモ株式会社" not in html(invitee.get(INVITATIONS))
    assert invitee.post(f"/invitations/{invitation.pk}/accept/").status_code == 404
    assert "outsider" not in memberships(account)


def test_nobody_else_answers_an_invitation(
    admin_client_, account, other_account, outsider, marketer
):
    invite(admin_client_, "outsider")
    invitation = Invitation.objects.get()
    # Another account's admin cannot cancel it either.
    other_admin = client_for(make_member("other-admin", other_account, Role.ADMIN))
    before = snapshot()
    for client in (client_for(marketer), other_admin):
        assert "届いている招待はありません。" in html(client.get(INVITATIONS))
        for answer in ("accept", "decline"):
            path = f"/invitations/{invitation.pk}/{answer}/"
            assert client.post(path).status_code == 404
    assert (
        other_admin.post(f"/account/invitations/{invitation.pk}/cancel/").status_code
        == 404
    )
    assert snapshot() == before


def test_an_invitation_matches_the_name_whatever_its_case(
    admin_client_, account, outsider
):
    invite(admin_client_, "OutSider", role=Role.MARKETER)
    assert invite(admin_client_, "outsider").status_code == 200  # already invited
    client_for(outsider).post(f"/invitations/{Invitation.objects.get().pk}/accept/")
    assert memberships(account)["outsider"] == Role.MARKETER


def test_the_inviting_companys_name_is_shown_as_text(admin_member, account, outsider):
    """The notice carries a link, so it is marked safe: the company's name
    in it is escaped all the same."""
    hostile = '<script>alert(1)</script>"&'
    Account.objects.filter(pk=account.pk).update(name=hostile)
    invite(client_for(admin_member), "outsider")
    invitee = Client()
    landing = html(
        invitee.post(
            "/accounts/login/",
            {"username": "outsider", "password": PASSWORD},
            follow=True,
        )
    )
    page = html(invitee.get(INVITATIONS))
    for shown in (landing, page):
        assert hostile not in shown and "<script>alert" not in shown
        assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&amp;" in shown


# --- the same answer whether or not a name is anyone's ------------------------


def _answer(client, data, name):
    """Status, Location and the page followed to, with ``name`` replaced and
    what differs between two runs anyway (ids, times, tokens, the CSP nonce)
    taken out; the
    database is as it was afterwards."""
    with transaction.atomic():
        response = client.post(MEMBERS, data)
        location = response.get("Location")
        page = html(client.get(location)) if location else html(response)
        transaction.set_rollback(True)
    page = without_tokens(page).replace(name, "NAME")
    page = re.sub(r'nonce="[^"]+"', "", page)
    page = re.sub(r"invitation-\d+|invitations/\d+/", "invitation-N", page)
    page = re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}|\d{4}年\d+月\d+日", "TIME", page)
    return response.status_code, location, page


def assert_same(one, other):
    """Two answers equal, or the lines where they differ."""
    diff = "\n".join(
        difflib.unified_diff(
            f"{one[0]} {one[1]}\n{one[2]}".splitlines(),
            f"{other[0]} {other[1]}\n{other[2]}".splitlines(),
            lineterm="",
        )
    )
    assert not diff, diff


@pytest.mark.parametrize("mode", ["existing", "new"])
def test_a_name_in_another_company_gets_the_same_answer_as_an_unknown_one(
    admin_client_, account, outsider, mode
):
    data = {"mode": mode, "role": str(int(Role.MARKETER))}
    foreign = _answer(admin_client_, data | {"username": "outsider"}, "outsider")
    unknown = _answer(admin_client_, data | {"username": "nobody-xy"}, "nobody-xy")
    invited = _answer(
        admin_client_, data | {"mode": "existing", "username": "nobody-xy"}, "nobody-xy"
    )
    assert foreign[:2] == (302, MEMBERS)
    assert INVITED.format(name="NAME") in foreign[2]
    assert "既に使われています" not in foreign[2]
    assert "見つかりません" not in foreign[2]
    # The foreign name gets what an unknown name gets by invitation, in
    # either mode (a new user for an unknown name is the one difference:
    # docs/reliability.md).
    assert_same(foreign, invited)
    if mode == "existing":
        assert_same(foreign, unknown)
    else:
        assert unknown[0] == 200 and "/accounts/reset/" in unknown[2]
    assert not Invitation.objects.exists()
    assert not User.objects.filter(username="nobody-xy").exists()


def test_an_invitation_stores_the_same_rows_for_any_name(
    admin_client_, account, outsider
):
    """What is stored (and so what any page could later show) does not depend
    on whether the name is a user's."""
    invite(admin_client_, "outsider", mode="new")  # taken: invited
    invite(admin_client_, "nobody-xy", mode="existing")
    assert list(
        Invitation.objects.order_by("id").values_list(
            "username", "role", "invited_by__username"
        )
    ) == [("outsider", Role.MANAGER, "admin"), ("nobody-xy", Role.MANAGER, "admin")]
    assert history(account) == [
        ("outsider", "招待", "", "マネージャー", "admin"),
        ("nobody-xy", "招待", "", "マネージャー", "admin"),
    ]


def test_a_member_of_this_account_is_named_as_such(admin_client_, account, marketer):
    for mode in ("existing", "new"):
        response = invite(admin_client_, "marketer", mode=mode)
        assert response.status_code == 200
        assert "「marketer」は既にこのアカウントのメンバーです。" in html(response)
    assert not Invitation.objects.exists()


# --- stale saves of a role ------------------------------------------------------


@pytest.fixture(params=["two_admins", "two_tabs"])
def admins(request, admin_member, second_admin):
    """Two sessions with the members page open: two admins, or one admin in
    two tabs (clients). Returns (first, second, what the second is told)."""
    if request.param == "two_admins":
        return (
            client_for(admin_member),
            client_for(second_admin),
            "ほかのユーザーが保存しました",
        )
    return (
        client_for(admin_member),
        client_for(admin_member),
        "別のタブで保存されています",
    )


def test_a_role_save_from_a_stale_page_is_refused_and_keeps_both(
    admins, account, marketer
):
    first, second, told = admins
    membership = Membership.objects.get(user=marketer)
    url = role_url(membership)
    form_a, form_b = loaded(first, MEMBERS, url), loaded(second, MEMBERS, url)
    assert form_b == {"role": str(Role.MARKETER), "base_role": str(Role.MARKETER)}

    assert first.post(url, form_a | {"role": str(Role.MANAGER)}).status_code == 302
    response = second.post(url, form_b | {"role": str(Role.ADMIN), "action": "save"})
    page = html(response)
    assert response.status_code == 409
    assert told in page
    assert "役割: マーケター → マネージャー（admin、" in page
    # The second admin's choice is still selected, in the row it was made in.
    row = form_on(page, url)
    assert row == {"role": str(Role.ADMIN), "base_role": str(Role.MARKETER)}
    assert memberships(account)["marketer"] == Role.MANAGER

    again = second.post(url, row | {"action": "save"})
    assert again.status_code == 409
    assert memberships(account)["marketer"] == Role.MANAGER

    overwritten = second.post(url, row | {"action": "overwrite"})
    assert overwritten.status_code == 302
    assert memberships(account)["marketer"] == Role.ADMIN
    # Both changes are in the history.
    assert [r[2:4] for r in history(account) if r[1] == "役割"] == [
        ("マーケター", "マネージャー"),
        ("マネージャー", "管理者"),
    ]


def test_a_role_save_for_a_member_removed_meanwhile_says_so(
    admin_member, second_admin, account, marketer
):
    first, second = client_for(admin_member), client_for(second_admin)
    membership = Membership.objects.get(user=marketer)
    form = loaded(second, MEMBERS, role_url(membership))
    assert first.post(remove_url(membership), {"confirm": "1"}).status_code == 302
    before = snapshot()

    response = second.post(
        role_url(membership), form | {"role": str(Role.MANAGER), "action": "save"}
    )
    assert response.status_code == 404
    page = html(response)
    assert "このメンバーはこのアカウントにいません" in page
    table = re.search(
        r'<table class="grid members" id="member-table">.*?</table>', page, re.S
    )
    assert ">marketer<" not in table[0]
    response = second.post(remove_url(membership), {"confirm": "1"})
    assert response.status_code == 404
    assert "このメンバーはこのアカウントにいません" in html(response)
    assert snapshot() == before


def test_a_fresh_members_page_saves_a_role_twice_without_conflict(
    admin_client_, account, marketer
):
    url = role_url(Membership.objects.get(user=marketer))
    for role in (Role.MANAGER, Role.MARKETER):
        form = loaded(admin_client_, MEMBERS, url) | {"role": str(role)}
        assert admin_client_.post(url, form).status_code == 302
        assert memberships(account)["marketer"] == role


def test_a_tampered_base_role_is_a_conflict_not_an_error(
    admin_client_, account, marketer
):
    url = role_url(Membership.objects.get(user=marketer))
    for base in ("<script>", "999", "２００", "\x00"):
        response = admin_client_.post(
            url, {"role": str(Role.MANAGER), "base_role": base}
        )
        assert response.status_code == 409, base
        assert memberships(account)["marketer"] == Role.MARKETER


# --- stale saves of the settings -----------------------------------------------


def test_a_settings_save_from_a_stale_page_is_refused_and_keeps_both(admins, account):
    first, second, told = admins
    form_a, form_b = (
        loaded(first, SETTINGS, SETTINGS),
        loaded(second, SETTINGS, SETTINGS),
    )
    assert form_b == {
        "name": "デモ株式会社",
        "fiscal_year_start_month": "1",
        "base_name": "デモ株式会社",
        "base_fiscal_year_start_month": "1",
    }
    assert first.post(SETTINGS, form_a | {"name": "デモ商事"}).status_code == 302

    typed = form_b | {"name": "デモホールディングス", "fiscal_year_start_month": "4"}
    response = second.post(SETTINGS, typed | {"action": "save"})
    page = html(response)
    assert response.status_code == 409
    assert told in page
    assert "アカウント名: デモ株式会社 → デモ商事（admin、" in page
    assert (
        "年度の開始月"
        not in re.search(r'<div class="conflict".*?</div>', page, re.S)[0]
    )
    # What the second admin typed stays in the form, on the base it was typed on.
    assert form_on(page, SETTINGS) == typed
    account.refresh_from_db()
    assert (account.name, account.fiscal_year_start_month) == ("デモ商事", 1)

    assert second.post(SETTINGS, typed | {"action": "save"}).status_code == 409
    response = second.post(SETTINGS, typed | {"action": "overwrite"})
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.name, account.fiscal_year_start_month) == (
        "デモホールディングス",
        4,
    )
    names = [r[2:4] for r in history(account) if r[1] == "アカウント名"]
    assert names == [("デモ株式会社", "デモ商事"), ("デモ商事", "デモホールディングス")]


def test_a_fresh_settings_page_saves_twice_without_conflict(admin_client_, account):
    for name in ("一回目", "二回目"):
        form = loaded(admin_client_, SETTINGS, SETTINGS) | {"name": name}
        assert admin_client_.post(SETTINGS, form).status_code == 302
    account.refresh_from_db()
    assert account.name == "二回目"


# --- only a complete form writes --------------------------------------------------


def _forms(account, marketer):
    """Each writing form of the account pages, complete, as its page sends it."""
    membership = Membership.objects.get(user=marketer)
    return {
        "add": (MEMBERS, {"mode": "existing", "username": "someone", "role": "200"}),
        "role": (role_url(membership), {"role": "300", "base_role": "200"}),
        "remove": (remove_url(membership), {"confirm": "1"}),
        "settings": (
            SETTINGS,
            {
                "name": "新名称",
                "fiscal_year_start_month": "4",
                "base_name": "デモ株式会社",
                "base_fiscal_year_start_month": "1",
            },
        ),
    }


def _incomplete_posts():
    fields = {
        "add": ("mode", "username", "role"),
        "role": ("role", "base_role"),
        "remove": ("confirm",),
        "settings": (
            "name",
            "fiscal_year_start_month",
            "base_name",
            "base_fiscal_year_start_month",
        ),
    }
    for form, names in fields.items():
        for name in names:
            yield form, name


@pytest.mark.parametrize(("form", "missing"), list(_incomplete_posts()))
def test_a_post_missing_a_field_changes_nothing(
    admin_client_, account, marketer, form, missing
):
    path, data = _forms(account, marketer)[form]
    before = snapshot()
    response = admin_client_.post(path, {k: v for k, v in data.items() if k != missing})
    assert response.status_code == 400
    assert INCOMPLETE in html(response)
    assert snapshot() == before
    # The complete form, for comparison, writes.
    assert admin_client_.post(path, data).status_code == 302
    assert snapshot() != before


@pytest.mark.parametrize("form", ["add", "role", "remove", "settings"])
@pytest.mark.parametrize("body", ["empty", "json", "text"])
def test_a_body_that_is_not_the_form_changes_nothing(
    admin_client_, account, marketer, form, body
):
    path, data = _forms(account, marketer)[form]
    before = snapshot()
    if body == "empty":
        response = admin_client_.post(path)
    elif body == "json":
        response = admin_client_.post(
            path, json.dumps(data), content_type="application/json"
        )
    else:
        text = "&".join(f"{k}={v}" for k, v in data.items())
        response = admin_client_.post(path, text, content_type="text/plain")
    assert response.status_code == 400
    assert INCOMPLETE in html(response)
    assert snapshot() == before


def test_an_overwrite_needs_no_base(admin_client_, account, marketer):
    membership = Membership.objects.get(user=marketer)
    response = admin_client_.post(
        role_url(membership), {"role": "300", "action": "overwrite"}
    )
    assert response.status_code == 302
    assert memberships(account)["marketer"] == Role.MANAGER
    response = admin_client_.post(
        SETTINGS,
        {"name": "上書き", "fiscal_year_start_month": "4", "action": "overwrite"},
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.name, account.fiscal_year_start_month) == ("上書き", 4)


# --- the fiscal year's start month ---------------------------------------------


def _plans(account, **statuses):
    for year, status in statuses.items():
        GoalYearPlan.objects.create(account=account, year=int(year[1:]), status=status)


@pytest.mark.parametrize("start", [1, 4])
def test_the_start_month_stays_while_a_year_is_submitted_or_approved(
    admin_client_, account, start
):
    Account.objects.filter(pk=account.pk).update(fiscal_year_start_month=start)
    _plans(
        account,
        y2025=PlanStatus.APPROVED,
        y2026=PlanStatus.SUBMITTED,
        y2027=PlanStatus.DRAFT,
        y2028=PlanStatus.RETURNED,
    )
    before = snapshot()
    form = loaded(admin_client_, SETTINGS, SETTINGS)
    typed = form | {"name": "新名称", "fiscal_year_start_month": "10"}
    response = admin_client_.post(SETTINGS, typed)
    assert response.status_code == 200
    page = html(response)
    suffix = "年" if start == 1 else "年度"
    error = re.search(
        r'<span class="field-error" id="id_fiscal_year_start_month_error">([^<]*)',
        page,
    )[1]
    assert f"2025{suffix}（承認済み）、2026{suffix}（提出済み）の目標が" in error
    assert "差し戻すか取り下げてから変更してください" in error
    assert "2027" not in error and "2028" not in error
    # All or nothing: the new name is not saved either, and stays typed.
    assert form_on(page, SETTINGS) == typed
    assert snapshot() == before

    # The name alone may change.
    response = admin_client_.post(SETTINGS, form | {"name": "新名称"})
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.name, account.fiscal_year_start_month) == ("新名称", start)


def test_with_draft_and_returned_years_the_start_month_changes(admin_client_, account):
    _plans(account, y2026=PlanStatus.DRAFT, y2027=PlanStatus.RETURNED)
    MonthlyGoal.objects.create(account=account, year=2027, month=2, cv_count=9)
    form = loaded(admin_client_, SETTINGS, SETTINGS)
    response = admin_client_.post(SETTINGS, form | {"fiscal_year_start_month": "4"})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.fiscal_year_start_month == 4
    # February 2027 now belongs to 2026年度; nothing stored moved.
    assert selectors.goal_values(account=account, year=2026) == {2: (9, None)}
    assert MonthlyGoal.objects.get().year == 2027
    assert GoalYearPlan.objects.get(year=2027).status == PlanStatus.RETURNED


if connection.vendor == "postgresql":
    # Only PostgreSQL locks rows; SQLite serialises whole transactions, which
    # the tests above cover. Defined only there, so it is never "skipped".

    def _together(clients, path, forms):
        """Each client posts its form at the same moment; their statuses."""
        barrier = threading.Barrier(len(clients))
        statuses = [None] * len(clients)

        def post(i):
            try:
                barrier.wait(timeout=10)
                statuses[i] = clients[i].post(path, forms[i]).status_code
            finally:
                connection.close()

        threads = [
            threading.Thread(target=post, args=(i,)) for i in range(len(clients))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        return statuses

    @pytest.mark.django_db(transaction=True)
    def test_two_admins_saving_a_role_at_once_one_is_told():
        """25 rounds: two admins load the members page, then both press 変更
        for the same member at the same moment. One role is stored, the
        other admin is answered 409: never both, never a lost save."""
        account = Account.objects.create(name="同時操作")
        first = client_for(make_member("first", account, Role.ADMIN))
        second = client_for(make_member("second", account, Role.ADMIN))
        target = Membership.objects.get(
            user=make_member("target", account, Role.MARKETER)
        )
        url = role_url(target)
        for _round in range(25):
            target.refresh_from_db()
            wants = [
                r for r in (Role.MARKETER, Role.MANAGER, Role.ADMIN) if r != target.role
            ]
            forms = [
                loaded(client, MEMBERS, url) | {"role": str(role)}
                for client, role in zip((first, second), wants, strict=True)
            ]
            statuses = _together((first, second), url, forms)
            assert sorted(statuses) == [302, 409], statuses
            target.refresh_from_db()
            assert target.role == wants[statuses.index(302)]

    @pytest.mark.django_db(transaction=True)
    def test_two_admins_saving_the_settings_at_once_one_is_told():
        """25 rounds: two admins load the settings, then both press 保存 with
        another name at the same moment. One name is stored, the other admin
        is answered 409: never both, never a lost save."""
        account = Account.objects.create(name="同時設定")
        admins = [
            client_for(make_member(f"admin{i}", account, Role.ADMIN)) for i in range(2)
        ]
        for round_ in range(25):
            names = [f"{round_}回目 {i}案" for i in range(2)]
            forms = [
                loaded(client, SETTINGS, SETTINGS) | {"name": name, "action": "save"}
                for client, name in zip(admins, names, strict=True)
            ]
            statuses = _together(admins, SETTINGS, forms)
            assert sorted(statuses) == [302, 409], (round_, statuses)
            account.refresh_from_db()
            assert account.name == names[statuses.index(302)], round_
        records = ChangeRecord.objects.filter(account=account, field="アカウント名")
        assert records.count() == 25
