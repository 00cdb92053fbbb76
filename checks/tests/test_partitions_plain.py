"""Partition maintenance where results are a plain table (SQLite, the embedded default): it runs,
says so and changes nothing; retention there is the batched deletes of checks.retention."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from checks.partitions import partitioning_enabled, partitions_manage
from checks.tasks import manage_partitions_task

pytestmark = pytest.mark.django_db


def test_partitioning_is_on_exactly_on_postgresql() -> None:
    assert partitioning_enabled() is (connection.vendor == "postgresql")


def test_partition_maintenance_on_a_plain_table_does_nothing_and_says_so() -> None:
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL partitions: checks/tests/test_partitions.py")
    report = partitions_manage(now=timezone.now())
    assert report.created == [] and report.dropped == []
    assert "not partitioned" in report.note
    assert manage_partitions_task.apply().get() == {"created": 0, "dropped": 0, "kept": 0}
    out = StringIO()
    call_command("manage_partitions", stdout=out)
    assert "retention uses batched deletes only" in out.getvalue()
