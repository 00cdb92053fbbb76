"""Driftwatch's own settings: checks, heartbeats, retention, alerts. Star-imported by base.py.

Read from the environment like every setting (base.py has already loaded the optional .env file
into it), each with an embedded default that is safe for development.
"""

from __future__ import annotations

import ipaddress

import environ

env = environ.Env()

ALLOW_PRIVATE_TARGETS = env.bool("ALLOW_PRIVATE_TARGETS", default=False)
# A narrower opt-in: private networks checks and webhooks may reach (CIDRs, e.g. 10.0.0.0/8);
# link-local and metadata stay refused. Parsed here so a typo fails at boot, not per check.
CHECKS_ALLOWED_PRIVATE_NETWORKS = [
    str(ipaddress.ip_network(cidr, strict=False)) for cidr in env.list("CHECKS_ALLOWED_PRIVATE_NETWORKS", default=[])
]
MIN_CHECK_INTERVAL = env.int("MIN_CHECK_INTERVAL", default=30)
CHECK_REGION = env("CHECK_REGION", default="local")
# Every region some worker serves; a monitor may only be checked from these.
CHECK_REGIONS = env.list("CHECK_REGIONS", default=[CHECK_REGION])
METRICS_TOKEN = env("METRICS_TOKEN", default="")
CHECKS_MAX_BODY_BYTES = env.int("CHECKS_MAX_BODY_BYTES", default=1024 * 1024)
CHECKS_MAX_REDIRECTS = env.int("CHECKS_MAX_REDIRECTS", default=5)
# A PEM bundle of extra CAs the TLS probe trusts besides the system ones (a private CA; the tests).
CHECKS_EXTRA_CA_FILE = env("CHECKS_EXTRA_CA_FILE", default="")
CHECKS_DISPATCH_BATCH = env.int("CHECKS_DISPATCH_BATCH", default=500)
# Slots are claimed and sent this long before they are due (one beat tick), with a countdown, and
# each probe waits for its own due time: checks start on time, not at the next tick (checks.services).
CHECKS_DISPATCH_LOOKAHEAD_MS = env.int("CHECKS_DISPATCH_LOOKAHEAD_MS", default=1000)
# Check slots per checks.run_checks message, probed concurrently in one task (checks.batch).
CHECKS_BATCH_SIZE = env.int("CHECKS_BATCH_SIZE", default=20)
# A new or resumed monitor's first check is due within min(interval, this), spread by its id, so
# monitors created together stay spread (monitors.schedule); 0: at once. A slot found later than
# CHECKS_MISSED_AFTER_SECONDS (capped at the interval) is skipped, not run: no burst after an outage.
# 30 s: a worker restart (the dispatcher runs on the workers) loses no slot (RELIABILITY CEL-04),
# and a longer outage ends with at most 30 s worth of checks at once.
CHECKS_FIRST_CHECK_WITHIN_SECONDS = env.int("CHECKS_FIRST_CHECK_WITHIN_SECONDS", default=60)
CHECKS_MISSED_AFTER_SECONDS = env.int("CHECKS_MISSED_AFTER_SECONDS", default=30)
# Heartbeat pings: the first N bytes of a ping's body are kept; pings per token and per client address.
CHECKS_PING_BODY_BYTES = env.int("CHECKS_PING_BODY_BYTES", default=10_000)
CHECKS_PINGS_PER_TOKEN = env("CHECKS_PINGS_PER_TOKEN", default="60/m")
CHECKS_PINGS_PER_IP = env("CHECKS_PINGS_PER_IP", default="600/m")
# First pause before retrying a failed probe inside one run; doubles per retry, ±20 % jitter.
CHECKS_RETRY_BASE_MS = env.int("CHECKS_RETRY_BASE_MS", default=500)
# Deliveries of one check run before it is recorded as error_kind=worker_lost instead of run again
# (a run that kills its worker process; checks.deliveries, RELIABILITY CEL-10).
CHECKS_MAX_DELIVERIES = env.int("CHECKS_MAX_DELIVERIES", default=3)
# Seconds a worker process keeps an organisation's maintenance windows (checks.windows); 0: no cache.
CHECKS_MAINTENANCE_CACHE_SECONDS = env.float("CHECKS_MAINTENANCE_CACHE_SECONDS", default=5.0)
# Retention (checks.retention, run daily by beat): raw results and heartbeat pings per
# organisation (its result_retention_days; this is a new organisation's default), rollups globally.
CHECKS_RESULT_RETENTION_DAYS = env.int("CHECKS_RESULT_RETENTION_DAYS", default=30)
CHECKS_ROLLUP_RETENTION_DAYS = env.int("CHECKS_ROLLUP_RETENTION_DAYS", default=730)
# PostgreSQL: day partitions of check results created this many days ahead (checks.partitions).
CHECKS_PARTITION_DAYS_AHEAD = env.int("CHECKS_PARTITION_DAYS_AHEAD", default=7)
# PostgreSQL: `migrate` gives up on a lock after this long instead of queueing writers behind it (checks.migrate_hooks).
MIGRATIONS_LOCK_TIMEOUT_MS = env.int("MIGRATIONS_LOCK_TIMEOUT_MS", default=2000)
# Contract drift (checks.drift): bytes of a redacted example body kept per distinct response shape.
CHECKS_DRIFT_SAMPLE_BYTES = env.int("CHECKS_DRIFT_SAMPLE_BYTES", default=16_384)
ALERTS_WEBHOOK_TIMEOUT_MS = env.int("ALERTS_WEBHOOK_TIMEOUT_MS", default=15_000)
ALERTS_MAX_ATTEMPTS = env.int("ALERTS_MAX_ATTEMPTS", default=8)
# Channels (alerts.channels): each TCP connect of a delivery; regexes a kind's URL must match instead
# of the real service hosts (JSON, e.g. {"slack": "http://127\\.0\\.0\\.1:\\d+/.*"}; empty: the real hosts).
ALERTS_WEBHOOK_CONNECT_TIMEOUT_MS = env.int("ALERTS_WEBHOOK_CONNECT_TIMEOUT_MS", default=5_000)
ALERTS_CHANNEL_URL_OVERRIDES = env.json("ALERTS_CHANNEL_URL_OVERRIDES", default={})
ALERTS_TELEGRAM_API_URL = env("ALERTS_TELEGRAM_API_URL", default="https://api.telegram.org")
# A claimed delivery is left to its worker this long (at least 2x the send timeout); after it, a
# delivery whose worker died mid-send is sent again by the sweep, with the same webhook-id.
ALERTS_CLAIM_LEASE_SECONDS = env.int("ALERTS_CLAIM_LEASE_SECONDS", default=180)
# After a webhook's secret changes, deliveries carry signatures of the new and the old one this long.
ALERTS_SECRET_ROTATION_HOURS = env.int("ALERTS_SECRET_ROTATION_HOURS", default=24)
# Noise control: more than ALERTS_FLAP_TRANSITIONS flips within ALERTS_FLAP_WINDOW_MINUTES is flapping;
# DOWN alerts wait ALERTS_DIGEST_HOLD_SECONDS and fold into one digest per channel when at least
# ALERTS_DIGEST_THRESHOLD of one organisation are waiting (0 hold: no digests, every DOWN at once).
ALERTS_FLAP_TRANSITIONS = env.int("ALERTS_FLAP_TRANSITIONS", default=5)
ALERTS_FLAP_WINDOW_MINUTES = env.int("ALERTS_FLAP_WINDOW_MINUTES", default=30)
ALERTS_DIGEST_HOLD_SECONDS = env.int("ALERTS_DIGEST_HOLD_SECONDS", default=30)
ALERTS_DIGEST_THRESHOLD = env.int("ALERTS_DIGEST_THRESHOLD", default=5)
