"""Give every existing monitor its own heartbeat ping token before the column turns unique."""

import uuid

from django.db import migrations


def fill(apps, schema_editor):
    Monitor = apps.get_model("monitors", "Monitor")
    for monitor in Monitor.objects.filter(ping_token=None).only("id").iterator():
        Monitor.objects.filter(id=monitor.id).update(ping_token=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [("monitors", "0002_every_kind_regions_maintenance")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
