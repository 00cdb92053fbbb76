"""DATA-06 reversible migrations, on SQLite and PostgreSQL alike: each app goes back one migration
and forward again on a seeded database (MigrationExecutor directly; django-test-migrations is not
installed), every RunPython has a reverse_code and every RunSQL a reverse_sql (AST check), and
makemigrations --check is clean."""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from accounts.models import Organization
from checks.models import CheckResult, HeartbeatPing, StatusChange
from conftest import make_user, organization_of
from monitors.models import Monitor

ROOT = Path(__file__).resolve().parent.parent
APPS = ["accounts", "monitors", "checks", "alerts"]  # core has no models


def seed() -> None:
    owner = make_user(email="seed@example.com", organization_name="Seeded")
    m = Monitor.objects.create(organization=organization_of(owner), name="seeded", url="http://127.0.0.1:9/")
    now = timezone.now()
    rows = CheckResult.objects.bulk_create(
        [CheckResult(monitor=m, due_at=now - timedelta(minutes=i), started_at=now, ok=True) for i in range(20)]
    )
    StatusChange.objects.create(monitor=m, result=rows[0], old_state="pending", new_state="up")
    HeartbeatPing.objects.create(monitor=m)


def counts() -> dict[str, int]:
    # Tables every one-step rollback below keeps (alerts' own tables go with alerts' 0001).
    models = (Organization, Monitor, CheckResult, StatusChange, HeartbeatPing)
    return {model._meta.db_table: model.objects.count() for model in models}


def previous(executor: MigrationExecutor, app: str) -> tuple[tuple[str, str], tuple[str, str | None]]:
    """The app's leaf migration and the target one step before it (None: before its first)."""
    graph = executor.loader.graph
    (leaf,) = graph.leaf_nodes(app)
    parents = [parent for parent in graph.node_map[leaf].parents if parent.key[0] == app]
    return leaf, (app, parents[0].key[1] if parents else None)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("app", APPS)
def test_data_06_each_app_migrates_back_one_step_and_forward_on_a_seeded_db(app: str) -> None:
    seed()
    before = counts()
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    leaf, target = previous(executor, app)
    try:
        executor.migrate([target])
        executor.loader.build_graph()
        assert leaf not in executor.loader.applied_migrations
    finally:
        # Always forward again: the next tests share this database.
        executor = MigrationExecutor(connection)
        executor.migrate(leaves)
    executor.loader.build_graph()
    assert set(leaves) <= set(executor.loader.applied_migrations)
    assert counts() == before


def _migration_files() -> list[Path]:
    return sorted(path for app in APPS for path in (ROOT / app / "migrations").glob("[0-9]*.py"))


def test_data_06_every_run_python_and_run_sql_can_be_reversed() -> None:
    files = _migration_files()
    assert files
    missing = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            keyword = {"RunPython": "reverse_code", "RunSQL": "reverse_sql"}.get(name)
            if keyword is None:
                continue
            reverse = (
                node.args[1]
                if len(node.args) > 1
                else next((kw.value for kw in node.keywords if kw.arg == keyword), None)
            )
            if reverse is None or (isinstance(reverse, ast.Constant) and reverse.value is None):
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not missing, f"irreversible operations: {missing}"


@pytest.mark.django_db
def test_data_06_makemigrations_check_is_clean() -> None:
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
