"""IN-04: properties of shape inference, merge and diff (hypothesis, derandomized)."""

from __future__ import annotations

import copy
import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checks.shapes import Limits, shape_diff, shape_hash, shape_matches, shape_merge, shape_of
from checks.shapes.nodes import Nodes

from .strategies import json_values, locations, plain_values, reorder, vary

PROPERTY = settings(
    derandomize=True,
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def shape(value: Any) -> dict:
    return shape_of(value).shape


@PROPERTY
@given(json_values)
def test_in_04_a_value_matches_its_own_shape(value: Any) -> None:
    result = shape_of(value)
    assert result.bounded == ()
    assert shape_matches(value, result.shape)
    assert result.hash == shape_hash(result.shape)


@PROPERTY
@given(json_values)
def test_in_04_diff_of_a_shape_with_itself_is_empty(value: Any) -> None:
    assert shape_diff(shape(value), shape(value)) == []


@PROPERTY
@given(json_values)
def test_in_04_key_order_never_matters(value: Any) -> None:
    assert shape_of(reorder(value)) == shape_of(value)
    assert shape_diff(shape(value), shape(reorder(value))) == []


@PROPERTY
@given(json_values, json_values, json_values)
def test_in_04_merge_is_commutative_associative_idempotent(a: Any, b: Any, c: Any) -> None:
    sa, sb, sc = shape(a), shape(b), shape(c)
    assert shape_merge(sa, sa) == sa
    assert shape_merge(sa, sb) == shape_merge(sb, sa)
    assert shape_merge(shape_merge(sa, sb), sc) == shape_merge(sa, shape_merge(sb, sc))


@PROPERTY
@given(json_values, json_values)
def test_in_04_both_values_match_their_merged_shape(a: Any, b: Any) -> None:
    merged = shape_merge(shape(a), shape(b))
    assert shape_matches(a, merged)
    assert shape_matches(b, merged)
    assert shape_diff(merged, shape(a)) == []
    assert shape_diff(merged, shape(b)) == []


@PROPERTY
@given(json_values, json_values)
def test_in_04_diff_never_raises_and_equal_shapes_never_differ(a: Any, b: Any) -> None:
    changes = shape_diff(shape(a), shape(b))
    assert all(c.change in {"added", "removed", "type_changed", "became_nullable"} for c in changes)
    if shape(a) == shape(b):
        assert changes == []


@PROPERTY
@given(json_values, json_values)
def test_in_04_diff_never_raises_on_arbitrary_documents(a: Any, b: Any) -> None:
    """Stored shapes may be corrupt: any JSON given as a shape gives a list, never an exception."""
    assert isinstance(shape_diff(a if isinstance(a, dict) else {"type": a}, b if isinstance(b, dict) else {}), list)
    assert isinstance(shape_merge(a if isinstance(a, dict) else {}, {"type": "object", "properties": b}), dict)


@PROPERTY
@given(plain_values, plain_values)
def test_in_04_plain_values_differ_exactly_when_their_shapes_do(a: Any, b: Any) -> None:
    forward, backward = shape_diff(shape(a), shape(b)), shape_diff(shape(b), shape(a))
    assert (forward == []) == (shape(a) == shape(b))
    swap = {"added": "removed", "removed": "added"}
    assert {(c.path, swap[c.change]) for c in forward if c.change in swap} == {
        (c.path, c.change) for c in backward if c.change in swap
    }
    assert {c.path for c in forward} == {c.path for c in backward}


# --- every single mutation is found at its path ------------------------------------------------------


def _mutate(value: Any, data: st.DataObject) -> tuple[Any, str, str]:
    mutated = copy.deepcopy(value)
    spots = locations(mutated)
    parent, key, path = data.draw(st.sampled_from(spots))
    kinds = ["retype", "wrap"]
    if parent[key] is not None:
        kinds.append("null")
    if isinstance(parent, dict):
        kinds.append("remove")
    kind = data.draw(st.sampled_from(kinds))
    old = parent[key]
    if kind == "remove":
        del parent[key]
        return mutated, path, "removed"
    if kind == "null":
        parent[key] = None
        return mutated, path, "became_nullable"
    if kind == "wrap":
        parent[key] = [old]
        while isinstance(old, list):  # [[x]] → [[[x]]]: the kinds differ first where old stops being a list
            path, old = f"{path}[*]", old[0]
    else:
        parent[key] = "text" if not isinstance(old, str) else 7
    return mutated, path, "type_changed"


@PROPERTY
@given(plain_values.filter(lambda v: isinstance(v, dict | list)), st.data())
def test_in_04_every_single_mutation_is_detected_at_its_path(value: Any, data: st.DataObject) -> None:
    mutated, path, change = _mutate(value, data)
    changes = shape_diff(shape(value), shape(mutated))
    assert [(c.path, c.change) for c in changes] == [(path, change)], (value, mutated)


# --- value-only variation is never drift ----------------------------------------------------------


@PROPERTY
@given(json_values, st.randoms(use_true_random=False))
def test_in_04_value_only_variation_is_never_drift(value: Any, rnd: random.Random) -> None:
    """Other scalars of the same type, reordered keys, resized arrays, other map keys."""
    baseline = shape(value)
    for _ in range(3):
        other = vary(value, rnd)
        assert shape_diff(baseline, shape(other)) == [], other


@PROPERTY
@given(plain_values.filter(lambda v: isinstance(v, dict | list)), st.data())
def test_in_04_null_in_a_field_the_baseline_saw_null_is_not_drift(value: Any, data: st.DataObject) -> None:
    nulled = copy.deepcopy(value)
    parent, key, _ = data.draw(st.sampled_from(locations(nulled)))
    parent[key] = None
    baseline = shape_merge(shape(value), shape(nulled))
    assert shape_diff(baseline, shape(nulled)) == []
    assert shape_diff(baseline, shape(value)) == []


# --- bounded shapes ------------------------------------------------------------------------------


@PROPERTY
@given(json_values, st.integers(0, 40), st.integers(0, 6))
def test_in_04_a_bounded_shape_never_drifts_from_the_full_one(value: Any, keys: int, depth: int) -> None:
    bounded = shape_of(value, Limits(max_keys=keys, max_depth=depth))
    assert shape_diff(shape(value), bounded.shape) == []


@PROPERTY
@given(json_values, json_values, json_values, st.integers(0, 30))
def test_in_04_merge_of_bounded_shapes_is_commutative_associative_idempotent(a: Any, b: Any, c: Any, keys: int) -> None:
    limits = Limits(max_keys=keys)
    sa, sb, sc = shape_of(a, limits).shape, shape_of(b).shape, shape_of(c, limits).shape
    assert shape_merge(sa, sa) == sa
    assert shape_merge(sa, sb) == shape_merge(sb, sa)
    assert shape_merge(shape_merge(sa, sb), sc) == shape_merge(sa, shape_merge(sb, sc))


# --- the algebra on any shapes (partial objects, maps, unions, markers), not only inferred ones --------

_LEAF_SHAPES = st.sampled_from(
    [{"type": t} for t in ("string", "integer", "number", "boolean", "null", "unknown", "truncated")]
) | st.sampled_from(["string", "integer", "boolean"]).map(lambda t: {"type": t, "nullable": True})


def _object_shape(parts: tuple[dict, set, bool]) -> dict:
    props, optional, partial = parts
    shape: dict = {"type": "object", "properties": props}
    if optional & props.keys():
        shape["optional"] = sorted(optional & props.keys())
    if partial:
        shape["partial"] = True
    return shape


_KEYS = st.sampled_from("abcd")
any_shapes = st.recursive(
    _LEAF_SHAPES,
    lambda children: st.one_of(
        children.map(lambda c: {"type": "array", "items": c}),
        children.map(lambda c: {"type": "map", "values": c}),
        st.tuples(st.dictionaries(_KEYS, children, max_size=3), st.sets(_KEYS), st.booleans()).map(_object_shape),
        st.lists(children, min_size=1, max_size=3).map(lambda options: {"type": "union", "anyOf": options}),
    ),
    max_leaves=30,
)


def _canonical(shape: dict) -> dict:
    return shape_merge(shape, {"type": "unknown"})  # unknown is the identity of merge


@PROPERTY
@given(any_shapes, any_shapes, any_shapes)
def test_in_04_merge_laws_hold_for_any_shapes(a: dict, b: dict, c: dict) -> None:
    a, b, c = _canonical(a), _canonical(b), _canonical(c)
    assert _canonical(a) == a
    assert shape_merge(a, a) == a
    assert shape_merge(a, b) == shape_merge(b, a)
    assert shape_merge(shape_merge(a, b), c) == shape_merge(a, shape_merge(b, c))
    merged = shape_merge(a, b)
    assert shape_diff(merged, a) == []
    assert shape_diff(merged, b) == []
    assert shape_diff(a, a) == []


@PROPERTY
@given(st.lists(any_shapes, min_size=1, max_size=6))
def test_in_04_merge_of_many_equals_merging_pairwise(shapes: list[dict]) -> None:
    """Arrays use Nodes.merge_many (all elements at once); it must agree with the pairwise merge."""
    nodes = Nodes()
    ids = [nodes.parse(s) for s in shapes]
    pairwise = ids[0]
    for node_id in ids[1:]:
        pairwise = nodes.merge(pairwise, node_id)
    assert nodes.materialize(nodes.merge_many(ids)) == nodes.materialize(pairwise)
    assert nodes.merge_many(ids) == pairwise  # interned: the very same node
