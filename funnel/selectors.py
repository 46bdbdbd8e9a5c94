"""Reads. Every one that returns an account's data takes the account."""

from heapq import merge
from itertools import islice

from django.db.models import BooleanField, ExpressionWrapper, Prefetch, Q

from funnel.domain.channels import PlanChannel, channel_plan
from funnel.domain.grid import fiscal_months, month_figures
from funnel.domain.worksheet import last_year_profile
from funnel.models import (
    ChangeKind,
    ChangeRecord,
    Channel,
    ChannelActual,
    ChannelGoal,
    GA4ChannelMapping,
    GoalYearPlan,
    Invitation,
    Membership,
    MonthlyActual,
    MonthlyGoal,
    PlanAction,
    PlanEvent,
    PlanStatus,
    Worksheet,
    WorksheetChannel,
)

HISTORY_LIMIT = 100


def membership_for(*, user, account_id=None):
    """The user's membership in an active account: the one chosen in the session
    if it is still valid, else the first. None when there is none."""
    chosen_first = ExpressionWrapper(
        Q(account_id=account_id), output_field=BooleanField()
    ).desc()
    return (
        Membership.objects.filter(user=user, account__is_active=True)
        .select_related("account")
        .order_by(chosen_first, "account__name", "account_id")
        .first()
    )


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


def invitation_list(*, account):
    """The account's invitations still waiting for an answer, oldest first."""
    return list(
        Invitation.objects.filter(account=account)
        .select_related("invited_by")
        .order_by("created_at", "id")
    )


def invitations_for(*, user):
    """The invitations waiting for this user's answer, from accounts that are
    in use: matched by name (see Invitation), and only ever the user's own."""
    return (
        Invitation.objects.filter(
            username__iexact=user.get_username(), account__is_active=True
        )
        .select_related("account", "invited_by")
        .order_by("created_at", "id")
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


def goal_values(*, account, year):
    """The fiscal year's goals as {month: (cv_count, cv_rate)}, in one query."""
    return {
        month: (cv_count, cv_rate)
        for month, cv_count, cv_rate in MonthlyGoal.objects.filter(
            fiscal_year_q(account=account, year=year), account=account
        ).values_list("month", "cv_count", "cv_rate")
    }


def goal_year(*, account, year):
    """The fiscal year's goals (goal_values()) and its review plan (an unsaved
    draft when nobody has acted on the year yet)."""
    return goal_values(account=account, year=year), plan_for(account=account, year=year)


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


def _with_latest(plans, action):
    """The plans, each with ``latest``: its newest event of ``action`` (who
    and when, or why), or None. Two queries whatever the number of plans."""
    plans = list(
        plans.prefetch_related(
            Prefetch(
                "events",
                queryset=PlanEvent.objects.filter(action=action)
                .select_related("actor")
                .order_by("-created_at", "-id"),
                to_attr="latest_events",
            )
        )
    )
    for plan in plans:
        plan.latest = plan.latest_events[0] if plan.latest_events else None
    return plans


def plans_to_review(*, account):
    """The account's years waiting for the manager (提出済み), oldest year
    first, each with its latest 提出 (``plan.latest``)."""
    return _with_latest(
        GoalYearPlan.objects.filter(
            account=account, status=PlanStatus.SUBMITTED
        ).order_by("year"),
        PlanAction.SUBMIT,
    )


def plans_to_review_count(*, account):
    return GoalYearPlan.objects.filter(
        account=account, status=PlanStatus.SUBMITTED
    ).count()


def plans_returned(*, account):
    """The account's years the manager sent back (差し戻し), oldest year
    first, each with its latest 差し戻し and its comment (``plan.latest``)."""
    return _with_latest(
        GoalYearPlan.objects.filter(
            account=account, status=PlanStatus.RETURNED
        ).order_by("year"),
        PlanAction.RETURN,
    )


def return_reason(*, plan):
    """Why a returned year was sent back: its latest 差し戻し, or None (and no
    query) when the year is not returned."""
    if plan.pk is None or plan.status != PlanStatus.RETURNED:
        return None
    return (
        plan.events.filter(action=PlanAction.RETURN)
        .select_related("actor")
        .order_by("-created_at", "-id")
        .first()
    )


def goal_history(*, account, year, limit=HISTORY_LIMIT):
    """The fiscal year's latest changes to its targets and its review events
    (提出, 承認, 差し戻し, …), newest first, in one list: a PlanEvent has an
    ``action``, a ChangeRecord has none."""
    events = (
        PlanEvent.objects.filter(plan__account=account, plan__year=year)
        .select_related("actor")
        .order_by("-created_at", "-id")[:limit]
    )
    newest_first = merge(
        goal_changes(account=account, year=year, limit=limit),
        events,
        key=lambda entry: entry.created_at,
        reverse=True,
    )
    return list(islice(newest_first, limit))


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


def worksheet_get(*, account, pk):
    """The account's worksheet with its channels in order (prefetched);
    Worksheet.DoesNotExist when the account has no such one."""
    return Worksheet.objects.prefetch_related(
        Prefetch("channels", queryset=WorksheetChannel.objects.order_by("position"))
    ).get(pk=pk, account=account)


# --- channels (チャネル別) ---------------------------------------------------


def channel_list(*, account, archived=False):
    """The account's channels in their order; archived ones too when asked."""
    channels = Channel.objects.filter(account=account)
    if not archived:
        channels = channels.filter(archived=False)
    return list(channels.only("account_id", "name", "online", "position", "archived"))


def _channel_values(model, fields, *, account, year):
    return {
        (channel_id, month): values
        for channel_id, month, *values in model.objects.filter(
            fiscal_year_q(account=account, year=year), account=account
        ).values_list("channel_id", "month", *fields)
    }


def channel_goal_values(*, account, year):
    """The fiscal year's channel targets as {(channel id, month): (CV数, CV率)},
    in one query whatever the number of channels."""
    return {
        key: tuple(values)
        for key, values in _channel_values(
            ChannelGoal, ("cv_count", "cv_rate"), account=account, year=year
        ).items()
    }


def channel_actual_values(*, account, year):
    """The fiscal year's channel actuals as {(channel id, month): (CV数, 訪問数)}."""
    return {
        key: tuple(values)
        for key, values in _channel_values(
            ChannelActual, ("cv_count", "visits"), account=account, year=year
        ).items()
    }


def ga4_mappings(*, account):
    """{GA4 group: channel id or None (未分類)} as the account answered them."""
    return dict(
        GA4ChannelMapping.objects.filter(account=account).values_list(
            "group", "channel_id"
        )
    )


def channel_year(*, account, year):
    """The fiscal year's plan per channel: (channels, ChannelPlan, values).
    ``channels`` are the account's channels in order: those not archived, and
    archived ones only where they hold a value this year (their figures still
    count). ``values`` is channel_goal_values(). Two queries."""
    values = channel_goal_values(account=account, year=year)
    channels = _channels_in_use(account, values)
    return channels, _plan_of(account, year, channels, values), values


def _channels_in_use(account, *cells):
    """The account's channels in order: those not archived, and archived ones
    only where one of ``cells`` ({(channel id, month): …}) holds a value."""
    used = {channel_id for values in cells for channel_id, _month in values}
    return [
        channel
        for channel in channel_list(account=account, archived=True)
        if not channel.archived or channel.pk in used
    ]


def _plan_of(account, year, channels, goals):
    """The ChannelPlan of ``channels`` over the fiscal year's months."""
    months = [
        month
        for _cal_year, month in fiscal_months(year, account.fiscal_year_start_month)
    ]
    return channel_plan(
        [PlanChannel(c.pk, c.name, c.online) for c in channels], months, goals
    )


def channel_actual_year(*, account, year):
    """The fiscal year's actuals per channel beside its plan: (channels,
    ChannelPlan, actuals). ``channels`` are the account's channels in order:
    those not archived, and archived ones only where they hold a target or an
    actual this year. ``actuals`` is channel_actual_values(). Three queries,
    whatever the number of channels."""
    goals = channel_goal_values(account=account, year=year)
    actuals = channel_actual_values(account=account, year=year)
    channels = _channels_in_use(account, goals, actuals)
    return channels, _plan_of(account, year, channels, goals), actuals


def year_targets(*, account, year, plan=None):
    """The fiscal year's targets as the grid shows them, and its plan per
    channel: ({month: MonthFigures} for its twelve months in fiscal order,
    ChannelPlan or None). A year planned per channel (``plan.channel_mode``)
    reads its channels' sums (the Web channels' CV数, their visits each
    rounded up first, the derived CV率); the MonthlyGoal rows it may still
    hold from before the switch are ignored. A year planned as totals has no
    ChannelPlan here. ``plan`` saves its query when the caller has it. Two or
    three queries, whatever the number of channels."""
    if plan is None:
        plan = plan_for(account=account, year=year)
    if plan.channel_mode:
        _channels, by_channel, _values = channel_year(account=account, year=year)
        return {m.month: m.as_grid_month() for m in by_channel.months}, by_channel
    values = goal_values(account=account, year=year)
    return {
        month: month_figures(month, *values.get(month, (None, None)))
        for _cal_year, month in fiscal_months(year, account.fiscal_year_start_month)
    }, None


def goal_month_figures(*, account, year, plan=None):
    """year_targets()'s {month: MonthFigures}: what every reader of a year's
    targets beside the grid (actuals, overview, exports, the apply preview,
    last year's figures) reads, so a year planned per channel shows its sums."""
    return year_targets(account=account, year=year, plan=plan)[0]


def last_year_profiles(*, account, year):
    """前年の実績比 for 目標設定に反映 into ``year``: (the totals' SpreadProfile,
    {channel id: SpreadProfile}), each from the year before's actual CV数 per
    month, in ``year``'s fiscal order, a month without an actual weighing by
    that year's target (the grid's as it showed it; a channel's own). Only
    the channels with an actual or a target that year are in the mapping.
    Five or six queries, whatever the number of channels."""
    months = _fiscal_month_numbers(account, year)
    actuals = actuals_by_month(account=account, year=year - 1)
    targets = goal_month_figures(account=account, year=year - 1)
    totals = last_year_profile(
        [a.cv_count if (a := actuals.get(month)) else None for month in months],
        [t.cv_count if (t := targets.get(month)) else None for month in months],
    )
    return totals, last_year_channel_profiles(account=account, year=year)


def last_year_channel_profiles(*, account, year):
    """前年の実績比 of each channel for ``year``: {channel id: SpreadProfile}
    from the year before's actual CV数 (or リード数) per month, in ``year``'s
    fiscal order, a month without an actual weighing by the channel's target
    of that year. Only the channels with an actual or a target that year are
    in the mapping. Two queries, whatever the number of channels."""
    months = _fiscal_month_numbers(account, year)
    actuals = channel_actual_values(account=account, year=year - 1)
    targets = channel_goal_values(account=account, year=year - 1)
    channel_ids = {channel_id for channel_id, _month in (*actuals, *targets)}
    return {
        channel_id: last_year_profile(
            [actuals.get((channel_id, m), (None,))[0] for m in months],
            [targets.get((channel_id, m), (None,))[0] for m in months],
        )
        for channel_id in channel_ids
    }


def _fiscal_month_numbers(account, year):
    return [
        month
        for _cal_year, month in fiscal_months(year, account.fiscal_year_start_month)
    ]
