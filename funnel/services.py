"""Writes: atomic, keyword-only, told who is acting, and recorded in the history."""

from collections.abc import Mapping
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from funnel import notices
from funnel.domain.grid import fiscal_months
from funnel.formatting import month_label, plain_decimal
from funnel.models import (
    ChangeKind,
    ChangeRecord,
    ChangeSource,
    GoalYearPlan,
    MonthlyActual,
    MonthlyGoal,
    PlanAction,
    PlanEvent,
    PlanStatus,
    Role,
    Worksheet,
    WorksheetChannel,
)
from funnel.selectors import fiscal_year_q


class ServiceError(Exception):
    """A write refused for a business reason; ``message`` is shown to the user."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class SaveConflict(ServiceError):
    """Someone saved after this user loaded the page: nothing is written until
    the user chooses to overwrite or reload. ``changes`` say what changed
    (label, the value loaded, the value stored now), by whom and when;
    ``by_self`` when every change was the user's own, from another tab."""

    def __init__(self, changes, *, by_self):
        super().__init__(
            _(
                "この内容は、あなたが画面を開いた後に別のタブで保存されています。あなたの入力はそのまま残っています。内容を確認して、上書きするか最新の値を読み込んでください。"
            )
            if by_self
            else _(
                "この内容は、あなたが画面を開いた後にほかのユーザーが保存しました。あなたの入力はそのまま残っています。内容を確認して、上書きするか最新の値を読み込んでください。"
            )
        )
        self.changes = changes
        self.by_self = by_self


def stale_value(label, loaded, stored, *, by=None, at=None):
    """One value that is no longer what the user loaded, for SaveConflict
    (None when it still is). ``by`` is the id of the user who stored it."""
    if loaded == stored:
        return None
    return {
        "label": str(label),
        "loaded": _text(loaded),
        "stored": _text(stored),
        "user": by,
        "at": at,
    }


def refuse_stale(changes, *, user):
    """Raise SaveConflict if any of ``changes`` (stale_value's, Nones
    skipped) is there; the users who stored them are read only then."""
    changes = [change for change in changes if change is not None]
    if not changes:
        return
    by_self = all(change["user"] == user.pk for change in changes)
    users = get_user_model().objects.in_bulk(
        {change["user"] for change in changes if change["user"] is not None}
    )
    for change in changes:
        change["user"] = users.get(change["user"])
    raise SaveConflict(changes, by_self=by_self)


class YearLocked(ServiceError):
    """The year is submitted or approved: what the manager reviews is what was
    submitted, so nothing changes it until it is sent back or withdrawn."""

    def __init__(self, plan):
        super().__init__(locked_message(plan))


def locked_message(plan):
    """Why a submitted or approved year cannot be changed, and what reopens it."""
    if plan.status == PlanStatus.SUBMITTED:
        return _(
            "この年の目標は提出済みのため編集できません。マネージャーが差し戻すか、提出者が取り下げると編集できます。"
        )
    return _(
        "この年の目標は承認済みのため編集できません。管理者が差し戻すと編集できます。"
    )


class ChannelModeOn(YearLocked):
    """The year is planned per channel (チャネル別に入力): the grid's totals
    are its channels' sums, so a save of totals (a page loaded before the
    switch) is refused and stores nothing."""

    def __init__(self):
        ServiceError.__init__(
            self,
            _(
                "この年はチャネル別に入力されているため、目標設定の画面からは保存できません。チャネル別の画面で入力してください。入力した値は保存していません。"
            ),
        )


def _text(value):
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return plain_decimal(value)
    if isinstance(value, bool):
        return "○" if value else "×"
    return str(value)


def _locked_plan(*, account, year):
    """The year's plan row, locked for this transaction (a row lock where the
    database has them; SQLite's writer holds the whole database); created as
    a draft when nobody has acted on the year yet."""
    plan, _created = GoalYearPlan.objects.select_for_update().get_or_create(
        account=account, year=year
    )
    return plan


def _stored_months(model, *, account, year):
    """The fiscal year's stored rows as {month: row}, in one query."""
    return {
        row.month: row
        for row in model.objects.filter(
            fiscal_year_q(account=account, year=year), account=account
        )
    }


GOAL_FIELDS = (("cv_count", _("CV数")), ("cv_rate", _("CV率")))
ACTUAL_FIELDS = (("cv_count", _("実績CV数")), ("visits", _("実績訪問数")))


@transaction.atomic
def goal_year_save(
    *,
    account,
    year: int,
    months: Mapping[int, tuple[int | None, Decimal | None]],
    user,
    expected: Mapping[int, tuple[int | None, Decimal | None]] | None = None,
    source: ChangeSource = ChangeSource.INPUT,
    refuse_channel_mode: bool = False,
) -> int:
    """Store a fiscal year's targets at once: every month or none.

    ``months`` maps the calendar month (1-12) to (CV数, CV率). A month left
    empty has no row. Every changed value is recorded with who and when.
    Refused with YearLocked when the year is approved, and with SaveConflict
    when ``expected`` (the values the user loaded) no longer matches what is
    stored. Returns the number of values that changed. ``source`` says in
    the history how the values came (入力, 上書き, ワークシート反映).
    """
    plan = _locked_plan(account=account, year=year)
    if plan.is_locked:
        raise YearLocked(plan)
    if refuse_channel_mode and plan.channel_mode:
        # The grid's totals are not what a year planned per channel shows.
        raise ChannelModeOn()
    # Read after the lock, in a query of its own: under READ COMMITTED a
    # statement sees what was committed when it began, so months read with
    # the lock itself would miss a save that held it first
    # (tests/reliability/test_concurrency.py races two).
    existing = _stored_months(MonthlyGoal, account=account, year=year)
    if expected is not None:
        refuse_stale(_month_conflicts(GOAL_FIELDS, existing, expected), user=user)
    return _write_months(
        MonthlyGoal,
        ChangeKind.GOAL,
        GOAL_FIELDS,
        existing,
        account=account,
        year=year,
        months=months,
        user=user,
        source=source,
    )


def _write_months(
    model, kind, fields, existing, *, account, year, months, user, source
):
    """Write the fiscal year's month rows of the account's totals (targets or
    actuals) inside the caller's transaction: {month: values}, as
    _write_cells. Returns the values changed."""
    return _write_cells(
        model,
        kind,
        fields,
        {(None, month): row for month, row in existing.items()},
        account=account,
        year=year,
        channels=None,
        cells={(None, month): values for month, values in months.items()},
        user=user,
        source=source,
    )


def _write_cells(
    model, kind, fields, existing, *, account, year, channels, cells, user, source
):
    """Write the fiscal year's cells inside the caller's transaction:
    {(channel id, month): values}, the channel None where ``channels`` is
    None (the account's totals, not a channel's). An all-empty cell loses its
    row, unchanged cells are left alone, and every changed value is recorded
    (with the channel's name). One upsert, one delete, one insert of the
    history, whatever the number of months and channels. Returns the values
    changed."""
    names = [name for name, _label in fields]
    calendar_year = {
        month: cal_year
        for cal_year, month in fiscal_months(year, account.fiscal_year_start_month)
    }
    now = timezone.now()
    rows, emptied, history = [], [], []
    for (channel_id, month), cell in sorted(cells.items()):
        channel = None if channels is None else channels[channel_id]
        cell = tuple(cell)
        old = existing.get((channel_id, month))
        before = tuple(getattr(old, name) if old else None for name in names)
        if cell == before:
            continue
        history += [
            ChangeRecord(
                account=account,
                kind=kind,
                year=year,
                month=month,
                subject=channel.name if channel else "",
                field=str(label),
                old_value=_text(was),
                new_value=_text(value),
                user=user,
                source=source,
                created_at=now,
            )
            for (_name, label), was, value in zip(fields, before, cell, strict=True)
            if was != value
        ]
        if all(value is None for value in cell):
            if old is not None:
                emptied.append(old.pk)
            continue
        row = model(
            account=account,
            year=calendar_year[month],
            month=month,
            updated_by=user,
            updated_at=now,
            **({} if channel is None else {"channel": channel}),
            **dict(zip(names, cell, strict=True)),
        )
        row.full_clean(
            exclude=["account", "channel", "updated_by"],
            validate_unique=False,
            validate_constraints=False,
        )
        rows.append(row)
    if emptied:
        model.objects.filter(pk__in=emptied).delete()
    if rows:
        model.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["account", "year", "month"]
            + ([] if channels is None else ["channel"]),
            update_fields=[*names, "updated_by", "updated_at"],
        )
    ChangeRecord.objects.bulk_create(history)
    return len(history)


def _month_conflicts(fields, existing, expected):
    """The month cells whose stored value is no longer the one loaded."""
    for month, loaded_values in sorted(expected.items()):
        row = existing.get(month)
        for (name, label), loaded in zip(fields, loaded_values, strict=True):
            yield stale_value(
                format_lazy("{month} {label}", month=month_label(month), label=label),
                loaded,
                getattr(row, name) if row else None,
                by=row.updated_by_id if row else None,
                at=row.updated_at if row else None,
            )


@transaction.atomic
def actual_year_save(
    *,
    account,
    year: int,
    months: Mapping[int, tuple[int | None, int | None]],
    user,
    replace_missing: bool,
    expected: Mapping[int, tuple[int | None, int | None]] | None = None,
    source: ChangeSource = ChangeSource.INPUT,
) -> int:
    """Store a fiscal year's actuals (実績): {month: (CV数, 訪問数)}, all or none,
    every changed value recorded. With ``replace_missing`` (the actuals page)
    months not given are cleared; an import leaves them alone. Saving the same
    values again changes nothing. Refused with SaveConflict when ``expected``
    (the values the user loaded; None for 上書き保存 and for the CSV import,
    which has its own preview) no longer matches what is stored. Returns the
    values changed."""
    if replace_missing:
        months = {m: months.get(m, (None, None)) for m in range(1, 13)}
    # Saves of an account's actuals wait for each other on the account's row,
    # and read the months only then, in a query of their own (goal_year_save
    # says why). NO KEY UPDATE: rows that refer to the account are still
    # written meanwhile. Not the year's plan row, as for the targets: a first
    # save would create it, and the actuals are no part of the review.
    Account.objects.select_for_update(no_key=True).filter(pk=account.pk).values_list(
        "pk"
    ).get()
    existing = _stored_months(MonthlyActual, account=account, year=year)
    if expected is not None:
        refuse_stale(_month_conflicts(ACTUAL_FIELDS, existing, expected), user=user)
    return _write_months(
        MonthlyActual,
        ChangeKind.ACTUAL,
        ACTUAL_FIELDS,
        existing,
        account=account,
        year=year,
        months=months,
        user=user,
        source=source,
    )


# --- the manager's review ---------------------------------------------------

# action -> (roles allowed, statuses it may start from, status it leads to)
PLAN_TRANSITIONS = {
    PlanAction.SUBMIT: (
        {Role.MARKETER, Role.ADMIN},
        {PlanStatus.DRAFT, PlanStatus.RETURNED},
        PlanStatus.SUBMITTED,
    ),
    PlanAction.APPROVE: ({Role.MANAGER}, {PlanStatus.SUBMITTED}, PlanStatus.APPROVED),
    PlanAction.RETURN: ({Role.MANAGER}, {PlanStatus.SUBMITTED}, PlanStatus.RETURNED),
    PlanAction.REOPEN: ({Role.ADMIN}, {PlanStatus.APPROVED}, PlanStatus.DRAFT),
    # The one who submits takes it back to change it before the review.
    PlanAction.WITHDRAW: (
        {Role.MARKETER, Role.ADMIN},
        {PlanStatus.SUBMITTED},
        PlanStatus.DRAFT,
    ),
}


def plan_actions_for(*, membership, plan):
    """The review actions this member may take on the plan now."""
    return [
        action
        for action, (roles, sources, _target) in PLAN_TRANSITIONS.items()
        if membership.role in roles and plan.status in sources
    ]


@transaction.atomic
def plan_transition(*, account, year, action, membership, comment=""):
    """Move a year's plan through 提出 → 承認 / 差し戻し (and an admin's reopen),
    recording who, when and the comment."""
    roles, sources, target = PLAN_TRANSITIONS[action]
    if membership.role not in roles:
        raise ServiceError(_("この操作を行う権限がありません。"))
    plan = _locked_plan(account=account, year=year)
    if plan.status not in sources:
        raise ServiceError(
            _("現在の状態（%(status)s）ではこの操作はできません。")
            % {"status": plan.get_status_display()}
        )
    if action == PlanAction.RETURN and not comment.strip():
        raise ServiceError(_("差し戻しの理由をコメントに入力してください。"))
    plan.status = target
    plan.save(update_fields=["status", "updated_at"])
    PlanEvent.objects.create(
        plan=plan, action=action, actor=membership.user, comment=comment.strip()
    )
    return plan


# --- worksheets -------------------------------------------------------------

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
CHANNEL_FIELDS = ("name", "online", "meetings", "meeting_rate")


def _channel_summary(channels):
    """Channels as one comparable line per channel, for the history."""
    return [
        " / ".join(_text(channel[field]) for field in CHANNEL_FIELDS)
        for channel in channels
    ]


WORKSHEET_CHANNELS = "channels"  # worksheet_snapshot's key for the channels


class WorksheetGone(ServiceError):
    """The worksheet was deleted after the page was loaded: nothing is saved."""

    def __init__(self):
        super().__init__(
            _(
                "このワークシートは、あなたが画面を開いた後に削除されたため、保存しませんでした。入力内容はそのまま残っています。"
            )
        )


def worksheet_snapshot(worksheet, channels=None):
    """A stored worksheet as comparable text: each field, and its channels
    (``channels``, else its prefetched ones) as one line. The edit page carries
    it from the load (its base_* inputs), and worksheet_save(expected=...)
    compares it with what is stored when the save is made."""
    if channels is None:
        channels = worksheet.ordered_channels()
    snapshot = {name: _text(getattr(worksheet, name)) for name in WORKSHEET_FIELDS}
    snapshot[WORKSHEET_CHANNELS] = "; ".join(
        _channel_summary(
            {field: getattr(channel, field) for field in CHANNEL_FIELDS}
            for channel in channels
        )
    )
    return snapshot


def _worksheet_conflicts(worksheet, channels, expected):
    """The worksheet's values (the channels as one, 獲得チャネル) whose stored
    text is no longer the one loaded, as stale_value's, by its last saver."""
    stored = worksheet_snapshot(worksheet, channels)
    labels = {
        name: Worksheet._meta.get_field(name).verbose_name for name in WORKSHEET_FIELDS
    }
    labels[WORKSHEET_CHANNELS] = _("獲得チャネル")
    bases = dict(Worksheet._meta.get_field("basis").choices)
    for name, label in labels.items():
        loaded = expected.get(name)
        if loaded == stored[name]:
            continue
        # The basis as the screen names it (月次), not as it is stored (monthly).
        shown = bases if name == "basis" else {}
        yield stale_value(
            label,
            shown.get(loaded, loaded),
            shown.get(stored[name], stored[name]),
            by=worksheet.updated_by_id,
            at=worksheet.updated_at,
        )


def _worksheet_record(worksheet, field, before, after, user):
    return ChangeRecord(
        account=worksheet.account,
        kind=ChangeKind.WORKSHEET,
        worksheet=worksheet,
        subject=worksheet.name,
        field=field,
        old_value=_text(before)[:200],
        new_value=_text(after)[:200],
        user=user,
    )


@transaction.atomic
def worksheet_save(*, account, worksheet=None, fields, channels, user, expected=None):
    """Create or update a worksheet and replace its channels, all at once,
    recording every changed value.

    An update is refused with SaveConflict when ``expected`` (the
    worksheet_snapshot the user's page was loaded with; None for 上書き保存)
    no longer matches what is stored, and with WorksheetGone when the
    worksheet was deleted meanwhile."""
    creating = worksheet is None
    if creating:
        worksheet = Worksheet(account=account)
        old_fields, old_channels = {}, []
    else:
        # The worksheet row is the lock that orders saves (and a delete) of
        # the same worksheet. Its channels are read after it, in a query of
        # their own (goal_year_save says why).
        worksheet = (
            Worksheet.objects.select_for_update()
            .filter(pk=worksheet.pk, account=account)
            .first()
        )
        if worksheet is None:
            raise WorksheetGone
        stored_channels = list(
            WorksheetChannel.objects.filter(worksheet=worksheet).order_by("position")
        )
        if expected is not None:
            refuse_stale(
                _worksheet_conflicts(worksheet, stored_channels, expected), user=user
            )
        old_fields = {name: getattr(worksheet, name) for name in WORKSHEET_FIELDS}
        old_channels = [
            {field: getattr(channel, field) for field in CHANNEL_FIELDS}
            for channel in stored_channels
        ]
    for name in WORKSHEET_FIELDS:
        setattr(worksheet, name, fields[name])
    worksheet.updated_by = user
    worksheet.full_clean(exclude=["account", "updated_by"], validate_constraints=False)
    worksheet.save()
    WorksheetChannel.objects.filter(worksheet=worksheet).delete()
    new_channels = [
        {
            "name": channel["name"],
            "online": bool(channel.get("online")),
            "meetings": channel.get("meetings"),
            "meeting_rate": channel.get("meeting_rate"),
        }
        for channel in channels
    ]
    links = _worksheet_channel_links(account, channels)
    WorksheetChannel.objects.bulk_create(
        WorksheetChannel(
            worksheet=worksheet, position=position, channel=link, **channel
        )
        for position, (channel, link) in enumerate(
            zip(new_channels, links, strict=True), start=1
        )
    )
    labels = {
        name: str(Worksheet._meta.get_field(name).verbose_name)
        for name in WORKSHEET_FIELDS
    }
    if creating:
        records = [
            _worksheet_record(worksheet, str(_("作成")), None, worksheet.name, user)
        ]
    else:
        records = [
            _worksheet_record(
                worksheet, labels[name], old_fields[name], fields[name], user
            )
            for name in WORKSHEET_FIELDS
            if old_fields[name] != fields[name]
        ]
    before, after = _channel_summary(old_channels), _channel_summary(new_channels)
    if not creating and before != after:
        records.append(
            _worksheet_record(
                worksheet,
                str(_("獲得チャネル")),
                "; ".join(before),
                "; ".join(after),
                user,
            )
        )
    ChangeRecord.objects.bulk_create(records)
    return worksheet


def _worksheet_channel_links(account, channels):
    """The account's channel each row plans: the one it picked, else (a row
    typed before the channel list, or in an account without one) the
    account's channel of its name, compared as names are; None for a name
    that is none of them. One query, only when a row has no pick."""
    picked = [channel.get("channel") for channel in channels]
    for link in picked:
        if link is not None and link.account_id != account.pk:
            raise ServiceError(notices.INCOMPLETE_FORM)
    if all(link is not None for link in picked):
        return picked
    by_name = {
        channel_name_key(channel.name): channel
        for channel in Channel.objects.filter(account=account)
    }
    return [
        link or by_name.get(channel_name_key(row["name"]))
        for row, link in zip(channels, picked, strict=True)
    ]


@transaction.atomic
def worksheet_duplicate(*, worksheet, name, user):
    """A copy to try another scenario; the original stays as it was."""
    channels = list(worksheet.ordered_channels())
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
            channel_id=channel.channel_id,
            meetings=channel.meetings,
            meeting_rate=channel.meeting_rate,
        )
        for channel in channels
    )
    _worksheet_record(copy, str(_("複製")), worksheet.name, name, user).save()
    return copy


@transaction.atomic
def worksheet_delete(*, worksheet, user):
    record = _worksheet_record(worksheet, str(_("削除")), worksheet.name, None, user)
    # Behind a save of the same worksheet that holds the row (worksheet_save):
    # the channels it writes are then there to be deleted with it.
    list(Worksheet.objects.select_for_update().filter(pk=worksheet.pk).values("pk"))
    worksheet.delete()
    record.worksheet = None
    record.save()


@transaction.atomic
def worksheet_apply(*, account, year, plan, user, channels=None):
    """Write a worksheet's 12-month plan (from ``domain.worksheet.monthly_plan``,
    in fiscal order) into the grid's fiscal year, replacing what was there;
    with ``channels`` (worksheet_channel_plan's values) also the year's plan
    per channel, which makes the year チャネル別に入力: both or neither."""
    months = {
        month: values
        for (_cal_year, month), values in zip(
            fiscal_months(year, account.fiscal_year_start_month), plan, strict=True
        )
    }
    goal_year_save(
        account=account,
        year=year,
        months=months,
        user=user,
        source=ChangeSource.WORKSHEET,
    )
    if channels:
        _worksheet_channels_write(
            account=account, year=year, values=channels, user=user
        )


# --- account administration ---
# Appended as its own section, with its imports, so it can be read (and
# merged) on its own.

from django.core.exceptions import ValidationError  # noqa: E402
from django.db import IntegrityError  # noqa: E402
from django.db.models import Q  # noqa: E402

from funnel.formatting import year_label  # noqa: E402
from funnel.models import Account, Invitation, Membership  # noqa: E402


# Membership and settings changes have no ChangeRecord kind (the history is
# about goals and worksheets); who did what is logged here instead.
def _account_record(account, *, subject, field, before, after, user):
    """A change to the account itself (members, settings), in the history."""
    ChangeRecord.objects.create(
        account=account,
        kind=ChangeKind.ACCOUNT,
        subject=str(subject)[:100],
        field=str(field),
        old_value=_text(before)[:200],
        new_value=_text(after)[:200],
        user=user,
    )


class FieldRefused(ServiceError):
    """Refused because of one input; ``field`` names the form field the message
    belongs beside (None: the form as a whole)."""

    def __init__(self, message, *, field=None):
        super().__init__(message)
        self.field = field


def _full_clean(instance, **kwargs):
    """``full_clean`` whose first message becomes a FieldRefused."""
    try:
        instance.full_clean(**kwargs)
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise FieldRefused(
            messages[0], field=None if field == "__all__" else field
        ) from None


def _already_member(username):
    return FieldRefused(
        _("「%(username)s」は既にこのアカウントのメンバーです。")
        % {"username": username},
        field="username",
    )


def _already_invited(username):
    return FieldRefused(
        _(
            "「%(username)s」は既に招待しています。役割を変える場合は、招待を取り消してから招待し直してください。"
        )
        % {"username": username},
        field="username",
    )


def _check_role(role):
    if role not in Role.values:
        raise FieldRefused(notices.ROLE_NOT_LISTED, field="role")


@transaction.atomic
def member_add(*, account, username: str, role: int, create: bool, acting_user):
    """Add someone to the account with a role.

    ``create`` with a name nobody uses: a new user, made without a usable
    password (they choose one through the set-password link the admin hands
    them), and their Membership is returned. Otherwise (an existing user's
    name, or a name taken already) an Invitation is returned: the answer is
    the same whether or not the name belongs to anyone, so this form cannot
    be used to find out who has signed up elsewhere. The members of this
    account, and its pending invitations, are its own: those are refused
    by name.
    """
    user_model = get_user_model()
    _check_role(role)
    username = user_model.normalize_username(username.strip())
    # Usernames are case-sensitive to Django; "Tanaka" beside "tanaka" would
    # only confuse the people signing in, so names compare without case here.
    if Membership.objects.filter(
        account=account, user__username__iexact=username
    ).exists():
        raise _already_member(username)
    if create and not user_model.objects.filter(username__iexact=username).exists():
        user = user_model(username=username)
        user.set_unusable_password()
        _full_clean(user, exclude=["password"], validate_unique=False)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            # Created by someone else between the check and the save: then
            # the name is taken, and is invited like any other taken name.
            pass
        else:
            membership = Membership(account=account, user=user, role=role)
            membership.save()
            _account_record(
                account,
                subject=user.get_username(),
                field=_("メンバー追加"),
                before=None,
                after=Role(role).label,
                user=acting_user,
            )
            return membership
    return member_invite(
        account=account, username=username, role=role, acting_user=acting_user
    )


@transaction.atomic
def member_invite(*, account, username: str, role: int, acting_user):
    """Invite the user named ``username`` (normalised already) to the account:
    nothing is read about whether that user exists. They become a member when
    they accept (invitation_accept)."""
    _check_role(role)
    if Invitation.objects.filter(account=account, username__iexact=username).exists():
        raise _already_invited(username)
    invitation = Invitation(
        account=account, username=username, role=role, invited_by=acting_user
    )
    _full_clean(
        invitation,
        exclude=["account", "invited_by"],
        validate_unique=False,
        validate_constraints=False,
    )
    try:
        with transaction.atomic():
            invitation.save()
    except IntegrityError:
        # The same name invited by another admin at the same moment.
        raise _already_invited(username) from None
    _account_record(
        account,
        subject=username,
        field=_("招待"),
        before=None,
        after=Role(role).label,
        user=acting_user,
    )
    return invitation


@transaction.atomic
def invitation_cancel(*, account, invitation, acting_user):
    """The admin takes back an invitation not yet answered."""
    deleted, _rows = Invitation.objects.filter(
        pk=invitation.pk, account=account
    ).delete()
    if not deleted:
        raise ServiceError(
            _("この招待はすでにありません（承諾・辞退・取り消し済み）。")
        )
    _account_record(
        account,
        subject=invitation.username,
        field=_("招待の取り消し"),
        before=Role(invitation.role).label,
        after=None,
        user=acting_user,
    )


def _own_invitation(*, invitation, user):
    """The invitation, locked, if it is still there and still the user's."""
    current = (
        Invitation.objects.select_for_update()
        .filter(
            pk=invitation.pk,
            username__iexact=user.get_username(),
            account__is_active=True,
        )
        .first()
    )
    if current is None:
        raise ServiceError(
            _("この招待はすでにありません（取り消されたか、回答済みです）。")
        )
    return current


@transaction.atomic
def invitation_accept(*, invitation, user):
    """The invited user joins the account with the role they were invited
    to; the invitation is used up. Recorded in the account's history as the
    user's own act. Returns the Membership."""
    current = _own_invitation(invitation=invitation, user=user)
    membership, created = Membership.objects.get_or_create(
        account_id=current.account_id, user=user, defaults={"role": current.role}
    )
    current.delete()
    if created:
        _account_record(
            current.account,
            subject=user.get_username(),
            field=_("メンバー追加（招待を承諾）"),
            before=None,
            after=Role(current.role).label,
            user=user,
        )
    return membership


@transaction.atomic
def invitation_decline(*, invitation, user):
    """The invited user says no: the invitation is gone and nothing is
    recorded, neither in the inviting account's history nor anywhere else the
    inviter or the user's own company could read it."""
    _own_invitation(invitation=invitation, user=user).delete()


def _lock_for_admin_check(*, account, membership):
    """Lock the account's admin memberships and the one being changed, in pk
    order (two admins acting at once wait for each other instead of each
    removing the other). Returns the membership as stored now and the number
    of admins."""
    rows = list(
        Membership.objects.select_for_update()
        .filter(Q(role=Role.ADMIN) | Q(pk=membership.pk), account=account)
        .order_by("pk")
    )
    current = next((row for row in rows if row.pk == membership.pk), None)
    if current is None:
        raise MemberGone(
            _(
                "「%(username)s」はすでにこのアカウントのメンバーではありません（ほかの管理者が外しました）。"
            )
            % {"username": membership.user.get_username()}
        )
    return current, sum(1 for row in rows if row.role == Role.ADMIN)


class MemberGone(ServiceError):
    """The membership was removed after the page was loaded."""


def _account_stale(account, label, loaded, stored, *, subject=None):
    """stale_value for a value of the account's own (a role, a setting): who
    stored it and when come from its latest ChangeRecord (None, None when it
    has none), read only when the value is stale."""
    if loaded == stored:
        return None
    records = ChangeRecord.objects.filter(
        account=account, kind=ChangeKind.ACCOUNT, field=str(label)
    )
    if subject is not None:
        records = records.filter(subject=str(subject)[:100])
    by, at = records.order_by("-created_at", "-id").values_list(
        "user_id", "created_at"
    ).first() or (None, None)
    return stale_value(label, loaded, stored, by=by, at=at)


def _role_text(role):
    """A role as the conflict shows it; a loaded value that is not a role
    (not one this app wrote) as it came, so it never equals a stored one."""
    return Role(role).label if role in Role.values else str(role)


@transaction.atomic
def member_role_change(
    *, account, membership, role: int, acting_user, expected: int | None = None
):
    """Give a member another role. The account's last admin keeps the role:
    without one, nobody could manage the members again. Refused with
    SaveConflict when ``expected`` (the role the admin loaded; None for
    上書き保存) is no longer the stored one, and with MemberGone when the
    member has been removed meanwhile."""
    _check_role(role)
    current, admins = _lock_for_admin_check(account=account, membership=membership)
    if expected is not None:
        username = membership.user.get_username()
        refuse_stale(
            [
                _account_stale(
                    account,
                    _("役割"),
                    _role_text(expected),
                    _role_text(current.role),
                    subject=username,
                )
            ],
            user=acting_user,
        )
    if current.role == role:
        return current
    if current.role == Role.ADMIN and admins <= 1:
        raise ServiceError(
            _(
                "このアカウントの最後の管理者の役割は変更できません。先に他のメンバーを管理者にしてください。"
            )
        )
    old_role = current.role
    current.role = role
    current.save(update_fields=["role"])
    _account_record(
        account,
        subject=membership.user.get_username(),
        field=_("役割"),
        before=Role(old_role).label,
        after=Role(role).label,
        user=acting_user,
    )
    return current


@transaction.atomic
def member_remove(*, account, membership, acting_user):
    """Take a member out of the account. The user remains (they may belong to
    other accounts); the account's last admin cannot be removed."""
    current, admins = _lock_for_admin_check(account=account, membership=membership)
    if current.role == Role.ADMIN and admins <= 1:
        raise ServiceError(
            _(
                "このアカウントの最後の管理者は削除できません。先に他のメンバーを管理者にしてください。"
            )
        )
    current.delete()
    _account_record(
        account,
        subject=membership.user.get_username(),
        field=_("メンバー削除"),
        before=Role(current.role).label,
        after=None,
        user=acting_user,
    )


def _start_month_text(month):
    return month_label(month) if month in range(1, 13) else str(month)


def _start_month_locked(account, plans):
    """Why the fiscal year cannot start in another month: the years that a
    manager has before them or has approved."""
    years = "、".join(
        _("%(year)s（%(status)s）")
        % {"year": year_label(account, plan.year), "status": plan.get_status_display()}
        for plan in plans
    )
    return FieldRefused(
        _(
            "%(years)sの目標が提出済みまたは承認済みのため、年度の開始月は変更できません。開始月を変えると各年度に入る月が変わり、提出・承認された内容と違ってしまいます。先にこれらの年を差し戻すか取り下げてから変更してください。"
        )
        % {"years": years},
        field="fiscal_year_start_month",
    )


@transaction.atomic
def account_settings_save(
    *,
    account,
    name: str,
    fiscal_year_start_month: int,
    acting_user,
    expected: Mapping[str, object] | None = None,
):
    """Rename the account and set the month its fiscal year starts, both or
    neither.

    Refused with SaveConflict when ``expected`` (the ``name`` and
    ``fiscal_year_start_month`` the admin loaded; None for 上書き保存) is no
    longer what is stored. A new start month is refused (FieldRefused on that
    field) while any year is submitted or approved: months are stored by
    calendar month and plans by fiscal year, so another start month would
    regroup the months under a review or an approval nobody gave them
    (docs/domain.md). Draft and returned years simply regroup.
    """
    locked = Account.objects.select_for_update().get(pk=account.pk)
    if expected is not None:
        refuse_stale(
            [
                _account_stale(
                    locked, _("アカウント名"), str(expected["name"]), locked.name
                ),
                _account_stale(
                    locked,
                    _("年度の開始月"),
                    _start_month_text(expected["fiscal_year_start_month"]),
                    _start_month_text(locked.fiscal_year_start_month),
                ),
            ],
            user=acting_user,
        )
    if fiscal_year_start_month != locked.fiscal_year_start_month:
        # Every plan row locked, whatever its status, so none is submitted
        # or approved while its months regroup (plan_transition locks the
        # row it moves). Only a year submitted before it ever had a row
        # inserts one this cannot hold back, within this short transaction.
        plans = [
            plan
            for plan in GoalYearPlan.objects.select_for_update()
            .filter(account=locked)
            .order_by("year")
            if plan.status in (PlanStatus.SUBMITTED, PlanStatus.APPROVED)
        ]
        if plans:
            raise _start_month_locked(locked, plans)
    before = {"name": locked.name, "start": locked.fiscal_year_start_month}
    locked.name = name
    locked.fiscal_year_start_month = fiscal_year_start_month
    _full_clean(locked)
    locked.save(update_fields=["name", "fiscal_year_start_month"])
    for field, old, new in (
        (_("アカウント名"), before["name"], name),
        (_("年度の開始月"), before["start"], fiscal_year_start_month),
    ):
        if old != new:
            _account_record(
                locked,
                subject=locked.name,
                field=field,
                before=old,
                after=new,
                user=acting_user,
            )
    return locked


# --- channels (チャネル別) ----------------------------------------------------
# Appended as its own section, with its imports, like the account's above.

from funnel.domain.channels import PlanChannel, channel_plan  # noqa: E402
from funnel.models import (  # noqa: E402
    DEFAULT_CHANNELS,
    Channel,
    ChannelActual,
    ChannelGoal,
)


def channel_defaults_create(*, account):
    """Give a new account the channels it starts with (広告, オーガニック,
    メルマガ: Web; 展示会: not). Does nothing to an account that has channels."""
    if Channel.objects.filter(account=account).exists():
        return
    Channel.objects.bulk_create(
        Channel(account=account, name=str(name), online=online, position=position)
        for position, (name, online) in enumerate(DEFAULT_CHANNELS, start=1)
    )


def plan_channels(channels):
    """The domain's view of Channel rows."""
    return [
        PlanChannel(channel.pk, channel.name, channel.online) for channel in channels
    ]


class ChannelModeNeeded(ServiceError):
    """The year is planned 合計で入力 and holds totals: saving its channel plan
    would put the channels' sums in their place on the grid, so the person
    confirms after seeing both (nothing is lost: the totals stay stored)."""

    def __init__(self):
        super().__init__(
            _(
                "この年度は合計で入力されています。チャネル別の計画を保存すると、目標設定の画面にはチャネルの合計が表示されます。両方を確認して「チャネル別に切り替えて保存」を押してください。"
            )
        )


CHANNEL_GOAL_FIELDS = GOAL_FIELDS
CHANNEL_ACTUAL_FIELDS = ACTUAL_FIELDS


def _channel_conflicts(fields, channels, existing, expected):
    """The channel cells whose stored value is no longer the one loaded."""
    for (channel_id, month), loaded_values in sorted(expected.items()):
        row = existing.get((channel_id, month))
        for (name, label), loaded in zip(fields, loaded_values, strict=True):
            yield stale_value(
                format_lazy(
                    "{channel} {month} {label}",
                    channel=channels[channel_id].name,
                    month=month_label(month),
                    label=label,
                ),
                loaded,
                getattr(row, name) if row else None,
                by=row.updated_by_id if row else None,
                at=row.updated_at if row else None,
            )


def _stored_channel_months(model, *, account, year):
    """The fiscal year's channel rows as {(channel id, month): row}, one query."""
    return {
        (row.channel_id, row.month): row
        for row in model.objects.filter(
            fiscal_year_q(account=account, year=year), account=account
        )
    }


def _account_channels(account, values):
    """{id: Channel} of the account's channels named in ``values``; an id of
    another account's channel (or none) is refused: the form never sends one."""
    ids = {channel_id for channel_id, _month in values}
    channels = Channel.objects.filter(account=account).in_bulk(ids)
    if len(channels) != len(ids):
        raise ServiceError(notices.INCOMPLETE_FORM)
    return channels


def _mode_record(account, year, *, channel_mode, user):
    labels = {False: _("合計で入力"), True: _("チャネル別に入力")}
    return ChangeRecord(
        account=account,
        kind=ChangeKind.GOAL,
        year=year,
        field=str(_("入力方法")),
        old_value=str(labels[not channel_mode]),
        new_value=str(labels[channel_mode]),
        user=user,
    )


@transaction.atomic
def channel_year_save(
    *,
    account,
    year: int,
    values: Mapping[tuple[int, int], tuple[int | None, Decimal | None]],
    user,
    expected: Mapping[tuple[int, int], tuple] | None = None,
    source: ChangeSource = ChangeSource.INPUT,
    switch: bool = False,
) -> int:
    """Store a fiscal year's plan per channel: {(channel id, month): (CV数 or
    リード数, CV率)}, every cell or none. A channel that is not Web keeps no
    CV率. A year planned 合計で入力 becomes チャネル別に入力: at once when it
    holds no totals, otherwise only with ``switch`` (ChannelModeNeeded until
    the person has seen both). Refused with YearLocked for a submitted or
    approved year and SaveConflict when ``expected`` is stale. Returns the
    values changed."""
    plan = _locked_plan(account=account, year=year)
    if plan.is_locked:
        raise YearLocked(plan)
    channels = _account_channels(account, values)
    values = {
        key: (cell[0], cell[1] if channels[key[0]].online else None)
        for key, cell in values.items()
    }
    existing = _stored_channel_months(ChannelGoal, account=account, year=year)
    if expected is not None:
        refuse_stale(
            _channel_conflicts(CHANNEL_GOAL_FIELDS, channels, existing, expected),
            user=user,
        )
    if not plan.channel_mode:
        has_totals = MonthlyGoal.objects.filter(
            fiscal_year_q(account=account, year=year), account=account
        ).exists()
        if has_totals and not switch:
            raise ChannelModeNeeded()
        plan.channel_mode = True
        plan.save(update_fields=["channel_mode", "updated_at"])
        _mode_record(account, year, channel_mode=True, user=user).save()
    return _write_cells(
        ChannelGoal,
        ChangeKind.GOAL,
        CHANNEL_GOAL_FIELDS,
        existing,
        account=account,
        year=year,
        channels=channels,
        cells=values,
        user=user,
        source=source,
    )


@transaction.atomic
def plan_mode_total(*, account, year: int, user) -> int:
    """Back to 合計で入力: the year's totals become the channels' last sums
    (recorded as チャネル別の合計), and the channel plan stays stored. Returns
    the values changed in the totals."""
    plan = _locked_plan(account=account, year=year)
    if plan.is_locked:
        raise YearLocked(plan)
    if not plan.channel_mode:
        return 0
    stored = _stored_channel_months(ChannelGoal, account=account, year=year)
    channels = Channel.objects.filter(account=account).in_bulk(
        {channel_id for channel_id, _month in stored}
    )
    months = [
        month
        for _cal_year, month in fiscal_months(year, account.fiscal_year_start_month)
    ]
    sums = channel_plan(
        plan_channels(channels.values()),
        months,
        {key: (row.cv_count, row.cv_rate) for key, row in stored.items()},
    ).grid_values()
    plan.channel_mode = False
    plan.save(update_fields=["channel_mode", "updated_at"])
    _mode_record(account, year, channel_mode=False, user=user).save()
    return _write_months(
        MonthlyGoal,
        ChangeKind.GOAL,
        GOAL_FIELDS,
        _stored_months(MonthlyGoal, account=account, year=year),
        account=account,
        year=year,
        months={month: sums.get(month, (None, None)) for month in months},
        user=user,
        source=ChangeSource.CHANNELS,
    )


@transaction.atomic
def channel_actual_year_save(
    *,
    account,
    year: int,
    values: Mapping[tuple[int, int], tuple[int | None, int | None]],
    user,
    expected: Mapping[tuple[int, int], tuple] | None = None,
    source: ChangeSource = ChangeSource.INPUT,
) -> int:
    """Store a fiscal year's actuals per channel: {(channel id, month): (CV数
    or リード数, 訪問数)}; cells not given are left alone (an import replaces
    only its months). Waits for other saves of the account's actuals like
    actual_year_save; SaveConflict when ``expected`` is stale."""
    Account.objects.select_for_update(no_key=True).filter(pk=account.pk).values_list(
        "pk"
    ).get()
    channels = _account_channels(account, values)
    existing = _stored_channel_months(ChannelActual, account=account, year=year)
    if expected is not None:
        refuse_stale(
            _channel_conflicts(CHANNEL_ACTUAL_FIELDS, channels, existing, expected),
            user=user,
        )
    return _write_cells(
        ChannelActual,
        ChangeKind.ACTUAL,
        CHANNEL_ACTUAL_FIELDS,
        existing,
        account=account,
        year=year,
        channels=channels,
        cells=values,
        user=user,
        source=source,
    )


# --- the account's channel list (/account/channels/) ------------------------

import unicodedata  # noqa: E402
from dataclasses import dataclass  # noqa: E402


@dataclass(frozen=True)
class ChannelEdit:
    """One row of the account's channel list as saved: ``id`` None for a new
    channel. The rows' order is the list's order."""

    id: int | None
    name: str
    online: bool
    archived: bool


def channel_name_key(name: str) -> str:
    """A channel name as names are compared: without regard to case and
    full/half width (ＳＥＯ = seo), spaces at the ends ignored."""
    return unicodedata.normalize("NFKC", name).strip().casefold()


def channel_list_snapshot(channels) -> str:
    """The list as one comparable line (the page carries the one it was
    loaded with, base_channels): order, names, Web and archived."""
    return " / ".join(
        "{name}{web}{archived}".format(
            name=channel.name,
            web=_("（Web）") if channel.online else "",
            archived=_("（アーカイブ）") if channel.archived else "",
        )
        for channel in channels
    )


class ChannelGone(ServiceError):
    """A row names a channel that is not the account's (another account's, or
    none): the page never sends one."""

    def __init__(self):
        super().__init__(notices.INCOMPLETE_FORM)


class ChannelNameTaken(ServiceError):
    """Two channels of the account would have the same name; ``index`` is the
    row (of the rows given) whose name is refused."""

    def __init__(self, name, *, index):
        super().__init__(channel_name_taken_message(name))
        self.index = index


def channel_name_taken_message(name):
    return _(
        "「%(name)s」と同じ名前のチャネルがあります（大文字・小文字、全角・半角の違いは同じ名前とみなします）。別の名前にしてください。"
    ) % {"name": name}


CHANNEL_LABELS = {
    "name": _("チャネル名"),
    "online": _("Web（オンライン）"),
    "archived": _("アーカイブ"),
    "position": _("表示順"),
}


@transaction.atomic
def channel_list_save(
    *, account, rows: list[ChannelEdit], user, expected: str | None = None
) -> int:
    """Save the account's channel list at once: each row's name, Web flag and
    archived flag, in the rows' order; a row without an id adds a channel.
    Channels are never deleted (archived ones keep their figures); one the
    rows leave out keeps its place after them. Refused with SaveConflict when
    ``expected`` (channel_list_snapshot as loaded; None for 上書き保存) is no
    longer the stored list, ChannelGone for an id not the account's, and
    ChannelNameTaken when two names would be the same. Every change is
    recorded in the account's history. Returns the number of changes."""
    # The account row orders saves of its list (as account_settings_save).
    Account.objects.select_for_update(no_key=True).filter(pk=account.pk).values_list(
        "pk"
    ).get()
    stored = list(Channel.objects.filter(account=account).order_by("position", "id"))
    if expected is not None:
        current = channel_list_snapshot(stored)
        latest = max(stored, key=lambda channel: channel.updated_at, default=None)
        refuse_stale(
            [
                stale_value(
                    _("チャネル一覧"),
                    expected,
                    current,
                    by=latest.updated_by_id if latest else None,
                    at=latest.updated_at if latest else None,
                )
            ],
            user=user,
        )
    by_id = {channel.pk: channel for channel in stored}
    ids = [row.id for row in rows if row.id is not None]
    if len(set(ids)) != len(ids):
        raise ServiceError(notices.INCOMPLETE_FORM)
    if any(channel_id not in by_id for channel_id in ids):
        raise ChannelGone
    kept = [channel for channel in stored if channel.pk not in set(ids)]
    seen = {}
    for index, row in enumerate(rows):
        key = channel_name_key(row.name)
        if key in seen:
            raise ChannelNameTaken(row.name, index=index)
        seen[key] = index
    for channel in kept:
        key = channel_name_key(channel.name)
        if key in seen:
            raise ChannelNameTaken(rows[seen[key]].name, index=seen[key])
    now = timezone.now()
    names = {channel.pk: channel.name for channel in stored}
    changes, created, changed = [], [], {}
    for position, row in enumerate(rows, start=1):
        if row.id is None:
            channel = Channel(
                account=account,
                name=row.name,
                online=row.online,
                archived=row.archived,
                position=position,
                updated_by=user,
            )
            _full_clean(
                channel,
                exclude=["account", "updated_by"],
                validate_unique=False,
                validate_constraints=False,
            )
            created.append(channel)
            changes.append((row.name, _("チャネル追加"), None, _channel_kind(row)))
            continue
        channel = by_id[row.id]
        for field, value in (
            ("name", row.name),
            ("online", row.online),
            ("archived", row.archived),
            ("position", position),
        ):
            old = getattr(channel, field)
            if old == value:
                continue
            if field != "position":
                changes.append((row.name, CHANNEL_LABELS[field], old, value))
            setattr(channel, field, value)
            changed[channel.pk] = channel
    for position, channel in enumerate(kept, start=len(rows) + 1):
        if channel.position != position:
            channel.position = position
            changed[channel.pk] = channel
    reordered = sorted(stored, key=lambda channel: channel.position)
    if reordered != stored:
        changes.append(
            (
                _("チャネル一覧"),
                CHANNEL_LABELS["position"],
                " / ".join(names[channel.pk] for channel in stored),
                " / ".join(channel.name for channel in reordered),
            )
        )
    for channel in changed.values():
        channel.updated_by = user
        channel.updated_at = now
        _full_clean(
            channel,
            exclude=["account", "updated_by"],
            validate_unique=False,
            validate_constraints=False,
        )
    # Two channels that swap names would meet the unique (account, name)
    # between their updates: a renamed row passes through a name of its own
    # first. It starts with a space, which the form strips from every name it
    # takes (NUL would be surer, but PostgreSQL refuses it in text).
    renamed = [pk for pk, channel in changed.items() if channel.name != names[pk]]
    for pk in renamed:
        Channel.objects.filter(pk=pk).update(name=f" {pk}")
    if changed:
        Channel.objects.bulk_update(
            list(changed.values()),
            ["name", "online", "archived", "position", "updated_by", "updated_at"],
        )
    Channel.objects.bulk_create(created)
    for subject, field, before, after in changes:
        _account_record(
            account, subject=subject, field=field, before=before, after=after, user=user
        )
    return len(changes)


def _channel_kind(row):
    """How a new channel is recorded: Web or not, archived or not."""
    parts = [_("Web") if row.online else _("Web以外")]
    if row.archived:
        parts.append(_("アーカイブ"))
    return "・".join(str(part) for part in parts)


# --- GA4 import (チャネル別の実績) -----------------------------------------------
# Appended as its own section, with its imports, like the channels' above.

from funnel.models import GA4ChannelMapping  # noqa: E402


@transaction.atomic
def ga4_mappings_save(*, account, mappings: Mapping[str, int | None]) -> int:
    """Remember which of the account's channels each GA4 group is ({group:
    channel id, or None for 未分類}); a group not given keeps its answer.
    Refused (ServiceError) for a channel that is not the account's. Returns
    how many answers changed."""
    ids = {channel_id for channel_id in mappings.values() if channel_id is not None}
    if len(Channel.objects.filter(account=account).in_bulk(ids)) != len(ids):
        raise ServiceError(notices.INCOMPLETE_FORM)
    stored = dict(
        GA4ChannelMapping.objects.filter(
            account=account, group__in=list(mappings)
        ).values_list("group", "channel_id")
    )
    now = timezone.now()
    changed = [
        GA4ChannelMapping(
            account=account, group=group, channel_id=channel_id, updated_at=now
        )
        for group, channel_id in sorted(mappings.items())
        if group not in stored or stored[group] != channel_id
    ]
    for row in changed:
        # The group's length and such; uniqueness is the upsert's.
        row.full_clean(
            exclude=["account", "channel"],
            validate_unique=False,
            validate_constraints=False,
        )
    GA4ChannelMapping.objects.bulk_create(
        changed,
        update_conflicts=True,
        unique_fields=["account", "group"],
        update_fields=["channel", "updated_at"],
    )
    return len(changed)


@transaction.atomic
def ga4_import_save(
    *,
    account,
    year: int,
    values: Mapping[tuple[int, int], tuple[int | None, int | None]],
    mappings: Mapping[str, int | None],
    user,
) -> int:
    """A confirmed GA4 import: the answers on the file's groups remembered,
    and its months written per channel (recorded as CSV取り込み), both or
    neither. Returns the actual values changed."""
    ga4_mappings_save(account=account, mappings=mappings)
    return channel_actual_year_save(
        account=account,
        year=year,
        values=values,
        user=user,
        source=ChangeSource.CSV,
    )


# --- 目標設定に反映, per channel ----------------------------------------------

from funnel.domain.worksheet import (  # noqa: E402
    NOTHING_LAST_YEAR,
    channel_monthly_leads,
)


@dataclass(frozen=True)
class WorksheetChannelPlan:
    """What 目標設定に反映 writes per channel: ``values`` {(channel id,
    month): (leads, CV率 or None)} for channel_year_save, the account's
    ``channels`` they name (in the worksheet's order), and the names of the
    rows with leads that are none of the account's channels (``unlinked``:
    then nothing is written per channel)."""

    values: dict
    channels: list
    unlinked: list


def worksheet_channel_plan(
    *, account, worksheet, year: int, result, annual: bool, cv_rate, profiles=None
) -> WorksheetChannelPlan:
    """The worksheet's channels as the fiscal year's plan per channel.
    ``result`` is the worksheet's domain.worksheet.compute(); each row's
    leads go over the months in fiscal order by
    domain.worksheet.channel_monthly_leads: an annual worksheet's by the
    ``profiles`` of the row's channel ({channel id: SpreadProfile}, 前年の実績比;
    a channel not in it has nothing last year and is spread evenly), or
    evenly when ``profiles`` is None. A row is the account channel it is
    linked to, or, for a row typed before channels were the account's, the
    channel of its name (compared as names are). Two rows of one channel add
    up. Web channels get the worksheet's CV率; others have leads only. One
    query."""
    stored = Channel.objects.filter(account=account).order_by("position", "id")
    by_id = {channel.pk: channel for channel in stored}
    by_name = {channel_name_key(channel.name): channel for channel in by_id.values()}
    months = [
        month
        for _cal_year, month in fiscal_months(year, account.fiscal_year_start_month)
    ]
    rows = [
        (row, by_id.get(row.channel_id) or by_name.get(channel_name_key(row.name)))
        for row in worksheet.ordered_channels()
    ]
    row_profiles = None
    if profiles is not None:
        row_profiles = [
            profiles.get(channel.pk, NOTHING_LAST_YEAR) if channel else None
            for _row, channel in rows
        ]
    leads = channel_monthly_leads(result, annual=annual, profiles=row_profiles)
    counts, channels, unlinked = {}, [], []
    for (row, channel), row_leads in zip(rows, leads, strict=True):
        if row_leads is None:
            continue
        if channel is None:
            unlinked.append(row.name)
            continue
        if channel not in channels:
            channels.append(channel)
        for month, count in zip(months, row_leads, strict=True):
            counts[channel.pk, month] = counts.get((channel.pk, month), 0) + count
    values = {
        (channel_id, month): (count, cv_rate if by_id[channel_id].online else None)
        for (channel_id, month), count in counts.items()
    }
    return WorksheetChannelPlan(values=values, channels=channels, unlinked=unlinked)


def _worksheet_channels_write(*, account, year, values, user):
    """The worksheet's channels replace the year's plan per channel: a channel
    it does not plan loses its months, so that the grid's sums are the
    worksheet's. The year becomes チャネル別に入力 (the person has seen the
    preview and confirmed)."""
    stored = _stored_channel_months(ChannelGoal, account=account, year=year)
    emptied = {key: (None, None) for key in stored if key not in values}
    return channel_year_save(
        account=account,
        year=year,
        values={**emptied, **values},
        user=user,
        source=ChangeSource.WORKSHEET,
        switch=True,
    )
