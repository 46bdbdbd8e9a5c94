"""Demo data: デモ株式会社 with a user of each role and a year of goals, and サンプル商事
with an outsider. Idempotent: a second run changes nothing."""

import secrets
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from funnel.models import Account, Membership, MonthlyGoal, Role

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
        this_year = timezone.localdate().year
        demo = accounts[DEMO_ACCOUNT]
        for year, growth in ((this_year - 1, Decimal(0)), (this_year, Decimal(4))):
            for month, (cv, rate) in enumerate(zip(DEMO_CV, DEMO_RATE, strict=True), 1):
                MonthlyGoal.objects.get_or_create(
                    account=demo,
                    year=year,
                    month=month,
                    defaults={"cv_count": cv + int(growth), "cv_rate": Decimal(rate)},
                )
        if created_users:
            self.stdout.write(
                self.style.SUCCESS("作成したユーザー: " + ", ".join(created_users))
            )
            if generated:
                self.stdout.write(f"パスワード: {password}")
        else:
            self.stdout.write("デモデータは作成済みです（変更はありません）。")
