"""Two people editing the same year, and a save that fails half way."""

import threading
from decimal import Decimal
from unittest import mock

import pytest
from django.db import DatabaseError, connection
from django.test import Client

from funnel import services
from funnel.models import Account, ChangeRecord, MonthlyGoal, Role
from tests.conftest import make_member
from tests.views.test_grid import stored

pytestmark = pytest.mark.django_db


def loaded_form(client, year=2026):
    """The grid as the browser has it: every input and hidden base value."""
    import re

    html = client.get(f"/goals/{year}/").content.decode()
    return dict(
        re.findall(
            r'<input type="(?:text|hidden)" name="([^"]+)"[^>]*?value="([^"]*)"', html
        )
    )


@pytest.fixture
def two_marketers(account, marketer):
    other = make_member("marketer2", account, Role.MARKETER)
    first, second = Client(), Client()
    first.force_login(marketer)
    second.force_login(other)
    return first, second


def test_second_save_is_told_what_changed_and_keeps_its_input(two_marketers, account):
    MonthlyGoal.objects.create(
        account=account, year=2026, month=1, cv_count=20, cv_rate=1
    )
    first, second = two_marketers
    form_a, form_b = loaded_form(first), loaded_form(second)
    form_a.pop("csrfmiddlewaretoken", None)
    form_b.pop("csrfmiddlewaretoken", None)

    assert (
        first.post(
            "/goals/2026/", form_a | {"cv_count_1": "24", "action": "save"}
        ).status_code
        == 302
    )
    response = second.post(
        "/goals/2026/",
        form_b
        | {"cv_count_1": "30", "cv_count_2": "5", "cv_rate_2": "1", "action": "save"},
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert "ほかのユーザーが保存しました" in html
    assert (
        "1月 CV数: 20 → 24" in html and "marketer" in html
    )  # whose value, old and new
    assert 'value="30"' in html and 'value="5"' in html  # their own typing stays
    assert stored(account) == {1: (24, Decimal("1"))}  # the first save is kept

    # The second person chooses to overwrite.
    response = second.post(
        "/goals/2026/",
        form_b
        | {
            "cv_count_1": "30",
            "cv_count_2": "5",
            "cv_rate_2": "1",
            "action": "overwrite",
        },
    )
    assert response.status_code == 302
    assert stored(account) == {1: (30, Decimal("1")), 2: (5, Decimal("1"))}


def test_conflict_over_htmx_is_swapped_with_the_choice(two_marketers, account):
    first, second = two_marketers
    form_a, form_b = loaded_form(first), loaded_form(second)
    first.post(
        "/goals/2026/", form_a | {"cv_count_3": "1", "cv_rate_3": "1", "action": "save"}
    )
    response = second.post(
        "/goals/2026/",
        form_b | {"cv_count_3": "2", "cv_rate_3": "1", "action": "save"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert html.lstrip().startswith('<form id="grid-form"')
    assert 'value="overwrite"' in html
    assert stored(account) == {3: (1, Decimal("1"))}


def test_saving_twice_from_a_fresh_page_is_no_conflict(marketer_client, account):
    form = loaded_form(marketer_client)
    assert (
        marketer_client.post(
            "/goals/2026/", form | {"cv_count_1": "5", "action": "save"}
        ).status_code
        == 302
    )
    form = loaded_form(marketer_client)
    assert form["base_cv_count_1"] == "5"
    assert (
        marketer_client.post(
            "/goals/2026/", form | {"cv_count_1": "6", "action": "save"}
        ).status_code
        == 302
    )
    assert stored(account)[1][0] == 6


def test_tampered_base_is_a_conflict_not_an_error(marketer_client, account):
    form = loaded_form(marketer_client) | {
        "base_cv_count_1": "<script>",
        "cv_count_1": "5",
    }
    response = marketer_client.post("/goals/2026/", form | {"action": "save"})
    assert response.status_code == 409
    assert stored(account) == {}


def test_failure_in_the_middle_of_a_save_writes_nothing_and_keeps_input(
    marketer_client, account
):
    MonthlyGoal.objects.create(
        account=account, year=2026, month=1, cv_count=20, cv_rate=1
    )
    form = loaded_form(marketer_client) | {
        "cv_count_1": "99",
        "cv_count_2": "7",
        "cv_rate_2": "1",
    }

    def history_fails(records, *args, **kwargs):
        # The months are written first, then the history fails.
        if records:
            raise DatabaseError("disk full")
        return []

    with mock.patch.object(
        ChangeRecord.objects, "bulk_create", side_effect=history_fails
    ):
        response = marketer_client.post("/goals/2026/", form | {"action": "save"})
    html = response.content.decode()
    assert response.status_code == 503
    assert "保存できませんでした" in html
    assert 'value="99"' in html and 'value="7"' in html
    # The upsert ran before the failure; the transaction took it back.
    assert stored(account) == {1: (20, Decimal("1"))}
    assert not ChangeRecord.objects.exists()


if connection.vendor == "postgresql":
    # Only PostgreSQL locks rows; SQLite serialises whole transactions, which the
    # tests above already cover. Defined only there, so it is never "skipped".

    @pytest.mark.django_db(transaction=True)
    def test_two_saves_at_the_same_moment_one_wins_one_is_told():
        account = Account.objects.create(name="同時編集社")
        users = [make_member(f"racer{i}", account, Role.MARKETER) for i in range(2)]
        services.goal_year_save(
            account=account, year=2026, months={1: (10, Decimal(1))}, user=users[0]
        )
        loaded = {month: (None, None) for month in range(1, 13)} | {1: (10, Decimal(1))}
        barrier = threading.Barrier(2)
        outcomes = []

        def save(user, value):
            try:
                barrier.wait(timeout=10)
                services.goal_year_save(
                    account=account,
                    year=2026,
                    months={1: (value, Decimal(1))},
                    user=user,
                    expected=loaded,
                )
                outcomes.append(("saved", value))
            except services.SaveConflict as conflict:
                outcomes.append(("conflict", conflict.changes[0]["stored"]))
            finally:
                connection.close()

        threads = [
            threading.Thread(target=save, args=(u, v))
            for u, v in zip(users, (11, 12), strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        kinds = sorted(kind for kind, _ in outcomes)
        assert kinds == ["conflict", "saved"], outcomes
        winner = next(value for kind, value in outcomes if kind == "saved")
        loser_saw = next(value for kind, value in outcomes if kind == "conflict")
        assert loser_saw == str(winner)
        assert MonthlyGoal.objects.get(account=account, month=1).cv_count == winner


@pytest.mark.parametrize("htmx", [False, True])
def test_a_database_failure_elsewhere_is_a_503_that_says_so(
    marketer_client, account, htmx
):
    from django.db import OperationalError

    from funnel.models import Worksheet

    worksheet = Worksheet.objects.create(
        account=account, name="計画", entry_date="2026-04-01"
    )
    headers = {"HX-Request": "true"} if htmx else {}
    with mock.patch(
        "funnel.services.worksheet_duplicate",
        side_effect=OperationalError("server closed"),
    ):
        response = marketer_client.post(
            f"/worksheets/{worksheet.pk}/duplicate/", headers=headers
        )
    assert response.status_code == 503
    assert "データは変更されていません" in response.content.decode()
    # Over htmx nothing is swapped: the page keeps what the user had on screen.
    assert response.get("HX-Reswap") == ("none" if htmx else None)
    assert Worksheet.objects.count() == 1
