"""The product's Celery app with one fault injected, for RELIABILITY CEL-10 (`celery -A tests.fault.poison_app worker`).

The HTTP probe of a monitor whose name starts with "poison" SIGKILLs its own worker process, as an
out-of-memory kill or a crash in C code would. Every other check runs the real probe. The harness
then counts how often the poison slot was probed (the target's requests are never reached: the
kill comes first, so the count is read from the worker log's "poison probe" lines).
"""

from __future__ import annotations

import os
import signal

import django

from config.celery import app  # sets DJANGO_SETTINGS_MODULE's default

django.setup()

from checks import probes  # noqa: E402 - after django.setup()
from monitors.models import Monitor  # noqa: E402

_real_probe = probes.PROBES[Monitor.Kind.HTTP]


def _poisoned_probe(monitor: Monitor) -> probes.ProbeOutcome:
    if monitor.name.startswith("poison"):
        # Straight to stderr: Django's logging config disables loggers made before it, and the
        # process dies before any buffer would be flushed.
        os.write(2, f"poison probe monitor={monitor.id} pid={os.getpid()}: SIGKILL\n".encode())
        os.kill(os.getpid(), signal.SIGKILL)
    return _real_probe(monitor)


probes.PROBES[Monitor.Kind.HTTP] = _poisoned_probe

__all__ = ["app"]
