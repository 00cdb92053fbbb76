"""The shape algebra: hash-consed nodes, their merge, and the canonical JSON form.

A node is interned by a shallow signature, so equal sub-shapes share one id: merging or diffing two
equal subtrees costs one integer comparison, and an array of 10,000 alike objects interns one node.

Signature of a node: (nullable, marker, variants). `variants` is a tuple ordered by kind code, at
most one per kind; `marker` says what an empty, non-null node means (UNKNOWN: the elements of an
empty array; TRUNCATED: cut off by a limit). A variant is one of
    (STRING,) (INTEGER,) (NUMBER,) (BOOLEAN,)
    (OBJECT, ((key, child_id), ... sorted by key), (optional keys, sorted), partial)
    (ARRAY, items_id)
    (MAP, values_id)
Normal form: integer and number never both (number wins: integer is a subset of number); object
and map never both (the object's property shapes fold into the map's values).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

Shape = dict[str, Any]

OBJECT, MAP, ARRAY, STRING, INTEGER, NUMBER, BOOLEAN = range(1, 8)
NO_MARKER, UNKNOWN, TRUNCATED = 0, 1, 2

KIND_NAMES: Final = {
    OBJECT: "object",
    MAP: "map",
    ARRAY: "array",
    STRING: "string",
    INTEGER: "integer",
    NUMBER: "number",
    BOOLEAN: "boolean",
}
SCALAR_KINDS: Final = {"string": STRING, "integer": INTEGER, "number": NUMBER, "boolean": BOOLEAN}
# The JSON type a kind is reported as: a map is an object on the wire.
JSON_TYPE: Final = {**KIND_NAMES, MAP: "object"}

# Nodes deeper than this are cut (truncated): merge, diff and materialize recurse, and this keeps
# them far from Python's recursion limit whatever a caller passes or a stored shape holds.
MAX_SHAPE_DEPTH: Final = 128

# Pre-interned ids, identical in every Nodes instance.
UNKNOWN_ID, TRUNCATED_ID, NULL_ID, STRING_ID, INTEGER_ID, NUMBER_ID, BOOLEAN_ID = range(7)
_PRESET: Final = (
    (False, UNKNOWN, ()),
    (False, TRUNCATED, ()),
    (True, NO_MARKER, ()),
    (False, NO_MARKER, ((STRING,),)),
    (False, NO_MARKER, ((INTEGER,),)),
    (False, NO_MARKER, ((NUMBER,),)),
    (False, NO_MARKER, ((BOOLEAN,),)),
)


class Nodes:
    """An interner of shape nodes for one operation (not shared across calls, so it never grows unbounded)."""

    def __init__(self) -> None:
        self.sigs: list[tuple] = []
        self._ids: dict[tuple, int] = {}
        self._merged: dict[tuple[int, int], int] = {}
        self._folded: dict[int, int] = {}
        for sig in _PRESET:
            self.intern(sig)

    def intern(self, sig: tuple) -> int:
        node_id = self._ids.get(sig)
        if node_id is None:
            node_id = self._ids[sig] = len(self.sigs)
            self.sigs.append(sig)
        return node_id

    # --- constructors ---------------------------------------------------------------------------

    def object(self, props: tuple[tuple[str, int], ...], optional: tuple[str, ...] = (), partial: bool = False) -> int:
        """`props` sorted by key; `optional` sorted."""
        return self.intern((False, NO_MARKER, ((OBJECT, props, optional, partial),)))

    def array(self, items: int) -> int:
        return self.intern((False, NO_MARKER, ((ARRAY, items),)))

    def map(self, values: int) -> int:
        return self.intern((False, NO_MARKER, ((MAP, values),)))

    def nullable(self, node_id: int) -> int:
        return self.merge(node_id, NULL_ID)

    # --- merge --------------------------------------------------------------------------------------

    def merge(self, a: int, b: int) -> int:
        """Least shape that both fit: commutative, associative, idempotent (a join on the node lattice)."""
        if a == b:
            return a
        key = (a, b) if a < b else (b, a)
        done = self._merged.get(key)
        if done is not None:
            return done
        null_a, marker_a, variants_a = self.sigs[a]
        null_b, marker_b, variants_b = self.sigs[b]
        by_kind: dict[int, tuple] = {}
        for variant in (*variants_a, *variants_b):
            kind = variant[0]
            seen = by_kind.get(kind)
            by_kind[kind] = variant if seen is None else self._merge_variant(seen, variant)
        if INTEGER in by_kind and NUMBER in by_kind:
            del by_kind[INTEGER]
        if OBJECT in by_kind and MAP in by_kind:
            values = by_kind[MAP][1]
            for _, child in by_kind.pop(OBJECT)[1]:
                values = self.merge(values, child)
            by_kind[MAP] = (MAP, values)
        nullable = null_a or null_b
        marker = NO_MARKER if (by_kind or nullable) else max(marker_a, marker_b)
        result = self.intern((nullable, marker, tuple(by_kind[k] for k in sorted(by_kind))))
        self._merged[key] = result
        return result

    def _merge_variant(self, x: tuple, y: tuple) -> tuple:
        kind = x[0]
        if kind in (ARRAY, MAP):
            return (kind, self.merge(x[1], y[1]))
        if kind != OBJECT or x == y:
            return x
        px, py = dict(x[1]), dict(y[1])
        props = []
        for key in sorted(px.keys() | py.keys()):
            cx, cy = px.get(key), py.get(key)
            props.append((key, cx if cy is None else cy if cx is None else self.merge(cx, cy)))
        # A key is optional when some object lacks it that was read in full; an object cut short
        # (partial) says nothing about the keys it lacks. "partial" stays only while every part was.
        optional = set(x[2]) | set(y[2])
        if not x[3]:
            optional |= py.keys() - px.keys()
        if not y[3]:
            optional |= px.keys() - py.keys()
        return (OBJECT, tuple(props), tuple(sorted(optional)), x[3] and y[3])

    def merge_many(self, ids: Iterable[int]) -> int:
        """merge() of all `ids` at once: the same result as folding them pairwise, without building
        every intermediate node (an array of 10,000 objects with different optional keys)."""
        unique = set(ids)
        if len(unique) <= 2:
            return self.merge(*unique) if len(unique) == 2 else unique.pop() if unique else UNKNOWN_ID
        nullable, marker = False, NO_MARKER
        by_kind: dict[int, tuple] = {}
        objects: list[tuple] = []
        arrays: list[int] = []
        maps: list[int] = []
        for node_id in unique:
            node_null, node_marker, variants = self.sigs[node_id]
            nullable = nullable or node_null
            marker = max(marker, node_marker)
            for variant in variants:
                kind = variant[0]
                if kind == OBJECT:
                    objects.append(variant)
                elif kind == ARRAY:
                    arrays.append(variant[1])
                elif kind == MAP:
                    maps.append(variant[1])
                else:
                    by_kind[kind] = variant
        if INTEGER in by_kind and NUMBER in by_kind:
            del by_kind[INTEGER]
        if arrays:
            by_kind[ARRAY] = (ARRAY, self.merge_many(arrays))
        if maps:
            maps.extend(child for variant in objects for _, child in variant[1])
            by_kind[MAP] = (MAP, self.merge_many(maps))
        elif objects:
            by_kind[OBJECT] = self._merge_objects(objects)
        if by_kind or nullable:
            marker = NO_MARKER
        return self.intern((nullable, marker, tuple(by_kind[k] for k in sorted(by_kind))))

    def _merge_objects(self, objects: list[tuple]) -> tuple:
        """Same rules as _merge_variant: optional when some object read in full lacks the key."""
        children: dict[str, set[int]] = {}
        optional: set[str] = set()
        for variant in objects:
            for key, child in variant[1]:
                seen = children.get(key)
                if seen is None:
                    children[key] = {child}
                else:
                    seen.add(child)
            optional.update(variant[2])
        complete = [variant for variant in objects if not variant[3]]
        for variant in complete:
            if len(variant[1]) < len(children):
                optional.update(children.keys() - {key for key, _ in variant[1]})
        props = tuple(sorted((key, self.merge_many(ids)) for key, ids in children.items()))
        return (OBJECT, props, tuple(sorted(optional)), not complete)

    def fold_values(self, node_id: int) -> int:
        """The values shape of an object or map read as a map (UNKNOWN for an object without keys)."""
        done = self._folded.get(node_id)
        if done is not None:
            return done
        result = UNKNOWN_ID
        for variant in self.sigs[node_id][2]:
            if variant[0] == MAP:
                result = self.merge(result, variant[1])
            elif variant[0] == OBJECT:
                for _, child in variant[1]:
                    result = self.merge(result, child)
        self._folded[node_id] = result
        return result

    def single_kind(self, node_id: int) -> bool:
        return len(self.sigs[node_id][2]) == 1

    # --- naming -------------------------------------------------------------------------------------

    def type_name(self, node_id: int) -> str:
        """ "string", "integer|string", "string|null", "null"; "unknown"/"truncated" for markers."""
        nullable, marker, variants = self.sigs[node_id]
        names = sorted({JSON_TYPE[v[0]] for v in variants})
        if nullable:
            names.append("null")
        if not names:
            return "truncated" if marker == TRUNCATED else "unknown"
        return "|".join(names)

    # --- canonical JSON -----------------------------------------------------------------------------

    def materialize(self, node_id: int, _memo: dict[int, Shape] | None = None) -> Shape:
        """The canonical JSON form. Equal subtrees come back as the same dict: treat the result as read-only."""
        memo = {} if _memo is None else _memo
        done = memo.get(node_id)
        if done is not None:
            return done
        nullable, marker, variants = self.sigs[node_id]
        if not variants:
            shape: Shape = {"type": "null" if nullable else "truncated" if marker == TRUNCATED else "unknown"}
        else:
            parts = [self._variant_shape(v, memo) for v in variants]
            shape = parts[0] if len(parts) == 1 else {"type": "union", "anyOf": parts}
            if nullable:
                shape["nullable"] = True
        memo[node_id] = shape
        return shape

    def _variant_shape(self, variant: tuple, memo: dict[int, Shape]) -> Shape:
        kind = variant[0]
        if kind == OBJECT:
            shape: Shape = {
                "type": "object",
                "properties": {key: self.materialize(child, memo) for key, child in variant[1]},
            }
            if variant[2]:
                shape["optional"] = list(variant[2])
            if variant[3]:
                shape["partial"] = True
            return shape
        if kind == ARRAY:
            return {"type": "array", "items": self.materialize(variant[1], memo)}
        if kind == MAP:
            return {"type": "map", "values": self.materialize(variant[1], memo)}
        return {"type": KIND_NAMES[kind]}

    def parse(self, shape: Any, depth: int = 0) -> int:
        """A stored (canonical or hand-written) shape back to a node; anything malformed reads as truncated."""
        if not isinstance(shape, Mapping) or depth > MAX_SHAPE_DEPTH:
            return TRUNCATED_ID
        kind = shape.get("type")
        if kind in SCALAR_KINDS:
            node = _PRESET_SCALARS[kind]
        elif kind == "object":
            node = self._parse_object(shape, depth)
        elif kind == "array":
            node = self.array(self.parse(shape.get("items"), depth + 1))
        elif kind == "map":
            node = self.map(self.parse(shape.get("values"), depth + 1))
        elif kind == "union":
            node = UNKNOWN_ID
            options = shape.get("anyOf")
            for option in options if isinstance(options, list) else ():
                node = self.merge(node, self.parse(option, depth + 1))
        else:
            node = _MARKERS.get(kind, TRUNCATED_ID) if isinstance(kind, str) else TRUNCATED_ID
        return self.merge(node, NULL_ID) if shape.get("nullable") is True else node

    def _parse_object(self, shape: Mapping[str, Any], depth: int) -> int:
        raw = shape.get("properties")
        raw = raw if isinstance(raw, Mapping) else {}
        props = tuple(sorted((str(key), self.parse(child, depth + 1)) for key, child in raw.items()))
        names = {key for key, _ in props}
        listed = shape.get("optional")
        listed = listed if isinstance(listed, list) else []
        optional = tuple(sorted({k for k in listed if isinstance(k, str) and k in names}))
        return self.object(props, optional, shape.get("partial") is True)


_MARKERS: Final = {"null": NULL_ID, "unknown": UNKNOWN_ID}
_PRESET_SCALARS: Final = {"string": STRING_ID, "integer": INTEGER_ID, "number": NUMBER_ID, "boolean": BOOLEAN_ID}
