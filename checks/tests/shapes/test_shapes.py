"""checks.shapes by example: inference rules, maps, numbers, ignore paths, the tree and redaction."""

from __future__ import annotations

import json

import pytest

from checks.shapes import (
    Change,
    ignore_path_error,
    is_id_key,
    is_secret_key,
    parse_path,
    redact,
    severity_of,
    shape_diff,
    shape_hash,
    shape_matches,
    shape_merge,
    shape_of,
    shape_tree,
)


def _diff(before: object, after: object, **kwargs: object) -> list[tuple[str, str, str | None, str | None]]:
    changes = shape_diff(shape_of(before).shape, shape_of(after).shape, **kwargs)  # type: ignore[arg-type]
    return [(c.path, c.change, c.before, c.after) for c in changes]


def test_shape_of_scalars_booleans_are_not_integers_and_1_0_is_a_number() -> None:
    assert shape_of(True).shape == {"type": "boolean"}
    assert shape_of(1).shape == {"type": "integer"}
    assert shape_of(1.0).shape == {"type": "number"}
    assert shape_of(None).shape == {"type": "null"}
    assert _diff({"a": 1}, {"a": True}) == [("$.a", "type_changed", "integer", "boolean")]


def test_integer_and_number_merge_to_number_and_never_drift() -> None:
    assert shape_of([1, 2.5]).shape == {"type": "array", "items": {"type": "number"}}
    assert _diff({"price": 10}, {"price": 10.5}) == []
    assert _diff({"price": 10.5}, {"price": 10}) == []


def test_shape_is_canonical_and_its_hash_ignores_key_order() -> None:
    a = shape_of({"b": [1, "x"], "a": {"y": None, "x": 1}})
    b = shape_of({"a": {"x": 2, "y": None}, "b": ["z", 3]})
    assert a == b
    assert a.hash == shape_hash(json.loads(json.dumps(a.shape)))
    assert a.shape["properties"]["b"]["items"] == {"type": "union", "anyOf": [{"type": "string"}, {"type": "integer"}]}


def test_arrays_merge_their_elements_and_record_optional_keys_and_nullability() -> None:
    shape = shape_of([{"id": 1, "note": None}, {"id": 2, "note": "x", "extra": True}]).shape
    assert shape["items"] == {
        "type": "object",
        "properties": {
            "extra": {"type": "boolean"},
            "id": {"type": "integer"},
            "note": {"type": "string", "nullable": True},
        },
        "optional": ["extra"],
    }


def test_empty_array_is_unknown_and_merges_to_the_known_element_shape() -> None:
    assert shape_of([]).shape == {"type": "array", "items": {"type": "unknown"}}
    assert shape_merge(shape_of([]).shape, shape_of([1]).shape) == shape_of([1]).shape
    assert _diff({"tags": []}, {"tags": ["a"]}) == []
    assert _diff({"tags": ["a"]}, {"tags": []}) == []


@pytest.mark.parametrize(
    "value",
    [
        {"1296269": {"name": "a"}, "583231": {"name": "b"}},
        {"2026-01-01": 3, "2026-01-02": 4},
        {"550e8400-e29b-41d4-a716-446655440000": True},
        {"cus_9s6XKzkNRiz8i3": {"email": "a@example.com"}},
        {"0.0.3": "x", "1.0.0-beta.1": "y", "created": "z", "modified": "w"},
        {f"key{letter}": 1.5 for letter in "abcdefghijklmnopqrstuvwxyz"},  # 26 keys of one kind
    ],
)
def test_objects_keyed_by_ids_or_with_many_alike_values_are_maps(value: dict) -> None:
    assert shape_of(value).shape["type"] == "map"


def test_new_and_missing_map_keys_are_not_drift_but_a_value_change_is() -> None:
    before = {"rates": {"1": {"v": 1}, "2": {"v": 2}}}
    assert _diff(before, {"rates": {"3": {"v": 3}}}) == []
    assert _diff(before, {"rates": {}}) == []
    assert _diff(before, {"rates": {"3": {"v": "3"}}}) == [("$.rates.*.v", "type_changed", "integer", "string")]
    assert _diff({"user": {"name": "a"}}, {"user": {"name": "a", "email": "e"}})[0][:2] == ("$.user.email", "added")
    assert not is_id_key("created_at")
    assert not is_id_key("name")


def test_a_map_compared_with_an_object_compares_values_only() -> None:
    many = {f"c{i:02d}x": 1.5 for i in range(25)}  # a map by size
    few = {"c01x": 2.5, "c02x": 3.0}  # the same dictionary on a quiet day: an object
    assert shape_of(many).shape["type"] == "map"
    assert shape_of(few).shape["type"] == "object"
    assert _diff(many, few) == []
    assert _diff(few, many) == []
    assert _diff(many, {"c01x": "n/a"}) == [("$.*", "type_changed", "number", "string")]


def test_diff_kinds_and_severity() -> None:
    changes = shape_diff(
        shape_of({"a": 1, "b": "x", "c": [1], "d": {"e": 1}}).shape,
        shape_of({"a": None, "b": 2, "c": [1], "d": {}, "f": True}).shape,
    )
    assert [c.as_dict() for c in changes] == [
        {"path": "$.a", "change": "became_nullable", "before": "integer", "after": "null", "severity": "breaking"},
        {"path": "$.b", "change": "type_changed", "before": "string", "after": "integer", "severity": "breaking"},
        {"path": "$.d.e", "change": "removed", "before": "integer", "after": None, "severity": "breaking"},
        {"path": "$.f", "change": "added", "before": None, "after": "boolean", "severity": "additive"},
    ]
    assert severity_of(changes) == "breaking"
    assert severity_of([c for c in changes if c.change == "added"]) == "additive"
    assert severity_of([]) == "additive"
    assert isinstance(changes[0], Change)


def test_narrowing_is_not_drift_against_a_learned_baseline() -> None:
    learned = shape_merge(shape_of({"a": 1, "b": None, "c": 1}).shape, shape_of({"a": "x", "b": 2}).shape)
    assert shape_diff(learned, shape_of({"a": 1, "b": None}).shape) == []  # c was optional
    assert shape_diff(learned, shape_of({"a": "y", "b": 3, "c": 4}).shape) == []
    assert shape_diff(learned, shape_of({"a": True, "b": 3}).shape)[0].change == "type_changed"


def test_key_missing_from_some_elements_is_removed() -> None:
    before = [{"id": 1, "sku": "a"}, {"id": 2, "sku": "b"}]
    assert _diff(before, [{"id": 1, "sku": "a"}, {"id": 2}]) == [("$[*].sku", "removed", "string", None)]


def test_odd_keys_render_as_bracketed_paths_and_parse_back() -> None:
    changes = _diff({"a": {"x.y": 1, "with space": 1}}, {"a": {"x.y": "1", "with space": "1"}})
    assert [c[0] for c in changes] == ['$.a["with space"]', '$.a["x.y"]']
    assert parse_path('$.a["x.y"]') == (("k", "a"), ("k", "x.y"))
    assert parse_path("$.items[0].price") == (("k", "items"), ("a",), ("k", "price"))
    assert parse_path("meta.count") == (("k", "meta"), ("k", "count"))
    assert parse_path("$.a[") is None


def test_ignore_paths_exact_prefix_wildcards_and_indexes() -> None:
    before = {"meta": {"took": 1}, "items": [{"price": 1, "at": "x"}], "rates": {"1": {"v": 1}}, "id": 1}
    after = {"meta": {"took": "1", "new": 1}, "items": [{"price": "1", "at": 1}], "rates": {"2": {"v": "1"}}, "id": "1"}
    assert len(_diff(before, after)) == 6
    ignored = ["$.meta", "$.items[0].price", "$.items[*].at", "$.rates.*", "id"]
    assert _diff(before, after, ignore_paths=ignored) == []
    wildcards = ["$.*.took", "$.*.*.v"]  # "*" stands for any one key or the values of a map
    assert [c[0] for c in _diff(before, after, ignore_paths=wildcards)] == [
        "$.id",
        "$.items[*].at",
        "$.items[*].price",
        "$.meta.new",
    ]
    assert _diff(before, after, ignore_paths=["not a [path"])  # an unreadable pattern ignores nothing


def test_ignore_path_error_for_forms() -> None:
    assert ignore_path_error("$.meta") is None
    assert ignore_path_error("$.items[*].updated_at") is None
    assert "is not a path" in ignore_path_error("$.a[")
    assert ignore_path_error("") is not None
    assert ignore_path_error("$." + "a" * 600) is not None


def test_shape_matches() -> None:
    shape = shape_merge(shape_of({"a": 1}).shape, shape_of({"a": None, "b": "x"}).shape)
    assert shape_matches({"a": 5}, shape)
    assert shape_matches({"a": None, "b": "y"}, shape)
    assert not shape_matches({"a": "5"}, shape)
    assert not shape_matches({}, shape_of({"a": 1}).shape)


def test_corrupt_stored_shapes_never_raise() -> None:
    for bad in ({}, {"type": 5}, {"type": "object", "properties": [1]}, {"type": "union", "anyOf": "x"}, []):
        assert isinstance(shape_diff(bad, shape_of({"a": 1}).shape), list)  # type: ignore[arg-type]
        assert isinstance(shape_merge(bad, {"type": "string"}), dict)  # type: ignore[arg-type]
        assert isinstance(shape_tree(bad), list)  # type: ignore[arg-type]


def test_shape_tree_rows() -> None:
    shape = shape_merge(
        shape_of({"id": 1, "owner": {"email": None}, "items": [{"sku": "a"}], "by_id": {"1": 1}}).shape,
        shape_of({"id": 2, "owner": {"email": "e"}, "items": [], "by_id": {}}).shape,
    )
    rows = shape_tree(shape)
    assert [(r["path"], r["depth"], r["name"], r["types"]) for r in rows] == [
        ("$", 0, "$", "object"),
        ("$.by_id", 1, "by_id", "object"),
        ("$.by_id.*", 2, "*", "integer"),
        ("$.id", 1, "id", "integer"),
        ("$.items", 1, "items", "array"),
        ("$.items[*]", 2, "[*]", "object"),
        ("$.items[*].sku", 3, "sku", "string"),
        ("$.owner", 1, "owner", "object"),
        ("$.owner.email", 2, "email", "string|null"),
    ]
    email = rows[-1]
    assert email["nullable"] is True and email["optional"] is False
    optional = shape_tree(shape_of([{"a": 1}, {"b": 1}]).shape)
    assert [(r["name"], r["optional"]) for r in optional[2:]] == [("a", True), ("b", True)]


@pytest.mark.parametrize(
    "key",
    ["token", "access_token", "refreshToken", "password", "password_hash", "client_secret", "api_key", "apiKey",
     "X-Api-Key", "Authorization", "auth", "Cookie", "set-cookie", "session_id", "sessionId", "private_key",
     "AWS_ACCESS_KEY_ID", "jwt", "ssn", "card_number", "cardNumber", "cvv"],
)  # fmt: skip
def test_redact_secret_keys(key: str) -> None:
    assert is_secret_key(key)
    text, truncated = redact({"user": {key: "s3cr3t", "name": "ada"}})
    assert "s3cr3t" not in text and not truncated
    assert json.loads(text) == {"user": {key: "***", "name": "ada"}}


@pytest.mark.parametrize("key", ["author", "authors", "name", "description", "session_count_total_x", "tokenizer_x"])
def test_redact_keeps_ordinary_keys(key: str) -> None:
    if key.startswith(("session", "token")):
        assert is_secret_key(key)  # whole words: "session" and "token…" count
    else:
        assert not is_secret_key(key)


def test_redact_caps_bytes_and_keeps_utf8_whole() -> None:
    value = {"items": [{"name": "ünïcødé ✓", "n": i} for i in range(10_000)], "token": "x"}
    text, truncated = redact(value, max_bytes=1000)
    assert truncated
    assert len(text.encode("utf-8")) <= 1000
    text.encode("utf-8")  # no half characters
    small, truncated = redact({"a": [1, 2], "b": None, "c": "\ud800", "d": 10**5000})
    assert not truncated
    assert json.loads(small) == {"a": [1, 2], "b": None, "c": "\ud800", "d": "<a very long integer>"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bearer abc.def.ghi", "***"),
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", "***"),
        ("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "***"),
        ("ghp_16C7e42F292c6912E7710c838347Ae178B4a", "***"),
        ("xoxb-1234567890-abcdefghij", "***"),
        ("AKIAIOSFODNN7EXAMPLE", "***"),
        ("postgres://app:hunter2@db.example.com/x", "postgres://app:***@db.example.com/x"),
        (
            "https://api.example.com/cb?id=5&access_token=abc123&x=1",
            "https://api.example.com/cb?id=5&access_token=***&x=1",
        ),
        ("https://x.test/?page=2&signature=abc", "https://x.test/?page=2&signature=***"),
        ("The token is in the header, not here.", "The token is in the header, not here."),
        ("https://example.com/users?page=2", "https://example.com/users?page=2"),
    ],
)
def test_redact_secrets_recognisable_by_their_value(text: str, expected: str) -> None:
    assert json.loads(redact({"note": text})[0]) == {"note": expected}


def test_redact_masks_a_whole_secret_subtree_and_not_pin_counts() -> None:
    text, _ = redact({"credentials": {"user": "a", "pass": "b"}, "pin_count": 3, "pin_code": "1234"})
    assert json.loads(text) == {"credentials": "***", "pin_count": 3, "pin_code": "***"}
