"""checks_checkresult keeps one b-tree: the slot index, now (monitor_id, due_at, region). Measured by bench.storage.

Why (issue 5: under 150 MB per million results): per million rows the heap takes 93 MB and each
b-tree 32-41 MB. Three went:

- The primary key (id, due_at) (PostgreSQL only). A partitioned table needs no primary key, and
  Django needs no constraint to keep `id` its pk: every id comes from the table's one identity
  sequence, so ids are unique without an index enforcing it. A BRIN index on id replaces it for
  lookups by id (StatusChange.result, DriftEvent.result, the admin, retention's protected rows):
  ids grow with insertion time, so each block range of a day partition holds a narrow id range;
  the index is a few kB. autosummarize: a filled block range is summarised soon by autovacuum
  instead of being scanned by every lookup until the next VACUUM.
- checkresult_monitor_time_idx (monitor_id, started_at): its readers bound due_at as well now
  (checks.result_window), which prunes day partitions and range-scans the slot index.
- The slot constraint's column order becomes (monitor_id, due_at, region): the same uniqueness
  (CEL-02), and one monitor's results come out of it in due_at order (the results list, its
  latest result) without a sort, whatever the regions.

On a large install this rebuilds the slot index in one transaction, writes waiting meanwhile (as
0008 did): run `migrate` in a quiet moment. SQLite: the index and constraint changes only.
"""

from django.db import migrations, models

TABLE = "checks_checkresult"
BRIN = "checkresult_id_brin"


def _pkey(cursor) -> str | None:
    cursor.execute("SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p'", [TABLE])
    row = cursor.fetchone()
    return row[0] if row else None


def drop_primary_key(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        if name := _pkey(cursor):
            cursor.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT {name}")
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {BRIN} ON {TABLE} USING brin (id) "
            "WITH (pages_per_range = 16, autosummarize = on)"
        )


def restore_primary_key(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {BRIN}")
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = %s::regclass", [TABLE])
        key = "(id, due_at)" if cursor.fetchone()[0] == "p" else "(id)"
        if _pkey(cursor) is None:
            cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_pkey PRIMARY KEY {key}")


class Migration(migrations.Migration):
    dependencies = [
        ("checks", "0009_contractbaseline_content_type"),
    ]

    operations = [
        migrations.RunPython(drop_primary_key, restore_primary_key, elidable=False),
        migrations.RemoveIndex(model_name="checkresult", name="checkresult_monitor_time_idx"),
        migrations.RemoveConstraint(model_name="checkresult", name="checkresult_unique_slot"),
        migrations.AddConstraint(
            model_name="checkresult",
            constraint=models.UniqueConstraint(fields=("monitor", "due_at", "region"), name="checkresult_unique_slot"),
        ),
    ]
