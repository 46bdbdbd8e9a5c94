"""Reads. Every one that returns an account's data takes the account."""

from funnel.models import Membership, MonthlyGoal, Worksheet


def membership_for(*, user, account_id=None):
    """The user's membership in an active account: the one chosen in the session
    if it is still valid, else the first. None when there is none."""
    memberships = Membership.objects.filter(
        user=user, account__is_active=True
    ).select_related("account")
    if account_id is not None:
        chosen = memberships.filter(account_id=account_id).first()
        if chosen is not None:
            return chosen
    return memberships.order_by("account__name", "account_id").first()


def goals_by_month(*, account, year):
    """The year's stored goals as {month: MonthlyGoal}, in one query."""
    return {
        goal.month: goal
        for goal in MonthlyGoal.objects.filter(account=account, year=year).only(
            "month", "cv_count", "cv_rate"
        )
    }


def worksheet_list(*, account):
    return Worksheet.objects.filter(account=account).prefetch_related("channels")


def worksheet_get(*, account, pk):
    """The account's worksheet with its channels, or Worksheet.DoesNotExist."""
    return Worksheet.objects.prefetch_related("channels").get(account=account, pk=pk)
