"""Reads. Every one that returns an account's data takes the account."""

from functools import cache

from django.db.models import Prefetch, Q

from funnel import sql
from funnel.domain.grid import fiscal_months
from funnel.models import (
    ChangeKind,
    ChangeRecord,
    GoalYearPlan,
    Membership,
    MonthlyActual,
    MonthlyGoal,
    PlanStatus,
    Worksheet,
    WorksheetChannel,
)

HISTORY_LIMIT = 100


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


def membership_choose(memberships, *, account_id=None):
    """membership_for() over memberships already loaded (funnel.backends):
    the chosen account's if it is among them, else the first."""
    for membership in memberships:
        if membership.account_id == account_id:
            return membership
    return memberships[0] if memberships else None


def memberships_of(*, user):
    """Every active account the user can work in, for the account switcher."""
    return list(
        Membership.objects.filter(user=user, account__is_active=True)
        .select_related("account")
        .order_by("account__name", "account_id")
    )


def member_list(*, account):
    """The account's members with their users, admins first."""
    return (
        Membership.objects.filter(account=account)
        .select_related("user")
        .order_by("role", "user__username")
    )


def fiscal_year_q(*, account, year):
    """Rows of the account's fiscal ``year``: with April as the start, 2024年度
    is April–December 2024 and January–March 2025."""
    start = account.fiscal_year_start_month
    (first_year, _), (last_year, _) = fiscal_months(year, start)[::11]
    if first_year == last_year:
        return Q(year=first_year)
    return Q(year=first_year, month__gte=start) | Q(year=last_year, month__lt=start)


def goals_by_month(*, account, year):
    """The fiscal year's stored goals as {month: MonthlyGoal}, in one query."""
    return {
        goal.month: goal
        for goal in MonthlyGoal.objects.filter(
            fiscal_year_q(account=account, year=year), account=account
        ).only("year", "month", "cv_count", "cv_rate")
    }


@cache
def _goal_year_select():
    goal, plan = MonthlyGoal, GoalYearPlan
    g = {name: sql.quoted(goal, name) for name in ("account", "year", "month")}
    p = {name: sql.quoted(plan, name) for name in ("account", "year", "id")}
    # The months of a fiscal year starting in month s: year Y from month s,
    # and year Y+1 before month s (none when s is January).
    return sql.Select(
        f"SELECT {g['month']}, {sql.quoted(goal, 'cv_count')}, "  # noqa: S608 - names from the models, values as parameters
        f"{sql.quoted(goal, 'cv_rate')}, NULL FROM {sql.quoted(goal)} "
        f"WHERE {g['account']} = %s AND (({g['year']} = %s AND {g['month']} >= %s) "
        f"OR ({g['year']} = %s AND {g['month']} < %s)) "
        f"UNION ALL SELECT 0, {p['id']}, NULL, {sql.quoted(plan, 'status')} "
        f"FROM {sql.quoted(plan)} WHERE {p['account']} = %s AND {p['year']} = %s",
        [None, None, (goal, "cv_rate"), None],
    )


def goal_year(*, account, year):
    """The fiscal year's goals as {month: (cv_count, cv_rate)} and its review
    plan, in one statement: the grid page reads both on every view, and a round
    trip costs more than the rows. The plan comes back as the row with month 0.
    The goals are plain values, not model instances: building twelve of those
    cost more than the statement."""
    start = account.fiscal_year_start_month
    rows = _goal_year_select().rows(
        [account.pk, year, start, year + 1, start, account.pk, year]
    )
    goals_by_month, plan = {}, None
    for month, number, rate, status in rows:
        if month == 0:
            plan = GoalYearPlan(pk=number, account=account, year=year, status=status)
        else:
            goals_by_month[month] = (number, rate)
    if plan is None:
        plan = GoalYearPlan(account=account, year=year, status=PlanStatus.DRAFT)
    return goals_by_month, plan


def actuals_by_month(*, account, year):
    """The fiscal year's actuals as {month: MonthlyActual}, in one query."""
    return {
        actual.month: actual
        for actual in MonthlyActual.objects.filter(
            fiscal_year_q(account=account, year=year), account=account
        ).only("year", "month", "cv_count", "visits")
    }


def plan_for(*, account, year):
    """The year's review state; an unsaved draft when nobody has acted on it yet."""
    plan = GoalYearPlan.objects.filter(account=account, year=year).first()
    return plan or GoalYearPlan(account=account, year=year, status=PlanStatus.DRAFT)


def plan_events(*, plan):
    if plan.pk is None:
        return []
    return list(plan.events.select_related("actor"))


def goal_changes(*, account, year, limit=HISTORY_LIMIT):
    """The latest changes to the fiscal year's targets, newest first."""
    return list(
        ChangeRecord.objects.filter(account=account, kind=ChangeKind.GOAL, year=year)
        .select_related("user")
        .order_by("-created_at", "-id")[:limit]
    )


def worksheet_changes(*, account, worksheet, limit=HISTORY_LIMIT):
    return list(
        ChangeRecord.objects.filter(account=account, worksheet=worksheet)
        .select_related("user")
        .order_by("-created_at", "-id")[:limit]
    )


def account_changes(*, account, limit=HISTORY_LIMIT):
    """Changes to the account's members and settings, newest first."""
    return list(
        ChangeRecord.objects.filter(account=account, kind=ChangeKind.ACCOUNT)
        .select_related("user")
        .order_by("-created_at", "-id")[:limit]
    )


def worksheet_list(*, account):
    # The channels in display order only: ordering them by their worksheet's
    # own ordering would make PostgreSQL scan every account's worksheets.
    return Worksheet.objects.filter(account=account).prefetch_related(
        Prefetch("channels", queryset=WorksheetChannel.objects.order_by("position"))
    )


@cache
def _worksheet_select():
    worksheet, channel = Worksheet, WorksheetChannel
    worksheet_fields, worksheet_names = sql.concrete(worksheet)
    channel_fields, channel_names = sql.concrete(channel)
    statement = sql.Select(
        f"SELECT {sql.columns(worksheet, 'w')}, {sql.columns(channel, 'c')} "  # noqa: S608 - names from the models, values as parameters
        f"FROM {sql.quoted(worksheet)} w LEFT JOIN {sql.quoted(channel)} c "
        f"ON c.{sql.quoted(channel, 'worksheet')} = w.{sql.quoted(worksheet, 'id')} "
        f"WHERE w.{sql.quoted(worksheet, 'id')} = %s "
        f"AND w.{sql.quoted(worksheet, 'account')} = %s "
        f"ORDER BY c.{sql.quoted(channel, 'position')}",
        worksheet_fields + channel_fields,
    )
    return statement, worksheet_names, channel_names


def worksheet_get(*, account, pk):
    """The account's worksheet with its channels in order (its
    ordered_channels()), in one statement where prefetch_related("channels")
    takes two; Worksheet.DoesNotExist when the account has no such one."""
    statement, worksheet_names, channel_names = _worksheet_select()
    rows = statement.rows([pk, account.pk])
    if not rows:
        raise Worksheet.DoesNotExist
    split = len(worksheet_names)
    worksheet = Worksheet.from_db("default", worksheet_names, rows[0][:split])
    worksheet.account = account
    channels = []
    for row in rows:
        if row[split] is None:  # a worksheet without channels
            continue
        channel = WorksheetChannel.from_db("default", channel_names, row[split:])
        channel.worksheet = worksheet
        channels.append(channel)
    worksheet.loaded_channels = channels
    return worksheet
