"""Demo data: デモ株式会社 with a user of each role and a year of goals, and サンプル商事
with an outsider. Idempotent: a second run changes nothing."""

import secrets
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from funnel import services
from funnel.models import (
    Account,
    Basis,
    Channel,
    Membership,
    MonthlyActual,
    MonthlyGoal,
    Role,
    Worksheet,
    WorksheetChannel,
)

DEMO_ACCOUNT = "デモ株式会社"
OTHER_ACCOUNT = "サンプル商事"
USERS = [
    ("admin", DEMO_ACCOUNT, Role.ADMIN),
    ("marketer", DEMO_ACCOUNT, Role.MARKETER),
    ("manager", DEMO_ACCOUNT, Role.MANAGER),
    ("outsider", OTHER_ACCOUNT, Role.MARKETER),
]
# A plausible B2B year: quiet in summer and at year end, busy before the
# fiscal year closes in March.
DEMO_CV = [20, 22, 30, 24, 22, 20, 18, 16, 24, 26, 24, 20]
# Last year's actuals: mostly near the plan, two weak summer months.
DEMO_ACTUAL_CV = [21, 20, 33, 25, 22, 15, 12, 14, 25, 27, 22, 19]
DEMO_ACTUAL_VISITS = [
    2100,
    2300,
    2600,
    2500,
    2300,
    2100,
    1900,
    2000,
    2500,
    2400,
    2200,
    2000,
]
# The seed's worked example: 1,200万円 of web revenue at 400万円 an order.
DEMO_WORKSHEET = "目標設定の例（ワークショップ）"
DEMO_CHANNELS = [("広告", 10, "10"), ("オーガニック", 20, "30"), ("メルマガ", 10, "20")]
DEMO_RATE = [
    "1",
    "1",
    "1.2",
    "1",
    "1",
    "1",
    "0.9",
    "0.8",
    "1",
    "1.1",
    "1.1",
    "1",
]


class Command(BaseCommand):
    help = "デモ用のアカウント・ユーザー・目標を作成します（2回目以降は何も変更しません）。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            help="デモユーザーのパスワード（省略時はランダムに生成して表示）",
        )

    @transaction.atomic
    def handle(self, *args, password=None, **options):
        generated = password is None
        password = password or secrets.token_urlsafe(12)
        accounts = {
            name: Account.objects.get_or_create(name=name)[0]
            for name in (DEMO_ACCOUNT, OTHER_ACCOUNT)
        }
        for account in accounts.values():
            services.channel_defaults_create(account=account)
        User = get_user_model()
        created_users = []
        for username, account_name, role in USERS:
            user, created = User.objects.get_or_create(username=username)
            if created:
                user.set_password(password)
                user.save(update_fields=["password"])
                created_users.append(username)
            Membership.objects.get_or_create(
                user=user, account=accounts[account_name], defaults={"role": role}
            )
        added = 0  # demo rows created by this run, besides the users
        this_year = timezone.localdate().year
        demo = accounts[DEMO_ACCOUNT]
        for year, growth in ((this_year - 1, Decimal(0)), (this_year, Decimal(4))):
            for month, (cv, rate) in enumerate(zip(DEMO_CV, DEMO_RATE, strict=True), 1):
                added += MonthlyGoal.objects.get_or_create(
                    account=demo,
                    year=year,
                    month=month,
                    defaults={"cv_count": cv + int(growth), "cv_rate": Decimal(rate)},
                )[1]
        last_year = this_year - 1
        for month, (cv, visits) in enumerate(
            zip(DEMO_ACTUAL_CV, DEMO_ACTUAL_VISITS, strict=True), 1
        ):
            added += MonthlyActual.objects.get_or_create(
                account=demo,
                year=last_year,
                month=month,
                defaults={"cv_count": cv, "visits": visits},
            )[1]
        worksheet, created = Worksheet.objects.get_or_create(
            account=demo,
            name=DEMO_WORKSHEET,
            defaults={
                "entry_date": timezone.localdate().replace(month=4, day=1),
                "basis": Basis.MONTHLY,
                "total_revenue": 50_000_000,
                "web_revenue": 12_000_000,
                "unit_price": 4_000_000,
                "win_rate": Decimal(30),
                "opportunity_rate": Decimal(25),
                "cv_rate": Decimal(1),
            },
        )
        if created:
            added += 1
            WorksheetChannel.objects.bulk_create(
                WorksheetChannel(
                    worksheet=worksheet,
                    position=position,
                    name=name,
                    online=True,
                    channel=Channel.objects.get(account=demo, name=name),
                    meetings=meetings,
                    meeting_rate=Decimal(rate),
                )
                for position, (name, meetings, rate) in enumerate(DEMO_CHANNELS, 1)
            )
        if created_users:
            self.stdout.write(
                self.style.SUCCESS("作成したユーザー: " + ", ".join(created_users))
            )
            if generated:
                self.stdout.write(f"パスワード: {password}")
        elif added:
            self.stdout.write(
                self.style.SUCCESS(f"デモデータを追加しました（{added}件）。")
            )
        else:
            self.stdout.write("デモデータは作成済みです（変更はありません）。")
