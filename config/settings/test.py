"""Settings for pytest: the same database and broker choice as base, faster hashing, locmem email."""

from __future__ import annotations

import os

from .base import *  # noqa: F403
from .base import BASE_DIR, DATABASES, INSTALLED_APPS, REDIS_URL
from .devtools import DEVTOOLS_APPS, MIGRATION_LINTER_OPTIONS  # noqa: F401 - read by lintmigrations

INSTALLED_APPS = [*INSTALLED_APPS, *DEVTOOLS_APPS]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# Check targets and webhook receivers in tests are real servers on 127.0.0.1.
ALLOW_PRIVATE_TARGETS = True
MIN_CHECK_INTERVAL = 30
# Retries inside a run pause a few milliseconds, not half a second (checks.retries).
CHECKS_RETRY_BASE_MS = 5
# Tests hand the dispatcher its `now` (real time is earlier): nothing is claimed ahead and no probe
# waits for its slot; the lookahead's own tests turn it on, and tests/e2e run with the shipped 1 s.
CHECKS_DISPATCH_LOOKAHEAD_MS = 0
# Test databases reuse organisation ids after a rollback: no per-process maintenance-window cache
# (checks.windows; its own tests turn it on).
CHECKS_MAINTENANCE_CACHE_SECONDS = 0
# allauth's per-address limits (e.g. one confirmation email per 3 minutes) would make tests
# depend on each other through the cache; rate-limit tests turn them back on.
ACCOUNT_RATE_LIMITS = False
# Likewise django-ratelimit and the API throttles: rate-limit tests turn them on (STYLE R14).
RATELIMIT_ENABLE = False
# DOWN alerts go out at once, not after the digest hold; digest tests set a hold (alerts.services.digest).
ALERTS_DIGEST_HOLD_SECONDS = 0
if not REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STATIC_ROOT = BASE_DIR / "var" / "test-static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing root
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory: the end-to-end test's worker and beat processes open the same test
    # database. One file per test run, so two runs never share (conftest removes it at the end).
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / f"test-db-{os.getpid()}.sqlite3")}
