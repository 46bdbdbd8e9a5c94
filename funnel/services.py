"""Writes: atomic, keyword-only, and told who is acting."""

from collections.abc import Mapping
from decimal import Decimal

from django.db import transaction

from funnel.models import MonthlyGoal, Worksheet, WorksheetChannel


@transaction.atomic
def goal_year_save(
    *,
    account,
    year: int,
    months: Mapping[int, tuple[int | None, Decimal | None]],
    user,
) -> None:
    """Store a whole year's targets at once: every month or none.

    A month left entirely empty has no row; the others are inserted or
    updated in one statement.
    """
    filled = {
        month: values
        for month, values in months.items()
        if values[0] is not None or values[1] is not None
    }
    empty = [month for month in months if month not in filled]
    if empty:
        MonthlyGoal.objects.filter(account=account, year=year, month__in=empty).delete()
    rows = [
        MonthlyGoal(
            account=account,
            year=year,
            month=month,
            cv_count=cv_count,
            cv_rate=cv_rate,
            updated_by=user,
        )
        for month, (cv_count, cv_rate) in filled.items()
    ]
    for row in rows:
        # Field checks only: the constraints are the database's to enforce, and
        # validating them here would cost a query per row per constraint.
        row.full_clean(
            exclude=["account", "updated_by"],
            validate_unique=False,
            validate_constraints=False,
        )
    MonthlyGoal.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["account", "year", "month"],
        update_fields=["cv_count", "cv_rate", "updated_by", "updated_at"],
    )


WORKSHEET_FIELDS = (
    "name",
    "entry_date",
    "basis",
    "total_revenue",
    "web_revenue",
    "unit_price",
    "win_rate",
    "opportunity_rate",
    "skip_opportunity",
    "cv_rate",
)


@transaction.atomic
def worksheet_save(*, account, worksheet=None, fields, channels, user):
    """Create or update a worksheet and replace its channels, all at once."""
    if worksheet is None:
        worksheet = Worksheet(account=account)
    for name in WORKSHEET_FIELDS:
        setattr(worksheet, name, fields[name])
    worksheet.updated_by = user
    worksheet.full_clean(exclude=["account", "updated_by"], validate_constraints=False)
    worksheet.save()
    WorksheetChannel.objects.filter(worksheet=worksheet).delete()
    WorksheetChannel.objects.bulk_create(
        WorksheetChannel(
            worksheet=worksheet,
            position=position,
            name=channel["name"],
            online=bool(channel.get("online")),
            meetings=channel.get("meetings"),
            meeting_rate=channel.get("meeting_rate"),
        )
        for position, channel in enumerate(channels, start=1)
    )
    return worksheet


@transaction.atomic
def worksheet_duplicate(*, worksheet, name, user):
    """A copy to try another scenario; the original stays as it was."""
    channels = list(worksheet.channels.all())
    copy = Worksheet.objects.get(pk=worksheet.pk)
    copy.pk = None
    copy.name = name
    copy.updated_by = user
    copy.save()
    WorksheetChannel.objects.bulk_create(
        WorksheetChannel(
            worksheet=copy,
            position=channel.position,
            name=channel.name,
            online=channel.online,
            meetings=channel.meetings,
            meeting_rate=channel.meeting_rate,
        )
        for channel in channels
    )
    return copy


@transaction.atomic
def worksheet_delete(*, worksheet, user):
    worksheet.delete()


def worksheet_apply(*, account, year, plan, user):
    """Write a worksheet's 12-month plan (from ``domain.worksheet.monthly_plan``)
    into the grid's year, replacing what was there, in one transaction."""
    months = {month: values for month, values in enumerate(plan, start=1)}
    goal_year_save(account=account, year=year, months=months, user=user)
