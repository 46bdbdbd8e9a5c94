"""The goal grid loses nothing and its approval means what it says: a stale
save is refused (another user or the same user in another tab), only a
complete form writes, a submitted year stays as it was submitted until it is
sent back or withdrawn, and an id past 2^63 is an unknown id on every URL."""

import json
import threading

import pytest
from django.db import connection
from django.test import Client

from funnel.models import (
    Account,
    ChangeRecord,
    GoalYearPlan,
    MonthlyGoal,
    PlanEvent,
    PlanStatus,
    Role,
)
from tests.conftest import make_member
from tests.reliability.test_concurrency import loaded_form
from tests.test_access import MATRIX, _fill
from tests.views.test_grid import page_base, stored, year_post
from tests.views.test_review import review

pytestmark = pytest.mark.django_db

URL = "/goals/2026/"
INCOMPLETE = "入力内容がそろっていないため保存しませんでした"


def page(client):
    """The grid as the browser has it, ready for 保存."""
    form = loaded_form(client)
    form.pop("csrfmiddlewaretoken", None)
    return form | {"action": "save"}


def everything():
    """Every stored target, plan, review event and history record."""
    return (
        sorted(MonthlyGoal.objects.values_list(), key=repr),
        sorted(GoalYearPlan.objects.values_list(), key=repr),
        sorted(PlanEvent.objects.values_list(), key=repr),
        sorted(ChangeRecord.objects.values_list(), key=repr),
    )


@pytest.fixture
def year_with_goals(account, marketer):
    MonthlyGoal.objects.create(
        account=account, year=2026, month=1, cv_count=20, cv_rate=1, updated_by=marketer
    )


# --- the same person in two tabs ------------------------------------------------


def test_the_same_user_in_another_tab_is_told_so(marketer, year_with_goals):
    first, second = Client(), Client()
    first.force_login(marketer)
    second.force_login(marketer)
    tab_a, tab_b = page(first), page(second)
    assert first.post(URL, tab_a | {"cv_count_1": "24"}).status_code == 302
    response = second.post(URL, tab_b | {"cv_count_1": "30"})
    html = response.content.decode()
    assert response.status_code == 409
    assert "別のタブで保存されています" in html
    assert "ほかのユーザー" not in html
    assert "1月 CV数: 20 → 24" in html
    assert 'value="30"' in html
    assert stored(Account.objects.get()) == {1: (24, 1)}
    # Enter in a field sends the first submit button: the plain 保存, which is
    # refused again; only the button the user presses overwrites.
    assert html.index('value="save"') < html.index('value="overwrite"')
    assert second.post(URL, tab_b | {"cv_count_1": "30"}).status_code == 409
    overwrite = tab_b | {"cv_count_1": "30", "action": "overwrite"}
    assert second.post(URL, overwrite).status_code == 302
    assert stored(Account.objects.get()) == {1: (30, 1)}


# --- a write only from a complete form ------------------------------------------


def _without(form, *prefixes):
    return {k: v for k, v in form.items() if not k.startswith(prefixes)}


INCOMPLETE_FORMS = {
    "no cell": lambda form: _without(form, "cv_"),
    "one cell missing": lambda form: _without(form, "cv_rate_12"),
    "no base on 保存": lambda form: _without(form, "base_"),
    "one base missing": lambda form: _without(form, "base_cv_count_7"),
    "no action": lambda form: _without(form, "action"),
    "an action no button sends": lambda form: form | {"action": "delete"},
    "only the action": lambda form: {"action": "save"},
    "overwrite without cells": lambda form: {"action": "overwrite"},
}


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize("case", INCOMPLETE_FORMS)
def test_an_incomplete_form_changes_nothing(
    marketer_client, year_with_goals, case, htmx
):
    form = page(marketer_client) | {"action": "save", "cv_count_2": "5"}
    before = everything()
    headers = {"HX-Request": "true"} if htmx else {}
    response = marketer_client.post(URL, INCOMPLETE_FORMS[case](form), headers=headers)
    assert response.status_code == 400, case
    assert INCOMPLETE in response.content.decode()
    assert everything() == before


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("", "application/x-www-form-urlencoded"),
        (json.dumps({"cv_count_1": "", "action": "save"}), "application/json"),
        ("cv_count_1=&action=save", "text/plain"),
    ],
)
def test_a_body_that_is_not_the_form_changes_nothing(
    marketer_client, year_with_goals, body, content_type
):
    before = everything()
    response = marketer_client.post(URL, body, content_type=content_type)
    assert response.status_code == 400
    assert everything() == before
    assert stored(Account.objects.get()) == {1: (20, 1)}


def test_a_cell_cleared_on_purpose_is_cleared(marketer_client, year_with_goals):
    form = page(marketer_client) | {"action": "save"}
    form |= {"cv_count_1": "", "cv_rate_1": ""}
    assert marketer_client.post(URL, form).status_code == 302
    assert stored(Account.objects.get()) == {}


# --- a submitted year stays as submitted -----------------------------------------


@pytest.fixture
def submitted(client, marketer, manager, admin_member, account):
    clients = {}
    for name, user in (("marketer", marketer), ("manager", manager)):
        clients[name] = Client()
        clients[name].force_login(user)
    clients["admin"] = Client()
    clients["admin"].force_login(admin_member)
    response = clients["marketer"].post(
        URL, year_post(page_base(clients["marketer"]), m1=("20", "1"))
    )
    assert response.status_code == 302
    assert review(clients["marketer"], "submit", "確認お願いします").status_code == 302
    return clients


def test_a_submitted_year_cannot_be_changed(submitted, account):
    marketer = submitted["marketer"]
    html = marketer.get(URL).content.decode()
    assert 'aria-label="1月 CV数"' not in html  # read-only
    assert "提出済みのため編集できません" in html
    before = everything()
    loaded = {1: ("20", "1")}
    for action in ("save", "overwrite"):
        form = year_post(loaded, m1=("99", "9")) | {"action": action}
        response = marketer.post(URL, form)
        assert response.status_code == 409
        assert "提出済みのため編集できません" in response.content.decode()
        assert 'value="99"' in response.content.decode()  # the typing stays
    for bulk in (
        {"action": "fill_all", "fill_from": "1"},
        {"action": "copy_previous"},
        {"action": "spread", "spread_total": "120", "spread_by": "even"},
    ):
        response = marketer.post(URL, year_post(loaded) | bulk)
        assert response.status_code == 409, bulk
        assert "提出済みのため編集できません" in response.content.decode()
    assert everything() == before


def test_withdrawing_makes_it_editable_and_is_recorded(submitted, account):
    marketer, manager = submitted["marketer"], submitted["manager"]
    # The manager reviews; only the one who submits takes it back.
    assert (
        manager.post("/goals/2026/review/", {"action": "withdraw"}).status_code == 403
    )
    assert "取り下げ" in marketer.get("/goals/2026/overview/").content.decode()
    assert review(marketer, "withdraw", "数字を見直します").status_code == 302
    plan = GoalYearPlan.objects.get(account=account, year=2026)
    assert plan.status == PlanStatus.DRAFT
    event = plan.events.first()
    assert (event.action, event.actor.username, event.comment) == (
        "withdraw",
        "marketer",
        "数字を見直します",
    )
    assert "取り下げ" in marketer.get("/goals/2026/overview/").content.decode()
    response = marketer.post(URL, year_post(page_base(marketer), m1=("30", "1")))
    assert response.status_code == 302
    assert stored(account) == {1: (30, 1)}
    # Withdrawn, it cannot be approved until it is submitted again.
    assert review(manager, "approve").status_code == 200
    assert GoalYearPlan.objects.get(account=account).status == PlanStatus.DRAFT


def test_a_sent_back_year_is_editable_again(submitted, account):
    assert review(submitted["manager"], "return", "Q3が高すぎます").status_code == 302
    marketer = submitted["marketer"]
    response = marketer.post(URL, year_post(page_base(marketer), m1=("25", "1")))
    assert response.status_code == 302
    assert stored(account) == {1: (25, 1)}


def test_what_the_manager_approves_is_what_was_submitted(submitted, account):
    marketer, manager = submitted["marketer"], submitted["manager"]
    marketer.post(URL, year_post({1: ("20", "1")}, m1=("99", "1")))
    assert review(manager, "approve", "OK").status_code == 302
    assert stored(account) == {1: (20, 1)}


# --- ids past what the database holds -------------------------------------------

ID_URLS = [name for name, case in MATRIX.items() if "{year}" not in case.path]
HUGE_IDS = ["9223372036854775808", "18446744073709551616", "9" * 40]


@pytest.mark.parametrize("huge", HUGE_IDS)
@pytest.mark.parametrize(
    "name",
    [
        name
        for name in ID_URLS
        if any(
            f"{{{key}}}" in MATRIX[name].path
            for key in ("worksheet", "membership", "invitation", "account_invitation")
        )
    ],
)
def test_an_id_past_2_to_the_63_is_a_404(world, name, huge):
    path = MATRIX[name].path
    for key in ("worksheet", "membership", "invitation", "account_invitation"):
        path = path.replace(f"{{{key}}}", huge)
    path = _fill(path, world)
    for role in ("marketer", "admin"):
        client = Client()
        client.force_login(world["users"][role])
        assert client.get(path).status_code == 404, (path, role)
        assert client.post(path, {"action": "save"}).status_code == 404, (path, role)


# --- two people pressing 保存 at the same moment ----------------------------------

if connection.vendor == "postgresql":
    # Only PostgreSQL locks rows; SQLite serialises whole transactions, which the
    # tests above cover. Defined only there, so it is never "skipped".

    @pytest.mark.django_db(transaction=True)
    def test_two_saves_from_the_same_stale_page_one_wins_every_round():
        """25 rounds: two people load the grid, then both press 保存 at the
        same moment. Each round exactly one save is written and the other is
        refused and told the winner's value: no update is lost."""
        account = Account.objects.create(name="同時編集社")
        clients = []
        for i in range(2):
            client = Client()
            client.force_login(make_member(f"racer{i}", account, Role.MARKETER))
            clients.append(client)
        problems, outcomes = [], []
        for round_ in range(25):
            forms = [page(client) for client in clients]
            values = [str(1000 * (i + 1) + round_) for i in range(2)]
            barrier = threading.Barrier(2)
            answers = [None, None]

            def save(i, forms=forms, values=values, answers=answers, barrier=barrier):
                try:
                    barrier.wait(timeout=10)
                    response = clients[i].post(
                        URL,
                        forms[i] | {"action": "save", "cv_count_1": values[i]},
                    )
                    answers[i] = (response.status_code, response.content.decode())
                finally:
                    connection.close()

            threads = [threading.Thread(target=save, args=(i,)) for i in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=30)
            statuses = [answer and answer[0] for answer in answers]
            outcomes.append(statuses)
            if sorted(statuses) != [302, 409]:
                problems.append((round_, statuses))
                continue
            winner, loser = statuses.index(302), statuses.index(409)
            goal = MonthlyGoal.objects.get(account=account, year=2026, month=1)
            if goal.cv_count != int(values[winner]):
                problems.append((round_, "stored", goal.cv_count, values))
            if f"→ {values[winner]}" not in answers[loser][1]:
                problems.append((round_, "the refused save was not told the winner"))
        assert problems == [], outcomes
        assert ChangeRecord.objects.filter(account=account).count() == 25
