"""Hypothesis strategies and value transforms shared by the shape tests."""

from __future__ import annotations

import copy
import random
import string
from typing import Any

from hypothesis import strategies as st

from checks.shapes import is_id_key

SCALARS = st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.floats(allow_nan=False) | st.text(max_size=8)
KEYS = st.text(max_size=8) | st.sampled_from(["0", "12", "2024-01-02", "id", "name", "a-b", "x.y", "$", "[*]"])

# Any JSON value (with maps, mixed arrays, empty containers, floats).
json_values = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(KEYS, children, max_size=5),
    max_leaves=200,
)

# "Plain" values: one shape per value exactly (no maps, no empty containers, no integer/number mix,
# array elements alike). For these, diff(a, b) == [] exactly when shape_of(a) == shape_of(b).
_PLAIN_SCALARS = st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(string.ascii_letters, max_size=5)
_PLAIN_KEYS = st.text("abcdefgh_", min_size=1, max_size=5)


def _alike(element: Any) -> st.SearchStrategy[list]:
    return st.integers(1, 3).map(lambda n: [copy.deepcopy(element) for _ in range(n)])


plain_values = st.recursive(
    _PLAIN_SCALARS,
    lambda children: children.flatmap(_alike) | st.dictionaries(_PLAIN_KEYS, children, min_size=1, max_size=6),
    max_leaves=60,
)


def locations(value: Any, path: str = "$") -> list[tuple[Any, Any, str]]:
    """(parent container, key or index, path with [*]) for every value below the root."""
    found = []
    if isinstance(value, dict):
        for key, child in value.items():
            child_path = f"{path}.{key}"
            found.append((value, key, child_path))
            found.extend(locations(child, child_path))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            child_path = f"{path}[*]"
            found.append((value, index, child_path))
            found.extend(locations(child, child_path))
    return found


def other_scalar(value: Any, rnd: random.Random) -> Any:
    """Another value of the same JSON type (integers and floats both stay numbers)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return rnd.choice([True, False])
    if isinstance(value, int):
        return rnd.choice([rnd.randint(-(10**9), 10**9), value])
    if isinstance(value, float):
        return rnd.choice([rnd.uniform(-1e6, 1e6), float(rnd.randint(-5, 5))])
    if isinstance(value, str):
        return "".join(rnd.choice(string.printable) for _ in range(rnd.randint(0, 12)))
    return value


def vary(value: Any, rnd: random.Random) -> Any:
    """The same data with other values: scalars changed within their type, keys reordered, arrays
    resized (elements dropped, or duplicated and varied), map keys added and removed."""
    if isinstance(value, dict):
        items = [(key, vary(child, rnd)) for key, child in value.items()]
        if items and all(is_id_key(key) for key, _ in items):
            if len(items) > 1 and rnd.random() < 0.5:
                items.pop(rnd.randrange(len(items)))
            if rnd.random() < 0.5:
                items.append((str(rnd.randint(10**6, 10**7)), vary(rnd.choice(items)[1], rnd)))
        rnd.shuffle(items)
        return dict(items)
    if isinstance(value, list):
        elements = [vary(child, rnd) for child in value]
        if elements and rnd.random() < 0.4:
            elements = rnd.sample(elements, rnd.randint(0, len(elements)))
        if elements and rnd.random() < 0.4:
            elements += [vary(rnd.choice(value), rnd) for _ in range(rnd.randint(1, 3))]
        return elements
    return other_scalar(value, rnd)


def reorder(value: Any) -> Any:
    """Every object's keys in reverse order."""
    if isinstance(value, dict):
        return {key: reorder(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [reorder(child) for child in value]
    return value
