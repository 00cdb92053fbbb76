"""IN-05: adversarial values through shape_of, shape_diff, shape_matches and redact.

Each ends in a typed result (a shape whose `bounded` names the limit) in under 1 s of CPU and 50 MB,
without RecursionError or any other exception. The values are built before measuring.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest

from checks.jsonsafe import parse_json_safely
from checks.shapes import Limits, redact, shape_diff, shape_matches, shape_merge, shape_of, shape_tree

SECONDS = 1.0
BYTES = 50 * 1024 * 1024


def _nested_lists(depth: int) -> list:
    root: list = []
    current = root
    for _ in range(depth):
        child: list = []
        current.append(child)
        current = child
    return root


def _nested_dicts(depth: int) -> dict:
    root: dict = {}
    current = root
    for _ in range(depth):
        current["a"] = {}
        current = current["a"]
    return root


def _measure(action: Callable[[], Any]) -> tuple[Any, float, int]:
    """(result, CPU seconds of a plain run, tracemalloc peak bytes of a second, traced run).

    CPU time, because six test suites share two cores here and wall time would measure them too;
    the traced run is separate because tracing slows allocation-heavy code two to three times.
    """
    start = time.process_time()
    result = action()
    elapsed = time.process_time() - start
    tracemalloc.start()
    try:
        action()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, elapsed, peak


CASES: dict[str, tuple[Callable[[], Any], tuple[str, ...]]] = {
    "nesting 10,000 deep (lists)": (lambda: _nested_lists(10_000), ("depth",)),
    "nesting 10,000 deep (objects)": (lambda: _nested_dicts(10_000), ("depth",)),
    "a 10^6-element array": (lambda: list(range(1_000_000)), ("keys",)),
    "a 10^6-element array of objects": (lambda: [{"id": i, "v": "x"} for i in range(1_000_000)], ("keys",)),
    "an object with 10^6 keys": (lambda: {f"k{i}": i for i in range(1_000_000)}, ("keys",)),
    "a 5,000-digit integer": (lambda: {"n": int("9" * 4000) * 10**1000}, ()),
    "NaN and Infinity": (lambda: [float("nan"), float("inf"), -float("inf")], ()),
    "a lone surrogate": (lambda: {"\ud800": "\udfff", "s": ["\ud800"]}, ()),
    "null": (lambda: None, ()),
    "an empty string": (lambda: "", ()),
}


@pytest.mark.parametrize("name", list(CASES))
def test_in_05_adversarial_value_gives_a_typed_shape_quickly(name: str) -> None:
    build, bounded = CASES[name]
    value = build()
    result, elapsed, peak = _measure(lambda: shape_of(value))
    assert result.bounded == bounded
    assert len(result.hash) == 64
    assert elapsed < SECONDS, elapsed
    assert peak < BYTES, peak
    # Everything downstream of the shape stays bounded too.
    changes, elapsed, peak = _measure(lambda: shape_diff(shape_of({"a": 1}).shape, result.shape))
    assert isinstance(changes, list)
    assert elapsed < SECONDS
    text, elapsed, peak = _measure(lambda: redact(value, max_bytes=16_384))
    assert len(text[0].encode("utf-8")) <= 16_384
    assert elapsed < SECONDS, elapsed
    assert peak < BYTES, peak


def test_in_05_depth_limit_above_the_cap_cannot_recurse_too_far() -> None:
    value = _nested_lists(10_000)
    result = shape_of(value, Limits(max_depth=10_000, max_keys=10**7))
    assert result.bounded == ("depth",)
    assert shape_matches(value, result.shape)


def test_in_05_truncated_part_is_marked_and_never_drift() -> None:
    value = {"a": {"b": {"c": {"d": 1}}}, "e": "x"}
    result = shape_of(value, Limits(max_depth=2))
    assert result.bounded == ("depth",)
    assert result.shape["properties"]["a"]["properties"]["b"] == {"type": "truncated"}
    full = shape_of(value).shape
    assert shape_diff(full, result.shape) == []
    assert shape_diff(result.shape, full) == []


def test_in_05_key_budget_cuts_an_object_as_partial_and_its_missing_keys_are_not_removed() -> None:
    value = {f"field_{chr(97 + i)}": "x" for i in range(10)} | {"list": [1, 2, 3]}
    result = shape_of(value, Limits(max_keys=4))
    assert result.bounded == ("keys",)
    assert result.shape["partial"] is True
    assert len(result.shape["properties"]) == 4
    assert shape_diff(shape_of(value).shape, result.shape) == []


def test_in_05_time_limit_stops_the_walk() -> None:
    value = [{"id": i, "tags": [{"t": str(i)}]} for i in range(200_000)]
    result, elapsed, _ = _measure(lambda: shape_of(value, Limits(max_keys=10**7, max_seconds=0.01)))
    assert result.bounded == ("time",)
    assert elapsed < SECONDS
    assert result.shape["items"]["properties"]["tags"]["items"]["properties"]["t"] == {"type": "string"}


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 10_000 + b"]" * 10_000,
        b"[" + b"1," * 999_999 + b"1]",
        b"1" * 5000,
        b"[NaN, Infinity]",
        b'{"a": 1, "a": 2}',
        b'"\\ud800"',
        b"\xef\xbb\xbf{}",
        b"\xff\xfe",
        b"<html><body>Bad gateway</body></html>",
        b"",
        b"null",
    ],
)
def test_in_05_adversarial_body_through_parse_and_shape_never_raises(body: bytes) -> None:
    def pipeline() -> str:
        outcome = parse_json_safely(body)
        if not outcome.ok:
            return outcome.kind
        result = shape_of(outcome.value)
        shape_diff(result.shape, result.shape)
        return "ok"

    kind, elapsed, peak = _measure(pipeline)
    assert kind in {"ok", "non_json", "too_deep", "too_large", "invalid_number"}
    assert elapsed < SECONDS
    assert peak < BYTES


def test_in_05_a_stored_shape_nested_10000_deep_is_cut_not_a_recursion_error() -> None:
    shape: dict = {"type": "string"}
    for _ in range(10_000):
        shape = {"type": "array", "items": shape}
    value_shape = shape_of(_nested_lists(50)).shape
    assert isinstance(shape_diff(shape, value_shape), list)
    assert isinstance(shape_diff(value_shape, shape), list)
    assert shape_merge(shape, shape)["type"] == "array"
    assert len(shape_tree(shape)) <= 130
