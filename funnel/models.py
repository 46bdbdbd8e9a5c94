"""Accounts (tenants), their members, and what they plan: monthly goals and worksheets.

Derived figures (visits, totals, the funnel's results) are never stored: they
are computed from these inputs by ``funnel.domain``. The database states with
constraints what the forms state, so no path can store a bad row.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from funnel.domain.numbers import MAX_COUNT, MAX_YEN

MIN_YEAR = 2000
MAX_YEAR = 2100


class Account(models.Model):
    """A customer company: the tenant every goal, worksheet and member belongs to."""

    name = models.CharField(_("アカウント名"), max_length=100)
    is_active = models.BooleanField(
        _("有効"),
        default=True,
        help_text=_(
            "無効にすると、メンバーはこのアカウントにログインできません。データは削除されません。"
        ),
    )
    fiscal_year_start_month = models.PositiveSmallIntegerField(
        _("年度の開始月"), default=1
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("アカウント")
        verbose_name_plural = _("アカウント")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    fiscal_year_start_month__gte=1, fiscal_year_start_month__lte=12
                ),
                name="account_fiscal_start_range",
            )
        ]

    def __str__(self):
        return self.name

    def fiscal_year_of(self, day):
        """The fiscal year ``day`` falls in, named by the calendar year it starts in."""
        start = self.fiscal_year_start_month
        return day.year if day.month >= start else day.year - 1


class Role(models.IntegerChoices):
    # Spaced integers (Zulip's habit), so a role can be added between two.
    ADMIN = 100, _("管理者")
    MARKETER = 200, _("マーケター")
    MANAGER = 300, _("マネージャー")


class Membership(models.Model):
    """A user's place in an account, with a role."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.PositiveSmallIntegerField(
        _("役割"), choices=Role.choices, default=Role.MARKETER
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("メンバー")
        verbose_name_plural = _("メンバー")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "account"], name="membership_unique_user_account"
            ),
            models.CheckConstraint(
                condition=Q(role__in=Role.values), name="membership_role_valid"
            ),
        ]

    def __str__(self):
        return f"{self.user} @ {self.account} ({self.get_role_display()})"

    @property
    def can_edit(self):
        """Marketers and admins fill in goals and worksheets; managers only review."""
        return self.role in (Role.ADMIN, Role.MARKETER)

    @property
    def is_admin(self):
        return self.role == Role.ADMIN

    @property
    def is_manager(self):
        """Managers review the years submitted to them (承認待ち)."""
        return self.role == Role.MANAGER


# The channels a new account starts with: (name, Web). The seed's three Web
# channels and an exhibition, whose leads are not site conversions.
DEFAULT_CHANNELS = (
    (_("広告"), True),
    (_("オーガニック"), True),
    (_("メルマガ"), True),
    (_("展示会"), False),
)


class Channel(models.Model):
    """An acquisition channel (獲得チャネル) of an account: the unit of a year's
    plan per channel (チャネル別) and of its actuals. A Web channel's leads are
    site conversions (CV数 with a CV率 and visits); another's are リード数 only.
    Archived channels keep their figures but are offered for no new plan."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="channels"
    )
    name = models.CharField(_("チャネル名"), max_length=50)
    online = models.BooleanField(_("Web（オンライン）"), default=True)
    position = models.PositiveSmallIntegerField(_("表示順"), default=0)
    archived = models.BooleanField(_("アーカイブ"), default=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )

    class Meta:
        verbose_name = _("チャネル")
        verbose_name_plural = _("チャネル")
        ordering = ["position", "id"]
        constraints = [
            # Also the index an account's list uses. Names are matched as
            # typed: the form compares them without regard to case and width.
            models.UniqueConstraint(
                fields=["account", "name"], name="channel_unique_name"
            ),
        ]

    def __str__(self):
        return self.name


class AccountMonth(models.Model):
    """A calendar month of an account's data (targets or actuals): one row per
    account and month, stored by calendar year so that changing the fiscal
    year's start month regroups the rows and never moves a value."""

    # No index of their own: the unique (account, year, month) below leads
    # with the account, and without an index on updated_by a year's save
    # rewrites its 12 rows in place (HOT updates: no index touched) instead
    # of adding an entry to every index for each. Only deleting a user, which
    # the app never does, would scan the table for their rows.
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="%(class)s_rows", db_index=False
    )
    year = models.PositiveSmallIntegerField(_("年"))
    month = models.PositiveSmallIntegerField(_("月"))
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )

    class Meta:
        abstract = True
        ordering = ["year", "month"]
        constraints = [
            # Also the index the year's query (account, year) uses.
            models.UniqueConstraint(
                fields=["account", "year", "month"], name="%(class)s_unique_month"
            ),
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12), name="%(class)s_month_range"
            ),
            models.CheckConstraint(
                # A fiscal year starting in April ends in the next calendar year.
                condition=Q(year__gte=MIN_YEAR, year__lte=MAX_YEAR + 1),
                name="%(class)s_year_range",
            ),
        ]


def _count_range(field, name):
    return models.CheckConstraint(
        condition=Q(**{f"{field}__isnull": True})
        | Q(**{f"{field}__gte": 0, f"{field}__lte": MAX_COUNT}),
        name=name,
    )


class MonthlyGoal(AccountMonth):
    """One month's targets: CV数 and CV率. Visits are derived, never stored."""

    cv_count = models.PositiveIntegerField(_("CV数"), null=True, blank=True)
    cv_rate = models.DecimalField(
        _("CV率"), max_digits=5, decimal_places=2, null=True, blank=True
    )

    class Meta(AccountMonth.Meta):
        verbose_name = _("月次目標")
        verbose_name_plural = _("月次目標")
        constraints = [
            *AccountMonth.Meta.constraints,
            _count_range("cv_count", "goal_cv_count_range"),
            models.CheckConstraint(
                condition=Q(cv_rate__isnull=True)
                | Q(cv_rate__gt=Decimal(0), cv_rate__lte=Decimal(100)),
                name="goal_cv_rate_range",
            ),
            models.CheckConstraint(
                condition=Q(cv_count__isnull=False) | Q(cv_rate__isnull=False),
                name="goal_not_empty",
            ),
        ]

    def __str__(self):
        return f"{self.account} {self.year}-{self.month:02d}"


class Basis(models.TextChoices):
    MONTHLY = "monthly", _("月次")
    ANNUAL = "annual", _("年間")


def _rate_range(field, name):
    return models.CheckConstraint(
        condition=Q(**{f"{field}__isnull": True})
        | Q(**{f"{field}__gt": Decimal(0), f"{field}__lte": Decimal(100)}),
        name=name,
    )


def _yen_range(field, name, *, minimum=0):
    return models.CheckConstraint(
        condition=Q(**{f"{field}__isnull": True})
        | Q(**{f"{field}__gte": minimum, f"{field}__lte": MAX_YEN}),
        name=name,
    )


class Worksheet(models.Model):
    """The revenue worksheet (BtoBマーケティングにおける目標設定): the inputs of ① … ⑥."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="worksheets"
    )
    name = models.CharField(_("名前"), max_length=100)
    entry_date = models.DateField(_("記入日"))
    basis = models.CharField(
        _("基準"), max_length=10, choices=Basis.choices, default=Basis.MONTHLY
    )
    total_revenue = models.BigIntegerField(_("全体売上"), null=True, blank=True)
    web_revenue = models.BigIntegerField(_("Web売上"), null=True, blank=True)
    unit_price = models.BigIntegerField(_("受注単価"), null=True, blank=True)
    win_rate = models.DecimalField(
        _("受注率"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    opportunity_rate = models.DecimalField(
        _("案件化率"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    skip_opportunity = models.BooleanField(_("③を省略する"), default=False)
    cv_rate = models.DecimalField(
        _("CV率"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("ワークシート")
        verbose_name_plural = _("ワークシート")
        ordering = ["-entry_date", "-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["account", "-entry_date", "-created_at"],
                name="worksheet_account_list",
            )
        ]
        constraints = [
            _yen_range("total_revenue", "worksheet_total_revenue_range"),
            _yen_range("web_revenue", "worksheet_web_revenue_range"),
            _yen_range("unit_price", "worksheet_unit_price_range", minimum=1),
            _rate_range("win_rate", "worksheet_win_rate_range"),
            _rate_range("opportunity_rate", "worksheet_opportunity_rate_range"),
            _rate_range("cv_rate", "worksheet_cv_rate_range"),
            models.CheckConstraint(
                condition=Q(total_revenue__isnull=True)
                | Q(web_revenue__isnull=True)
                | Q(web_revenue__lte=models.F("total_revenue")),
                name="worksheet_web_within_total",
            ),
            models.CheckConstraint(
                condition=Q(basis__in=Basis.values), name="worksheet_basis_valid"
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("funnel:worksheet-detail", args=[self.pk])

    def ordered_channels(self):
        """Its channels in their order (prefetched by selectors.worksheet_get)."""
        return list(self.channels.all())


class WorksheetChannel(models.Model):
    """A lead channel (獲得チャネル) of a worksheet, in display order."""

    worksheet = models.ForeignKey(
        Worksheet, on_delete=models.CASCADE, related_name="channels"
    )
    position = models.PositiveSmallIntegerField()
    name = models.CharField(_("チャネル名"), max_length=50)
    online = models.BooleanField(_("オンライン"), default=True)
    # The account's channel this row plans (its name and Web flag are copied
    # here when picked, so the worksheet reads as it was written). Empty only
    # for a row typed before the channel was added to the account's list.
    channel = models.ForeignKey(
        Channel,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="worksheet_rows",
        verbose_name=_("チャネル"),
    )
    meetings = models.PositiveIntegerField(_("商談数"), null=True, blank=True)
    meeting_rate = models.DecimalField(
        _("商談化率"), max_digits=5, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("獲得チャネル")
        verbose_name_plural = _("獲得チャネル")
        ordering = ["worksheet", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["worksheet", "position"], name="channel_unique_position"
            ),
            models.CheckConstraint(
                condition=Q(meetings__isnull=True)
                | Q(meetings__gte=0, meetings__lte=MAX_COUNT),
                name="channel_meetings_range",
            ),
            _rate_range("meeting_rate", "channel_meeting_rate_range"),
        ]

    def __str__(self):
        return self.name


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("下書き")
    SUBMITTED = "submitted", _("提出済み")
    APPROVED = "approved", _("承認済み")
    RETURNED = "returned", _("差し戻し")


class GoalYearPlan(models.Model):
    """The review state of one (fiscal) year's targets. A year without a row is a draft."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="plans")
    year = models.PositiveSmallIntegerField(_("年度"))
    status = models.CharField(
        _("状態"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    # チャネル別に入力: the year's months are planned per channel and the
    # grid shows their sums, read-only. False: 合計で入力 (the seed's grid).
    channel_mode = models.BooleanField(_("チャネル別に入力"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("年間目標の承認状態")
        verbose_name_plural = _("年間目標の承認状態")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "year"], name="plan_unique_year"
            ),
            models.CheckConstraint(
                condition=Q(status__in=PlanStatus.values), name="plan_status_valid"
            ),
        ]

    def __str__(self):
        return f"{self.account} {self.year} {self.get_status_display()}"

    @property
    def is_locked(self):
        """A submitted year is read-only until the manager sends it back or the
        marketer withdraws it; an approved one until an admin reopens it. What
        the manager reviews is what was submitted."""
        return self.status in (PlanStatus.SUBMITTED, PlanStatus.APPROVED)


class PlanAction(models.TextChoices):
    SUBMIT = "submit", _("提出")
    APPROVE = "approve", _("承認")
    RETURN = "return", _("差し戻し")
    REOPEN = "reopen", _("再編集のため差し戻し（管理者）")
    WITHDRAW = "withdraw", _("取り下げ")


class PlanEvent(models.Model):
    """Who moved a year's plan, when, and why."""

    plan = models.ForeignKey(
        GoalYearPlan, on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("操作"), max_length=10, choices=PlanAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    comment = models.TextField(_("コメント"), blank=True, max_length=2000)
    created_at = models.DateTimeField(_("日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("承認の履歴")
        verbose_name_plural = _("承認の履歴")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.plan} {self.get_action_display()}"


class ChangeKind(models.TextChoices):
    GOAL = "goal", _("目標")
    ACTUAL = "actual", _("実績")
    WORKSHEET = "worksheet", _("ワークシート")
    ACCOUNT = "account", _("アカウント")


class ChangeSource(models.TextChoices):
    """How a value came to change, for the history."""

    INPUT = "input", _("入力")
    BULK = "bulk", _("一括入力")
    WORKSHEET = "worksheet", _("ワークシート反映")
    CSV = "csv", _("CSV取り込み")
    OVERWRITE = "overwrite", _("上書き")
    # The sums of a year planned per channel, kept as its totals when it goes
    # back to 合計で入力.
    CHANNELS = "channels", _("チャネル別の合計")


class ChangeRecord(models.Model):
    """One changed value: who, when, old and new.

    Written by the services in the same transaction as the change. A history
    library that hooks ``save()`` (django-simple-history) would miss the grid's
    single-statement upsert of 12 months and cost a query per row; recording
    the difference in the service keeps a year's save to a fixed number of
    queries.
    """

    # Indexed by change_year below (it leads with the account): a save adds a
    # row per changed value, each an entry in every index.
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="change_records", db_index=False
    )
    kind = models.CharField(max_length=10, choices=ChangeKind.choices)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    month = models.PositiveSmallIntegerField(null=True, blank=True)
    # Kept when the worksheet is deleted: the deletion is itself a record.
    worksheet = models.ForeignKey(
        Worksheet,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="changes",
    )
    subject = models.CharField(_("対象"), max_length=100, blank=True)
    field = models.CharField(_("項目"), max_length=50)
    old_value = models.CharField(_("変更前"), max_length=200, blank=True)
    new_value = models.CharField(_("変更後"), max_length=200, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Rows written before sources were recorded came from the forms: 入力.
    source = models.CharField(
        _("入力方法"),
        max_length=10,
        choices=ChangeSource.choices,
        default=ChangeSource.INPUT,
    )
    created_at = models.DateTimeField(_("日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("変更履歴")
        verbose_name_plural = _("変更履歴")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["account", "kind", "year", "-created_at"], name="change_year"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(source__in=ChangeSource.values), name="change_source_valid"
            ),
        ]

    def __str__(self):
        return f"{self.field}: {self.old_value} → {self.new_value}"


class MonthlyActual(AccountMonth):
    """What actually happened in a month (実績): CV数 and site visits.

    Achievement figures (rates, pace, projections) are derived, never stored.
    """

    cv_count = models.PositiveIntegerField(_("実績CV数"), null=True, blank=True)
    visits = models.PositiveIntegerField(_("実績訪問数"), null=True, blank=True)

    class Meta(AccountMonth.Meta):
        verbose_name = _("月次実績")
        verbose_name_plural = _("月次実績")
        constraints = [
            *AccountMonth.Meta.constraints,
            _count_range("cv_count", "actual_cv_count_range"),
            _count_range("visits", "actual_visits_range"),
            models.CheckConstraint(
                condition=Q(cv_count__isnull=False) | Q(visits__isnull=False),
                name="actual_not_empty",
            ),
        ]

    def __str__(self):
        return f"{self.account} {self.year}-{self.month:02d} 実績"


class Invitation(models.Model):
    """An account admin's invitation to a username, waiting for its owner to
    accept or decline. Keyed by the name as typed (normalised), never by a
    user: creating one reads nothing about whether such a user exists, so the
    answer cannot tell an admin of one company who has signed up at another.
    Until it is accepted the invitee sees nothing of the account."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="invitations"
    )
    username = models.CharField(_("ユーザー名"), max_length=150)
    role = models.PositiveSmallIntegerField(
        _("役割"), choices=Role.choices, default=Role.MARKETER
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("招待日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("招待")
        verbose_name_plural = _("招待")
        ordering = ["created_at", "id"]
        constraints = [
            # Names are matched without regard to case, as the members form
            # refuses a new user whose name differs from another's only in
            # case. Leading with the name, it is also the index the invitee's
            # own lookup (selectors.invitations_for) uses.
            models.UniqueConstraint(
                Upper("username"), "account", name="invitation_unique_username"
            ),
            models.CheckConstraint(
                condition=Q(role__in=Role.values), name="invitation_role_valid"
            ),
        ]

    def __str__(self):
        return f"{self.username} → {self.account} ({self.get_role_display()})"


class ChannelMonth(models.Model):
    """A calendar month of one channel's data (targets or actuals), stored by
    calendar year like AccountMonth, with the account kept on the row so that
    every query is scoped by it without a join."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="%(class)s_rows", db_index=False
    )
    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, related_name="%(class)s_rows", db_index=False
    )
    year = models.PositiveSmallIntegerField(_("年"))
    month = models.PositiveSmallIntegerField(_("月"))
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )

    class Meta:
        abstract = True
        ordering = ["year", "month", "channel"]
        constraints = [
            # Leads with the account: the index of a year's query (account,
            # year), whatever the number of channels.
            models.UniqueConstraint(
                fields=["account", "year", "month", "channel"],
                name="%(class)s_unique_month",
            ),
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12), name="%(class)s_month_range"
            ),
            models.CheckConstraint(
                condition=Q(year__gte=MIN_YEAR, year__lte=MAX_YEAR + 1),
                name="%(class)s_year_range",
            ),
        ]


class ChannelGoal(ChannelMonth):
    """One channel's targets for a month: CV数 (リード数 for a channel that is
    not Web) and, for a Web channel, CV率. Visits are derived, never stored."""

    cv_count = models.PositiveIntegerField(_("CV数"), null=True, blank=True)
    cv_rate = models.DecimalField(
        _("CV率"), max_digits=5, decimal_places=2, null=True, blank=True
    )

    class Meta(ChannelMonth.Meta):
        verbose_name = _("チャネル別の月次目標")
        verbose_name_plural = _("チャネル別の月次目標")
        constraints = [
            *ChannelMonth.Meta.constraints,
            _count_range("cv_count", "channel_goal_cv_count_range"),
            _rate_range("cv_rate", "channel_goal_cv_rate_range"),
            models.CheckConstraint(
                condition=Q(cv_count__isnull=False) | Q(cv_rate__isnull=False),
                name="channel_goal_not_empty",
            ),
        ]

    def __str__(self):
        return f"{self.account} {self.year}-{self.month:02d} {self.channel_id}"


class ChannelActual(ChannelMonth):
    """What one channel brought in a month (実績): CV数 (or リード数) and, for a
    Web channel, its sessions (訪問数), typed or imported from GA4."""

    cv_count = models.PositiveIntegerField(_("実績CV数"), null=True, blank=True)
    visits = models.PositiveIntegerField(_("実績訪問数"), null=True, blank=True)

    class Meta(ChannelMonth.Meta):
        verbose_name = _("チャネル別の月次実績")
        verbose_name_plural = _("チャネル別の月次実績")
        constraints = [
            *ChannelMonth.Meta.constraints,
            _count_range("cv_count", "channel_actual_cv_count_range"),
            _count_range("visits", "channel_actual_visits_range"),
            models.CheckConstraint(
                condition=Q(cv_count__isnull=False) | Q(visits__isnull=False),
                name="channel_actual_not_empty",
            ),
        ]

    def __str__(self):
        return f"{self.account} {self.year}-{self.month:02d} {self.channel_id} 実績"


class GA4ChannelMapping(models.Model):
    """Which of the account's channels a GA4 channel group (or source /
    medium) is, as the person answered at an import; ``channel`` empty: 未分類,
    not imported. A group without a row has never been seen and is asked
    about, never guessed."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="ga4_mappings"
    )
    group = models.CharField(_("GA4のチャネル"), max_length=200)
    channel = models.ForeignKey(
        Channel,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ga4_mappings",
        verbose_name=_("チャネル"),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("GA4チャネルの対応")
        verbose_name_plural = _("GA4チャネルの対応")
        ordering = ["group"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "group"], name="ga4_mapping_unique_group"
            ),
        ]

    def __str__(self):
        return f"{self.group} → {self.channel_id or '未分類'}"
