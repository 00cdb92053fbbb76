"""The Celery app. Workers listen on the default queue and on their region's check queue.

How the workers are set up for checks (which mostly wait on the network), and why. The values
live in config/settings/base.py (CELERY_*); tests/test_celery_config.py pins them (CEL-01).

- Pool: prefork, the default, with the I/O concurrency inside each task: the dispatcher sends
  checks in batches (checks.run_checks, CHECKS_BATCH_SIZE=20 slots) whose probes run in threads,
  so `-c 2` already has 40 probes in flight. Measured with bench/worker_cpu.py (one worker, fast
  local target, 2-core machine shared with other test runs, load 6-13, so figures are noisy):
  one task per check, prefork -c 2: ~4 CPU-s per 1,000 checks (after the connection fix below;
  15-17 before it); threads pool -c 4, one task per check: ~20 % less than prefork; batches of 20
  in prefork -c 2: ~2 CPU-s per 1,000 checks and about twice the checks/s. The batch takes the
  threads pool's gain and more while keeping prefork's hard time limit, the only one that kills
  a probe stuck in C code (a DNS lookup, an ICMP socket), and a pool child per task for the
  poison guard (CEL-10); gevent would need monkey-patching plus a new dependency.
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
- Time limits: every task has soft < hard (default 45/60 s; run_check and run_checks 80/100 s,
  above the longest probe, and a batch's probes run side by side, so a slow target ends as a
  stored timeout, never as a killed task). The Redis
  visibility timeout (600 s) is at least five times the longest limit, so a message is handed
  out again only when its worker is surely gone; no countdown or eta exceeds 60 s.
- Soft shutdown (30 s): SIGTERM lets running checks finish for that long, then requeues them.
- Database connections are kept across tasks (measured: bench/worker_cpu.py). Celery's Django
  fixup closes every connection after every task unless CELERY_DB_REUSE_MAX is set, so each
  check opened a new PostgreSQL connection (a TCP handshake, authentication and a server backend
  forked per check: 800 checks made 1,100 connections). Here the fixup's own closing is pushed
  out to every DB_REUSE_MAX tasks and, before and after each task, Django's close_old_connections
  applies CONN_MAX_AGE, CONN_HEALTH_CHECKS and "close after an error" as a web request would: a
  PostgreSQL restart costs the task that saw it, not an InterfaceError loop (RELIABILITY CEL-07).
- Scheduling is not Celery's: beat only calls checks.dispatch_due_checks every second, and the
  database claims each (monitor, slot) exactly once (monitors.services.monitor_claim_due_batch),
  so a second beat started by mistake doubles no check (RELIABILITY CEL-08). Slots due within
  the next second (CHECKS_DISPATCH_LOOKAHEAD_MS) are claimed on this tick and sent with a
  countdown of at most that (an ETA the worker holds in memory, far under the visibility
  timeout), each probe waiting for its own due time: checks start on time, not up to a tick late.
  Dispatch messages expire after 5 s and check messages after one interval (+ 30 s): a backlog
  never replays stale slots.
"""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import celeryd_after_setup, task_postrun, task_prerun

from core.queues import region_queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("driftwatch")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Celery's Django fixup closes every database connection around every task unless this is set;
# it then closes them every DB_REUSE_MAX tasks, and _close_old_connections below does the rest.
DB_REUSE_MAX = 1000
app.conf["CELERY_DB_REUSE_MAX"] = DB_REUSE_MAX


@task_prerun.connect
@task_postrun.connect
def _close_old_connections(**kwargs) -> None:  # noqa: ANN003
    """As around a web request: drop connections past CONN_MAX_AGE or broken by an error; keep the rest."""
    task = kwargs.get("task")
    if task is not None and getattr(task.request, "is_eager", False):
        return  # an eager task runs inside its caller's connection and transaction
    from django.db import close_old_connections  # noqa: PLC0415

    close_old_connections()


@celeryd_after_setup.connect
def _listen_on_region_queue(sender: str, instance, **kwargs) -> None:  # noqa: ANN001
    from django.conf import settings  # noqa: PLC0415

    instance.app.amqp.queues.select_add(region_queue(settings.CHECK_REGION))
