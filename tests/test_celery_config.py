"""CEL-01: the Celery settings that make an at-least-once queue safe (RELIABILITY §4, config/celery.py)."""

from __future__ import annotations

import ast
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.apps import apps
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
LATE_TASK_FACTOR = 5  # visibility timeout >= 5 x the longest hard limit of a task acked after its run
MAX_DELAY_SECONDS = 60  # longer delays live in database columns, never in the broker
OUR_CODE = ["accounts", "alerts", "checks", "config", "core", "monitors", "bench"]


def _app():  # noqa: ANN202
    from config.celery import app  # noqa: PLC0415

    for config in apps.get_app_configs():  # every tasks module, as the worker's autodiscovery does
        if (Path(config.path) / "tasks.py").exists():
            importlib.import_module(f"{config.name}.tasks")
    return app


def _our_tasks() -> dict:
    return {name: task for name, task in _app().tasks.items() if not name.startswith("celery.")}


def _limits(task) -> tuple[float | None, float | None]:  # noqa: ANN001
    conf = _app().conf
    return (task.soft_time_limit or conf.task_soft_time_limit, task.time_limit or conf.task_time_limit)


def _redis_settings() -> dict:
    """The settings as a deployment with REDIS_URL sees them (importing settings connects to nothing)."""
    code = (
        "import json; from config.settings import test as s; "
        "print(json.dumps({k: getattr(s, k) for k in dir(s) if k.startswith('CELERY_') and 'TRANSPORT' in k}))"
    )
    env = {**os.environ, "REDIS_URL": "redis://127.0.0.1:6379/15"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=BASE_DIR, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_cel_01_late_acks_requeue_on_worker_loss_and_prefetch_one() -> None:
    conf = _app().conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.worker_soft_shutdown_timeout > 0


def test_cel_01_every_task_has_a_soft_limit_below_its_hard_limit() -> None:
    tasks = _our_tasks()
    assert {"checks.run_check", "checks.dispatch_due_checks"} <= set(tasks)
    for name, task in tasks.items():
        soft, hard = _limits(task)
        assert soft and hard, f"{name} has no time limit"
        assert soft < hard, f"{name}: soft_time_limit {soft} is not below time_limit {hard}"


def test_cel_01_visibility_timeouts_are_equal_and_five_times_the_longest_late_acked_task() -> None:
    options = _redis_settings()
    assert "CELERY_BROKER_TRANSPORT_OPTIONS" in options
    timeouts = {name: value.get("visibility_timeout") for name, value in options.items()}
    assert set(timeouts.values()) == {settings.CELERY_VISIBILITY_TIMEOUT_SECONDS}, timeouts
    visibility = settings.CELERY_VISIBILITY_TIMEOUT_SECONDS
    # A task acknowledged after its run sits unacked while it runs: Redis hands it to another
    # worker once the visibility timeout passes, so it must outlast the task by a wide margin.
    too_long = {
        name: _limits(task)[1]
        for name, task in _our_tasks().items()
        if task.acks_late and _limits(task)[1] * LATE_TASK_FACTOR > visibility
    }
    assert too_long == {}, (
        f"late-acked tasks whose time_limit x {LATE_TASK_FACTOR} exceeds the {visibility} s visibility timeout "
        "(a second copy would start while the first still runs): give them acks_late=False (beat runs them "
        "again) or split them into shorter tasks"
    )


def _module_constants(tree: ast.Module) -> dict[str, object]:
    constants: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    constants[target.id] = node.value.value
    return constants


def _bounded_by_guard(value: ast.expr, parents: list[ast.AST], constants: dict[str, object]) -> bool:
    """True if an enclosing `if <value> <= LIMIT` (or <) bounds the value by at most 60 s."""
    for parent in parents:
        if not isinstance(parent, ast.If):
            continue
        for compare in ast.walk(parent.test):
            if not isinstance(compare, ast.Compare) or ast.dump(compare.left) != ast.dump(value):
                continue
            for op, right in zip(compare.ops, compare.comparators, strict=False):
                bound = right.value if isinstance(right, ast.Constant) else constants.get(getattr(right, "id", ""))
                if isinstance(op, ast.LtE | ast.Lt) and isinstance(bound, int | float) and bound <= MAX_DELAY_SECONDS:
                    return True
    return False


def _delays(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    constants = _module_constants(tree)
    problems: list[str] = []

    def visit(node: ast.AST, parents: list[ast.AST]) -> None:
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg not in {"countdown", "eta"}:
                    continue
                where = f"{path.relative_to(BASE_DIR) if path.is_relative_to(BASE_DIR) else path.name}:{node.lineno}"
                if keyword.arg == "eta":
                    problems.append(f"{where}: eta= (use a countdown of at most {MAX_DELAY_SECONDS} s or a DB column)")
                elif isinstance(keyword.value, ast.Constant):
                    if keyword.value.value > MAX_DELAY_SECONDS:
                        problems.append(f"{where}: countdown={keyword.value.value}")
                elif not _bounded_by_guard(keyword.value, parents, constants):
                    problems.append(f"{where}: countdown not bounded by an `if ... <= {MAX_DELAY_SECONDS}` guard")
        for child in ast.iter_child_nodes(node):
            visit(child, [node, *parents])

    visit(tree, [])
    return problems


def test_cel_01_no_countdown_or_eta_over_60_seconds() -> None:
    problems: list[str] = []
    for folder in OUR_CODE:
        for path in sorted((BASE_DIR / folder).rglob("*.py")):
            if "tests" not in path.parts and "migrations" not in path.parts:
                problems += _delays(path)
    assert problems == []


def test_cel_01_the_guard_itself_catches_long_delays(tmp_path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "LIMIT = 60\nLONG = 3600\n"
        "task.apply_async(countdown=61)\n"
        "task.apply_async(eta=when)\n"
        "task.apply_async(countdown=delay)\n"
        "if delay <= LONG:\n    task.apply_async(countdown=delay)\n"
        "if delay <= LIMIT:\n    task.apply_async(countdown=delay)\n"
        "task.apply_async(countdown=30)\n"
    )
    problems = _delays(sample)
    assert [p.split(":")[1] for p in problems] == ["3", "4", "5", "7"]


def test_cel_01_compose_redis_persists_and_never_evicts() -> None:
    compose = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
    command = compose["services"]["redis"]["command"]
    words = command.split() if isinstance(command, str) else command
    assert words[words.index("--appendonly") + 1] == "yes"
    assert words[words.index("--maxmemory-policy") + 1] == "noeviction"


@pytest.mark.django_db(transaction=True)
def test_cel_07_workers_keep_database_connections_and_drop_broken_or_old_ones() -> None:
    """Celery's Django fixup closes every connection after every task unless CELERY_DB_REUSE_MAX is set
    (a new PostgreSQL connection per check); config.celery sets it and runs close_old_connections
    around each task instead, which drops a connection past CONN_MAX_AGE or broken by an error."""
    from django.db import connection  # noqa: PLC0415

    from config import celery as celery_config  # noqa: PLC0415

    assert celery_config.app.conf.get("CELERY_DB_REUSE_MAX") >= 100
    connection.ensure_connection()
    kept = connection.connection
    connection.close_at = None  # no CONN_MAX_AGE limit: kept
    celery_config._close_old_connections(task=None)
    assert connection.connection is kept  # a healthy connection stays open across tasks
    connection.close_at = 0.0  # past CONN_MAX_AGE
    celery_config._close_old_connections(task=None)
    assert connection.connection is None
