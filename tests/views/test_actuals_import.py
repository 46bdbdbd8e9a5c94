"""CSVから実績を取り込む over the Django test client: the upload, the preview
(nothing written), confirmation (all or nothing), the one-time token, roles
and accounts."""

import re

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from funnel.domain.actuals_csv import MAX_BYTES
from funnel.models import (
    Account,
    ChangeKind,
    ChangeRecord,
    Membership,
    MonthlyActual,
    Role,
)
from funnel.views import actuals_import
from tests.conftest import make_member, without_tokens

pytestmark = pytest.mark.django_db

YEAR = 2026
UPLOAD = f"/goals/{YEAR}/actuals/import/"
CONFIRM = f"/goals/{YEAR}/actuals/import/confirm/"
ACTUALS = f"/goals/{YEAR}/actuals/"
GA4 = (
    "# Google Analytics 4\n"
    "\n"
    "Year month,Sessions,Key events\n"
    '202601,"1,200",12\n'
    "202602,900,9\n"
    "Grand total,2100,21\n"
)


def csv_file(content, name="analytics.csv"):
    data = content if isinstance(content, bytes) else content.encode()
    return SimpleUploadedFile(name, data, content_type="text/csv")


def upload(client, content=GA4, *, path=UPLOAD, **headers):
    return client.post(path, {"file": csv_file(content)}, headers=headers)


def token_of(response):
    match = re.search(r'name="token" value="([^"]+)"', response.content.decode())
    return match and match.group(1)


def confirm(client, token, path=CONFIRM):
    return client.post(path, {"token": token})


def stored(account, year=YEAR):
    return {
        (a.year, a.month): (a.cv_count, a.visits)
        for a in MonthlyActual.objects.filter(account=account)
        if a.year in (year, year + 1)
    }


def message_texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def pending(client):
    return client.session.get(actuals_import.SESSION_KEY, {})


# --- the upload page -----------------------------------------------------------


def test_upload_page_shows_the_form_and_the_format(marketer_client):
    response = marketer_client.get(UPLOAD)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="id_file">CSVファイル</label>' in html
    assert 'type="file"' in html and 'enctype="multipart/form-data"' in html
    assert "1 MB" in html
    assert "2026年" in html and "2026年1月〜2026年12月" in html
    for header in (
        "セッション数",
        "sessions",
        "key events",
        "goal completions",
        "期間",
    ):
        assert f"<code>{header}</code>" in html
    assert "保存済みの値のまま" in html  # the empty-cell rule is stated
    assert 'id="import-confirm"' not in html


def test_anonymous_is_sent_to_sign_in(client, account):
    for response in (client.get(UPLOAD), upload(client), confirm(client, "x")):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


def test_manager_may_not_import(manager_client, account, marketer):
    preview = upload(Client(), GA4)  # anonymous: nothing
    assert preview.status_code == 302
    assert manager_client.get(UPLOAD).status_code == 403
    assert upload(manager_client).status_code == 403
    assert confirm(manager_client, "anything").status_code == 403
    assert not MonthlyActual.objects.exists()


def test_managers_token_from_a_marketers_preview_is_still_403(
    client, account, marketer, manager
):
    client.force_login(marketer)
    token = token_of(upload(client))
    client.force_login(manager)  # a new session: the token is gone anyway
    assert confirm(client, token).status_code == 403
    assert not MonthlyActual.objects.exists()


@pytest.mark.parametrize("year", [1999, 2101])
def test_year_outside_range_is_404(marketer_client, year):
    assert marketer_client.get(f"/goals/{year}/actuals/import/").status_code == 404
    assert (
        marketer_client.post(f"/goals/{year}/actuals/import/confirm/").status_code
        == 404
    )


def test_confirm_is_post_only(marketer_client):
    assert marketer_client.get(CONFIRM).status_code == 405


# --- preview and confirmation ------------------------------------------------------


def test_preview_shows_months_beside_stored_values_and_writes_nothing(
    marketer_client, account
):
    MonthlyActual.objects.create(
        account=account, year=YEAR, month=1, cv_count=3, visits=300
    )
    response = upload(marketer_client)
    assert response.status_code == 200
    html = response.content.decode()
    january = html.split('id="import-month-1"')[1].split("</tr>")[0]
    assert "2026年1月" in january
    assert [cell for cell in re.findall(r">([\d,—]+)<", january)] == [
        "4",  # the line
        "3",
        "300",
        "12",
        "1,200",
    ]
    february = html.split('id="import-month-2"')[1].split("</tr>")[0]
    assert "—" in february and "900" in february
    skipped = html.split('id="import-skipped"')[1].split("</table>")[0]
    assert "Grand total" in skipped and "合計の行" in skipped
    assert 'id="import-refused"' not in html
    assert "確定すると4件の値が変わります。" in html
    assert token_of(response)
    assert stored(account) == {(2026, 1): (3, 300)}
    assert not ChangeRecord.objects.exists()


def test_confirm_writes_the_previewed_months_and_redirects(marketer_client, account):
    token = token_of(upload(marketer_client))
    response = confirm(marketer_client, token)
    assert response.status_code == 302
    assert response["Location"] == ACTUALS
    assert stored(account) == {(2026, 1): (12, 1200), (2026, 2): (9, 900)}
    assert message_texts(response) == [
        "2026年の実績をCSVから取り込みました（4件の値を変更）。"
    ]
    assert ChangeRecord.objects.filter(kind=ChangeKind.ACTUAL).count() == 4
    assert pending(marketer_client) == {}
    # The actuals page shows it.
    page = marketer_client.get(ACTUALS)
    assert "4件の値を変更" in page.content.decode()


def test_reimporting_the_same_file_changes_nothing(marketer_client, account):
    confirm(marketer_client, token_of(upload(marketer_client)))
    before = list(MonthlyActual.objects.values_list("id", "updated_at", "cv_count"))
    history = ChangeRecord.objects.count()

    preview = upload(marketer_client)
    assert "保存済みの値と同じため、確定しても変更はありません。" in (
        preview.content.decode()
    )
    response = confirm(marketer_client, token_of(preview))
    assert response["Location"] == ACTUALS
    assert message_texts(response) == [
        "2026年の実績をCSVから取り込みました。変更はありませんでした（同じ値がすでに保存されています）。"
    ]
    assert ChangeRecord.objects.count() == history
    after = list(MonthlyActual.objects.values_list("id", "updated_at", "cv_count"))
    assert after == before


def test_an_empty_cell_keeps_the_stored_value(marketer_client, account):
    MonthlyActual.objects.create(
        account=account, year=YEAR, month=1, cv_count=5, visits=500
    )
    MonthlyActual.objects.create(
        account=account, year=YEAR, month=3, cv_count=7, visits=700
    )
    text = "月,訪問数,CV数\n2026年1月,900,\n2026年2月,,2\n"
    preview = upload(marketer_client, text)
    january = preview.content.decode().split('id="import-month-1"')[1]
    assert "変更なし" in january.split("</tr>")[0]
    confirm(marketer_client, token_of(preview))
    # March, not in the file, is left alone.
    assert stored(account) == {
        (2026, 1): (5, 900),
        (2026, 2): (2, None),
        (2026, 3): (7, 700),
    }


def test_a_missing_column_is_named_and_not_imported(marketer_client, account):
    MonthlyActual.objects.create(
        account=account, year=YEAR, month=1, cv_count=5, visits=500
    )
    preview = upload(marketer_client, "month,sessions\n2026-01,800\n")
    html = preview.content.decode()
    assert "CV数の列がないため" in html
    confirm(marketer_client, token_of(preview))
    assert stored(account) == {(2026, 1): (5, 800)}


def test_cp932_file_from_excel(marketer_client, account):
    text = "年月,セッション数,コンバージョン数\r\n2026年4月,１，５００,１５\r\n合計,1500,15\r\n"
    preview = upload(marketer_client, text.encode("cp932"))
    assert "文字コード: Shift_JIS" in preview.content.decode()
    confirm(marketer_client, token_of(preview))
    assert stored(account) == {(2026, 4): (15, 1500)}


def test_fiscal_year_starting_in_april_writes_the_right_calendar_year(
    marketer_client, account
):
    account.fiscal_year_start_month = 4
    account.save()
    text = "month,visits,cv\n2026-04,400,4\n2027-03,300,3\n"
    preview = upload(marketer_client, text)
    html = preview.content.decode()
    assert "2026年度" in html and "2026年4月〜2027年3月" in html
    response = confirm(marketer_client, token_of(preview))
    assert "2026年度の実績" in message_texts(response)[-1]
    assert stored(account) == {(2026, 4): (4, 400), (2027, 3): (3, 300)}


# --- all or nothing ------------------------------------------------------------------


REFUSED = (
    "month,visits,cv\n"
    "2026-01,100,1\n"
    "13月,100,1\n"
    "2026/1,100,1\n"
    "1月,100,1\n"
    "<script>alert(1)</script>,100,1\n"
    "2026-02,=SUM(B2:B3),-1\n"
)


def test_any_refused_row_blocks_confirmation_and_says_why(marketer_client, account):
    response = upload(marketer_client, REFUSED)
    assert response.status_code == 200
    html = response.content.decode()
    assert token_of(response) is None
    assert 'id="import-confirm"' not in html
    assert "取り込めない行が5行あります。" in html and "確定できません" in html
    refused = html.split('id="import-refused"')[1].split("</table>")[0]
    rows = re.findall(
        r"<tr><td class=\"num\">(\d+)</td><td>(.*?)</td><td>(.*?)</td>", refused
    )
    assert [(line, reason.split("（")[0]) for line, _value, reason in rows] == [
        ("3", "存在しない月です"),
        ("4", "同じ月の行が複数あります"),
        ("5", "年がありません。2026年1月 のように年も含めてください。"),
        ("6", "月として読み取れません"),
        ("7", "訪問数: 数式は取り込めません。値として保存してください。"),
        ("7", "CV数: マイナスの値は取り込めません。"),
    ]
    assert "2行目と重複" in refused
    # The hostile cell is shown as text, never as markup.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in refused
    assert "<script>alert" not in html
    assert "読み取れた月（確定できないため、書き込みません）" in html
    assert pending(marketer_client) == {}
    assert not MonthlyActual.objects.exists()


def test_a_forged_confirmation_writes_nothing(marketer_client, account):
    upload(marketer_client, REFUSED)
    for token in ("", "forged", "x" * 10_000):
        response = confirm(marketer_client, token)
        assert response.status_code == 302
        assert response["Location"] == UPLOAD
        assert "確定できません" in message_texts(response)[-1]
    page = marketer_client.get(response["Location"]).content.decode()
    assert "この取り込みは確定できません" in page and "何も書き込んでいません" in page
    # Months posted alongside are ignored: only the session's rows are written.
    marketer_client.post(CONFIRM, {"token": "forged", "cv_1": "99", "months": "1"})
    assert not MonthlyActual.objects.exists()
    assert not ChangeRecord.objects.exists()


def test_nothing_to_write_offers_no_confirmation(marketer_client):
    response = upload(marketer_client, "month,visits,cv\n2026-01,,\n")
    assert token_of(response) is None
    assert "取り込める行がありません" in response.content.decode()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "ファイルが空です"),
        (b"PK\x03\x04\x14\x00", "Excelファイル（.xlsx）は読み込めません"),
        (b"month,visits,cv\n\x82", "文字コードを読み取れません"),
        (b"\x00\x01\x02\x03", "CSVファイルとして読み取れません"),
        (b"foo,bar\n1,2\n", "必要な列が見つかりません: 月、CV数、訪問数"),
        (b"month,device\n2026-01,pc\n", "必要な列が見つかりません: CV数、訪問数"),
        (
            b"month,sessions,visits\n",
            "同じ項目の列が複数あります: 「sessions」、「visits」",
        ),
    ],
)
def test_a_file_refused_as_a_whole_gets_a_clear_message(
    marketer_client, content, message
):
    response = upload(marketer_client, content)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert 'aria-invalid="true"' in html
    assert token_of(response) is None
    assert not MonthlyActual.objects.exists()


def test_no_file_is_asked_for(marketer_client):
    response = marketer_client.post(UPLOAD, {})
    assert response.status_code == 200
    assert "CSVファイルを選んでください。" in response.content.decode()


def test_an_oversize_file_is_refused_and_the_limit_named(marketer_client):
    data = b"month,visits,cv\n" + b"2026-01,1,1\n" * (MAX_BYTES // 12 + 1)
    assert len(data) > MAX_BYTES
    response = upload(marketer_client, data)
    assert response.status_code == 200
    assert "ファイルが大きすぎます。1 MB以下のCSVファイルを選んでください。" in (
        response.content.decode()
    )
    assert pending(marketer_client) == {}


def test_a_long_list_of_refusals_is_shortened(marketer_client):
    lines = ["month,visits,cv"] + [f"2026-{i % 12 + 1:02d},x,1" for i in range(10_000)]
    response = upload(marketer_client, "\n".join(lines))
    assert response.status_code == 200
    html = response.content.decode()
    assert "取り込めない行が10000行あります。" in html
    assert "ほかに9900件あります（最初の100件を表示）。" in html
    assert token_of(response) is None


def test_a_long_export_takes_the_year_and_lists_the_rest_as_skipped(
    marketer_client,
):
    lines = ["month,visits,cv"] + [
        f"{2000 + i // 12}-{i % 12 + 1:02d},1,1" for i in range(10_000)
    ]
    response = upload(marketer_client, "\n".join(lines))
    html = response.content.decode()
    assert "取り込めない行" not in html
    assert "ほかに9888行あります（最初の100行を表示）。" in html
    assert "2026年の月ではない（取り込みません）" in html
    assert token_of(response) is not None


ROLLING = "月,セッション,コンバージョン\n2025/12,1200,12\n" + "".join(
    f"2026/{m},{m * 1000},{m}\n" for m in range(1, 12)
)


def test_a_rolling_twelve_months_imports_the_years_months(marketer_client, account):
    response = upload(marketer_client, ROLLING)
    html = response.content.decode()
    skipped = html.split('id="import-skipped"')[1].split("</table>")[0]
    assert "2025/12" in skipped and "2026年の月ではない（取り込みません）" in skipped
    assert 'id="import-month-11"' in html and 'id="import-month-12"' not in html
    response = confirm(marketer_client, token_of(response))
    assert response.status_code == 302
    assert stored(account) == {(2026, m): (m, m * 1000) for m in range(1, 12)}


def test_a_file_of_another_year_only_says_so(marketer_client, account):
    response = upload(marketer_client, "month,visits,cv\n2024-01,1,1\n2024-02,2,2\n")
    html = response.content.decode()
    assert "2026年（2026年1月〜2026年12月）の月の行がありません。" in html
    assert token_of(response) is None


def test_month_thirteen_is_a_month_that_does_not_exist(marketer_client):
    response = upload(marketer_client, "month,visits,cv\n13月,1,1\n2026/13,1,1\n")
    refused = response.content.decode().split('id="import-refused"')[1]
    assert refused.count("存在しない月です（月は1〜12）。") == 2
    assert "年がありません" not in refused


# --- the token -----------------------------------------------------------------------


def test_a_token_is_used_once(marketer_client, account):
    token = token_of(upload(marketer_client))
    confirm(marketer_client, token)
    MonthlyActual.objects.filter(account=account, month=1).update(cv_count=77)
    response = confirm(marketer_client, token)
    assert response["Location"] == UPLOAD
    assert "確定できません" in message_texts(response)[-1]
    assert stored(account)[(2026, 1)] == (77, 1200)


def test_a_token_from_another_users_session_is_refused(client, account, marketer):
    colleague = make_member("colleague", account, Role.MARKETER)
    client.force_login(marketer)
    token = token_of(upload(client))
    other = Client()
    other.force_login(colleague)
    response = confirm(other, token)
    assert response["Location"] == UPLOAD
    assert not MonthlyActual.objects.exists()
    # The marketer's own token still works.
    confirm(client, token)
    assert MonthlyActual.objects.count() == 2


def test_a_token_for_another_year_is_refused(marketer_client):
    token = token_of(upload(marketer_client))
    response = confirm(
        marketer_client, token, path="/goals/2027/actuals/import/confirm/"
    )
    assert response["Location"] == "/goals/2027/actuals/import/"
    assert not MonthlyActual.objects.exists()


def test_an_expired_token_is_refused(marketer_client):
    token = token_of(upload(marketer_client))
    session = marketer_client.session
    session[actuals_import.SESSION_KEY][token]["at"] -= actuals_import.TOKEN_SECONDS
    session.save()
    response = confirm(marketer_client, token)
    assert "有効期限切れ" in message_texts(response)[-1]
    assert not MonthlyActual.objects.exists()


def test_a_token_does_not_follow_an_account_switch(client, account, other_account):
    user = make_member("agency", account, Role.MARKETER)
    Membership.objects.create(user=user, account=other_account, role=Role.MARKETER)
    client.force_login(user)
    client.post("/account/switch/", {"account": account.pk})
    token = token_of(upload(client))
    client.post("/account/switch/", {"account": other_account.pk})
    response = confirm(client, token)
    assert response["Location"] == UPLOAD
    assert not MonthlyActual.objects.exists()


def test_the_session_keeps_a_few_small_entries(marketer_client):
    tokens = [token_of(upload(marketer_client)) for _ in range(5)]
    kept = pending(marketer_client)
    assert set(kept) == set(tokens[-actuals_import.TOKENS_KEPT :])
    entry = kept[tokens[-1]]
    assert entry["year"] == YEAR
    assert entry["rows"] == [[4, 2026, 1, 12, 1200], [5, 2026, 2, 9, 900]]


def test_a_database_failure_writes_nothing_and_says_so(
    marketer_client, account, monkeypatch
):
    token = token_of(upload(marketer_client))

    def fail(**kwargs):
        raise DatabaseError("down")

    monkeypatch.setattr(actuals_import.services, "actual_year_save", fail)
    response = confirm(marketer_client, token)
    assert response["Location"] == UPLOAD
    assert "何も書き込んでいません" in message_texts(response)[-1]
    assert not MonthlyActual.objects.exists()


# --- accounts ----------------------------------------------------------------------


def test_another_account_sees_and_writes_only_its_own(
    outsider_client, account, other_account
):
    MonthlyActual.objects.create(
        account=account, year=YEAR, month=1, cv_count=3, visits=333
    )
    preview = upload(outsider_client)
    html = preview.content.decode()
    assert "333" not in without_tokens(html)
    confirm(outsider_client, token_of(preview))
    assert stored(other_account) == {(2026, 1): (12, 1200), (2026, 2): (9, 900)}
    assert stored(account) == {(2026, 1): (3, 333)}


def test_posted_account_fields_are_ignored(marketer_client, account, other_account):
    token = token_of(upload(marketer_client))
    marketer_client.post(
        CONFIRM,
        {"token": token, "account": other_account.pk, "account_id": other_account.pk},
    )
    assert stored(account) == {(2026, 1): (12, 1200), (2026, 2): (9, 900)}
    assert not MonthlyActual.objects.filter(account=other_account).exists()
    assert Account.objects.count() == 2


# --- htmx --------------------------------------------------------------------------


def test_htmx_upload_answers_with_the_result_fragment(marketer_client):
    response = upload(marketer_client, **{"HX-Request": "true"})
    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="import-result">')
    assert "<html" not in html and 'id="import-form"' not in html
    assert 'id="import-months"' in html and token_of(response)
    # The field's message is swapped out of band.
    assert 'id="id_file-error" role="alert" hx-swap-oob="true"' in html


def test_htmx_file_error_comes_out_of_band(marketer_client):
    response = upload(marketer_client, b"\x00", **{"HX-Request": "true"})
    html = response.content.decode()
    assert "hx-swap-oob" in html and "CSVファイルとして読み取れません" in html


def test_history_restore_gets_the_whole_page(marketer_client):
    response = marketer_client.get(
        UPLOAD, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in response.content.decode()


# --- queries -------------------------------------------------------------------------


def queries(client, do):
    with CaptureQueriesContext(connection) as context:
        response = do(client)
    assert response.status_code in (200, 302)
    return len(context.captured_queries)


def year_file(months):
    return "month,visits,cv\n" + "".join(
        f"2026-{m:02d},{m * 100},{m}\n" for m in months
    )


def test_query_counts_do_not_grow_with_the_file(marketer_client, account):
    small = queries(marketer_client, lambda c: upload(c, year_file([1])))
    MonthlyActual.objects.bulk_create(
        MonthlyActual(account=account, year=YEAR, month=m, cv_count=1, visits=1)
        for m in range(1, 13)
    )
    large = queries(marketer_client, lambda c: upload(c, year_file(range(1, 13))))
    assert small == large

    def confirm_file(months):
        token = token_of(upload(marketer_client, year_file(months)))
        return queries(marketer_client, lambda c: confirm(c, token))

    MonthlyActual.objects.all().delete()
    one = confirm_file([1])
    MonthlyActual.objects.all().delete()
    twelve = confirm_file(range(1, 13))
    assert one == twelve
    # 13: the save waits on the account's row before it reads the months.
    assert twelve <= 13
