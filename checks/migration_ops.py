"""Migration operations for the big tables (DATA-07).

AddIndexConcurrentlyPartitioned: Django's AddIndexConcurrently cannot index a partitioned table
(PostgreSQL builds no index on one CONCURRENTLY), nor run on SQLite. This one:
- on a partitioned table (checks_checkresult on PostgreSQL) builds the index CONCURRENTLY on each
  partition (waiting for older transactions blocks no writer, so it waits without lock_timeout),
  then creates the parent's index ON ONLY the parent and ATTACHes the partitions' indexes; those two
  steps need a brief lock on the parent, taken with a short lock_timeout and retried, so writers
  never queue behind a waiting lock request for more than PARENT_LOCK_TIMEOUT_MS;
- on a plain PostgreSQL table is AddIndexConcurrently;
- on SQLite is a plain CREATE INDEX.
Re-running after a failure is safe: an INVALID leftover index of a partition is dropped and built again.
Use it in a migration with `atomic = False`; only plain column indexes (fields, optionally "-field").
"""

from __future__ import annotations

import time
from typing import Any

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import OperationalError

PARENT_LOCK_TIMEOUT_MS = 100
PARENT_RETRY_SECONDS = 600


def _is_partitioned(cursor: Any, table: str) -> bool:
    cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [table])
    row = cursor.fetchone()
    return row is not None and row[0] == "p"


def _partitions(cursor: Any, table: str) -> list[str]:
    """Partitions of a partitioned table, or of a partitioned index."""
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = %s::regclass ORDER BY c.relname",
        [table],
    )
    return [name for (name,) in cursor.fetchall()]


def _with_short_lock_timeout(cursor: Any, sql: str) -> None:
    """Run one brief-lock statement, giving up each try after PARENT_LOCK_TIMEOUT_MS (writers queue no longer)."""
    deadline = time.monotonic() + PARENT_RETRY_SECONDS
    while True:
        cursor.execute("SHOW lock_timeout")
        previous = cursor.fetchone()[0]
        cursor.execute("SELECT set_config('lock_timeout', %s, false)", [f"{PARENT_LOCK_TIMEOUT_MS}ms"])
        try:
            cursor.execute(sql)
            return
        except OperationalError as exc:
            if "lock timeout" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.2)
        finally:
            cursor.execute("SELECT set_config('lock_timeout', %s, false)", [previous])


class AddIndexConcurrentlyPartitioned(AddIndexConcurrently):
    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        model = to_state.apps.get_model(app_label, self.model_name)
        connection = schema_editor.connection
        if not self.allow_migrate_model(connection.alias, model):
            return
        if connection.vendor != "postgresql":
            schema_editor.add_index(model, self.index)
            return
        self._ensure_not_in_transaction(schema_editor)
        table = model._meta.db_table
        with connection.cursor() as cursor:
            partitioned = _is_partitioned(cursor, table)
        if not partitioned:
            schema_editor.add_index(model, self.index, concurrently=True)
            return
        if self.index.condition or self.index.expressions or self.index.include or self.index.opclasses:
            raise NotImplementedError("AddIndexConcurrentlyPartitioned takes plain column indexes only")
        qn = schema_editor.quote_name
        columns = ", ".join(
            qn(model._meta.get_field(name.lstrip("-")).column) + (" DESC" if name.startswith("-") else "")
            for name in self.index.fields
        )
        name = self.index.name
        with connection.cursor() as cursor:
            cursor.execute("SHOW lock_timeout")
            previous = cursor.fetchone()[0]
            # CONCURRENTLY holds SHARE UPDATE EXCLUSIVE (inserts go on) while it waits for older
            # transactions: that wait harms nobody, so no lock_timeout cuts it short.
            cursor.execute("SET lock_timeout = 0")
            try:
                for partition in _partitions(cursor, table):
                    child = f"{name}_{partition.removeprefix(table + '_')}"
                    cursor.execute("SELECT i.indisvalid FROM pg_index i WHERE i.indexrelid = to_regclass(%s)", [child])
                    row = cursor.fetchone()
                    if row is not None and not row[0]:  # left INVALID by an interrupted run
                        cursor.execute(f"DROP INDEX CONCURRENTLY {qn(child)}")
                    cursor.execute(
                        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {qn(child)} ON {qn(partition)} ({columns})"
                    )
            finally:
                cursor.execute("SELECT set_config('lock_timeout', %s, false)", [previous])
            _with_short_lock_timeout(cursor, f"CREATE INDEX IF NOT EXISTS {qn(name)} ON ONLY {qn(table)} ({columns})")
            attached = set(_partitions(cursor, name))  # the partitions' indexes already attached to it
            for partition in _partitions(cursor, table):
                child = f"{name}_{partition.removeprefix(table + '_')}"
                if child not in attached:
                    _with_short_lock_timeout(cursor, f"ALTER INDEX {qn(name)} ATTACH PARTITION {qn(child)}")

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        model = from_state.apps.get_model(app_label, self.model_name)
        connection = schema_editor.connection
        if not self.allow_migrate_model(connection.alias, model):
            return
        if connection.vendor != "postgresql":
            schema_editor.remove_index(model, self.index)
            return
        self._ensure_not_in_transaction(schema_editor)
        with connection.cursor() as cursor:
            if not _is_partitioned(cursor, model._meta.db_table):
                schema_editor.remove_index(model, self.index, concurrently=True)
                return
            # A partitioned index is dropped with its partitions' ones (no CONCURRENTLY there).
            _with_short_lock_timeout(cursor, f"DROP INDEX IF EXISTS {schema_editor.quote_name(self.index.name)}")

    def describe(self) -> str:
        return f"Concurrently (per partition) create index {self.index.name} on {self.model_name}"
