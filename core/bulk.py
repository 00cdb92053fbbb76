"""One UPDATE statement for many rows, each with its own values, without Django's bulk_update cost.

QuerySet.bulk_update builds a CASE WHEN per field and per row as expression objects, then resolves
and compiles them: measured on the check write path (bench/profile_check.py --batch 20), that was
most of the worker's CPU per stored result. Here the statement is written once per shape:

    UPDATE table SET f1 = v.f1, f2 = v.f2 FROM (VALUES (%s, %s, %s), (...)) AS v (id, f1, f2)
    WHERE table.id = v.id

PostgreSQL and SQLite (3.33+) both run it; each value is prepared by its own field, as an ORM save
would (get_db_prep_save), and cast to the column's type on PostgreSQL (a VALUES column of NULLs
would otherwise be text). Other databases fall back to bulk_update. No signals, as bulk_update.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections, models, router


def update_rows(model: type[models.Model], objs: Sequence[models.Model], fields: Sequence[str]) -> int:
    """Write `fields` of every object in `objs` (saved rows, by primary key) in one statement; returns rows updated."""
    if not objs:
        return 0
    connection = connections[router.db_for_write(model)]
    if connection.vendor not in {"postgresql", "sqlite"}:
        return model._default_manager.bulk_update(objs, fields)
    meta = model._meta
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        one = "(" + ", ".join(f"CAST(%s AS {column.db_type(connection)})" for column in columns) + ")"
    else:
        one = "(" + ", ".join("%s" for _ in columns) + ")"
    names = [quote(column.column) for column in columns]
    table = quote(meta.db_table)
    rows = ", ".join([one] * len(objs))
    if connection.vendor == "postgresql":
        source = f"(VALUES {rows}) AS v ({', '.join(names)})"
    else:  # SQLite names VALUES columns column1, column2, ...
        renamed = ", ".join(f"column{i} AS {name}" for i, name in enumerate(names, 1))
        source = f"(SELECT {renamed} FROM (VALUES {rows})) AS v"  # noqa: S608
    # Identifiers come from the model's metadata, quoted; every value is a parameter.
    sql = (
        f"UPDATE {table} SET {', '.join(f'{name} = v.{name}' for name in names[1:])} "  # noqa: S608
        f"FROM {source} WHERE {table}.{names[0]} = v.{names[0]}"
    )
    params = [column.get_db_prep_save(getattr(obj, column.attname), connection) for obj in objs for column in columns]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
