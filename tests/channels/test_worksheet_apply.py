"""目標設定に反映 per channel: each channel's leads over the months, exact sums
for an annual worksheet, the preview before and after, and the year's mode."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from funnel import selectors, services
from funnel.domain import worksheet as worksheet_domain
from funnel.models import (
    Basis,
    ChangeRecord,
    ChangeSource,
    Channel,
    ChannelGoal,
    GoalYearPlan,
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
    signed_in(marketer).post(f"/worksheets/{worksheet.pk}/apply/", {"year": "2026"})
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
