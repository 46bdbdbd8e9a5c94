"""Everything that reads a year's targets beside the grid reads a year planned
per channel as its channels' sums (MonthlyGoal rows left from before the
switch are ignored): the actuals page, the 年間サマリー with its stacked chart
by channel and its per-channel table, last year's figures in the comparison
and the bulk tools, and the worksheet's apply preview."""

import re
from decimal import Decimal

import pytest

from funnel import selectors, services
from funnel.models import Channel, MonthlyActual, MonthlyGoal
from tests.views.test_grid_bulk import bulk_post, values

pytestmark = pytest.mark.django_db

D = Decimal
OVERVIEW = "/goals/2026/overview/"


@pytest.fixture
def channels(account):
    services.channel_defaults_create(account=account)
    return {c.name: c for c in selectors.channel_list(account=account)}


@pytest.fixture
def planned(account, marketer, channels):
    """2026 per channel over a stored total of 100 CV in January: 広告 and
    オーガニック 7 at 3 % each (234 + 234 = 468 visits), 展示会 30 leads; 広告
    10 at 2 % in February (500)."""
    MonthlyGoal.objects.create(
        account=account, year=2026, month=1, cv_count=100, cv_rate=D(1)
    )
    ads, organic, expo = (channels[n].pk for n in ("広告", "オーガニック", "展示会"))
    services.channel_year_save(
        account=account,
        year=2026,
        values={
            (ads, 1): (7, D(3)),
            (organic, 1): (7, D(3)),
            (expo, 1): (30, None),
            (ads, 2): (10, D(2)),
        },
        user=marketer,
        switch=True,
    )
    return channels


def text(response):
    assert response.status_code == 200
    return response.content.decode()


def cell(html, element_id):
    match = re.search(rf'id="{element_id}"[^>]*>([^<]*)<', html)
    assert match, element_id
    return match.group(1).strip()


def test_selector_ignores_totals_of_a_channel_year(account, planned):
    figures = selectors.goal_month_figures(account=account, year=2026)
    assert list(figures) == list(range(1, 13))
    assert (figures[1].cv_count, figures[1].cv_rate, figures[1].visits) == (
        14,
        D("2.99"),
        468,
    )
    assert figures[3].cv_count is None
    targets, by_channel = selectors.year_targets(account=account, year=2026)
    assert targets == figures and by_channel.leads == 54


def test_selector_reads_totals_of_a_year_planned_as_totals(account, channels):
    MonthlyGoal.objects.create(
        account=account, year=2026, month=1, cv_count=20, cv_rate=D(1)
    )
    targets, by_channel = selectors.year_targets(account=account, year=2026)
    assert (targets[1].cv_count, targets[1].visits) == (20, 2000)
    assert by_channel is None


def test_actuals_page_targets_the_channel_sums(marketer_client, planned):
    html = text(marketer_client.get("/goals/2026/actuals/"))
    row = re.search(r'<tr id="ytd-visits">(.*?)</tr>', html, re.S).group(1)
    cells = re.findall(r'<td class="num">([^<]*)</td>', row)
    assert cells[3] == "968"  # 年間目標: 468 + 500, not 100 CV at 1 %
    row = re.search(r'<tr id="ytd-cv">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r'<td class="num">([^<]*)</td>', row)[3] == "24"


def test_apply_preview_shows_the_channel_sums_as_current(
    marketer_client, account, planned
):
    from tests.views.test_export import make_worksheet

    worksheet = make_worksheet(account)
    html = text(marketer_client.get(f"/worksheets/{worksheet.pk}/apply/?year=2026"))
    assert cell(html, "total-current-cv") == "24"
    assert cell(html, "total-current-visits") == "968"


def test_overview_shows_the_sums_and_last_year_as_its_grid_showed_it(
    marketer_client, planned
):
    html = text(marketer_client.get(OVERVIEW))
    assert cell(html, "overview-total-cv") == "24"
    assert cell(html, "overview-total-visits") == "968"
    next_year = text(marketer_client.get("/goals/2027/overview/"))
    table = re.search(r'id="overview-table".*?</table>', next_year, re.S).group(0)
    january = re.search(r"<th scope=\"row\">1月</th>(.*?)</tr>", table, re.S).group(1)
    # 前年: CV数 14 and サイト訪問数 468, in the muted columns.
    assert re.findall(r'<td class="num muted">([^<]*)</td>', january) == ["14", "468"]


def test_overview_of_a_channel_year_stacks_leads_by_channel(marketer_client, planned):
    html = text(marketer_client.get(OVERVIEW))
    section = re.search(
        r'<section class="card" aria-labelledby="channel-title".*?</section>',
        html,
        re.S,
    ).group(0)
    # The chart: named and described, a segment per channel and month with
    # its figure, no inline style (CSP).
    assert 'role="img" aria-labelledby="channel-chart-title channel-chart-desc"' in (
        section
    )
    assert '<desc id="channel-chart-desc">' in section
    titles = re.findall(r"<rect [^>]*class=\"segment\"><title>([^<]*)</title>", section)
    assert titles == [
        "1月 広告 7",
        "1月 オーガニック 7",
        "1月 展示会 30",
        "2月 広告 10",
    ]
    assert "style=" not in section
    # The legend names every channel of the plan.
    legend = re.search(r'<figcaption class="legend">(.*?)</figcaption>', section, re.S)
    assert [
        n
        for n in ("広告", "オーガニック", "メルマガ", "展示会")
        if n in legend.group(1)
    ] == [
        "広告",
        "オーガニック",
        "メルマガ",
        "展示会",
    ]
    # The figures as a table: a month's leads per channel and in all.
    months = re.search(r'id="overview-channel-months".*?</table>', section, re.S)
    january = re.search(r"<th scope=\"row\">1月</th>(.*?)</tr>", months.group(0))
    assert re.findall(r">([^<]*)</td>", january.group(1)) == ["7", "7", "—", "30", "44"]
    # Each channel's year: CV数 / リード数 and visits; no actuals yet.
    table = re.search(r'id="overview-channel-table".*?</table>', section, re.S)
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</tr>", table.group(0), re.S)
    ads = re.findall(r'<td class="num">([^<]*)</td>', rows[0])
    assert ads == ["17", "734"]
    expo = re.findall(r'<td class="num">([^<]*)</td>', rows[3])
    assert expo == ["30", "—"]
    assert "累計実績" not in table.group(0)
    assert 'href="/goals/2026/channels/"' in section
    assert 'href="/goals/2026/actuals/channels/"' in section
    assert cell(html, "overview-channel-leads") == "54"
    assert cell(html, "overview-channel-visits") == "968"


def test_overview_shows_channel_actuals_and_achievement(
    marketer_client, account, marketer, planned
):
    ads = planned["広告"].pk
    services.channel_actual_year_save(
        account=account,
        year=2026,
        values={(ads, 1): (14, 300), (ads, 2): (5, 200)},
        user=marketer,
    )
    html = text(marketer_client.get("/goals/2025/overview/"))
    assert 'id="overview-channel-table"' not in html  # 2025 has no plan
    html = text(marketer_client.get(OVERVIEW))
    table = re.search(r'id="overview-channel-table".*?</table>', html, re.S).group(0)
    assert "累計目標" in table and "累計実績" in table and "達成率" in table
    row = re.findall(r"<tr><th scope=\"row\">(.*?)</tr>", table, re.S)[0]
    figures = re.findall(r'<td class="num">([^<]*)</td>', row)
    assert figures[:2] == ["17", "734"]
    # January and February have passed: 広告's target to date is its 17, its
    # actual 14 + 5.
    assert figures[2:] == ["17", "19", "111.8%"]


def test_overview_of_a_year_planned_as_totals_has_no_channel_section(
    marketer_client, account, channels
):
    MonthlyGoal.objects.create(
        account=account, year=2026, month=1, cv_count=20, cv_rate=D(1)
    )
    html = text(marketer_client.get(OVERVIEW))
    assert 'id="overview-channels"' not in html
    assert cell(html, "overview-total-cv") == "20"


def test_manager_sees_the_channel_summary(manager_client, planned):
    html = text(manager_client.get(OVERVIEW))
    assert 'id="overview-channel-table"' in html


def test_outsider_sees_only_their_own_year(outsider_client, planned):
    html = text(outsider_client.get(OVERVIEW))
    assert 'id="overview-channels"' not in html
    assert "展示会" not in html


def test_overview_queries_do_not_grow_with_channels(
    marketer_client, account, marketer, planned, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        text(marketer_client.get(OVERVIEW))
    more = [
        Channel.objects.create(account=account, name=f"ch{i}", online=i % 2 == 0)
        for i in range(10)
    ]
    services.channel_year_save(
        account=account,
        year=2026,
        values={
            (c.pk, m): (m, D(1) if c.online else None)
            for c in more
            for m in range(1, 13)
        },
        user=marketer,
    )
    services.channel_actual_year_save(
        account=account,
        year=2026,
        values={(c.pk, m): (m, 100) for c in more for m in range(1, 13)},
        user=marketer,
    )
    with CaptureQueriesContext(connection) as many:
        text(marketer_client.get(OVERVIEW))
    assert len(many) == len(few)


def test_copy_previous_reads_last_years_channel_sums(marketer_client, planned):
    html = text(marketer_client.post("/goals/2027/", bulk_post("copy_previous")))
    copied = values(html)
    assert copied[1] == ("14", "2.99")  # not the stored 100 at 1 %
    assert copied[2] == ("10", "2")
    assert copied[3] == ("", "")


def test_spread_by_last_year_weighs_by_the_channel_sums(
    marketer_client, account, planned
):
    # No actuals in 2026: its targets weigh, 14 in January and 10 in February.
    data = bulk_post("spread")
    data.update(spread_total="24", spread_rate="1", spread_by="last_year")
    copied = values(text(marketer_client.post("/goals/2027/", data)))
    assert copied[1] == ("14", "1") and copied[2] == ("10", "1")
    assert MonthlyActual.objects.count() == 0
