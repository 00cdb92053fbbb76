"""Development tools from requirements-dev.txt, for the local and test settings (not production).

`manage.py lintmigrations` (django-migration-linter, RELIABILITY DATA-07) runs in `make lint` and in
tests/test_data_07_large_table_safety.py. It reads the SQL each migration of our apps runs on
PostgreSQL (on SQLite, Django's table rebuilds make every change look unsafe, so make lint skips it).

Not checked, on purpose: NOT_NULL (adding a NOT NULL column with a default). On PostgreSQL >= 11 that
is a catalog-only change with a brief lock, and the web container migrates before it serves
(docker-compose.yml), so no old code writes the table after the column appears for long.
Ignored migrations, each reviewed: applied before the linter came in, on tables that were small then.
"""

from __future__ import annotations

from importlib.util import find_spec

DEVTOOLS_APPS = ["django_migration_linter"] if find_spec("django_migration_linter") else []

MIGRATION_LINTER_OPTIONS = {
    "include_apps": ["accounts", "monitors", "checks", "alerts"],
    "exclude_migration_tests": ["NOT_NULL"],
    "ignore_name": [
        "0002_rules_incident_timeline_channels",  # alerts: indexes and a unique constraint on small tables
        "0004_ping_token_unique",  # monitors: unique on a filled column of the (small) monitors table
        "0005_dns_resolver_fits_ipv6_with_port",  # monitors: widens a varchar, catalog-only on PostgreSQL
        "0006_contract_drift",  # checks: indexes of the new drift tables (a warning)
        # checks: drops the results' primary key and monitor/time index, rebuilds the slot index in
        # (monitor, due_at, region) order in one transaction; like 0008, run it in a quiet moment.
        "0010_checkresult_slim_indexes",
    ],
}
