"""Contract drift, the pure part: the shape of JSON responses, merged, compared, and read from schemas.

Pure Python: no Django import anywhere in this package (checks/tests/shapes/test_purity.py).

Shapes are canonical JSON (stored in a JSONField; compare with ==, hash with shape_hash):
    {"type": "string" | "integer" | "number" | "boolean"}          + "nullable": true when null was seen too
    {"type": "null"}                                                only null was seen
    {"type": "object", "properties": {...}, "optional": [keys], "partial": true}
    {"type": "array", "items": <shape>}
    {"type": "map", "values": <shape>}                              an object used as a dictionary
    {"type": "union", "anyOf": [<shapes of different kinds>]}      + "nullable"
    {"type": "unknown"}      the elements of an empty array: nothing known, matches anything
    {"type": "truncated"}    cut off by a limit (or "anything" in a schema): diff never reports it
"optional" and "partial" appear only when non-empty / true.

Decisions (issue 6):
- Numbers: 1 is an integer, 1.0 a number; integer is a subset of number, so merging gives "number",
  and diff reports neither integer→number nor number→integer (a value-only variation).
- Booleans are never integers.
- Maps: an object is a map when all its keys look like ids (numbers, UUIDs, hex hashes, dates,
  versions such as 1.2.0, prefixed ids such as cus_9s6XKz…, upper-case ids such as C024BE91L), or
  when its values share one kind and either it has at least Limits.map_min_keys keys or at least
  half of them (two or more) look like ids (npm's "time": created, modified, 1.0.0, 1.1.0). New or
  missing map keys are never drift; diff compares the values at "$.path.*". A map compared with
  an object compares the object's values with the map's values (no added/removed keys), so a
  small dictionary that stops looking like a map on a quiet day is not reported.
- Optionality: a key is optional when some merged objects lack it (objects of one array, or the
  responses a baseline learned from). One response cannot show that a key is optional, so diff
  reports a key as "removed" only when the baseline required it and the new shape lacks it or
  lacks it in some elements; a baseline's optional key that is absent is not a change.
- Direction: diff(before=baseline, after=new) reports what `after` does that `before` did not
  allow. Narrowing (fewer kinds in a union, no null in a nullable field, an optional key gone) is
  never drift. Null where the baseline never had it is "became_nullable"; a kind the baseline did
  not have is "type_changed" (also null→string, for a field that was only ever null).
- Unknown and truncated compare equal to anything (an empty array, a cut-off branch).
- IN-04: diff(a, a) == []; for values whose arrays hold alike elements, with no maps and no
  integer/number mix, diff(a, b) == [] exactly when shape_of(a) == shape_of(b), and diff(b, a) names
  the same paths with added/removed swapped. The exceptions are the decisions above
  (unknown, maps, number kinds, narrowing), each one a value-only variation by design.
- Bounds: Limits caps depth (at most 128 whatever is asked), values visited and time. The walk is
  recursive only to the depth cap; beyond it, or once the budget is spent, values become
  "truncated", an object cut mid-way is "partial" (its missing keys are not "removed"), and
  ShapeResult.bounded names the limits that were hit.
"""

from __future__ import annotations

from .diff import Change, ignore_path_error, parse_path, severity_of, shape_diff, shape_matches
from .infer import Limits, ShapeResult, is_id_key, shape_hash, shape_of
from .nodes import Nodes, Shape
from .redact import is_secret_key, redact
from .schema import (
    ShapeSchemaError,
    openapi_operations,
    shape_from_json_schema,
    shape_from_openapi,
)
from .tree import shape_tree


def shape_merge(a: Shape, b: Shape) -> Shape:
    """The least shape both fit: commutative, associative, idempotent. Malformed parts read as truncated."""
    nodes = Nodes()
    return nodes.materialize(nodes.merge(nodes.parse(a), nodes.parse(b)))


__all__ = [
    "Change",
    "Limits",
    "Shape",
    "ShapeResult",
    "ShapeSchemaError",
    "ignore_path_error",
    "is_id_key",
    "is_secret_key",
    "openapi_operations",
    "parse_path",
    "redact",
    "severity_of",
    "shape_diff",
    "shape_from_json_schema",
    "shape_from_openapi",
    "shape_hash",
    "shape_matches",
    "shape_merge",
    "shape_of",
    "shape_tree",
]
