"""Beat's schedule: every periodic task of the product (django-celery-beat's DatabaseScheduler runs it).

One dispatcher serves every monitor (no PeriodicTask row per monitor). Each entry's `expires` drops
a run that waited longer than its period, so a stopped worker does not come back to a burst.
"""

from celery.schedules import crontab

CELERY_BEAT_SCHEDULE = {
    "dispatch-due-checks": {"task": "checks.dispatch_due_checks", "schedule": 1.0, "options": {"expires": 5}},
    "sweep-status-changes": {"task": "alerts.process_status_changes", "schedule": 15.0, "options": {"expires": 30}},
    "sweep-notifications": {"task": "alerts.sweep_notifications", "schedule": 30.0, "options": {"expires": 60}},
    # Held DOWN alerts fold into one digest per channel when many of one organisation wait at once.
    "fold-digests": {"task": "alerts.fold_digests", "schedule": 10.0, "options": {"expires": 10}},
    # Flapping monitors quiet for a whole ALERTS_FLAP_WINDOW_MINUTES get their "stable again" notice.
    "settle-flapping": {"task": "alerts.settle_flapping", "schedule": 60.0, "options": {"expires": 60}},
    # Windowed alert rules (latency p95, uptime SLO, TLS expiry); idempotent, so a late run is harmless.
    "evaluate-rules": {"task": "alerts.evaluate_rules", "schedule": 60.0, "options": {"expires": 60}},
    "send-reminders": {"task": "alerts.send_reminders", "schedule": 300.0, "options": {"expires": 300}},
    # Drift events whose on-commit nudge was lost.
    "sweep-drift-events": {"task": "alerts.process_drift_events", "schedule": 30.0, "options": {"expires": 60}},
    "check-heartbeats": {"task": "checks.check_heartbeats", "schedule": 30.0, "options": {"expires": 60}},
    "probe-regions": {"task": "checks.probe_regions", "schedule": 30.0, "options": {"expires": 30}},
    # Hourly/daily rollups of closed hours; catches up after downtime, at most 12 hours a run.
    "build-rollups": {"task": "checks.build_rollups", "schedule": 300.0, "options": {"expires": 290}},
    # Daily, before the purge: day partitions of results created ahead, expired ones dropped.
    "manage-partitions": {
        "task": "checks.manage_partitions",
        "schedule": crontab(hour=3, minute=7),
        "options": {"expires": 3600},
    },
    # Daily, off the hour; never with force: a run that would delete over half a table stops.
    # Daily: accounts whose confirmed deletion is past ACCOUNTS_DELETION_GRACE_DAYS go for good.
    "purge-deleted-accounts": {
        "task": "accounts.purge_deleted_accounts",
        "schedule": crontab(hour=3, minute=41),
        "options": {"expires": 3600},
    },
    "purge-results": {
        "task": "checks.purge_results",
        "schedule": crontab(hour=3, minute=17),
        "options": {"expires": 3600},
    },
}
