"""The Celery app. Workers listen on the default queue and on their region's check queue.

How the workers are set up for checks (which mostly wait on the network), and why. The values
live in config/settings/base.py (CELERY_*); tests/test_celery_config.py pins them (CEL-01).

- Pool: prefork, the default. Threads or gevent would fit more waiting probes into the same
  memory, but Celery enforces hard time limits only in prefork: a probe stuck in C code (a DNS
  lookup, an ICMP socket) is killed there and nowhere else. A check is bounded anyway (60 s at
  most, monitors.validators), and gevent would need monkey-patching plus a new dependency.
- Concurrency: a command-line choice (`make run`: WORKER_CONCURRENCY, default 4; compose: 8).
  Processes spend their time waiting on sockets, so several per core is right; memory (about
  60-80 MB each) is the limit, and more capacity means more workers, on more machines.
- Prefetch 1 (CELERY_WORKER_PREFETCH_MULTIPLIER): a process holds one message at a time, so a
  slow target (a 60 s timeout) delays nothing queued behind it while another process is idle,
  and a killed worker holds no unstarted messages hostage until the visibility timeout.
- Late acks and reject-on-worker-lost: a task is acknowledged after it ran, and requeued if its
  process dies. Safe because every task is idempotent: run_check stores one result per
  (monitor, region, due_at) under a unique constraint and returns the stored one on a
  redelivery (RELIABILITY CEL-02); the alert tasks claim their rows with conditional UPDATEs.
- Time limits: every task has soft < hard (default 45/60 s; run_check 80/100 s, above the
  longest probe, so a slow target ends as a stored timeout, never as a killed task). The Redis
  visibility timeout (600 s) is at least five times the longest limit, so a message is handed
  out again only when its worker is surely gone; no countdown or eta exceeds 60 s.
- Soft shutdown (30 s): SIGTERM lets running checks finish for that long, then requeues them.
- Scheduling is not Celery's: beat only calls checks.dispatch_due_checks every second, and the
  database claims each (monitor, slot) exactly once (monitors.services.monitor_claim_due_batch),
  so a second beat started by mistake doubles no check (RELIABILITY CEL-08). Dispatch messages
  expire after 5 s and check messages after one interval: a backlog never replays stale slots.
"""

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
