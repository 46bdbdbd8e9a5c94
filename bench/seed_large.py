"""The benchmark's large data set, made with bulk_create in one transaction.

Run with the database in the environment (bench/run.py does it):
``python bench/seed_large.py``. Creates the set once (a second run finds it and
only resets what the benchmark changes: the signed-in account's year goes back
to its seeded values and history, as a draft) and prints, as JSON, what the
benchmark needs to know about it.
"""

import json
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

common.setup_django()

from axes.utils import reset as axes_reset  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from funnel import services  # noqa: E402
from funnel.domain.grid import fiscal_months  # noqa: E402
from funnel.formatting import plain_decimal  # noqa: E402
from funnel.models import (  # noqa: E402
    Account,
    ChangeKind,
    ChangeRecord,
    Channel,
    ChannelGoal,
    GoalYearPlan,
    Membership,
    MonthlyGoal,
    PlanAction,
    PlanEvent,
    PlanStatus,
    Role,
    Worksheet,
    WorksheetChannel,
)

BATCH = 2000
RATES = [Decimal(r) for r in ("0.8", "1", "1.2", "1.5", "2")]
ROLE_OF = {"admin": Role.ADMIN, "marketer": Role.MARKETER, "manager": Role.MANAGER}


def month_values(number, year, month):
    """A plausible, deterministic (CV数, CV率) for an account's month."""
    cv = 10 + (number * 7 + year * 3 + month * 5) % 90
    return cv, RATES[(number + month) % len(RATES)]


def goal_rows(account, number):
    start = account.fiscal_year_start_month
    for year in range(common.FIRST_YEAR, common.YEAR + 1):
        for cal_year, month in fiscal_months(year, start):
            cv, rate = month_values(number, year, month)
            yield (
                year,
                MonthlyGoal(
                    account=account,
                    year=cal_year,
                    month=month,
                    cv_count=cv,
                    cv_rate=rate,
                ),
            )


def goal_history(account, number, year, user):
    """The records a first save of the year left: every value from empty."""
    for _cal_year, month in fiscal_months(year, account.fiscal_year_start_month):
        cv, rate = month_values(number, year, month)
        for field, value in (("CV数", cv), ("CV率", rate)):
            yield ChangeRecord(
                account=account,
                kind=ChangeKind.GOAL,
                year=year,
                month=month,
                field=field,
                old_value="",
                # As the save records a value: 1.50 -> "1.5", 12 -> "12".
                new_value=plain_decimal(value),
                user=user,
            )


def create():
    started = time.monotonic()
    password = make_password(common.PASSWORD)  # hashed once, shared by all
    accounts = Account.objects.bulk_create(
        Account(
            name=common.ACCOUNT_NAME.format(n),
            fiscal_year_start_month=common.fiscal_start(n),
        )
        for n in range(1, common.ACCOUNTS + 1)
    )
    numbers = {account.pk: n for n, account in enumerate(accounts, start=1)}
    User = get_user_model()
    users = User.objects.bulk_create(
        (
            User(username=common.USERNAME.format(n, role), password=password)
            for n in range(1, common.ACCOUNTS + 1)
            for role in common.ROLES
        ),
        batch_size=BATCH,
    )
    Membership.objects.bulk_create(
        (
            Membership(
                user=users[i * len(common.ROLES) + r],
                account=account,
                role=ROLE_OF[role],
            )
            for i, account in enumerate(accounts)
            for r, role in enumerate(common.ROLES)
        ),
        batch_size=BATCH,
    )
    marketers = {
        account.pk: users[i * len(common.ROLES) + 1]
        for i, account in enumerate(accounts)
    }
    managers = {
        account.pk: users[i * len(common.ROLES) + 2]
        for i, account in enumerate(accounts)
    }
    MonthlyGoal.objects.bulk_create(
        (
            goal
            for account in accounts
            for _year, goal in goal_rows(account, numbers[account.pk])
        ),
        batch_size=BATCH,
    )
    # Past years approved; this year a draft (submitted for one account in three).
    plans = GoalYearPlan.objects.bulk_create(
        (
            GoalYearPlan(
                account=account,
                year=year,
                status=PlanStatus.APPROVED
                if year < common.YEAR
                else (
                    PlanStatus.SUBMITTED
                    if numbers[account.pk] % 3 == 0
                    and numbers[account.pk] != common.BENCH_ACCOUNT
                    else PlanStatus.DRAFT
                ),
            )
            for account in accounts
            for year in range(common.FIRST_YEAR, common.YEAR + 1)
        ),
        batch_size=BATCH,
    )
    PlanEvent.objects.bulk_create(
        (
            PlanEvent(plan=plan, action=action, actor=actor)
            for plan in plans
            if plan.status != PlanStatus.DRAFT
            for action, actor in (
                (PlanAction.SUBMIT, marketers[plan.account_id]),
                (PlanAction.APPROVE, managers[plan.account_id]),
            )
            if plan.status == PlanStatus.APPROVED or action == PlanAction.SUBMIT
        ),
        batch_size=BATCH,
    )
    ChangeRecord.objects.bulk_create(
        (
            record
            for account in accounts
            for year in range(common.FIRST_YEAR, common.YEAR + 1)
            for record in goal_history(
                account, numbers[account.pk], year, marketers[account.pk]
            )
        ),
        batch_size=BATCH,
    )
    worksheets = Worksheet.objects.bulk_create(
        (
            Worksheet(
                account=account,
                name=f"{common.YEAR - w}年度 計画",
                entry_date=date(common.YEAR - w, 4, 1) + timedelta(days=w),
                total_revenue=50_000_000 + numbers[account.pk] * 10_000,
                web_revenue=12_000_000,
                unit_price=4_000_000,
                win_rate=Decimal(30),
                opportunity_rate=Decimal(25),
                cv_rate=Decimal(1),
                updated_by=marketers[account.pk],
            )
            for account in accounts
            for w in range(common.WORKSHEETS_PER_ACCOUNT)
        ),
        batch_size=BATCH,
    )
    WorksheetChannel.objects.bulk_create(
        (
            WorksheetChannel(
                worksheet=worksheet,
                position=c,
                name=f"チャネル{c}",
                online=c % 3 != 1,
                meetings=c + 1,
                meeting_rate=Decimal(25),
            )
            for worksheet in worksheets
            for c in range(1, common.CHANNELS_PER_WORKSHEET + 1)
        ),
        batch_size=BATCH,
    )
    ChangeRecord.objects.bulk_create(
        (
            ChangeRecord(
                account_id=worksheet.account_id,
                kind=ChangeKind.WORKSHEET,
                worksheet=worksheet,
                subject=worksheet.name,
                field="作成",
                new_value=worksheet.name,
                user=marketers[worksheet.account_id],
            )
            for worksheet in worksheets
        ),
        batch_size=BATCH,
    )
    return time.monotonic() - started


def reset(account, number, user):
    """Undo what a benchmark run changed: the year's goals, plan and history."""
    year = common.YEAR
    GoalYearPlan.objects.update_or_create(
        account=account, year=year, defaults={"status": PlanStatus.DRAFT}
    )
    for goal in (goal for y, goal in goal_rows(account, number) if y == year):
        MonthlyGoal.objects.update_or_create(
            account=account,
            year=goal.year,
            month=goal.month,
            defaults={"cv_count": goal.cv_count, "cv_rate": goal.cv_rate},
        )
    ChangeRecord.objects.filter(
        account=account, kind=ChangeKind.GOAL, year=year
    ).delete()
    ChangeRecord.objects.bulk_create(goal_history(account, number, year, user))


def channel_plan(account, user):
    """The signed-in account's channels (CHANNELS, every third not Web) and
    its CHANNEL_YEAR planned per channel, every month filled: made once, as
    the channel page saves them (the year becomes チャネル別に入力). Nothing
    the benchmark does changes them: the page is read, its recompute is a
    calculator."""
    channels = []
    for position in range(1, common.CHANNELS + 1):
        channel, _created = Channel.objects.get_or_create(
            account=account,
            name=f"チャネル{position}",
            defaults={
                "online": common.channel_online(position),
                "position": position,
            },
        )
        channels.append((channel, position))
    values = {
        (channel.pk, month): common.channel_values(position, month)
        for channel, position in channels
        for month in range(1, 13)
    }
    if ChannelGoal.objects.filter(
        account=account, channel__in=[c for c, _p in channels]
    ).count() < len(values):
        services.channel_year_save(
            account=account, year=common.CHANNEL_YEAR, values=values, user=user
        )


def main():
    last = common.ACCOUNT_NAME.format(common.ACCOUNTS)
    seconds = None
    if not Account.objects.filter(name=last).exists():
        with transaction.atomic():
            seconds = create()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
    savers = []
    for number, username in zip(common.SAVER_ACCOUNTS, common.SAVER_USERS, strict=True):
        saver_account = Account.objects.get(name=common.ACCOUNT_NAME.format(number))
        saver = get_user_model().objects.get(username=username)
        # The benchmark signs in through the form, where django-axes counts
        # failures: the password is the one this run uses, and no lockout
        # remains.
        if not saver.check_password(common.PASSWORD):
            saver.set_password(common.PASSWORD)
            saver.save(update_fields=["password"])
        axes_reset(username=username)
        with transaction.atomic():
            reset(saver_account, number, saver)
        savers.append(saver_account.pk)
    account = Account.objects.get(name=common.ACCOUNT_NAME.format(common.BENCH_ACCOUNT))
    channel_plan(account, get_user_model().objects.get(username=common.BENCH_USER))
    worksheet = (
        Worksheet.objects.filter(account=account)
        .order_by("-entry_date", "-created_at", "-id")
        .first()
    )
    counts = {
        model._meta.db_table: model.objects.count()
        for model in (
            Account,
            Membership,
            MonthlyGoal,
            GoalYearPlan,
            Worksheet,
            WorksheetChannel,
            ChangeRecord,
            Channel,
            ChannelGoal,
        )
    }
    print(
        json.dumps(
            {
                "created_in_seconds": seconds,
                "account_id": account.pk,
                "saver_account_ids": savers,
                "worksheet_pk": worksheet.pk,
                "username": common.BENCH_USER,
                "year": common.YEAR,
                "rows": counts,
            }
        )
    )


if __name__ == "__main__":
    main()
