"""目標設定に反映 per channel: each channel's leads over the months, exact sums
for an annual worksheet (evenly or by last year's profile, 配分), the preview
before and after, and the year's mode."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from funnel import selectors, services
from funnel.domain import worksheet as worksheet_domain
from funnel.models import (
    Basis,
    ChangeRecord,
    ChangeSource,
    Channel,
    ChannelActual,
    ChannelGoal,
    GoalYearPlan,
    MonthlyActual,
    MonthlyGoal,
    Worksheet,
    WorksheetChannel,
)

D = Decimal


ONE_PERCENT = D("1")


def result_of(*channels, cv_rate=ONE_PERCENT):
    return worksheet_domain.compute(
        worksheet_domain.WorksheetInput(
            total_revenue=None,
            web_revenue=None,
            unit_price=None,
            win_rate=None,
            opportunity_rate=None,
            skip_opportunity=False,
            cv_rate=cv_rate,
            channels=tuple(
                worksheet_domain.ChannelPlan(name, online, meetings, rate)
                for name, online, meetings, rate in channels
            ),
        )
    )


SEED = (
    ("広告", True, 10, D("10")),  # 100 leads
    ("オーガニック", True, 20, D("30")),  # 67
    ("メルマガ", True, 10, D("20")),  # 50
    ("展示会", False, 5, D("50")),  # 10, not Web
)


def test_monthly_worksheet_writes_each_channels_leads_every_month():
    leads = worksheet_domain.channel_monthly_leads(result_of(*SEED), annual=False)
    assert leads == ((100,) * 12, (67,) * 12, (50,) * 12, (10,) * 12)


def test_annual_worksheet_spreads_each_channel_exactly():
    leads = worksheet_domain.channel_monthly_leads(result_of(*SEED), annual=True)
    assert [sum(months) for months in leads] == [100, 67, 50, 10]
    assert leads[0] == (9, 9, 9, 9, 8, 8, 8, 8, 8, 8, 8, 8)
    assert leads[3] == (1,) * 10 + (0, 0)
    # The Web channels add up to the worksheet's online leads over the year.
    assert sum(sum(months) for months in leads[:3]) == 217


def test_a_channel_without_leads_has_no_months():
    leads = worksheet_domain.channel_monthly_leads(
        result_of(("広告", True, 10, D("10")), ("新規", True, None, None)),
        annual=True,
    )
    assert leads == ((9, 9, 9, 9, 8, 8, 8, 8, 8, 8, 8, 8), None)


@given(
    st.lists(
        st.tuples(st.integers(0, 100_000), st.integers(1, 100)),
        min_size=1,
        max_size=8,
    ),
    st.booleans(),
)
def test_every_channel_adds_up_exactly(channels, annual):
    result = result_of(*((f"c{i}", True, m, D(r)) for i, (m, r) in enumerate(channels)))
    leads = worksheet_domain.channel_monthly_leads(result, annual=annual)
    for months, expected in zip(leads, result.channel_leads, strict=True):
        assert len(months) == 12
        assert sum(months) == (expected if annual else expected * 12)
        assert max(months) - min(months) <= (1 if annual else 0)


# --- the service and the page ------------------------------------------------


@pytest.fixture
def channels(account):
    services.channel_defaults_create(account=account)
    return {c.name: c for c in selectors.channel_list(account=account)}


def make_worksheet(account, channels, *, basis=Basis.MONTHLY, link=True):
    worksheet = Worksheet.objects.create(
        account=account,
        name="2026年度 計画",
        entry_date=datetime.date(2026, 4, 1),
        basis=basis,
        web_revenue=12_000_000,
        total_revenue=50_000_000,
        unit_price=4_000_000,
        win_rate=D("30"),
        opportunity_rate=D("25"),
        cv_rate=D("1"),
    )
    WorksheetChannel.objects.bulk_create(
        WorksheetChannel(
            worksheet=worksheet,
            position=position,
            name=name,
            online=online,
            meetings=meetings,
            meeting_rate=rate,
            channel=channels.get(name) if link else None,
        )
        for position, (name, online, meetings, rate) in enumerate(SEED, start=1)
    )
    return worksheet


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def goals(account, year=2026):
    return {
        (goal.channel.name, goal.month): (goal.cv_count, goal.cv_rate)
        for goal in ChannelGoal.objects.filter(
            account=account, year=year
        ).select_related("channel")
    }


@pytest.mark.django_db
def test_preview_shows_each_channel_before_and_after(account, channels, marketer):
    worksheet = make_worksheet(account, channels)
    response = signed_in(marketer).get(f"/worksheets/{worksheet.pk}/apply/?year=2026")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="apply-channels"' in html
    for name in ("広告", "オーガニック", "メルマガ", "展示会"):
        assert f'data-channel="{name}" data-when="new"' in html
    # Nothing written by the preview.
    assert not ChannelGoal.objects.exists()
    assert not MonthlyGoal.objects.exists()


@pytest.mark.django_db
def test_apply_writes_the_channels_and_makes_the_year_channel_mode(
    account, channels, marketer
):
    MonthlyGoal.objects.create(account=account, year=2026, month=1, cv_count=5)
    worksheet = make_worksheet(account, channels)
    response = signed_in(marketer).post(
        f"/worksheets/{worksheet.pk}/apply/", {"year": "2026"}
    )
    assert response.status_code == 302
    stored = goals(account)
    assert len(stored) == 48
    for month in range(1, 13):
        assert stored["広告", month] == (100, D("1.00"))
        assert stored["オーガニック", month] == (67, D("1.00"))
        assert stored["展示会", month] == (10, None)
    assert GoalYearPlan.objects.get(account=account, year=2026).channel_mode
    # The grid's sums are the worksheet's online leads.
    _channels, plan, _values = selectors.channel_year(account=account, year=2026)
    assert [month.cv_count for month in plan.months] == [217] * 12
    assert [month.offline_leads for month in plan.months] == [10] * 12
    assert set(ChannelGoal.objects.values_list("updated_by", flat=True)) == {
        marketer.pk
    }
    assert ChangeRecord.objects.filter(
        account=account, subject="広告", source=ChangeSource.WORKSHEET
    ).exists()


@pytest.mark.django_db
def test_annual_apply_spreads_each_channel_exactly(account, channels, marketer):
    worksheet = make_worksheet(account, channels, basis=Basis.ANNUAL)
    signed_in(marketer).post(
        f"/worksheets/{worksheet.pk}/apply/", {"year": "2026", "spread": "even"}
    )
    stored = goals(account)
    for name, total in (("広告", 100), ("オーガニック", 67), ("メルマガ", 50)):
        assert sum(stored[name, month][0] for month in range(1, 13)) == total
    assert sum(stored["展示会", month][0] for month in range(1, 13)) == 10


@pytest.mark.django_db
def test_a_channel_not_in_the_worksheet_is_emptied(account, channels, marketer):
    seminar = Channel.objects.create(account=account, name="セミナー", online=False)
    ChannelGoal.objects.create(
        account=account, channel=seminar, year=2026, month=4, cv_count=30
    )
    worksheet = make_worksheet(account, channels)
    html = (
        signed_in(marketer)
        .get(f"/worksheets/{worksheet.pk}/apply/?year=2026")
        .content.decode()
    )
    assert 'data-channel="セミナー" data-when="current"' in html
    signed_in(marketer).post(f"/worksheets/{worksheet.pk}/apply/", {"year": "2026"})
    assert not ChannelGoal.objects.filter(channel=seminar).exists()


@pytest.mark.django_db
def test_rows_linked_by_name_when_typed_before_the_list(account, channels, marketer):
    worksheet = make_worksheet(account, channels, link=False)
    signed_in(marketer).post(f"/worksheets/{worksheet.pk}/apply/", {"year": "2026"})
    assert goals(account)["広告", 1] == (100, D("1.00"))


@pytest.mark.django_db
def test_a_row_of_no_account_channel_applies_the_totals_only(
    account, channels, marketer
):
    worksheet = make_worksheet(account, channels)
    WorksheetChannel.objects.filter(worksheet=worksheet, name="メルマガ").update(
        name="ウェビナー", channel=None
    )
    client = signed_in(marketer)
    html = client.get(f"/worksheets/{worksheet.pk}/apply/?year=2026").content.decode()
    assert "「ウェビナー」はアカウントのチャネル一覧にない" in html
    assert (
        client.post(f"/worksheets/{worksheet.pk}/apply/", {"year": "2026"}).status_code
        == 302
    )
    assert not ChannelGoal.objects.exists()
    assert MonthlyGoal.objects.get(account=account, year=2026, month=1).cv_count == 217
    assert not GoalYearPlan.objects.get(account=account, year=2026).channel_mode


@pytest.mark.django_db
def test_another_accounts_worksheet_is_a_404(account, channels, outsider):
    worksheet = make_worksheet(account, channels)
    client = signed_in(outsider)
    assert client.get(f"/worksheets/{worksheet.pk}/apply/?year=2026").status_code == 404
    assert (
        client.post(f"/worksheets/{worksheet.pk}/apply/", {"year": "2026"}).status_code
        == 404
    )
    assert not ChannelGoal.objects.exists()


@pytest.mark.django_db
def test_a_manager_cannot_apply(account, channels, manager):
    worksheet = make_worksheet(account, channels)
    response = signed_in(manager).post(
        f"/worksheets/{worksheet.pk}/apply/", {"year": "2026"}
    )
    assert response.status_code == 403
    assert not ChannelGoal.objects.exists()


# --- 配分: 前年の実績比 (an annual worksheet) ---------------------------------

# 2025's actual CV数, January and February missing: they weigh by 2025's
# targets (60, 40). Weights 60, 40, 10, 10, 10, 20, 30, 20, 10, 10, 10, 20
# (250): 217 spread by largest remainder.
LAST_YEAR_ACTUALS = {3: 10, 4: 10, 5: 10, 6: 20, 7: 30, 8: 20}
LAST_YEAR_ACTUALS |= {9: 10, 10: 10, 11: 10, 12: 20}
TOTALS_BY_LAST_YEAR = (52, 35, 9, 9, 9, 17, 26, 17, 9, 9, 8, 17)


@pytest.fixture
def last_year(account, other_account, channels):
    """2025 as recorded: the totals' actuals (and targets where missing), and
    per channel: 広告 only in Q1, オーガニック every month but December (its
    target there), メルマガ nothing, 展示会 only in October."""
    for month, cv in LAST_YEAR_ACTUALS.items():
        MonthlyActual.objects.create(
            account=account, year=2025, month=month, cv_count=cv
        )
    for month, cv in ((1, 60), (2, 40)):
        MonthlyGoal.objects.create(account=account, year=2025, month=month, cv_count=cv)
    # Another account's year is not this one's profile.
    MonthlyActual.objects.create(
        account=other_account, year=2025, month=1, cv_count=999
    )
    actual = ChannelActual.objects.create
    for month in (1, 2, 3):
        actual(
            account=account,
            channel=channels["広告"],
            year=2025,
            month=month,
            cv_count=5,
        )
    for month in range(1, 12):
        actual(
            account=account,
            channel=channels["オーガニック"],
            year=2025,
            month=month,
            cv_count=10,
        )
    ChannelGoal.objects.create(
        account=account,
        channel=channels["オーガニック"],
        year=2025,
        month=12,
        cv_count=30,
    )
    actual(account=account, channel=channels["展示会"], year=2025, month=10, cv_count=7)


# Each channel by its own 2025: 広告 100 over Q1; オーガニック 67 by 10 × 11
# and 30 (December's target); メルマガ 50 evenly; 展示会 10 all in October.
CHANNELS_BY_LAST_YEAR = {
    "広告": (34, 33, 33) + (0,) * 9,
    "オーガニック": (5,) * 9 + (4, 4, 14),
    "メルマガ": (5, 5) + (4,) * 10,
    "展示会": (0,) * 9 + (10, 0, 0),
}


# What the grid of a year planned per channel shows (the Web channels' sums),
# so what the preview's main table shows after 反映.
WEB = ("広告", "オーガニック", "メルマガ")
WEB_SUMS_BY_LAST_YEAR = tuple(
    sum(CHANNELS_BY_LAST_YEAR[name][i] for name in WEB) for i in range(12)
)
# 均等: 広告 100 → 9 × 4 and 8 × 8; オーガニック 67 → 6 × 7 and 5 × 5; メルマガ 50
# → 5 × 2 and 4 × 10; each channel from the fiscal year's first month.
WEB_SUMS_EVEN = (20, 20, 19, 19, 18, 18, 18) + (17,) * 5


def apply_url(worksheet):
    return f"/worksheets/{worksheet.pk}/apply/"


def preview_new_cv(html):
    """The preview's new CV数 per month, January first."""
    body = html.split('id="apply-preview"')[1].split("</tbody>")[0]
    return tuple(
        int(cv)
        for cv in re.findall(
            r'<td class="num new">([\d,]+)</td><td class="num new">[^<]*%</td>', body
        )
    )


@pytest.mark.django_db
def test_preview_by_last_year_shows_the_spread_and_what_fell_back(
    account, channels, marketer, last_year
):
    worksheet = make_worksheet(account, channels, basis=Basis.ANNUAL)
    response = signed_in(marketer).get(
        apply_url(worksheet), {"year": "2026", "spread": "last_year"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    # The grid will show the Web channels' sums, each spread by its own year.
    assert preview_new_cv(html) == WEB_SUMS_BY_LAST_YEAR
    assert sum(WEB_SUMS_BY_LAST_YEAR) == sum(TOTALS_BY_LAST_YEAR)
    assert "CV数は前年（2025年）の実績CV数の比で配分しています。" in html
    assert "実績CV数がない月（1月、2月）は、前年の目標CV数の比で配分しました。" in html
    assert (
        "オーガニック: 実績がない月（12月）は、前年の目標の比で配分しました。" in html
    )
    assert "前年の実績も目標もないため均等に配分したチャネル: メルマガ" in html
    for name, months in CHANNELS_BY_LAST_YEAR.items():
        row = html.split(f'data-channel="{name}" data-when="new">')[1].split("</tr>")[0]
        cells = re.findall(r'<td class="num new">([^<]*)</td>', row)
        assert tuple(int(c) for c in cells[:12]) == months, name
    # The choice stays chosen, and the confirmation sends it.
    assert re.search(r'value="last_year" id="[^"]+" checked', html)
    assert '<input type="hidden" name="spread" value="last_year">' in html
    assert not MonthlyGoal.objects.filter(year=2026).exists()
    assert not ChannelGoal.objects.filter(year=2026).exists()


@pytest.mark.django_db
def test_apply_by_last_year_writes_the_totals_and_each_channel(
    account, channels, marketer, last_year
):
    worksheet = make_worksheet(account, channels, basis=Basis.ANNUAL)
    response = signed_in(marketer).post(
        apply_url(worksheet), {"year": "2026", "spread": "last_year"}
    )
    assert response.status_code == 302
    stored = {
        goal.month: (goal.cv_count, goal.cv_rate)
        for goal in MonthlyGoal.objects.filter(account=account, year=2026)
    }
    assert tuple(stored[m][0] for m in range(1, 13)) == TOTALS_BY_LAST_YEAR
    assert {rate for _cv, rate in stored.values()} == {D("1.00")}
    written = goals(account)
    for name, months in CHANNELS_BY_LAST_YEAR.items():
        assert tuple(written[name, m][0] for m in range(1, 13)) == months, name
    assert written["広告", 1][1] == D("1.00") and written["展示会", 10][1] is None
    assert ChangeRecord.objects.filter(
        account=account, source=ChangeSource.WORKSHEET
    ).exists()


@pytest.mark.django_db
def test_by_last_year_follows_the_fiscal_year(account, channels, marketer):
    """With an April start, 2025年度's April is the first weight: the spread
    begins with 2026年度's April."""
    account.fiscal_year_start_month = 4
    account.save()
    MonthlyActual.objects.create(account=account, year=2025, month=4, cv_count=1)
    MonthlyActual.objects.create(account=account, year=2026, month=3, cv_count=1)
    worksheet = make_worksheet(account, channels, basis=Basis.ANNUAL)
    html = (
        signed_in(marketer)
        .get(apply_url(worksheet), {"year": "2026", "spread": "last_year"})
        .content.decode()
    )
    # No channel has anything in 2025年度: each is spread evenly, by name,
    # from 4月, and the grid will show their sums (in fiscal order: 4月 … 3月).
    assert preview_new_cv(html) == WEB_SUMS_EVEN
    assert "前年（2025年度）の実績CV数の比" in html
    assert "均等に配分したチャネル: 広告、オーガニック、メルマガ、展示会" in html
    # The totals follow 2025年度's profile: its April is 2026年度's April.
    response = signed_in(marketer).post(
        apply_url(worksheet), {"year": "2026", "spread": "last_year"}
    )
    assert response.status_code == 302
    stored = {
        (goal.year, goal.month): goal.cv_count
        for goal in MonthlyGoal.objects.filter(account=account)
    }
    assert stored[2026, 4] == 109 and stored[2027, 3] == 108
    assert sum(stored.values()) == 217


@pytest.mark.django_db
def test_nothing_last_year_spreads_the_totals_evenly_and_says_so(
    account, channels, marketer
):
    worksheet = make_worksheet(account, channels, basis=Basis.ANNUAL)
    client = signed_in(marketer)
    html = client.get(
        apply_url(worksheet), {"year": "2026", "spread": "last_year"}
    ).content.decode()
    assert (
        "前年（2025年）の実績CV数も目標CV数もないため、CV数は均等に配分しています。"
        in html
    )
    assert preview_new_cv(html) == WEB_SUMS_EVEN
    assert (
        client.post(
            apply_url(worksheet), {"year": "2026", "spread": "last_year"}
        ).status_code
        == 302
    )
    assert MonthlyGoal.objects.get(account=account, year=2026, month=1).cv_count == 19


@pytest.mark.django_db
def test_the_preview_without_a_spread_is_even_and_says_it(account, channels, marketer):
    worksheet = make_worksheet(account, channels, basis=Basis.ANNUAL)
    html = (
        signed_in(marketer).get(apply_url(worksheet), {"year": "2026"}).content.decode()
    )
    assert preview_new_cv(html) == WEB_SUMS_EVEN
    assert re.search(r'value="even" id="[^"]+" checked', html)
    assert '<input type="hidden" name="spread" value="even">' in html
    assert 'id="apply-spread-totals"' not in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sent", "message"),
    [
        ({}, "配分を選んでください。"),
        ({"spread": ""}, "配分を選んでください。"),
        ({"spread": "weights"}, "配分は「均等」か「前年の実績比」から選んでください。"),
        (
            {"spread": "前年の実績比"},
            "配分は「均等」か「前年の実績比」から選んでください。",
        ),
    ],
)
def test_a_confirmation_without_a_valid_spread_writes_nothing(
    account, channels, marketer, last_year, sent, message
):
    worksheet = make_worksheet(account, channels, basis=Basis.ANNUAL)
    response = signed_in(marketer).post(apply_url(worksheet), {"year": "2026", **sent})
    assert response.status_code == 200
    html = response.content.decode()
    error = re.search(
        r'<span class="field-error" id="id_spread-error">([^<]*)</span>', html
    )
    assert error.group(1) == message
    assert 'aria-invalid="true"' in html
    assert 'id="apply-preview"' not in html
    assert _selected_year(html) == ["2026"]  # the year sent stays chosen
    assert not MonthlyGoal.objects.filter(year=2026).exists()
    assert not ChannelGoal.objects.filter(year=2026).exists()
    assert not ChangeRecord.objects.exists()


@pytest.mark.django_db
def test_a_bad_spread_in_the_preview_is_a_message_not_a_preview(
    account, channels, marketer
):
    worksheet = make_worksheet(account, channels, basis=Basis.ANNUAL)
    html = (
        signed_in(marketer)
        .get(apply_url(worksheet), {"year": "2026", "spread": "x"})
        .content.decode()
    )
    assert "配分は「均等」か「前年の実績比」から選んでください。" in html
    assert 'id="apply-preview"' not in html


@pytest.mark.django_db
def test_a_monthly_worksheet_offers_no_spread(account, channels, marketer, last_year):
    worksheet = make_worksheet(account, channels)
    client = signed_in(marketer)
    html = client.get(apply_url(worksheet), {"year": "2026"}).content.decode()
    assert 'name="spread"' not in html
    assert "配分" not in html.split("<h1>")[1].split('id="apply-preview"')[0]
    # Sent anyway, it changes nothing: the same leads every month.
    response = client.post(
        apply_url(worksheet), {"year": "2026", "spread": "last_year"}
    )
    assert response.status_code == 302
    assert set(
        MonthlyGoal.objects.filter(account=account, year=2026).values_list(
            "cv_count", flat=True
        )
    ) == {217}


def _selected_year(html):
    select = html.split('<select name="year" id="id_year">')[1].split("</select>")[0]
    return re.findall(r'<option value="(\d+)" selected>', select)


@pytest.mark.django_db
def test_the_preview_by_last_year_reads_the_same_queries_whatever_the_channels(
    account, channels, marketer, last_year
):
    client = signed_in(marketer)
    small = make_worksheet(account, channels, basis=Basis.ANNUAL)
    extra = [
        Channel.objects.create(account=account, name=f"チャネル{i}", online=i % 2 == 0)
        for i in range(8)
    ]
    for channel in extra:
        ChannelActual.objects.create(
            account=account, channel=channel, year=2025, month=5, cv_count=3
        )
        ChannelGoal.objects.create(
            account=account, channel=channel, year=2025, month=6, cv_count=4
        )
    large = make_worksheet(account, channels, basis=Basis.ANNUAL)
    WorksheetChannel.objects.bulk_create(
        WorksheetChannel(
            worksheet=large,
            position=10 + i,
            name=channel.name,
            online=channel.online,
            meetings=4,
            meeting_rate=D("25"),
            channel=channel,
        )
        for i, channel in enumerate(extra)
    )
    query = {"year": "2026", "spread": "last_year"}
    client.get(apply_url(small), query)  # warm the session

    def count(worksheet):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(apply_url(worksheet), query)
        assert response.status_code == 200
        return len(queries.captured_queries), response.content.decode()

    small_count, _ = count(small)
    large_count, html = count(large)
    assert 'data-channel="チャネル7" data-when="new"' in html
    assert small_count == large_count
