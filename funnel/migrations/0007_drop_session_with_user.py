# Sessions are Django's own again (django.contrib.sessions, the django_session
# table): the app's copy goes, and whoever was signed in signs in once more.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("funnel", "0006_fewer_indexes_on_written_rows"),
    ]

    operations = [
        migrations.DeleteModel(name="Session"),
    ]
