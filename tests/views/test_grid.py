"""The 目標設定 grid over the Django test client: access, validation, saving, htmx."""

import re
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from funnel.formatting import count_text, rate_text
from funnel.models import MonthlyGoal
from tests.conftest import without_tokens

pytestmark = pytest.mark.django_db


def year_post(base=None, **months):
    """POST data for a year as the page sends it: months given as
    m1=("20", "1"), ..., the rest empty, on a page loaded with ``base``
    ({month: (cv text, rate text)}; empty months when not given)."""
    data = {"action": "save"}
    base = base or {}
    for month in range(1, 13):
        cv, rate = months.get(f"m{month}", ("", ""))
        data[f"cv_count_{month}"] = cv
        data[f"cv_rate_{month}"] = rate
        data[f"base_cv_count_{month}"], data[f"base_cv_rate_{month}"] = base.get(
            month, ("", "")
        )
    return data


def loaded_base(account, year=2026):
    """The base a page loaded now carries: the stored months as the grid
    writes them."""
    return {
        month: (count_text(cv), rate_text(rate))
        for month, (cv, rate) in stored(account, year).items()
    }


def page_base(client, year=2026):
    """The base the grid page carries for ``client`` now, read off the page
    ({month: (cv text, rate text)}): what the browser sends back with 保存."""
    html = client.get(f"/goals/{year}/").content.decode()
    found = dict(re.findall(r'name="base_(cv_\w+_\d+)" value="([^"]*)"', html))
    return {
        month: (found[f"cv_count_{month}"], found[f"cv_rate_{month}"])
        for month in range(1, 13)
    }


def stored(account, year=2026):
    return {
        g.month: (g.cv_count, g.cv_rate)
        for g in MonthlyGoal.objects.filter(account=account, year=year)
    }


def test_root_redirects_to_goals(marketer_client):
    response = marketer_client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/goals/"


def test_current_year_page(marketer_client):
    response = marketer_client.get("/goals/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "目標設定" in html and "レポート・データ" in html


def test_anonymous_is_sent_to_sign_in(client, account):
    response = client.get("/goals/2026/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/goals/2026/"


@pytest.mark.parametrize("year", [1999, 2101, 9999])
def test_year_outside_range_is_404(marketer_client, year):
    assert marketer_client.get(f"/goals/{year}/").status_code == 404
    assert marketer_client.get(f"/goals/{year}/recompute/").status_code == 404


def test_page_shows_seed_screen(marketer_client, account):
    MonthlyGoal.objects.create(
        account=account, year=2023, month=1, cv_count=20, cv_rate=Decimal("1")
    )
    html = marketer_client.get("/goals/2023/").content.decode()
    for text in (
        "2023年",
        "&lt;前の年へ",
        "次&gt;",
        "CV数",
        "CV率",
        "サイト訪問数",
        "(自動計算)",
    ):
        assert text in html
    for month in range(1, 13):
        assert f'aria-label="{month}月 CV数"' in html
        assert f'aria-label="{month}月 CV率"' in html
        assert f'id="visits-{month}"' in html
    assert 'id="visits-1">2,000<' in html
    assert 'id="visits-2">—<' in html
    assert 'id="total-cv">20<' in html
    assert 'id="total-visits">2,000<' in html
    assert 'id="total-rate">1.00<' in html


def test_save_stores_the_year(marketer_client, account, marketer):
    response = marketer_client.post(
        "/goals/2026/", year_post(m1=("２０", "1 %"), m2=("1,200", "１．５％"))
    )
    assert response.status_code == 302
    assert stored(account) == {1: (20, Decimal("1")), 2: (1200, Decimal("1.5"))}
    page = marketer_client.get("/goals/2026/").content.decode()
    assert "2026年の目標を保存しました。" in page
    assert 'value="1200"' in page
    assert (
        MonthlyGoal.objects.get(account=account, year=2026, month=1).updated_by
        == marketer
    )


def test_emptying_a_month_removes_it(marketer_client, account):
    MonthlyGoal.objects.create(
        account=account, year=2026, month=3, cv_count=5, cv_rate=1
    )
    marketer_client.post(
        "/goals/2026/", year_post(loaded_base(account), m1=("10", "2"))
    )
    assert stored(account) == {1: (10, Decimal("2"))}


@pytest.mark.parametrize(
    ("cv", "rate", "message"),
    [
        ("-1", "1", "マイナスの値は入力できません"),
        ("abc", "1", "数値を入力してください"),
        ("1.5", "1", "小数は入力できません"),
        ("1e9", "1", "数値を入力してください"),
        ("10", "0", "0より大きく100以下"),
        ("10", "101", "0より大きく100以下"),
        ("10", "1.234", "小数点以下は2桁まで"),
        ("10", "abc", "率を数値で入力してください"),
        ("10", "-0", "マイナスの値は入力できません"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(
    marketer_client, account, cv, rate, message
):
    MonthlyGoal.objects.create(
        account=account, year=2026, month=5, cv_count=7, cv_rate=2
    )
    before = stored(account)
    response = marketer_client.post(
        "/goals/2026/", year_post(m1=("20", "1"), m3=(cv, rate), m5=("99", "9"))
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    # What the user typed stays, in the bad cell and the good ones.
    assert f'value="{cv}"' in html and f'value="{rate}"' in html
    assert 'value="99"' in html
    assert 'aria-invalid="true"' in html
    assert stored(account) == before


def test_manager_sees_read_only_grid_and_cannot_post(manager_client, account):
    MonthlyGoal.objects.create(
        account=account, year=2026, month=1, cv_count=20, cv_rate=1
    )
    html = manager_client.get("/goals/2026/").content.decode()
    assert '<input type="text"' not in html
    assert "保存</button>" not in html
    assert 'id="visits-1">2,000<' in html
    response = manager_client.post("/goals/2026/", year_post(m1=("99", "9")))
    assert response.status_code == 403
    assert stored(account) == {1: (20, Decimal("1"))}


def test_other_accounts_goals_are_never_shown(outsider_client, account):
    MonthlyGoal.objects.create(
        account=account, year=2026, month=1, cv_count=777, cv_rate=1
    )
    html = outsider_client.get("/goals/2026/").content.decode()
    assert "777" not in without_tokens(html)
    outsider_client.post("/goals/2026/", year_post(m1=("5", "5")))
    assert stored(account) == {1: (777, Decimal("1"))}


def test_user_without_membership_is_refused(client, django_user_model):
    user = django_user_model.objects.create_user("nobody", password="x")
    client.force_login(user)
    assert client.get("/goals/2026/").status_code == 403


def test_inactive_account_member_is_refused(marketer_client, account):
    account.is_active = False
    account.save()
    assert marketer_client.get("/goals/2026/").status_code == 403


def test_post_without_csrf_token_is_refused(marketer, account):
    client = Client(enforce_csrf_checks=True)
    client.force_login(marketer)
    response = client.post("/goals/2026/", year_post(m1=("20", "1")))
    assert response.status_code == 403
    assert stored(account) == {}


def test_htmx_recompute_returns_fragments_only(marketer_client):
    response = marketer_client.get(
        "/goals/2026/recompute/",
        {"cv_count_1": "20", "cv_rate_1": "1", "cv_count_2": "x"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "<input" not in html
    assert '<span id="visits-1" hx-swap-oob="true">2,000</span>' in html
    assert '<span id="total-visits" hx-swap-oob="true">2,000</span>' in html
    assert "数値を入力してください" in html


def test_recompute_empties_every_message_then_answers_the_ones_there_are(
    marketer_client,
):
    response = marketer_client.get(
        "/goals/2026/recompute/",
        {"cv_count_1": "20", "cv_rate_1": "1", "cv_count_2": "x", "cv_rate_3": "0"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    # First, so that the messages after it are shown and every other is empty.
    assert html.startswith(
        '<span hx-swap-oob="innerHTML:#grid-body .field-error[data-for]"></span>'
    )
    answered = re.findall(r'id="(id_[a-z_0-9]+)-error"[^>]*>([^<]*)<', html)
    assert answered == [
        ("id_cv_count_2", "数値を入力してください（例: 1,200）。"),
        ("id_cv_rate_3", "0より大きく100以下の値を入力してください（%）。"),
    ]


def test_recompute_without_htmx_goes_to_the_page(marketer_client):
    response = marketer_client.get("/goals/2026/recompute/")
    assert response.status_code == 302
    assert response["Location"] == "/goals/2026/"


def test_htmx_save_answers_with_the_form_and_varies(marketer_client, account):
    response = marketer_client.post(
        "/goals/2026/", year_post(m1=("20", "1")), headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    assert html.lstrip().startswith('<form id="grid-form"')
    assert "保存しました" in html
    assert stored(account) == {1: (20, Decimal("1"))}


def test_page_varies_on_htmx_and_history_restore_gets_whole_page(marketer_client):
    response = marketer_client.get(
        "/goals/2026/",
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "HX-Request" in response["Vary"]
    assert "<html" in response.content.decode()


def test_expired_session_htmx_request_redirects_browser(client, account):
    response = client.get("/goals/2026/history/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/login/?next=/goals/2026/history/"


def test_recompute_is_a_calculator_without_session_or_database(
    client, django_assert_num_queries
):
    """Numbers in, numbers out: the same answer signed in or not, with no
    query, no session and no cookie (typing on after the session expired
    keeps working; the save is what asks to sign in again)."""
    with django_assert_num_queries(0):
        response = client.get(
            "/goals/2026/recompute/",
            {"cv_count_1": "20", "cv_rate_1": "1", "cv_count_2": "-1"},
            headers={"HX-Request": "true"},
        )
    assert response.status_code == 200
    html = response.content.decode()
    assert '<span id="visits-1" hx-swap-oob="true">2,000</span>' in html
    assert "マイナスの値は入力できません" in html
    assert not response.cookies
    assert "Cookie" not in response["Vary"]


def _fill_years(account, years):
    MonthlyGoal.objects.bulk_create(
        MonthlyGoal(account=account, year=y, month=m, cv_count=m, cv_rate=1)
        for y in years
        for m in range(1, 13)
    )


# Statements a request may run: the page reads the session, its user and
# membership (Django's own session and auth, one statement each), then the
# year's goals and its plan; the recompute reads nothing; the save reads the
# same three, then locks the plan, reads the stored months, upserts them and
# writes the history.
GRID_PAGE_QUERIES, RECOMPUTE_QUERIES, SAVE_QUERIES = 5, 0, 7


def test_grid_page_query_count_does_not_grow_with_data(
    marketer_client, account, django_assert_max_num_queries
):
    with django_assert_max_num_queries(GRID_PAGE_QUERIES):
        marketer_client.get("/goals/2026/")
    _fill_years(account, range(2016, 2031))
    with django_assert_max_num_queries(GRID_PAGE_QUERIES):
        response = marketer_client.get("/goals/2026/")
    assert 'id="total-cv">78<' in response.content.decode()


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def statements(captured):
    """The SQL statements a request ran, transaction control left out (SQLite's
    BEGIN IMMEDIATE and a test's savepoints are not work the page asks for)."""
    return [
        q["sql"]
        for q in captured
        if not q["sql"].lstrip().upper().startswith(TRANSACTION_CONTROL)
    ]


@pytest.mark.django_db(transaction=True)
def test_recompute_and_save_query_counts(
    marketer_client, account, django_assert_max_num_queries
):
    _fill_years(account, range(2016, 2031))
    with django_assert_max_num_queries(RECOMPUTE_QUERIES):
        marketer_client.get(
            "/goals/2026/recompute/",
            {f"cv_count_{m}": str(m) for m in range(1, 13)},
            headers={"HX-Request": "true"},
        )
    first = year_post(
        loaded_base(account), **{f"m{m}": (str(m * 10), "2") for m in range(1, 13)}
    )
    # Creates the year's plan row.
    assert marketer_client.post("/goals/2026/", first).status_code == 302
    second = year_post(
        loaded_base(account), **{f"m{m}": (str(m * 11), "3") for m in range(1, 13)}
    )
    with CaptureQueriesContext(connection) as save:
        response = marketer_client.post("/goals/2026/", second)
    assert response.status_code == 302
    assert stored(account)[12] == (132, Decimal("3"))
    # Transaction control (BEGIN, COMMIT) is not counted: it is not work the
    # page asks for, and SQLite and PostgreSQL log it differently.
    assert len(statements(save.captured_queries)) <= SAVE_QUERIES


@pytest.mark.parametrize(
    "fields",
    [
        {"month": 13},
        {"month": 0},
        {"year": 1999},
        {"cv_count": -1},
        {"cv_rate": Decimal(0)},
        {"cv_rate": Decimal("100.01")},
        {"cv_count": None, "cv_rate": None},
    ],
)
def test_database_refuses_bad_rows(account, fields):
    values = {"year": 2026, "month": 1, "cv_count": 1, "cv_rate": Decimal(1)} | fields
    with pytest.raises(IntegrityError), transaction.atomic():
        MonthlyGoal.objects.create(account=account, **values)


def test_database_refuses_duplicate_month(account):
    MonthlyGoal.objects.create(account=account, year=2026, month=1, cv_count=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        MonthlyGoal.objects.create(account=account, year=2026, month=1, cv_count=2)


def test_grid_opened_at_goals_saves_to_its_year(marketer_client):
    from django.utils import timezone

    html = marketer_client.get("/goals/").content.decode()
    account = marketer_client.get("/goals/").wsgi_request.account
    year = account.fiscal_year_of(timezone.localdate())
    assert f'action="/goals/{year}/"' in html
    assert f'hx-post="/goals/{year}/"' in html
    assert 'action="/goals/"' not in html


# --- incomplete months (CV数 without CV率, or the reverse) -----------------------


def test_a_month_with_only_one_input_saves_with_a_warning(marketer_client, account):
    response = marketer_client.post(
        "/goals/2026/",
        year_post(m1=("20", "1"), m3=("10", ""), m7=("", "2")),
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert stored(account) == {
        1: (20, Decimal("1")),
        3: (10, None),
        7: (None, Decimal("2")),
    }
    assert "2026年の目標を保存しました。" in html
    assert "3月、7月はCV数とCV率の一方だけが入力されているため" in html


def test_a_complete_year_saves_without_the_warning(marketer_client, account):
    marketer_client.post("/goals/2026/", year_post(m1=("20", "1")))
    page = marketer_client.get("/goals/2026/").content.decode()
    assert "保存しました" in page and "一方だけが入力されている" not in page
    assert "か月は入力が不完全です" not in page


def test_incomplete_months_are_marked_and_counted_under_the_totals(
    marketer_client, account
):
    MonthlyGoal.objects.create(
        account=account, year=2026, month=1, cv_count=20, cv_rate=1
    )
    MonthlyGoal.objects.create(account=account, year=2026, month=4, cv_count=10)
    MonthlyGoal.objects.create(account=account, year=2026, month=9, cv_rate=2)
    html = marketer_client.get("/goals/2026/").content.decode()
    visits = {m: html.split(f'id="visits-{m}"')[1].split("</td>")[0] for m in (1, 4, 9)}
    assert "incomplete-mark" not in visits[1]
    for month in (4, 9):
        assert 'class="incomplete-mark" aria-hidden="true"' in visits[month]
        assert '<span class="visually-hidden">入力が不完全です' in visits[month]
    note = html.split('id="total-note"')[1].split("</p>")[0]
    assert "2 か月は入力が不完全です" in note and "（4月、9月）" in note
    assert "サイト訪問数とCV率はCV数とCV率の両方がある月の合計です" in note
    # ΣCV counts April's 10; the visits and the rate only January's.
    assert 'id="total-cv">30<' in html and 'id="total-visits">2,000<' in html


def test_the_recompute_updates_the_marks_and_the_note(marketer_client):
    response = marketer_client.get(
        "/goals/2026/recompute/",
        {"cv_count_2": "5", "cv_rate_3": "1"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert 'id="total-note" class="hint" hx-swap-oob="true"' in html
    assert "2 か月は入力が不完全です" in html and "（2月、3月）" in html
    assert (
        "incomplete-mark" in html.split('id="visits-2"')[1].split("</span></span>")[0]
    )


def test_a_refused_save_puts_autofocus_on_the_first_bad_cell(marketer_client, account):
    response = marketer_client.post(
        "/goals/2026/", year_post(m2=("20", "abc"), m6=("x", "1"))
    )
    html = response.content.decode()
    assert html.count(" autofocus") == 1
    assert re.search(r'id="id_cv_rate_2"[^>]* autofocus', html)
    assert " autofocus" not in marketer_client.get("/goals/2026/").content.decode()


def test_the_first_bad_cell_follows_the_fiscal_year(marketer_client, account):
    account.fiscal_year_start_month = 4
    account.save()
    response = marketer_client.post(
        "/goals/2026/", year_post(m2=("x", ""), m6=("y", ""))
    )
    assert re.search(r'id="id_cv_count_6"[^>]* autofocus', response.content.decode())
