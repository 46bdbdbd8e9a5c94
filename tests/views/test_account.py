"""Account administration over the Django test client: members, settings, the
account switcher, passwords, and sign-in (deactivated accounts, throttling)."""

import re
import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from django.test import Client
from django.utils import timezone

from funnel import services
from funnel.models import Account, Invitation, Membership, MonthlyGoal, Role
from tests.conftest import PASSWORD, make_member

pytestmark = pytest.mark.django_db

MEMBERS = "/account/members/"
SETTINGS = "/account/settings/"
SWITCH = "/account/switch/"
LOGIN = "/accounts/login/"
PASSWORD_CHANGE = "/accounts/password_change/"
NEW_PASSWORD = "a-brand-new-passphrase-7391"

User = get_user_model()


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_client_(admin_member):
    return client_for(admin_member)


def memberships(account):
    return {
        m.user.username: m.role
        for m in Membership.objects.filter(account=account).select_related("user")
    }


def add_post(username, *, mode="new", role=Role.MARKETER):
    return {"mode": mode, "username": username, "role": str(int(role))}


def role_post(role, *, base):
    """The role form as the members page sends it: the role chosen and the
    one the page showed."""
    return {"role": str(role), "base_role": str(int(base))}


# The hidden confirmation inside 削除.
REMOVE = {"confirm": "1"}


def settings_post(name, month, *, base_name="デモ株式会社", base_month="1"):
    """The settings form as the page sends it, loaded from the fixture's account."""
    return {
        "name": name,
        "fiscal_year_start_month": month,
        "base_name": base_name,
        "base_fiscal_year_start_month": base_month,
    }


def html(response):
    return response.content.decode()


# --- who may see what --------------------------------------------------------


@pytest.mark.parametrize("url", [MEMBERS, SETTINGS, SWITCH])
def test_admin_sees_every_page(admin_client_, url):
    response = admin_client_.get(url)
    assert response.status_code == 200


def test_admin_sees_the_admin_menu_and_others_do_not(admin_client_, marketer, manager):
    page = html(admin_client_.get("/goals/"))
    assert 'href="/account/members/"' in page
    assert 'href="/account/settings/"' in page
    assert 'href="/account/switch/"' in page
    assert 'href="/accounts/password_change/"' in page
    for user in (marketer, manager):
        page = html(client_for(user).get("/goals/"))
        assert 'href="/account/members/"' not in page
        assert 'href="/account/settings/"' not in page
        assert 'href="/account/switch/"' in page
        assert 'href="/accounts/password_change/"' in page


@pytest.mark.parametrize("role_fixture", ["marketer", "manager"])
def test_non_admins_are_refused_and_nothing_changes(
    request, role_fixture, account, admin_member
):
    client = client_for(request.getfixturevalue(role_fixture))
    admin_membership = Membership.objects.get(user=admin_member)
    before = memberships(account)

    assert client.get(MEMBERS).status_code == 403
    assert client.get(SETTINGS).status_code == 403
    assert client.post(MEMBERS, add_post("intruder")).status_code == 403
    assert (client.post(SETTINGS, settings_post("乗っ取り", "4"))).status_code == 403
    assert (
        client.post(
            f"/account/members/{admin_membership.pk}/role/",
            role_post(Role.MARKETER, base=Role.ADMIN),
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/account/members/{admin_membership.pk}/remove/", REMOVE
        ).status_code
        == 403
    )

    assert memberships(account) == before
    assert not User.objects.filter(username="intruder").exists()
    account.refresh_from_db()
    assert (account.name, account.fiscal_year_start_month) == ("デモ株式会社", 1)


def test_another_accounts_membership_is_404(account, other_account, marketer):
    other_admin = make_member("other-admin", other_account, Role.ADMIN)
    client = client_for(other_admin)
    target = Membership.objects.get(user=marketer, account=account)

    assert (
        client.post(
            f"/account/members/{target.pk}/role/",
            role_post(Role.ADMIN, base=Role.MARKETER),
        ).status_code
        == 404
    )
    assert (
        client.post(f"/account/members/{target.pk}/remove/", REMOVE).status_code == 404
    )
    assert client.post("/account/members/999999/remove/", REMOVE).status_code == 404
    target.refresh_from_db()
    assert target.role == Role.MARKETER
    # Their own members page lists only their own account.
    page = html(client.get(MEMBERS))
    assert "other-admin" in page and "marketer" not in page


@pytest.mark.parametrize(
    "url",
    [MEMBERS, SETTINGS, SWITCH, PASSWORD_CHANGE, "/account/members/1/role/"],
)
def test_anonymous_is_sent_to_sign_in(client, account, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


def test_anonymous_post_is_sent_to_sign_in(client, account, admin_member):
    before = memberships(account)
    response = client.post(MEMBERS, add_post("sneaky"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert memberships(account) == before


def test_role_and_remove_take_post_only(admin_client_, marketer):
    pk = Membership.objects.get(user=marketer).pk
    assert admin_client_.get(f"/account/members/{pk}/role/").status_code == 405
    assert admin_client_.get(f"/account/members/{pk}/remove/").status_code == 405


# --- members ---------------------------------------------------------------


def test_members_page_lists_members_with_role_and_date(
    admin_client_, account, marketer, manager, outsider
):
    page = html(admin_client_.get(MEMBERS))
    for username in ("admin", "marketer", "manager"):
        assert username in page
    assert "outsider" not in page
    assert "管理者" in page and "マーケター" in page and "マネージャー" in page
    today = timezone.localdate()
    assert f"{today.year}年{today.month}月{today.day}日" in page


def test_add_new_user_shows_the_set_password_link_once(admin_client_, account):
    response = admin_client_.post(MEMBERS, add_post("tanaka", role=Role.MANAGER))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = html(response)
    assert "ユーザー「tanaka」を作成し、メンバーに追加しました。" in page
    user = User.objects.get(username="tanaka")
    assert not user.has_usable_password()
    assert memberships(account)["tanaka"] == Role.MANAGER

    link = response.context["set_password_url"]
    assert link.startswith("http://testserver/accounts/reset/")
    assert link in page
    # Shown once: not on the next visit.
    again = html(admin_client_.get(MEMBERS))
    assert "/accounts/reset/" not in again
    assert "tanaka" in again

    # The link works for someone who is not signed in.
    anonymous = Client()
    form_page = anonymous.get(link, follow=True)
    assert form_page.status_code == 200
    assert form_page.redirect_chain[-1][0].endswith("/set-password/")
    assert "/accounts/login/" not in form_page.redirect_chain[-1][0]
    assert "パスワードの設定" in html(form_page)
    assert 'name="new_password1"' in html(form_page)
    done = anonymous.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert "パスワードを設定しました" in html(done)
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    # Used once, the link is spent.
    assert "このリンクは無効です" in html(Client().get(link, follow=True))
    # And the new member signs in through the real sign-in form.
    signed_in = Client().post(LOGIN, {"username": "tanaka", "password": NEW_PASSWORD})
    assert signed_in.status_code == 302
    # A manager starts at 承認待ち.
    assert signed_in["Location"] == "/reviews/"


def test_a_made_up_set_password_link_is_refused(client, account):
    page = html(client.get("/accounts/reset/MQ/abc-def/", follow=True))
    assert "このリンクは無効です" in page
    assert 'name="new_password1"' not in page


def test_add_existing_user_invites_them(
    admin_client_, account, outsider, other_account
):
    response = admin_client_.post(
        MEMBERS, add_post("outsider", mode="existing", role=Role.MANAGER)
    )
    assert response.status_code == 302
    assert response["Location"] == MEMBERS
    # Not a member until they accept (tests/reliability/test_nothing_lost_account.py).
    assert "outsider" not in memberships(account)
    invitation = Invitation.objects.get(account=account)
    assert (invitation.username, invitation.role) == ("outsider", Role.MANAGER)
    # Still a member of their own account, with the same role.
    assert memberships(other_account) == {"outsider": Role.MARKETER}
    page = html(admin_client_.get(MEMBERS))
    assert "「outsider」を招待しました。" in page
    assert f'id="invitation-{invitation.pk}"' in page
    assert "/accounts/reset/" not in page
    outsider.refresh_from_db()
    assert outsider.check_password(PASSWORD)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            add_post("marketer", mode="existing"),
            "「marketer」は既にこのアカウントのメンバーです。",
        ),
        (
            add_post("admin", mode="existing", role=Role.MANAGER),
            "「admin」は既にこのアカウントのメンバーです。",
        ),
        # This account's own members are named as such, in either mode and
        # whatever the case.
        (add_post("marketer"), "「marketer」は既にこのアカウントのメンバーです。"),
        (add_post("Marketer"), "「Marketer」は既にこのアカウントのメンバーです。"),
        (
            add_post("MARKETER", mode="existing"),
            "「MARKETER」は既にこのアカウントのメンバーです。",
        ),
        (add_post("bad name!"), "ユーザー名には文字・数字と @ . + - _ だけを使えます"),
        (add_post("x" * 151), "ユーザー名は150文字以内で入力してください。"),
        (add_post("   "), "ユーザー名を入力してください。"),
        (add_post("suzuki", role=999), "役割は一覧から選んでください。"),
        (add_post("suzuki", mode="guess"), "新しいユーザーか既存のユーザーかを選んで"),
    ],
)
def test_add_member_refused_with_a_message_and_nothing_stored(
    admin_client_, account, marketer, outsider, data, message
):
    users_before = User.objects.count()
    members_before = Membership.objects.count()
    response = admin_client_.post(MEMBERS, data)
    assert response.status_code == 200
    page = html(response)
    assert message in page
    assert 'aria-invalid="true"' in page
    if data["username"].strip():
        # What was typed stays in the field.
        assert f'value="{data["username"]}"' in page
    assert "/accounts/reset/" not in page
    assert User.objects.count() == users_before
    assert Membership.objects.count() == members_before
    assert not Invitation.objects.exists()


def test_full_width_username_is_normalised(admin_client_, account):
    admin_client_.post(MEMBERS, add_post("ｙａｍａｄａ"))
    assert "yamada" in memberships(account)


def test_change_role(admin_client_, account, marketer):
    pk = Membership.objects.get(user=marketer).pk
    response = admin_client_.post(
        f"/account/members/{pk}/role/",
        role_post(Role.MANAGER, base=Role.MARKETER),
        follow=True,
    )
    assert response.redirect_chain[-1][0] == MEMBERS
    assert "「marketer」の役割を「マネージャー」にしました。" in html(response)
    assert memberships(account)["marketer"] == Role.MANAGER


@pytest.mark.parametrize("role", ["999", "abc", ""])
def test_change_role_to_nonsense_is_refused(admin_client_, account, marketer, role):
    pk = Membership.objects.get(user=marketer).pk
    response = admin_client_.post(
        f"/account/members/{pk}/role/",
        role_post(role, base=Role.MARKETER),
        follow=True,
    )
    assert "役割" in html(response)
    assert memberships(account)["marketer"] == Role.MARKETER


def test_last_admin_cannot_be_demoted_or_removed(admin_client_, account, marketer):
    pk = Membership.objects.get(user__username="admin").pk
    response = admin_client_.post(
        f"/account/members/{pk}/role/",
        role_post(Role.MARKETER, base=Role.ADMIN),
        follow=True,
    )
    assert "最後の管理者の役割は変更できません" in html(response)
    assert memberships(account)["admin"] == Role.ADMIN

    response = admin_client_.post(f"/account/members/{pk}/remove/", REMOVE, follow=True)
    assert "最後の管理者は削除できません" in html(response)
    assert memberships(account) == {"admin": Role.ADMIN, "marketer": Role.MARKETER}


def test_with_two_admins_one_can_be_demoted_but_not_both(
    admin_client_, account, admin_member
):
    second = make_member("admin2", account, Role.ADMIN)
    second_pk = Membership.objects.get(user=second).pk
    response = admin_client_.post(
        f"/account/members/{second_pk}/role/",
        role_post(Role.MARKETER, base=Role.ADMIN),
    )
    assert response.status_code == 302
    assert memberships(account) == {"admin": Role.ADMIN, "admin2": Role.MARKETER}
    # Now the first is the last admin again.
    first_pk = Membership.objects.get(user=admin_member).pk
    admin_client_.post(
        f"/account/members/{first_pk}/role/", role_post(Role.MANAGER, base=Role.ADMIN)
    )
    assert memberships(account)["admin"] == Role.ADMIN


def test_an_admin_may_step_down_when_another_admin_remains(account, admin_member):
    make_member("admin2", account, Role.ADMIN)
    client = client_for(admin_member)
    pk = Membership.objects.get(user=admin_member).pk
    response = client.post(
        f"/account/members/{pk}/role/", role_post(Role.MARKETER, base=Role.ADMIN)
    )
    # Off the page they may no longer see.
    assert response["Location"] == "/goals/"
    assert memberships(account)["admin"] == Role.MARKETER
    assert client.get(MEMBERS).status_code == 403


def test_remove_member(admin_client_, account, marketer):
    pk = Membership.objects.get(user=marketer).pk
    response = admin_client_.post(f"/account/members/{pk}/remove/", REMOVE, follow=True)
    assert "「marketer」をメンバーから外しました。" in html(response)
    assert "marketer" not in memberships(account)
    # The user remains (they may belong elsewhere); this account is closed to them.
    assert User.objects.filter(username="marketer").exists()
    assert client_for(marketer).get("/goals/").status_code == 403


def test_with_two_admins_one_can_be_removed(admin_client_, account):
    second = make_member("admin2", account, Role.ADMIN)
    pk = Membership.objects.get(user=second).pk
    admin_client_.post(f"/account/members/{pk}/remove/", REMOVE)
    assert memberships(account) == {"admin": Role.ADMIN}


# A race needs two connections to one database. The SQLite test database lives
# in memory, where a second connection finds the table locked instead of
# waiting (the SQLite file in use serialises writers with IMMEDIATE
# transactions), so this test exists on PostgreSQL runs only.
if connections["default"].vendor == "postgresql":

    @pytest.mark.django_db(transaction=True)
    def test_two_admins_demoting_each_other_at_once_leave_one_admin():
        account = Account.objects.create(name="同時操作")
        first = make_member("first", account, Role.ADMIN)
        second = make_member("second", account, Role.ADMIN)
        barrier = threading.Barrier(2)
        results = []

        def demote(target_user, actor):
            target = Membership.objects.get(user=target_user, account=account)
            try:
                barrier.wait()
                services.member_role_change(
                    account=account,
                    membership=target,
                    role=Role.MARKETER,
                    acting_user=actor,
                )
                results.append("changed")
            except services.ServiceError:
                results.append("refused")
            finally:
                connections.close_all()

        threads = [
            threading.Thread(target=demote, args=(first, second)),
            threading.Thread(target=demote, args=(second, first)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == ["changed", "refused"]
        assert Membership.objects.filter(account=account, role=Role.ADMIN).count() == 1


# --- settings --------------------------------------------------------------


def test_settings_show_the_account(admin_client_, account):
    page = html(admin_client_.get(SETTINGS))
    assert 'value="デモ株式会社"' in page
    assert "年度の開始月" in page
    assert '<option value="1" selected>1月</option>' in page
    assert '<option value="12">12月</option>' in page


def test_settings_save(admin_client_, account):
    response = admin_client_.post(SETTINGS, settings_post("  新デモ株式会社 ", "4"))
    assert response.status_code == 302
    assert response["Location"] == SETTINGS
    account.refresh_from_db()
    assert (account.name, account.fiscal_year_start_month) == ("新デモ株式会社", 4)
    page = html(admin_client_.get(SETTINGS))
    assert "保存しました。" in page
    assert '<option value="4" selected>4月</option>' in page
    # The grid now counts years from April.
    assert "年度" in html(admin_client_.get("/goals/"))


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "新名称", "month": "0"}, "month", "1月〜12月から"),
        ({"name": "新名称", "month": "13"}, "month", "1月〜12月から"),
        ({"name": "新名称", "month": "四月"}, "month", "1月〜12月"),
        ({"name": "新名称", "month": ""}, "month", "選んでください"),
        ({"name": "", "month": "4"}, "name", "入力してください"),
        ({"name": "あ" * 101, "month": "4"}, "name", "100文字以内"),
    ],
)
def test_settings_refused_with_a_message_and_nothing_stored(
    admin_client_, account, data, field, message
):
    response = admin_client_.post(SETTINGS, settings_post(**data))
    assert response.status_code == 200
    page = html(response)
    field_id = "id_name" if field == "name" else "id_fiscal_year_start_month"
    assert re.search(
        f'<span class="field-error" id="{field_id}_error">[^<]*{message}', page
    )
    assert 'aria-invalid="true"' in page
    if data["name"]:
        assert f'value="{data["name"]}"' in page
    account.refresh_from_db()
    assert (account.name, account.fiscal_year_start_month) == ("デモ株式会社", 1)


# --- switching accounts ----------------------------------------------------


@pytest.fixture
def agency_user(account, other_account):
    """A marketer in both accounts, each with its own goals this year."""
    user = make_member("agency", account, Role.MARKETER)
    Membership.objects.create(user=user, account=other_account, role=Role.MANAGER)
    year = timezone.localdate().year
    MonthlyGoal.objects.create(account=account, year=year, month=1, cv_count=111)
    MonthlyGoal.objects.create(account=other_account, year=year, month=1, cv_count=999)
    return user


def test_switch_lists_the_users_accounts_with_the_current_marked(
    agency_user, account, other_account
):
    client = client_for(agency_user)
    page = html(client.get(SWITCH))
    assert f'<strong aria-current="true">{other_account.name}</strong>' in page
    assert f'name="account" value="{account.pk}"' in page


def first_month(page):
    """The grid's first month row: the figures, not a random token elsewhere
    on the page that may happen to hold the digits."""
    row = re.search(r'<tr id="month-1".*?</tr>', page, re.DOTALL)
    assert row, "the grid has no month row 1"
    return row.group(0)


def test_switch_changes_the_account_the_pages_show(agency_user, account, other_account):
    client = client_for(agency_user)
    # サンプル商事 sorts before デモ株式会社, so it is the first account.
    page = html(client.get("/goals/"))
    row = first_month(page)
    assert 'id="visits-1"' in page and "999" in row and "111" not in row

    response = client.post(SWITCH, {"account": str(account.pk)})
    assert response.status_code == 302
    assert response["Location"] == "/goals/"
    assert client.session["funnel_account_id"] == account.pk
    page = html(client.get("/goals/"))
    assert "アカウント「デモ株式会社」に切り替えました。" in page
    row = first_month(page)
    assert 'value="111"' in row and "999" not in row
    assert '<span class="role">マーケター</span>' in page

    client.post(SWITCH, {"account": str(other_account.pk)})
    page = html(client.get("/goals/"))
    row = first_month(page)
    assert "999" in row and "111" not in row
    assert '<span class="role">マネージャー</span>' in page


@pytest.mark.parametrize("choice", ["third", "", "abc", "-1"])
def test_switching_to_an_account_the_user_is_not_in_is_404(
    agency_user, account, choice
):
    third = Account.objects.create(name="無関係株式会社")
    make_member("stranger", third, Role.ADMIN)
    client = client_for(agency_user)
    client.post(SWITCH, {"account": str(account.pk)})
    value = str(third.pk) if choice == "third" else choice
    assert client.post(SWITCH, {"account": value}).status_code == 404
    assert client.session["funnel_account_id"] == account.pk


def test_a_deactivated_account_is_not_offered_nor_chosen(
    agency_user, account, other_account
):
    other_account.is_active = False
    other_account.save()
    client = client_for(agency_user)
    page = html(client.get(SWITCH))
    assert other_account.name not in page
    assert client.post(SWITCH, {"account": str(other_account.pk)}).status_code == 404
    row = first_month(html(client.get("/goals/")))
    assert 'value="111"' in row and "999" not in row


# --- signing in and passwords ----------------------------------------------


def sign_in(client, username, password=PASSWORD, address="127.0.0.1"):
    return client.post(
        LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address
    )


def signed_in(client):
    return "_auth_user_id" in client.session


def test_member_signs_in_through_the_sign_in_form(account, marketer):
    client = Client()
    response = sign_in(client, "marketer")
    assert response.status_code == 302
    assert signed_in(client)


def test_deactivated_accounts_member_cannot_sign_in(account, marketer):
    account.is_active = False
    account.save()
    client = Client()
    response = sign_in(client, "marketer")
    assert response.status_code == 200
    assert "このユーザーが所属するアカウントは現在ご利用いただけません" in html(
        response
    )
    assert not signed_in(client)


def test_password_change_for_a_marketer(marketer_client, marketer):
    page = html(marketer_client.get(PASSWORD_CHANGE))
    assert "パスワードの変更" in page
    response = marketer_client.post(
        PASSWORD_CHANGE,
        {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/accounts/password_change/done/"
    assert "パスワードを変更しました" in html(response)
    # Still signed in after the change.
    assert marketer_client.get("/goals/").status_code == 200
    marketer.refresh_from_db()
    assert marketer.check_password(NEW_PASSWORD)
    assert sign_in(Client(), "marketer", NEW_PASSWORD).status_code == 302
    assert sign_in(Client(), "marketer", PASSWORD).status_code == 200


def test_password_change_with_the_wrong_old_password_is_refused(
    marketer_client, marketer
):
    response = marketer_client.post(
        PASSWORD_CHANGE,
        {
            "old_password": "not-it",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 200
    assert 'aria-invalid="true"' in html(response)
    marketer.refresh_from_db()
    assert marketer.check_password(PASSWORD)


def test_sign_in_is_throttled_per_username_and_address(account, marketer, manager):
    attacker = Client()
    for _attempt in range(5):
        response = sign_in(attacker, "marketer", "wrong", address="10.0.0.1")
        assert not signed_in(attacker)
    # Locked: even the right password is refused from this address.
    response = sign_in(attacker, "marketer", address="10.0.0.1")
    assert response.status_code != 302
    assert "ログインを一時停止しています" in html(response)
    assert not signed_in(attacker)

    # The same username from another address still signs in.
    elsewhere = Client()
    assert sign_in(elsewhere, "marketer", address="10.0.0.2").status_code == 302
    assert signed_in(elsewhere)
    # Another username from the locked address still signs in.
    colleague = Client()
    assert sign_in(colleague, "manager", address="10.0.0.1").status_code == 302
    assert signed_in(colleague)


def test_member_and_settings_changes_are_in_the_history(
    admin_client_, account, marketer
):
    from funnel.models import ChangeKind, ChangeRecord

    membership = Membership.objects.get(user=marketer)
    admin_client_.post(
        f"/account/members/{membership.pk}/role/",
        role_post(Role.MANAGER, base=Role.MARKETER),
    )
    admin_client_.post("/account/settings/", settings_post("デモ株式会社", "4"))
    records = {
        (r.subject, r.field, r.old_value, r.new_value, r.user.username)
        for r in ChangeRecord.objects.filter(account=account, kind=ChangeKind.ACCOUNT)
    }
    assert ("marketer", "役割", "マーケター", "マネージャー", "admin") in records
    assert ("デモ株式会社", "年度の開始月", "1", "4", "admin") in records
    page = html(admin_client_.get("/account/members/"))
    assert "マネージャー" in page and "年度の開始月" in page
