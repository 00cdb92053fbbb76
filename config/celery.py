"""The Celery app. Workers listen on the default queue and on their region's check queue."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import celeryd_after_setup

from core.queues import region_queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("driftwatch")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@celeryd_after_setup.connect
def _listen_on_region_queue(sender: str, instance, **kwargs) -> None:  # noqa: ANN001
    from django.conf import settings  # noqa: PLC0415

    instance.app.amqp.queues.select_add(region_queue(settings.CHECK_REGION))
