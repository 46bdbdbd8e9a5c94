"""The actuals page (目標 vs 実績) and the worksheet's comparison with actuals."""

import re
from decimal import Decimal

import pytest

from funnel.models import (
    ChangeKind,
    ChangeRecord,
    MonthlyActual,
    MonthlyGoal,
    Worksheet,
    WorksheetChannel,
)

pytestmark = pytest.mark.django_db

PAST = 2025  # every month has passed: statuses do not depend on today


def loaded_form(client, year=PAST):
    """The actuals form as the browser has it: every input and hidden base value."""
    html = client.get(f"/goals/{year}/actuals/").content.decode()
    return dict(
        re.findall(
            r'<input type="(?:text|hidden)" name="([^"]+)"[^>]*?value="([^"]*)"', html
        )
    )


def actual_post(client, year=PAST, **months):
    """実績を保存 from the page as it loads now, every month typed over:
    ``m1=("25", "2,100")``, and the months not given emptied."""
    data = loaded_form(client, year) | {"action": "save"}
    for month in range(1, 13):
        cv, visits = months.get(f"m{month}", ("", ""))
        data[f"actual_cv_{month}"] = cv
        data[f"actual_visits_{month}"] = visits
    return data


def stored_actuals(account, year=PAST):
    return {
        a.month: (a.cv_count, a.visits)
        for a in MonthlyActual.objects.filter(account=account, year=year)
    }


@pytest.fixture
def targets(account):
    for month in range(1, 13):
        MonthlyGoal.objects.create(
            account=account, year=PAST, month=month, cv_count=20, cv_rate=1
        )


def test_actuals_page_shows_target_actual_rate_and_status(
    marketer_client, account, targets
):
    MonthlyActual.objects.create(
        account=account, year=PAST, month=1, cv_count=25, visits=2100
    )
    MonthlyActual.objects.create(
        account=account, year=PAST, month=2, cv_count=10, visits=1000
    )
    html = marketer_client.get(f"/goals/{PAST}/actuals/").content.decode()
    assert 'aria-label="1月 実績CV数"' in html and 'aria-label="1月 実績訪問数"' in html
    assert 'id="cv-achievement-1">125.0%<' in html
    assert 'id="visits-achievement-1">105.0%<' in html
    assert "status-achieved" in html.split('id="cv-status-1"')[1][:80]
    assert 'id="cv-achievement-2">50.0%<' in html
    # A finished month short of its target has missed it: 未達, not 遅れ.
    assert "status-missed" in html.split('id="cv-status-2"')[1][:80]
    assert "status-no_actual" in html.split('id="cv-status-3"')[1][:80]
    assert "1.19 %" in html  # actual CV率 of January: 25 / 2,100
    assert "暦日" in html  # the page says how pace is counted
    ytd = html.split('id="ytd-cv"')[1].split("</tr>")[0]
    assert ">240<" in ytd and ">35<" in ytd and "14.6%" in ytd


def test_zero_or_missing_target_shows_a_dash(marketer_client, account):
    MonthlyGoal.objects.create(
        account=account, year=PAST, month=1, cv_count=0, cv_rate=1
    )
    MonthlyActual.objects.create(
        account=account, year=PAST, month=1, cv_count=5, visits=100
    )
    html = marketer_client.get(f"/goals/{PAST}/actuals/").content.decode()
    assert 'id="cv-achievement-1">—<' in html
    assert 'id="visits-achievement-1">—<' in html


def test_saving_actuals_records_history_and_is_idempotent(
    marketer_client, marketer, account
):
    response = marketer_client.post(
        f"/goals/{PAST}/actuals/", actual_post(marketer_client, m1=("２５", "2,100"))
    )
    assert response.status_code == 302
    assert stored_actuals(account) == {1: (25, 2100)}
    records = ChangeRecord.objects.filter(account=account, kind=ChangeKind.ACTUAL)
    assert {(r.month, r.field, r.new_value, r.user_id) for r in records} == {
        (1, "実績CV数", "25", marketer.pk),
        (1, "実績訪問数", "2100", marketer.pk),
    }
    marketer_client.post(
        f"/goals/{PAST}/actuals/", actual_post(marketer_client, m1=("25", "2100"))
    )
    assert records.count() == 2
    # Emptying a month clears it.
    marketer_client.post(f"/goals/{PAST}/actuals/", actual_post(marketer_client))
    assert stored_actuals(account) == {}


@pytest.mark.parametrize("bad", ["-1", "1.5", "abc", "1e9", "100,000,001"])
def test_bad_actuals_are_refused_with_the_text_kept(marketer_client, account, bad):
    MonthlyActual.objects.create(
        account=account, year=PAST, month=2, cv_count=3, visits=300
    )
    response = marketer_client.post(
        f"/goals/{PAST}/actuals/",
        actual_post(marketer_client, m1=("10", bad), m2=("4", "400")),
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f'value="{bad}"' in html and 'value="4"' in html
    assert "入力内容に誤りがあります" in html
    assert stored_actuals(account) == {2: (3, 300)}


def test_manager_reads_actuals_but_cannot_save(manager_client, account, targets):
    MonthlyActual.objects.create(
        account=account, year=PAST, month=1, cv_count=25, visits=2100
    )
    html = manager_client.get(f"/goals/{PAST}/actuals/").content.decode()
    assert 'aria-label="1月 実績CV数"' not in html and ">25<" in html
    assert (
        manager_client.post(
            f"/goals/{PAST}/actuals/", actual_post(manager_client, m1=("1", "1"))
        ).status_code
        == 403
    )
    assert stored_actuals(account) == {1: (25, 2100)}


def test_actuals_are_per_account(outsider_client, account):
    MonthlyActual.objects.create(
        account=account, year=PAST, month=1, cv_count=777, visits=7777
    )
    assert (
        "7,777" not in outsider_client.get(f"/goals/{PAST}/actuals/").content.decode()
    )
    outsider_client.post(
        f"/goals/{PAST}/actuals/", actual_post(outsider_client, m1=("1", "1"))
    )
    assert stored_actuals(account) == {1: (777, 7777)}


def test_htmx_save_answers_with_the_form(marketer_client, account):
    response = marketer_client.post(
        f"/goals/{PAST}/actuals/",
        actual_post(marketer_client, m3=("7", "700")),
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200 and "HX-Request" in response["Vary"]
    assert (
        html.lstrip().startswith('<form id="actuals-form"') and "保存しました" in html
    )


def test_htmx_save_sends_the_year_to_date_card_out_of_band(
    marketer_client, account, targets
):
    """The card is computed from the saved values: it comes with the answer
    to 実績を保存, not only on the next reload."""
    response = marketer_client.post(
        f"/goals/{PAST}/actuals/",
        actual_post(marketer_client, m1=("25", "2,100"), m2=("10", "1000")),
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    card = html.split('id="ytd-card"')[1].split("</section>")[0]
    assert 'hx-swap-oob="true"' in card
    cv = card.split('id="ytd-cv"')[1].split("</tr>")[0]
    assert ">35<" in cv and ">240<" in cv  # 25 + 10 of a 12 × 20 year
    visits = card.split('id="ytd-visits"')[1].split("</tr>")[0]
    assert ">3,100<" in visits


def test_a_refused_htmx_save_sends_no_card(marketer_client, account):
    response = marketer_client.post(
        f"/goals/{PAST}/actuals/",
        actual_post(marketer_client, m1=("x", "")),
        headers={"HX-Request": "true"},
    )
    assert 'id="ytd-card"' not in response.content.decode()


def test_the_full_page_has_the_card_once(marketer_client, account):
    html = marketer_client.get(f"/goals/{PAST}/actuals/").content.decode()
    assert html.count('id="ytd-card"') == 1 and "hx-swap-oob" not in html


def test_nothing_entered_shows_dashes_not_zero(marketer_client, account, targets):
    html = marketer_client.get(f"/goals/{PAST}/actuals/").content.decode()
    cv = html.split('id="ytd-cv"')[1].split("</tr>")[0]
    cells = re.findall(r'<td class="num">([^<]*)</td>', cv)
    # 累計目標, 累計実績, 達成率, 年間目標, 年末見込み, 見込み達成率
    assert cells == ["240", "—", "—", "240", "—", "—"]
    assert "0.0%" not in html


def test_no_targets_and_no_actuals_show_only_dashes(marketer_client, account):
    html = marketer_client.get(f"/goals/{PAST}/actuals/").content.decode()
    card = html.split('id="ytd-card"')[1].split("</section>")[0]
    assert set(re.findall(r'<td class="num">([^<]*)</td>', card)) == {"—"}


def test_visits_show_thousands_separators(marketer_client, account):
    MonthlyActual.objects.create(
        account=account, year=PAST, month=1, cv_count=1200, visits=123456
    )
    html = marketer_client.get(f"/goals/{PAST}/actuals/").content.decode()
    assert 'name="actual_visits_1" id="id_actual_visits_1" value="123,456"' in html
    assert 'name="base_actual_visits_1" value="123,456"' in html
    assert ">123,456<" in html.split('id="ytd-visits"')[1].split("</tr>")[0]
    # What the page shows saves back unchanged (no conflict, nothing changed).
    data = loaded_form(marketer_client) | {"action": "save"}
    response = marketer_client.post(f"/goals/{PAST}/actuals/", data)
    assert response.status_code == 302
    assert stored_actuals(account) == {1: (1200, 123456)}


def test_the_manager_reads_visits_with_separators(manager_client, account):
    MonthlyActual.objects.create(
        account=account, year=PAST, month=1, cv_count=12, visits=123456
    )
    html = manager_client.get(f"/goals/{PAST}/actuals/").content.decode()
    assert '<span class="num">123,456</span>' in html


def test_a_refused_save_puts_autofocus_on_the_first_error(marketer_client, account):
    response = marketer_client.post(
        f"/goals/{PAST}/actuals/",
        actual_post(marketer_client, m2=("1", "x"), m5=("y", "")),
    )
    html = response.content.decode()
    assert html.count(" autofocus") == 1
    assert re.search(r'id="id_actual_visits_2"[^>]* autofocus', html)
    fine = marketer_client.get(f"/goals/{PAST}/actuals/").content.decode()
    assert " autofocus" not in fine


def test_actuals_page_query_count_is_constant(
    marketer_client, account, django_assert_max_num_queries
):
    # session, user, membership, the year's plan (its input mode), its goals,
    # its actuals
    with django_assert_max_num_queries(6):
        marketer_client.get(f"/goals/{PAST}/actuals/")
    MonthlyActual.objects.bulk_create(
        MonthlyActual(account=account, year=y, month=m, cv_count=1, visits=10)
        for y in range(2015, 2027)
        for m in range(1, 13)
    )
    with django_assert_max_num_queries(6):
        marketer_client.get(f"/goals/{PAST}/actuals/")


def test_worksheet_compares_its_plan_with_what_the_actuals_imply(
    marketer_client, account
):
    """The seed's worksheet (monthly): 217 online leads, 40 meetings, 10
    opportunities, 3 orders a month. A year of 108 CV a month — half the plan
    — implies half the meetings, and the first stage short of plan is the site visits."""
    worksheet = Worksheet.objects.create(
        account=account,
        name="seed",
        entry_date="2025-04-01",
        total_revenue=50_000_000,
        web_revenue=12_000_000,
        unit_price=4_000_000,
        win_rate=Decimal(30),
        opportunity_rate=Decimal(25),
        cv_rate=Decimal(1),
    )
    for position, (name, meetings, rate) in enumerate(
        [("広告", 10, 10), ("オーガニック", 20, 30), ("メルマガ", 10, 20)], start=1
    ):
        WorksheetChannel.objects.create(
            worksheet=worksheet,
            position=position,
            name=name,
            meetings=meetings,
            meeting_rate=rate,
        )
    for month in range(1, 13):
        MonthlyActual.objects.create(
            account=account, year=PAST, month=month, cv_count=108, visits=10_000
        )
    html = marketer_client.get(
        f"/worksheets/{worksheet.pk}/actuals/?year={PAST}"
    ).content.decode()

    def stage(name):
        return html.split(f'id="stage-{name}"')[1].split("</tr>")[0]

    assert ">2,604<" in stage("online_leads") and ">1,296<" in stage("online_leads")
    assert ">480<" in stage("meetings") and ">238<" in stage(
        "meetings"
    )  # floor(1296 × 40 / 217)
    assert ">120<" in stage("opportunities") and ">59<" in stage("opportunities")
    assert ">36<" in stage("orders") and ">17<" in stage("orders")
    assert "6,800万円" in stage("revenue")  # 17 orders × 400万円
    assert '<tr id="stage-online_leads" class="short">' in html
    assert '<tr id="stage-meetings" class="short">' in html
    assert (
        "計画に届いていない最初の段階: サイト訪問数" in html
    )  # 120,000 < 260,400 planned


def test_worksheet_actuals_scoping(outsider_client, account):
    worksheet = Worksheet.objects.create(
        account=account, name="x", entry_date="2025-01-01"
    )
    assert (
        outsider_client.get(f"/worksheets/{worksheet.pk}/actuals/").status_code == 404
    )


def test_actuals_appear_in_the_exports(marketer_client, account, targets):
    import io

    from openpyxl import load_workbook

    MonthlyActual.objects.create(
        account=account, year=PAST, month=1, cv_count=25, visits=2100
    )
    response = marketer_client.get(f"/goals/{PAST}/actuals/export.csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff月,目標CV数,実績CV数,CV達成率(%)")
    assert "2025年1月,20,25,125.0,2000,2100,105.0,1.19\r\n" in text
    workbook = load_workbook(
        io.BytesIO(marketer_client.get(f"/goals/{PAST}/export.xlsx").content)
    )
    sheet = workbook["目標と実績"]
    first = [cell.value for cell in sheet[3]]
    assert first[:3] == ["2025年1月", 20, 25] and first[5] == 2100


def test_the_actuals_export_imports_back_unchanged(marketer_client, account, targets):
    MonthlyActual.objects.create(
        account=account, year=PAST, month=1, cv_count=25, visits=2100
    )
    MonthlyActual.objects.create(
        account=account, year=PAST, month=7, cv_count=3, visits=None
    )
    exported = marketer_client.get(f"/goals/{PAST}/actuals/export.csv").content
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("actuals.csv", exported, content_type="text/csv")
    preview = marketer_client.post(f"/goals/{PAST}/actuals/import/", {"file": upload})
    html = preview.content.decode()
    assert preview.status_code == 200
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    response = marketer_client.post(
        f"/goals/{PAST}/actuals/import/confirm/", {"token": token}, follow=True
    )
    assert "変更はありませんでした" in response.content.decode()
    assert stored_actuals(account) == {1: (25, 2100), 7: (3, None)}


def test_overview_shows_target_vs_actual(manager_client, account, targets):
    MonthlyActual.objects.create(
        account=account, year=PAST, month=1, cv_count=25, visits=2100
    )
    html = manager_client.get(f"/goals/{PAST}/overview/").content.decode()
    section = html.split('id="overview-actuals"')[1].split("</table>")[0]
    assert "125.0%" in section and "105.0%" in section and "status-achieved" in section
    assert 'id="actual-chart-title"' in html
    assert "実績CV数 25" in html  # the chart's bar says what it is
    ytd = html.split('id="overview-ytd"')[1].split("</table>")[0]
    assert ">240<" in ytd and ">25<" in ytd


def test_grid_page_has_the_actuals_tab(marketer_client):
    html = marketer_client.get(f"/goals/{PAST}/").content.decode()
    assert f'href="/goals/{PAST}/actuals/"' in html
