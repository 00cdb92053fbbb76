"""shape_diff: what a new shape does that the baseline did not allow, path by path."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Final

from .infer import Limits, Walker
from .nodes import ARRAY, INTEGER, MAP, NUMBER, OBJECT, Nodes, Shape

BREAKING_CHANGES: Final = frozenset({"removed", "type_changed", "became_nullable"})

# Path segments: ("k", key) an object key, ("a",) the elements of an array, ("m",) the values of a map.
Segment = tuple[str, ...]
_ARRAY: Final = ("a",)
_MAP: Final = ("m",)
_PLAIN_KEY: Final = re.compile(r"[A-Za-z_$@][A-Za-z0-9_$@-]*")
# Kinds compared as one: integer and number (value-only variation), object and map (a map is an object on the wire).
_CLASS: Final = {INTEGER: NUMBER, MAP: OBJECT}


@dataclass(frozen=True)
class Change:
    path: str  # "$.owner.email", "$.items[*].price", "$" for the root, "$.rates.*" for the values of a map
    change: str  # "added" | "removed" | "type_changed" | "became_nullable"
    before: str | None  # "string", "integer|string", "string|null"…
    after: str | None
    severity: str  # "breaking" (removed, type_changed, became_nullable) | "additive" (added)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def severity_of(changes: Sequence[Change]) -> str:
    """ "breaking" if any change is breaking, else "additive" (also for no changes)."""
    return "breaking" if any(c.severity == "breaking" for c in changes) else "additive"


def render_path(segments: Sequence[Segment]) -> str:
    parts = ["$"]
    for segment in segments:
        if segment[0] == "k":
            key = segment[1]
            parts.append(f".{key}" if _PLAIN_KEY.fullmatch(key) else f"[{json.dumps(key)}]")
        else:
            parts.append("[*]" if segment[0] == "a" else ".*")
    return "".join(parts)


_TOKEN: Final = re.compile(r"""\.\*|\[\*\]|\[\d+\]|\.([A-Za-z_$@][A-Za-z0-9_$@-]*)|\[("(?:[^"\\]|\\.)*"|'[^']*')\]""")


def parse_path(path: str) -> tuple[Segment, ...] | None:
    """`$.a.b`, `$.items[*].price`, `$.items[0]` (read as [*]), `$.rates.*`, `$["odd key"]` → segments.

    `*` as a key matches any key or map value. None when the text is not such a path.
    """
    text = path.strip()
    if not text.startswith("$"):
        text = "$." + text if text and text[0] not in ".[" else "$" + text
    segments: list[Segment] = []
    position = 1
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            return None
        token = match.group(0)
        if token == ".*":  # noqa: S105 - a path token, not a password
            segments.append(("*",))
        elif token.startswith("[") and not token.startswith(('["', "['")):
            segments.append(_ARRAY)
        elif match.group(1) is not None:
            segments.append(("k", match.group(1)))
        else:
            quoted = match.group(2)
            try:
                key = json.loads(quoted) if quoted.startswith('"') else quoted[1:-1]
            except ValueError:
                return None
            segments.append(("k", key))
        position = match.end()
    return tuple(segments)


def ignore_path_error(path: str) -> str | None:
    """Why `path` cannot be used in ignore_paths, or None when it can (for form and API validation)."""
    if not isinstance(path, str) or not path.strip():
        return "Enter a path such as $.meta or $.items[*].updated_at."
    if len(path) > 500:
        return "A path is at most 500 characters."
    if parse_path(path) is None:
        return f"{path[:60]!r} is not a path such as $.meta or $.items[*].updated_at."
    return None


def _compile_ignores(ignore_paths: Sequence[str]) -> list[tuple[Segment, ...]]:
    patterns = []
    for path in ignore_paths:
        if isinstance(path, str):
            parsed = parse_path(path)
            if parsed is not None:
                patterns.append(parsed)
    return patterns


def _ignored(segments: tuple[Segment, ...], patterns: list[tuple[Segment, ...]]) -> bool:
    for pattern in patterns:
        if len(pattern) <= len(segments) and all(
            want == got or (want == ("*",) and got[0] in "km") for want, got in zip(pattern, segments, strict=False)
        ):
            return True
    return False


def shape_diff(before: Shape, after: Shape, *, ignore_paths: Sequence[str] = ()) -> list[Change]:
    """Changes from `before` (the baseline) to `after`, sorted by path. Never raises.

    Reported: keys new in `after` (added); keys `before` required that `after` lacks or holds only
    sometimes (removed); kinds `after` has that `before` did not allow (type_changed); null where
    `before` never had it (became_nullable). Narrowing (fewer kinds, no null, an optional key gone)
    is not a change: one response cannot show everything a baseline allows.
    """
    try:
        nodes = Nodes()
        return _diff_nodes(nodes, nodes.parse(before), nodes.parse(after), _compile_ignores(ignore_paths))
    except (RecursionError, MemoryError, ValueError, TypeError, KeyError):  # a corrupt stored shape
        return []


def shape_matches(value: Any, shape: Shape) -> bool:
    """True when `value` brings no change against `shape` (a value always matches its own shape).

    Walks `value` within the default Limits; a part cut off by them matches anything. Costs one
    more walk: a caller that already has shape_of(value) can use `not shape_diff(shape, ...)`.
    """
    try:
        nodes = Nodes()
        expected = nodes.parse(shape)
        walker = Walker(nodes, Limits())
        return not _diff_nodes(nodes, expected, walker.visit(value, 0), [])
    except RecursionError:
        return False


def _diff_nodes(nodes: Nodes, before: int, after: int, ignores: list[tuple[Segment, ...]]) -> list[Change]:
    changes: dict[tuple[str, str], Change] = {}
    sigs = nodes.sigs

    def report(segments: tuple[Segment, ...], change: str, old: str | None, new: str | None) -> None:
        if ignores and _ignored(segments, ignores):
            return
        path = render_path(segments)
        severity = "breaking" if change in BREAKING_CHANGES else "additive"
        changes.setdefault((path, change), Change(path, change, old, new, severity))

    stack: list[tuple[int, int, tuple[Segment, ...]]] = [(before, after, ())]
    while stack:
        old, new, segments = stack.pop()
        if old == new or (ignores and _ignored(segments, ignores)):
            continue
        old_null, _, old_variants = sigs[old]
        new_null, _, new_variants = sigs[new]
        if not (old_variants or old_null) or not (new_variants or new_null):
            continue  # unknown (empty array) or truncated on either side: nothing to compare
        old_by = {_CLASS.get(v[0], v[0]): v for v in old_variants}
        new_by = {_CLASS.get(v[0], v[0]): v for v in new_variants}
        if new_by.keys() - old_by.keys():
            report(segments, "type_changed", nodes.type_name(old), nodes.type_name(new))
        elif new_null and not old_null:
            report(segments, "became_nullable", nodes.type_name(old), nodes.type_name(new))
        if ARRAY in old_by and ARRAY in new_by:
            stack.append((old_by[ARRAY][1], new_by[ARRAY][1], (*segments, _ARRAY)))
        if OBJECT in old_by and OBJECT in new_by:
            old_v, new_v = old_by[OBJECT], new_by[OBJECT]
            if old_v[0] == OBJECT and new_v[0] == OBJECT:
                _diff_objects(nodes, old_v, new_v, segments, stack, report)
            else:  # a map on one side: compare the values, whatever the keys
                old_values = nodes.fold_values(nodes.intern((False, 0, (old_v,))))
                new_values = nodes.fold_values(nodes.intern((False, 0, (new_v,))))
                stack.append((old_values, new_values, (*segments, _MAP)))
    return sorted(changes.values(), key=lambda c: (c.path, c.change))


def _diff_objects(nodes: Nodes, old_v: tuple, new_v: tuple, segments, stack, report) -> None:
    old_props, new_props = dict(old_v[1]), dict(new_v[1])
    old_optional, new_optional = set(old_v[2]), set(new_v[2])
    new_partial = new_v[3]
    for key, old_child in old_v[1]:
        path = (*segments, ("k", key))
        new_child = new_props.get(key)
        if new_child is None:
            if key not in old_optional and not new_partial:
                report(path, "removed", nodes.type_name(old_child), None)
            continue
        if key in new_optional and key not in old_optional:
            report(path, "removed", nodes.type_name(old_child), None)  # absent from some elements
        stack.append((old_child, new_child, path))
    if not old_v[3]:
        for key, new_child in new_v[1]:
            if key not in old_props:
                report((*segments, ("k", key)), "added", None, nodes.type_name(new_child))
