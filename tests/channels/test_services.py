"""The channel plan's writes: cells per channel and month, the mode switch,
the locks and the stale-page check every other write has."""

from decimal import Decimal
from importlib import import_module

import pytest
from django.apps import apps

from funnel import selectors, services
from funnel.models import (
    ChangeRecord,
    ChangeSource,
    Channel,
    GoalYearPlan,
    MonthlyGoal,
    PlanStatus,
    Worksheet,
    WorksheetChannel,
)


@pytest.fixture
def channels(account):
    services.channel_defaults_create(account=account)
    return {
        channel.name: channel for channel in selectors.channel_list(account=account)
    }


def test_a_new_account_starts_with_four_channels_once(account, channels):
    assert [(c.name, c.online) for c in selectors.channel_list(account=account)] == [
        ("広告", True),
        ("オーガニック", True),
        ("メルマガ", True),
        ("展示会", False),
    ]
    services.channel_defaults_create(account=account)
    assert Channel.objects.filter(account=account).count() == 4


def test_saving_an_empty_year_switches_it_to_channels(account, marketer, channels):
    ads, expo = channels["広告"].pk, channels["展示会"].pk
    changed = services.channel_year_save(
        account=account,
        year=2026,
        values={(ads, 1): (7, Decimal(3)), (expo, 1): (30, Decimal(5))},
        user=marketer,
    )
    assert changed == 3  # 広告 CV数, 広告 CV率, 展示会 CV数: a rate is Web's only
    assert selectors.channel_goal_values(account=account, year=2026) == {
        (ads, 1): (7, Decimal("3.00")),
        (expo, 1): (30, None),
    }
    assert GoalYearPlan.objects.get(account=account, year=2026).channel_mode
    records = ChangeRecord.objects.filter(account=account, subject="広告")
    assert {r.field for r in records} == {"CV数", "CV率"}


def test_a_year_with_totals_switches_only_when_confirmed(account, marketer, channels):
    MonthlyGoal.objects.create(account=account, year=2026, month=1, cv_count=50)
    values = {(channels["広告"].pk, 1): (7, Decimal(3))}
    with pytest.raises(services.ChannelModeNeeded):
        services.channel_year_save(
            account=account, year=2026, values=values, user=marketer
        )
    assert selectors.channel_goal_values(account=account, year=2026) == {}
    services.channel_year_save(
        account=account, year=2026, values=values, user=marketer, switch=True
    )
    # The totals are kept, not deleted, until the year goes back to them.
    assert MonthlyGoal.objects.get(account=account, year=2026, month=1).cv_count == 50


def test_going_back_to_totals_keeps_the_last_sums(account, marketer, channels):
    values = {
        (channels["広告"].pk, 1): (7, Decimal(3)),
        (channels["オーガニック"].pk, 1): (7, Decimal(3)),
        (channels["展示会"].pk, 1): (30, None),
    }
    services.channel_year_save(account=account, year=2026, values=values, user=marketer)
    services.plan_mode_total(account=account, year=2026, user=marketer)
    goal = MonthlyGoal.objects.get(account=account, year=2026, month=1)
    assert (goal.cv_count, goal.cv_rate) == (14, Decimal("2.99"))
    assert not GoalYearPlan.objects.get(account=account, year=2026).channel_mode
    assert ChangeRecord.objects.filter(source=ChangeSource.CHANNELS).count() == 2


def test_a_submitted_year_refuses_the_channel_plan(account, marketer, channels):
    GoalYearPlan.objects.create(account=account, year=2026, status=PlanStatus.SUBMITTED)
    with pytest.raises(services.YearLocked):
        services.channel_year_save(
            account=account,
            year=2026,
            values={(channels["広告"].pk, 1): (7, Decimal(3))},
            user=marketer,
        )
    assert selectors.channel_goal_values(account=account, year=2026) == {}


def test_a_stale_page_is_refused(account, marketer, manager, channels):
    ads = channels["広告"].pk
    services.channel_year_save(
        account=account, year=2026, values={(ads, 2): (5, None)}, user=marketer
    )
    with pytest.raises(services.SaveConflict) as refused:
        services.channel_year_save(
            account=account,
            year=2026,
            values={(ads, 2): (9, None)},
            user=manager,
            expected={(ads, 2): (None, None)},
        )
    assert refused.value.changes[0]["label"] == "広告 2月 CV数"
    assert selectors.channel_goal_values(account=account, year=2026) == {
        (ads, 2): (5, None)
    }


def test_another_accounts_channel_is_refused(account, other_account, marketer):
    services.channel_defaults_create(account=other_account)
    foreign = Channel.objects.filter(account=other_account).first()
    with pytest.raises(services.ServiceError):
        services.channel_year_save(
            account=account,
            year=2026,
            values={(foreign.pk, 1): (1, None)},
            user=marketer,
        )


def test_actuals_per_channel_leave_other_cells_alone(account, marketer, channels):
    ads, mail = channels["広告"].pk, channels["メルマガ"].pk
    services.channel_actual_year_save(
        account=account, year=2026, values={(ads, 1): (3, 300)}, user=marketer
    )
    services.channel_actual_year_save(
        account=account, year=2026, values={(mail, 1): (2, None)}, user=marketer
    )
    assert selectors.channel_actual_values(account=account, year=2026) == {
        (ads, 1): (3, 300),
        (mail, 1): (2, None),
    }


def test_the_data_migration_links_worksheet_channels_by_name(account):
    worksheet = Worksheet.objects.create(
        account=account, name="2026", entry_date="2026-04-01"
    )
    WorksheetChannel.objects.create(worksheet=worksheet, position=1, name="広告")
    WorksheetChannel.objects.create(
        worksheet=worksheet, position=2, name="セミナー", online=False
    )
    import_module("funnel.migrations.0012_channels_data").link_channels(apps, None)
    names = {c.name: c.online for c in Channel.objects.filter(account=account)}
    assert names == {
        "広告": True,
        "オーガニック": True,
        "メルマガ": True,
        "展示会": False,
        "セミナー": False,
    }
    assert sorted(WorksheetChannel.objects.values_list("name", "channel__name")) == [
        ("セミナー", "セミナー"),
        ("広告", "広告"),
    ]
