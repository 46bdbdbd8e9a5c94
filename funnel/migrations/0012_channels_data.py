"""Every account gets its channels: the four a new account starts with, and
each name its worksheets already plan (with that row's Web flag), so that
every worksheet channel is linked to the account's channel of its name and
nothing typed is lost. Reversing unlinks the rows and keeps every channel."""

from django.db import migrations

# As funnel.models.DEFAULT_CHANNELS at the time of writing (a migration keeps
# its own copy: the model's list may change later).
DEFAULT_CHANNELS = (
    ("広告", True),
    ("オーガニック", True),
    ("メルマガ", True),
    ("展示会", False),
)


def link_channels(apps, schema_editor):
    Account = apps.get_model("funnel", "Account")
    Channel = apps.get_model("funnel", "Channel")
    WorksheetChannel = apps.get_model("funnel", "WorksheetChannel")
    for account in Account.objects.all().iterator():
        by_name = {channel.name: channel for channel in account.channels.all()}
        wanted = list(DEFAULT_CHANNELS) if not by_name else []
        rows = list(
            WorksheetChannel.objects.filter(worksheet__account=account).order_by(
                "worksheet_id", "position"
            )
        )
        wanted += [(row.name, row.online) for row in rows]
        position = max((c.position for c in by_name.values()), default=-1) + 1
        for name, online in wanted:
            if name not in by_name:
                by_name[name] = Channel.objects.create(
                    account=account, name=name, online=online, position=position
                )
                position += 1
        for row in rows:
            row.channel = by_name[row.name]
        WorksheetChannel.objects.bulk_update(rows, ["channel"], batch_size=500)


def unlink_channels(apps, schema_editor):
    apps.get_model("funnel", "WorksheetChannel").objects.update(channel=None)


class Migration(migrations.Migration):
    dependencies = [("funnel", "0011_channels")]

    operations = [migrations.RunPython(link_channels, unlink_channels)]
