"""Writes: atomic, keyword-only, and told who is acting."""

from collections.abc import Mapping
from decimal import Decimal

from django.db import transaction

from funnel.models import MonthlyGoal


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
