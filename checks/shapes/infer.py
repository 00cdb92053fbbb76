"""shape_of: the shape of one parsed JSON value, within limits of depth, values visited and time."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from time import perf_counter
from typing import Any, Final

from .nodes import (
    BOOLEAN_ID,
    INTEGER_ID,
    MAX_SHAPE_DEPTH,
    NULL_ID,
    NUMBER_ID,
    STRING_ID,
    TRUNCATED_ID,
    UNKNOWN_ID,
    Nodes,
    Shape,
)

# Keys that name data, not fields: numbers, UUIDs, hex hashes, dates, prefixed ids (cus_9s6XKzkNRiz8i3,
# usr_01H…), upper-case alphanumeric ids with a digit (Slack's C024BE91L). An object whose keys all look
# like this is a map: a new key next time is a new entry, not a new field.
_ID_KEY: Final = re.compile(
    r"""(?:
        -?\d+(?:\.\d+)?
      | v?\d+(?:\.\d+){1,3}(?:[-+][0-9A-Za-z.+-]+)?
      | [0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}
      | (?=[0-9a-fA-F]*\d)[0-9a-fA-F]{16,}
      | \d{4}-\d{2}(?:-\d{2}(?:[T\ ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?)?
      | [A-Za-z]{1,12}[_-](?=[A-Za-z0-9]*\d)[A-Za-z0-9]{6,}
      | (?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{8,}
    )""",
    re.VERBOSE,
)
_CLOCK_EVERY: Final = 512
# Scalars by exact type, looked up inline so that a leaf costs no function call.
_SCALAR_IDS: Final = {
    str: STRING_ID,
    int: INTEGER_ID,
    float: NUMBER_ID,
    bool: BOOLEAN_ID,
    type(None): NULL_ID,
}  # containers between two reads of the clock


@dataclass(frozen=True)
class Limits:
    max_depth: int = 64
    max_keys: int = 20_000  # object keys + array elements visited in total
    max_seconds: float = 0.5
    # An object with at least this many keys whose values share one kind collapses to a map shape.
    # So does one whose keys all look like ids/dates/hashes/versions (at any size), or one with two
    # or more such keys making at least half of its keys, when its values share one kind.
    map_min_keys: int = 20


@dataclass(frozen=True)
class ShapeResult:
    shape: Shape
    hash: str  # sha256 hex of the canonical JSON of the shape
    bounded: tuple[str, ...]  # ("depth", "keys", "time") when limits cut inference short; empty if complete


def shape_hash(shape: Shape) -> str:
    """sha256 hex of the canonical JSON (sorted keys, no spaces, ASCII) of `shape`."""
    text = json.dumps(shape, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def shape_of(value: Any, limits: Limits = Limits()) -> ShapeResult:  # noqa: B008 - Limits is frozen
    """The shape of a parsed JSON value. Never raises; limits cut the walk short and say so in `bounded`."""
    nodes = Nodes()
    walker = Walker(nodes, limits)
    try:
        root = walker.visit(value, 0)
    except RecursionError:  # only if the caller's own stack is nearly full already
        walker.bounded.add("depth")
        root = TRUNCATED_ID
    shape = nodes.materialize(root)
    bounded = tuple(reason for reason in ("depth", "keys", "time") if reason in walker.bounded)
    return ShapeResult(shape=shape, hash=shape_hash(shape), bounded=bounded)


def is_id_key(key: str) -> bool:
    return _ID_KEY.fullmatch(key) is not None


class Walker:
    """Depth-first walk building interned nodes. Recursion depth is capped by max_depth (<= MAX_SHAPE_DEPTH)."""

    def __init__(self, nodes: Nodes, limits: Limits) -> None:
        self.nodes = nodes
        self.max_depth = max(0, min(limits.max_depth, MAX_SHAPE_DEPTH))
        self.left = max(0, limits.max_keys)
        self.map_min_keys = max(1, limits.map_min_keys)
        self.deadline = perf_counter() + max(0.0, limits.max_seconds)
        self.bounded: set[str] = set()
        self.stopped = False
        self._until_clock = _CLOCK_EVERY
        self._seen_keys: set[str] = set()
        self._id_keys: set[str] = set()
        self._objects: dict[tuple, int] = {}
        self._arrays: dict[int, int] = {}

    def visit(self, value: Any, depth: int) -> int:
        kind = type(value)
        if kind is str:
            return STRING_ID
        if kind is bool:
            return BOOLEAN_ID
        if kind is int:
            return INTEGER_ID
        if kind is float:
            return NUMBER_ID
        if value is None:
            return NULL_ID
        if kind is dict or kind is list or isinstance(value, dict | list | tuple):
            if self.stopped:
                return TRUNCATED_ID
            if depth >= self.max_depth:
                self.bounded.add("depth")
                return TRUNCATED_ID
            self._until_clock -= 1
            if self._until_clock <= 0 and self._out_of_time():
                return TRUNCATED_ID
            if isinstance(value, dict):
                return self._object(value, depth + 1)
            return self._array(value, depth + 1)
        if isinstance(value, bool):
            return BOOLEAN_ID
        if isinstance(value, int):
            return INTEGER_ID
        if isinstance(value, float):
            return NUMBER_ID
        return STRING_ID  # not a JSON value (Decimal, date…): its JSON text would be a string or number

    def _out_of_time(self) -> bool:
        self._until_clock = _CLOCK_EVERY
        if perf_counter() > self.deadline:
            self.bounded.add("time")
            self.stopped = True
        return self.stopped

    def _stop_for_keys(self) -> None:
        self.bounded.add("keys")
        self.stopped = True

    def _object(self, value: dict, depth: int) -> int:
        partial = False
        if len(value) <= self.left:  # the common case: the whole object fits the budget
            self.left -= len(value)
            scalar, visit = _SCALAR_IDS.get, self.visit
            keys = tuple(value)
            ids = tuple([scalar(type(child)) or visit(child, depth) for child in value.values()])
        else:
            key_list: list[Any] = []
            id_list: list[int] = []
            for key, child in value.items():
                if self.left <= 0:
                    self._stop_for_keys()
                    partial = True
                    break
                self.left -= 1
                key_list.append(key)
                id_list.append(self.visit(child, depth))
            keys, ids = tuple(key_list), tuple(id_list)
        memo_key = (keys, ids, partial)
        node = self._objects.get(memo_key)
        if node is None:
            if not all(type(key) is str for key in keys):  # not from JSON: a Python caller's dict
                keys = tuple(str(key) for key in keys)
            node = self._objects[memo_key] = self._object_node(keys, ids, partial)
        return node

    def _object_node(self, keys: tuple[str, ...], ids: tuple[int, ...], partial: bool) -> int:
        nodes = self.nodes
        if keys:
            id_keys = self._count_id_keys(keys)
            mostly_ids = id_keys >= 2 and 2 * id_keys >= len(keys)
            if id_keys == len(keys) or mostly_ids or len(keys) >= self.map_min_keys:
                values = nodes.merge_many(ids)
                if id_keys == len(keys) or nodes.single_kind(values):
                    return nodes.map(values)
        props = tuple(sorted(zip(keys, ids, strict=True)))
        return nodes.object(props, (), partial)

    def _count_id_keys(self, keys: tuple[str, ...]) -> int:
        """How many of `keys` look like ids; each distinct key goes through the regex once per walk."""
        for key in set(keys) - self._seen_keys:
            self._seen_keys.add(key)
            if is_id_key(key):
                self._id_keys.add(key)
        return len(self._id_keys.intersection(keys))

    def _array(self, value: list | tuple, depth: int) -> int:
        if not value:
            return self.nodes.array(UNKNOWN_ID)
        seen: set[int] = set()
        last = -1
        scalar, visit = _SCALAR_IDS.get, self.visit
        if len(value) <= min(self.left, 4096):  # fits the budget, and short enough to skip the clock
            self.left -= len(value)
            for element in value:
                child = scalar(type(element)) or visit(element, depth)
                if child != last:
                    seen.add(child)
                    last = child
        else:
            for count, element in enumerate(value):
                if self.left <= 0:
                    self._stop_for_keys()
                if self.stopped or (count & 4095 == 4095 and self._out_of_time()):
                    break
                self.left -= 1
                child = visit(element, depth)
                if child != last:
                    seen.add(child)
                    last = child
        items = self.nodes.merge_many(seen) if seen else TRUNCATED_ID
        node = self._arrays.get(items)
        if node is None:
            node = self._arrays[items] = self.nodes.array(items)
        return node
