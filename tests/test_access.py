"""The access matrix: every URL of the app, for every kind of visitor, GET and
POST, states the status it answers with, and that nothing is written where a
request is refused.

Visitors: anonymous; the marketer, manager and admin of account A (whose
objects the URLs name); a marketer and an admin of account B; and a member
of a deactivated account. Invitations are per user, not per account: the
marketer of A has one from B (theirs alone to accept or decline), and A has
one waiting for a name nobody has (its admin's to cancel). Statuses: 200,
302 (a redirect the request earned), LOGIN (302 to sign-in, or HX-Redirect
for htmx), 403, 404, 405.

The live recomputes are calculators: numbers in, numbers out, nothing of any
account read or written, no session; every visitor gets the same answer, and
``test_calculators_touch_no_database`` holds them to it.

The URLs are enumerated from the resolver: a URL added without a row here
fails ``test_every_url_is_in_the_matrix``. Django's admin (``admin:``) is the
site operators' and is checked for staff-only access separately.
"""

from dataclasses import dataclass, field

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from funnel.models import (
    Account,
    ChangeRecord,
    Channel,
    ChannelActual,
    GA4ChannelMapping,
    GoalYearPlan,
    Invitation,
    Membership,
    MonthlyActual,
    MonthlyGoal,
    PlanEvent,
    Role,
    Worksheet,
    WorksheetChannel,
)

LOGIN = "login"
ROLES = (
    "anonymous",
    "marketer",
    "manager",
    "admin",
    "other_member",
    "other_admin",
    "inactive",
)


def statuses(anonymous, marketer, manager, admin, other_member, other_admin, inactive):
    return dict(
        zip(
            ROLES,
            (anonymous, marketer, manager, admin, other_member, other_admin, inactive),
            strict=True,
        )
    )


# Shorthands for the common rows.
NOT_ALLOWED = statuses(405, 405, 405, 405, 405, 405, 405)
NOT_ALLOWED_SIGNED_IN = statuses(LOGIN, 405, 405, 405, 405, 405, 405)
MEMBER_READ = statuses(LOGIN, 200, 200, 200, 200, 200, 403)
OBJECT_READ = statuses(LOGIN, 200, 200, 200, 404, 404, 403)
EDITOR_WRITE = statuses(LOGIN, 302, 403, 302, 302, 302, 403)
OBJECT_EDITOR_READ = statuses(LOGIN, 200, 403, 200, 404, 404, 403)
OBJECT_EDITOR_WRITE = statuses(LOGIN, 302, 403, 302, 404, 404, 403)
ADMIN_READ = statuses(LOGIN, 403, 403, 200, 403, 200, 403)
ADMIN_OBJECT_WRITE = statuses(LOGIN, 403, 403, 302, 403, 404, 403)
CALCULATOR = statuses(*[200] * 7)

WORKSHEET_POST = {
    "action": "save",
    "name": "計画",
    "entry_date": "2026-04-01",
    "basis": "monthly",
    "total_revenue": "50,000,000",
    "web_revenue": "12,000,000",
    "unit_price": "4,000,000",
    "win_rate": "30",
    "opportunity_rate": "25",
    "cv_rate": "1",
    "channels-TOTAL_FORMS": "1",
    "channels-INITIAL_FORMS": "0",
    "channels-0-channel": "",
    "channels-0-name": "広告",
    "channels-0-online": "on",
    "channels-0-meetings": "10",
    "channels-0-meeting_rate": "10",
}
# Complete forms, as a page sends them (a write needs every field); 上書き保存,
# so that the matrix needs no base values of what is stored.
# The channel plan's recompute is a POST: the page sends every channel's months.
CHANNEL_RECOMPUTE_POST = {
    "channel": ["7", "8"],
    "web": "7",
    "cv_7_4": "7",
    "rate_7_4": "3",
    "cv_8_4": "x",
}

GRID_POST = {
    "action": "overwrite",
    **{f"cv_{name}_{m}": "" for name in ("count", "rate") for m in range(1, 13)},
    "cv_count_1": "20",
    "cv_rate_1": "1",
}
ACTUALS_POST = {
    "action": "overwrite",
    **{f"actual_{name}_{m}": "" for name in ("cv", "visits") for m in range(1, 13)},
    "actual_cv_1": "15",
    "actual_visits_1": "1500",
}


@dataclass
class Case:
    # formatted with {year}, {worksheet}, {membership}, {account}, {invitation}
    # (B's, to A's marketer) and {account_invitation} (A's)
    path: str
    get: dict
    post: dict
    post_data: dict = field(default_factory=dict)
    htmx: bool = False


MATRIX = {
    "home": Case(
        "/", statuses(LOGIN, 302, 302, 302, 302, 302, 302), NOT_ALLOWED_SIGNED_IN
    ),
    "healthz": Case("/healthz", statuses(*[200] * 7), NOT_ALLOWED),
    "login": Case(
        "/accounts/login/",
        statuses(*[200] * 7),
        statuses(*[200] * 7),
        {"username": "nobody", "password": "wrong"},
    ),
    "logout": Case(
        "/accounts/logout/",
        statuses(LOGIN, 405, 405, 405, 405, 405, 405),
        statuses(*[302] * 7),
    ),
    "password_change": Case(
        "/accounts/password_change/",
        statuses(LOGIN, 200, 200, 200, 200, 200, 200),
        statuses(LOGIN, 200, 200, 200, 200, 200, 200),
    ),
    "password_change_done": Case(
        "/accounts/password_change/done/",
        statuses(LOGIN, 200, 200, 200, 200, 200, 200),
        NOT_ALLOWED_SIGNED_IN,
    ),
    "password_reset_confirm": Case(
        "/accounts/reset/MQ/bad-token/", statuses(*[200] * 7), statuses(*[200] * 7)
    ),
    "password_reset_complete": Case(
        "/accounts/reset/done/", statuses(*[200] * 7), statuses(*[405] * 7)
    ),
    "funnel:goal-grid-current": Case("/goals/", MEMBER_READ, NOT_ALLOWED_SIGNED_IN),
    "funnel:goal-grid": Case("/goals/{year}/", MEMBER_READ, EDITOR_WRITE, GRID_POST),
    "funnel:goal-recompute": Case(
        "/goals/{year}/recompute/", CALCULATOR, NOT_ALLOWED, htmx=True
    ),
    "funnel:goal-overview": Case(
        "/goals/{year}/overview/", MEMBER_READ, NOT_ALLOWED_SIGNED_IN
    ),
    "funnel:goal-review": Case(
        "/goals/{year}/review/",
        NOT_ALLOWED_SIGNED_IN,
        EDITOR_WRITE,
        {"action": "submit", "comment": ""},
    ),
    "funnel:goal-history": Case(
        "/goals/{year}/history/", MEMBER_READ, NOT_ALLOWED_SIGNED_IN
    ),
    # 承認待ち: every member may look (managers start here); each sees only
    # their own account's years.
    "funnel:reviews": Case("/reviews/", MEMBER_READ, NOT_ALLOWED_SIGNED_IN),
    "funnel:goal-export-csv": Case(
        "/goals/{year}/export.csv", MEMBER_READ, NOT_ALLOWED_SIGNED_IN
    ),
    "funnel:goal-export-xlsx": Case(
        "/goals/{year}/export.xlsx", MEMBER_READ, NOT_ALLOWED_SIGNED_IN
    ),
    "funnel:goal-actuals": Case(
        "/goals/{year}/actuals/",
        MEMBER_READ,
        EDITOR_WRITE,
        ACTUALS_POST,
    ),
    "funnel:goal-actuals-export-csv": Case(
        "/goals/{year}/actuals/export.csv", MEMBER_READ, NOT_ALLOWED_SIGNED_IN
    ),
    "funnel:worksheet-actuals": Case(
        "/worksheets/{worksheet}/actuals/", OBJECT_READ, NOT_ALLOWED_SIGNED_IN
    ),
    # The upload answers a POST without a file with the form and its message.
    "funnel:goal-actuals-import": Case(
        "/goals/{year}/actuals/import/",
        statuses(LOGIN, 200, 403, 200, 200, 200, 403),
        statuses(LOGIN, 200, 403, 200, 200, 200, 403),
    ),
    # Without a valid token: back to the upload with a message, nothing written.
    "funnel:goal-actuals-import-confirm": Case(
        "/goals/{year}/actuals/import/confirm/",
        NOT_ALLOWED_SIGNED_IN,
        EDITOR_WRITE,
        {"token": "not-a-token"},
    ),
    # Actuals per channel: A has no channels in this world, so the complete
    # form is the action alone (上書き保存, no base values).
    "funnel:goal-channel-actuals": Case(
        "/goals/{year}/actuals/channels/",
        MEMBER_READ,
        EDITOR_WRITE,
        {"action": "overwrite"},
    ),
    # The GA4 upload answers a POST without a file with the form and its
    # message; the confirmation without a valid token goes back to it.
    "funnel:goal-channel-actuals-import": Case(
        "/goals/{year}/actuals/channels/import/",
        statuses(LOGIN, 200, 403, 200, 200, 200, 403),
        statuses(LOGIN, 200, 403, 200, 200, 200, 403),
    ),
    "funnel:goal-channel-actuals-import-confirm": Case(
        "/goals/{year}/actuals/channels/import/confirm/",
        NOT_ALLOWED_SIGNED_IN,
        EDITOR_WRITE,
        {"token": "not-a-token"},
    ),
    # The plan per channel. A has no channels in this world, so no form of
    # the page is complete: a save is refused as incomplete (400) for the
    # editors, after the sign-in and role checks (tests/channels/test_views.py
    # saves, and refuses another account's channels with a 404).
    "funnel:goal-channels": Case(
        "/goals/{year}/channels/",
        MEMBER_READ,
        statuses(LOGIN, 400, 403, 400, 400, 400, 403),
        {"action": "overwrite"},
    ),
    "funnel:goal-channels-recompute": Case(
        "/goals/{year}/channels/recompute/",
        NOT_ALLOWED,
        CALCULATOR,
        CHANNEL_RECOMPUTE_POST,
        htmx=True,
    ),
    # 合計で入力に戻す: its confirmation and the switch; a year planned as
    # totals (as every year of this world) goes back to its grid.
    "funnel:goal-mode-total": Case(
        "/goals/{year}/channels/total/",
        statuses(LOGIN, 302, 403, 302, 302, 302, 403),
        EDITOR_WRITE,
    ),
    "funnel:worksheet-list": Case("/worksheets/", MEMBER_READ, NOT_ALLOWED_SIGNED_IN),
    "funnel:worksheet-new": Case(
        "/worksheets/new/",
        statuses(LOGIN, 200, 403, 200, 200, 200, 403),
        EDITOR_WRITE,
        WORKSHEET_POST,
    ),
    "funnel:worksheet-recompute": Case(
        "/worksheets/recompute/", CALCULATOR, NOT_ALLOWED, htmx=True
    ),
    "funnel:worksheet-detail": Case(
        "/worksheets/{worksheet}/",
        OBJECT_READ,
        OBJECT_EDITOR_WRITE,
        WORKSHEET_POST | {"action": "overwrite"},
    ),
    "funnel:worksheet-duplicate": Case(
        "/worksheets/{worksheet}/duplicate/", NOT_ALLOWED_SIGNED_IN, OBJECT_EDITOR_WRITE
    ),
    "funnel:worksheet-delete": Case(
        "/worksheets/{worksheet}/delete/", OBJECT_EDITOR_READ, OBJECT_EDITOR_WRITE
    ),
    "funnel:worksheet-print": Case(
        "/worksheets/{worksheet}/print/", OBJECT_READ, NOT_ALLOWED_SIGNED_IN
    ),
    "funnel:worksheet-apply": Case(
        "/worksheets/{worksheet}/apply/",
        OBJECT_EDITOR_READ,
        OBJECT_EDITOR_WRITE,
        {"year": "{year}"},
    ),
    "funnel:worksheet-history": Case(
        "/worksheets/{worksheet}/history/", OBJECT_READ, NOT_ALLOWED_SIGNED_IN
    ),
    "funnel:worksheet-export-xlsx": Case(
        "/worksheets/{worksheet}/export.xlsx", OBJECT_READ, NOT_ALLOWED_SIGNED_IN
    ),
    # An invitation, the same answer whether or not the name is anyone's.
    "funnel:account-members": Case(
        "/account/members/",
        ADMIN_READ,
        statuses(LOGIN, 403, 403, 302, 403, 302, 403),
        {"mode": "existing", "username": "nobody-here", "role": "200"},
    ),
    "funnel:account-member-role": Case(
        "/account/members/{membership}/role/",
        NOT_ALLOWED_SIGNED_IN,
        ADMIN_OBJECT_WRITE,
        {"role": str(Role.MANAGER.value), "base_role": str(Role.MARKETER.value)},
    ),
    "funnel:account-member-remove": Case(
        "/account/members/{membership}/remove/",
        NOT_ALLOWED_SIGNED_IN,
        ADMIN_OBJECT_WRITE,
        {"confirm": "1"},
    ),
    "funnel:account-invitation-cancel": Case(
        "/account/invitations/{account_invitation}/cancel/",
        NOT_ALLOWED_SIGNED_IN,
        ADMIN_OBJECT_WRITE,
    ),
    # 上書き保存: each admin saves over their own account's settings, which
    # a normal save would compare with what its page showed.
    "funnel:account-settings": Case(
        "/account/settings/",
        ADMIN_READ,
        statuses(LOGIN, 403, 403, 302, 403, 302, 403),
        {"action": "overwrite", "name": "新しい名前", "fiscal_year_start_month": "4"},
    ),
    # The account's channel list: marketers and admins, each in their own
    # account (上書き保存 of one new channel, so no base is needed).
    "funnel:account-channels": Case(
        "/account/channels/",
        statuses(LOGIN, 200, 403, 200, 200, 200, 403),
        EDITOR_WRITE,
        {
            "action": "overwrite",
            "channels-TOTAL_FORMS": "1",
            "channels-INITIAL_FORMS": "0",
            "channels-0-id": "",
            "channels-0-name": "セミナー",
        },
    ),
    "funnel:account-switch": Case(
        "/account/switch/",
        MEMBER_READ,
        statuses(LOGIN, 302, 302, 302, 404, 404, 403),
        {"account": "{account}"},
    ),
    # The signed-in user's own invitations: any of them may look (and finds
    # only theirs); only the invited marketer may answer B's invitation.
    "funnel:invitations": Case(
        "/invitations/",
        statuses(LOGIN, 200, 200, 200, 200, 200, 200),
        NOT_ALLOWED_SIGNED_IN,
    ),
    "funnel:invitation-accept": Case(
        "/invitations/{invitation}/accept/",
        NOT_ALLOWED_SIGNED_IN,
        statuses(LOGIN, 302, 404, 404, 404, 404, 404),
    ),
    "funnel:invitation-decline": Case(
        "/invitations/{invitation}/decline/",
        NOT_ALLOWED_SIGNED_IN,
        statuses(LOGIN, 302, 404, 404, 404, 404, 404),
    ),
}


def app_url_names():
    """Every named URL of the app, namespaced, Django's admin left out."""
    names = set()

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue
                inner = (
                    f"{namespace}{pattern.namespace}:"
                    if pattern.namespace
                    else namespace
                )
                walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern):
                assert pattern.name, f"unnamed URL pattern {pattern.pattern}"
                names.add(f"{namespace}{pattern.name}")

    walk(get_resolver().url_patterns, "")
    return names


def test_every_url_is_in_the_matrix():
    assert app_url_names() == set(MATRIX)


def snapshot():
    """Every row the app stores, to compare before and after a refused request."""
    models = (
        Account,
        Membership,
        MonthlyGoal,
        MonthlyActual,
        Worksheet,
        WorksheetChannel,
        GoalYearPlan,
        PlanEvent,
        ChangeRecord,
        Invitation,
        Channel,
        ChannelActual,
        GA4ChannelMapping,
    )
    rows = {
        model.__name__: sorted(model.objects.values_list(), key=repr)
        for model in models
    }
    rows["User"] = sorted(
        get_user_model().objects.values_list("id", "username", "password", "is_active")
    )
    return rows


def account_a_snapshot(account):
    return (
        list(Account.objects.filter(pk=account.pk).values_list()),
        sorted(Membership.objects.filter(account=account).values_list(), key=repr),
        sorted(MonthlyGoal.objects.filter(account=account).values_list(), key=repr),
        sorted(MonthlyActual.objects.filter(account=account).values_list(), key=repr),
        sorted(Worksheet.objects.filter(account=account).values_list(), key=repr),
        sorted(
            WorksheetChannel.objects.filter(worksheet__account=account).values_list(),
            key=repr,
        ),
        sorted(GoalYearPlan.objects.filter(account=account).values_list(), key=repr),
        sorted(Invitation.objects.filter(account=account).values_list(), key=repr),
        sorted(Channel.objects.filter(account=account).values_list(), key=repr),
    )


def _fill(value, world):
    if isinstance(value, list):
        return [_fill(item, world) for item in value]
    return value.format(
        year=world["year"],
        worksheet=world["worksheet"],
        membership=world["membership"],
        account=world["account"].pk,
        invitation=world["invitation"],
        account_invitation=world["account_invitation"],
    )


CASES = [
    (name, role, method, htmx)
    for name in MATRIX
    for role in ROLES
    for method in ("GET", "POST")
    for htmx in (False, True)
]


@pytest.mark.parametrize(("name", "role", "method", "htmx"), CASES)
def test_access(world, name, role, method, htmx):
    """One cell of the matrix, as a plain request and as htmx. Over htmx a
    refusal is the same status; sign-in is an HX-Redirect; a redirect the
    request earned may be answered with the fragment instead (200)."""
    case = MATRIX[name]
    expected = (case.get if method == "GET" else case.post)[role]
    htmx = htmx or case.htmx
    client = Client()
    if role != "anonymous":
        client.force_login(world["users"][role])
    path = _fill(case.path, world)
    headers = {"HX-Request": "true"} if htmx else {}
    before, before_a = snapshot(), account_a_snapshot(world["account"])
    if method == "GET":
        response = client.get(path, headers=headers)
    else:
        data = {key: _fill(value, world) for key, value in case.post_data.items()}
        response = client.post(path, data, headers=headers)

    where = f"{method} {path} as {role}{' (htmx)' if htmx else ''}"
    if expected == LOGIN:
        location = response.get("HX-Redirect") if htmx else response.get("Location")
        assert response.status_code == (200 if htmx else 302), where
        assert location and location.startswith("/accounts/login/?next="), where
    elif htmx and expected == 302:
        assert response.status_code in (200, 302), f"{where}: {response.status_code}"
    else:
        assert response.status_code == expected, (
            f"{where}: {response.status_code}, expected {expected}"
        )
    if role != "anonymous":
        # A shared computer's browser keeps no copy of a signed-in page.
        cache_control = response.get("Cache-Control", "")
        assert "private" in cache_control and "no-store" in cache_control, (
            f"{where}: Cache-Control {cache_control!r}"
        )
    refused = expected in (LOGIN, 403, 404, 405)
    if refused:
        assert snapshot() == before, f"{where} wrote while refused"
    if role.startswith("other_") or role in ("inactive", "anonymous"):
        # Whatever they may do in their own account, account A is untouched.
        assert account_a_snapshot(world["account"]) == before_a


CALCULATORS = {
    "funnel:goal-recompute": {"cv_count_1": "20", "cv_rate_1": "1", "cv_rate_2": "x"},
    "funnel:goal-channels-recompute": CHANNEL_RECOMPUTE_POST,
    "funnel:worksheet-recompute": {
        **{k: v for k, v in WORKSHEET_POST.items() if k != "action"},
        "win_rate": "101",
    },
}


@pytest.mark.parametrize("name", CALCULATORS)
def test_calculators_touch_no_database(world, name, django_assert_num_queries):
    """The same figures for every visitor, signed in or not, from no query:
    nothing of an account can reach the answer, and no session is opened."""
    answers = set()
    for role in ROLES:
        client = Client()
        if role != "anonymous":
            client.force_login(world["users"][role])
        path = _fill(MATRIX[name].path, world)
        send = client.post if MATRIX[name].post == CALCULATOR else client.get
        with django_assert_num_queries(0):
            response = send(path, CALCULATORS[name], headers={"HX-Request": "true"})
        assert response.status_code == 200, role
        assert "Set-Cookie" not in str(response.headers), role
        answers.add(response.content)
    assert len(answers) == 1


def test_posted_account_status_and_version_fields_are_ignored(world):
    """A client cannot steer a write into another account or past the review."""
    a = world["account"]
    b = Account.objects.get(name="B社")
    client = Client()
    client.force_login(world["users"]["marketer"])
    smuggled = {
        "account": b.pk,
        "account_id": b.pk,
        "status": "approved",
        "version": "999",
    }
    client.post("/goals/2026/", GRID_POST | smuggled)
    assert MonthlyGoal.objects.get(account=a, year=2026, month=1).cv_count == 20
    assert MonthlyGoal.objects.get(account=b, year=2026, month=1).cv_count == 30
    plan = GoalYearPlan.objects.get(account=a, year=2026)
    assert plan.status == "draft"
    assert not GoalYearPlan.objects.filter(account=b).exists()
    client.post("/worksheets/new/", WORKSHEET_POST | smuggled)
    assert Worksheet.objects.filter(account=a, name="計画").exists()
    assert not Worksheet.objects.filter(account=b).exists()
    client.post(
        "/goals/2026/review/", {"action": "submit", "status": "approved"} | smuggled
    )
    plan.refresh_from_db()
    assert plan.status == "submitted"
    admin = Client()
    admin.force_login(world["users"]["admin"])
    admin.post(
        "/account/settings/",
        {
            "name": "A社",
            "fiscal_year_start_month": "1",
            "base_name": "A社",
            "base_fiscal_year_start_month": "1",
            "is_active": "",
            "id": b.pk,
        }
        | smuggled,
    )
    b.refresh_from_db()
    a.refresh_from_db()
    assert b.name == "B社" and a.is_active and b.is_active


def test_django_admin_is_for_staff_only(world):
    client = Client()
    client.force_login(world["users"]["admin"])  # an account admin is not staff
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    staff = get_user_model().objects.create_user(
        "operator", password="x", is_staff=True, is_superuser=True
    )
    client.force_login(staff)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/funnel/account/").status_code == 200
