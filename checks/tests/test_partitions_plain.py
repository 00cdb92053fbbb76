"""Partition maintenance where results are a plain table: it runs, says so and changes nothing;
retention there is the batched deletes of checks.retention.

A plain table is SQLite's (the embedded default) and PostgreSQL's before checks/0008; on PostgreSQL
the test migrates checks back past 0008 for real, and forward again afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from checks.partitions import partitioning_enabled, partitions_manage
from checks.tasks import manage_partitions_task

BEFORE_PARTITIONS = ("checks", "0006_contract_drift")  # 0007 and 0008 undone: a plain table again


@pytest.fixture
def plain_results_table(transactional_db) -> Iterator[None]:  # noqa: ANN001, ARG001
    """checks_checkresult as a plain table for the test: as it is on SQLite; migrated back on PostgreSQL."""
    if connection.vendor != "postgresql":
        yield
        return
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    MigrationExecutor(connection).migrate([BEFORE_PARTITIONS])
    try:
        yield
    finally:
        MigrationExecutor(connection).migrate(leaves)
    assert partitioning_enabled()


@pytest.mark.django_db
def test_partitioning_is_on_exactly_on_postgresql() -> None:
    assert partitioning_enabled() is (connection.vendor == "postgresql")


def test_partition_maintenance_on_a_plain_table_does_nothing_and_says_so(plain_results_table) -> None:  # noqa: ANN001, ARG001
    assert not partitioning_enabled()
    report = partitions_manage(now=timezone.now())
    assert report.created == [] and report.dropped == []
    assert "not partitioned" in report.note
    assert manage_partitions_task.apply().get() == {"created": 0, "dropped": 0, "kept": 0}
    out = StringIO()
    call_command("manage_partitions", stdout=out)
    assert "retention uses batched deletes only" in out.getvalue()
