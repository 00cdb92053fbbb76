"""Pinned contracts: JSON Schema (2020-12, draft-07) and OpenAPI 3.0/3.1 documents to shapes.

The oracle for "valid under the schema" is the jsonschema package, not this code: every response
checked here is first validated by it, then must give no breaking drift against the pinned shape.
"""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checks.shapes import (
    ShapeSchemaError,
    openapi_operations,
    severity_of,
    shape_diff,
    shape_from_json_schema,
    shape_from_openapi,
    shape_of,
)

ORDER_2020: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["id", "status", "customer", "items"],
    "properties": {
        "id": {"type": "string"},
        "status": {"enum": ["paid", "pending"]},
        "amount": {"type": "integer"},
        "note": {"type": ["string", "null"]},
        "customer": {"$ref": "#/$defs/customer"},
        "items": {"type": "array", "items": {"$ref": "#/$defs/item"}},
        "rates": {"type": "object", "additionalProperties": {"type": "number"}},
        "payment": {"oneOf": [{"$ref": "#/$defs/card"}, {"$ref": "#/$defs/bank"}]},
        "tree": {"$ref": "#/$defs/node"},
        "point": {"type": "array", "prefixItems": [{"type": "number"}, {"type": "number"}]},
    },
    "$defs": {
        "customer": {
            "type": "object",
            "required": ["email"],
            "properties": {"email": {"type": "string"}, "name": {"type": "string"}},
        },
        "item": {
            "allOf": [
                {"$ref": "#/$defs/base_item"},
                {"type": "object", "required": ["qty"], "properties": {"qty": {"type": "integer"}}},
            ]
        },
        "base_item": {
            "type": "object",
            "required": ["sku"],
            "properties": {"sku": {"type": "string"}, "price": {"type": "number"}},
        },
        "card": {
            "type": "object",
            "required": ["kind", "last4"],
            "properties": {"kind": {"const": "card"}, "last4": {"type": "string"}},
        },
        "bank": {
            "type": "object",
            "required": ["kind", "iban"],
            "properties": {"kind": {"const": "bank"}, "iban": {"type": "string"}},
        },
        "node": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "children": {"type": "array", "items": {"$ref": "#/$defs/node"}},
            },
        },
    },
}

ORDER_FULL = {
    "id": "ord_1",
    "status": "paid",
    "amount": 1200,
    "note": None,
    "customer": {"email": "a@example.com", "name": "Ada"},
    "items": [{"sku": "A1", "qty": 2, "price": 9.5}, {"sku": "B2", "qty": 1}],
    "rates": {"EUR": 1, "GBP": 0.86},
    "payment": {"kind": "card", "last4": "4242"},
    "tree": {"name": "root", "children": [{"name": "leaf", "children": []}]},
    "point": [1.5, 2],
}
ORDER_MINIMAL = {"id": "ord_2", "status": "pending", "customer": {"email": "b@example.com"}, "items": []}


def _valid(schema: dict[str, Any], instance: Any) -> Any:
    jsonschema.validators.validator_for(schema)(schema).validate(instance)
    return instance


def test_json_schema_2020_gives_the_expected_shape() -> None:
    shape = shape_from_json_schema(ORDER_2020)
    props = shape["properties"]
    assert shape["optional"] == ["amount", "note", "payment", "point", "rates", "tree"]
    assert props["status"] == {"type": "string"}
    assert props["note"] == {"type": "string", "nullable": True}
    assert props["customer"] == {
        "type": "object",
        "properties": {"email": {"type": "string"}, "name": {"type": "string"}},
        "optional": ["name"],
    }
    assert props["items"]["items"]["properties"].keys() == {"sku", "qty", "price"}
    assert props["items"]["items"]["optional"] == ["price"]
    assert props["rates"] == {"type": "map", "values": {"type": "number"}}
    assert props["payment"]["optional"] == ["iban", "last4"]
    assert props["tree"]["properties"]["children"]["items"] == {"type": "truncated"}  # the recursion stops
    assert props["point"] == {"type": "array", "items": {"type": "number"}}


@pytest.mark.parametrize("instance", [ORDER_FULL, ORDER_MINIMAL], ids=["full", "minimal"])
def test_json_schema_valid_response_gives_no_breaking_drift(instance: dict[str, Any]) -> None:
    pinned = shape_from_json_schema(ORDER_2020)
    changes = shape_diff(pinned, shape_of(_valid(ORDER_2020, instance)).shape)
    assert changes == []


def test_json_schema_invalid_response_is_breaking_at_the_right_paths() -> None:
    instance = copy.deepcopy(ORDER_FULL)
    del instance["customer"]["email"]
    instance["amount"] = "12.00"
    instance["items"][1]["qty"] = None
    instance["extra"] = True
    with pytest.raises(jsonschema.ValidationError):
        _valid(ORDER_2020, instance)
    changes = shape_diff(shape_from_json_schema(ORDER_2020), shape_of(instance).shape)
    assert [(c.path, c.change) for c in changes] == [
        ("$.amount", "type_changed"),
        ("$.customer.email", "removed"),
        ("$.extra", "added"),
        ("$.items[*].qty", "became_nullable"),
    ]
    assert severity_of(changes) == "breaking"


def test_draft_07_definitions_and_nullable_enum() -> None:
    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "definitions": {"user": {"type": "object", "properties": {"login": {"type": "string"}}, "required": ["login"]}},
        "type": "array",
        "items": {"$ref": "#/definitions/user"},
    }
    assert shape_from_json_schema(schema) == {
        "type": "array",
        "items": {"type": "object", "properties": {"login": {"type": "string"}}},
    }
    assert shape_from_json_schema({"enum": ["a", None, 1]}) == {
        "type": "union",
        "anyOf": [{"type": "string"}, {"type": "integer"}],
        "nullable": True,
    }


# --- every instance the schema allows (generated, validated by jsonschema) -----------------------------


def _instances(schema: Any, root: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """Instances of the subset ORDER_2020 uses; jsonschema checks each one before it counts."""
    if not isinstance(schema, dict) or depth > 12:
        return st.none()
    if "$ref" in schema:
        return _instances(_follow(root, schema["$ref"]), root, depth + 1)
    if "allOf" in schema:
        return st.tuples(*[_instances(part, root, depth + 1) for part in schema["allOf"]]).map(
            lambda parts: {k: v for part in parts for k, v in part.items()}
        )
    if "oneOf" in schema:
        return st.one_of([_instances(part, root, depth + 1) for part in schema["oneOf"]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "const" in schema:
        return st.just(schema["const"])
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([_instances({**schema, "type": k}, root, depth) for k in kind])
    if kind == "object" and "additionalProperties" in schema:
        return st.dictionaries(
            st.text(max_size=6), _instances(schema["additionalProperties"], root, depth + 1), max_size=4
        )
    if kind == "object":
        required = set(schema.get("required", []))
        fields = {k: _instances(v, root, depth + 1) for k, v in schema.get("properties", {}).items()}
        return st.fixed_dictionaries(
            {k: v for k, v in fields.items() if k in required},
            optional={k: v for k, v in fields.items() if k not in required},
        )
    if kind == "array":
        items = schema.get("items") or (schema.get("prefixItems") or [{}])[0]
        return st.lists(_instances(items, root, depth + 1), max_size=3 if depth < 6 else 0)
    return {
        "string": st.text(max_size=5),
        "integer": st.integers(),
        "number": st.integers() | st.floats(allow_nan=False, allow_infinity=False),
        "null": st.none(),
    }.get(kind, st.none())


def _follow(root: dict[str, Any], ref: str) -> Any:
    target: Any = root
    for part in ref[2:].split("/"):
        target = target[part]
    return target


@settings(derandomize=True, max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_instances(ORDER_2020, ORDER_2020))
def test_json_schema_any_valid_instance_gives_no_breaking_drift(instance: Any) -> None:
    _valid(ORDER_2020, instance)
    changes = shape_diff(shape_from_json_schema(ORDER_2020), shape_of(instance).shape)
    assert severity_of(changes) == "additive" and not changes, changes


# --- OpenAPI -------------------------------------------------------------------------------------------

OPENAPI_30: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Orders", "version": "1"},
    "paths": {
        "/orders/{id}": {
            "get": {
                "responses": {
                    "200": {"$ref": "#/components/responses/Order"},
                    "404": {"description": "gone", "content": {"text/plain": {"schema": {"type": "string"}}}},
                }
            }
        },
        "/orders": {
            "get": {
                "responses": {
                    "2XX": {
                        "description": "a page",
                        "content": {
                            "application/json; charset=utf-8": {
                                "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Order"}}
                            }
                        },
                    }
                }
            }
        },
    },
    "components": {
        "responses": {
            "Order": {
                "description": "one order",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}},
            }
        },
        "schemas": {
            "Order": {
                "type": "object",
                "required": ["id", "shipped_at"],
                "properties": {
                    "id": {"type": "integer"},
                    "shipped_at": {"type": "string", "nullable": True},
                    "customer": {"allOf": [{"$ref": "#/components/schemas/Customer"}], "nullable": True},
                },
            },
            "Customer": {"type": "object", "properties": {"email": {"type": "string"}}, "required": ["email"]},
        },
    },
}


def test_openapi_30_nullable_refs_and_response_refs() -> None:
    shape = shape_from_openapi(OPENAPI_30, path="/orders/{id}", method="GET", status="200")
    assert shape == {
        "type": "object",
        "properties": {
            "customer": {"type": "object", "properties": {"email": {"type": "string"}}, "nullable": True},
            "id": {"type": "integer"},
            "shipped_at": {"type": "string", "nullable": True},
        },
        "optional": ["customer"],
    }
    for response in ({"id": 1, "shipped_at": None, "customer": None}, {"id": 2, "shipped_at": "2026-01-01"}):
        assert shape_diff(shape, shape_of(response).shape) == []
    page = shape_from_openapi(OPENAPI_30, path="/orders", method="get", status="200")  # served by "2XX"
    assert page["items"] == shape


def test_openapi_31_type_lists_and_the_operations_picker() -> None:
    document = copy.deepcopy(OPENAPI_30) | {"openapi": "3.1.0"}
    order = document["components"]["schemas"]["Order"]["properties"]
    order["shipped_at"] = {"type": ["string", "null"]}
    order["customer"] = {"oneOf": [{"$ref": "#/components/schemas/Customer"}, {"type": "null"}]}
    shape = shape_from_openapi(document, path="/orders/{id}", method="get", status="200")
    assert shape == shape_from_openapi(OPENAPI_30, path="/orders/{id}", method="get", status="200")
    schema = {"$ref": "#/components/schemas/Order", "components": document["components"]}
    response = _valid(schema, {"id": 3, "shipped_at": None, "customer": {"email": "c@example.com"}})
    assert shape_diff(shape, shape_of(response).shape) == []
    assert openapi_operations(document) == [("/orders/{id}", "GET", "200"), ("/orders", "GET", "2XX")]


@pytest.mark.parametrize(
    ("document", "path", "method", "status", "message"),
    [
        (OPENAPI_30, "/nope", "get", "200", "no path '/nope'"),
        (OPENAPI_30, "/orders", "post", "200", "no POST operation"),
        (OPENAPI_30, "/orders/{id}", "get", "500", "no 500 response"),
        (OPENAPI_30, "/orders/{id}", "get", "404", "no JSON content"),
        ({"swagger": "2.0", "paths": {}}, "/a", "get", "200", "Only OpenAPI 3.0 and 3.1"),
        ([], "/a", "get", "200", "must be a JSON object"),
    ],
)
def test_openapi_missing_parts_raise_shape_schema_error(document, path, method, status, message) -> None:  # noqa: ANN001
    with pytest.raises(ShapeSchemaError, match=message):
        shape_from_openapi(document, path=path, method=method, status=status)


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ({"$ref": "https://example.com/other.json"}, "Only local references"),
        ({"$ref": "#/$defs/missing"}, "points to nothing"),
        ({"type": "object", "properties": {"a": 5}}, "must be a JSON object or a boolean"),
        ("not a schema", "must be a JSON object"),
    ],
)
def test_json_schema_unreadable_documents_raise_shape_schema_error(schema: Any, message: str) -> None:
    with pytest.raises(ShapeSchemaError, match=message):
        shape_from_json_schema(schema)


def test_json_schema_that_allows_anything_never_drifts() -> None:
    for schema in ({}, {"type": "object"}, {"type": "array"}):
        pinned = shape_from_json_schema(schema)
        value = {"a": [1, {"b": None}]} if schema.get("type") != "array" else [1, "x", {"c": []}]
        assert shape_diff(pinned, shape_of(value).shape) == []


_SCHEMA_WORDS = st.sampled_from(
    ["type", "properties", "required", "items", "prefixItems", "nullable", "oneOf", "anyOf", "allOf", "enum",
     "const", "$ref", "additionalProperties", "patternProperties", "$defs", "a", "object", "array", "string",
     "null", "#/$defs/a", "#/properties", "#", "#/$defs/a/properties/b"]
)  # fmt: skip
_DOCUMENTS = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | _SCHEMA_WORDS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_SCHEMA_WORDS, children, max_size=5),
    max_leaves=60,
)


@settings(derandomize=True, max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_DOCUMENTS)
def test_any_document_gives_a_shape_or_shape_schema_error_nothing_else(document: Any) -> None:
    """A user uploads anything: the form shows a message (ShapeSchemaError), never a 500."""
    try:
        shape = shape_from_json_schema(document)
    except ShapeSchemaError as exc:
        assert exc.message
    else:
        assert isinstance(shape_diff(shape, shape_of({"a": [1]}).shape), list)
    response = {"content": {"application/json": {"schema": document}}}
    openapi = {"openapi": "3.1.0", "paths": {"/a": {"get": {"responses": {"200": response}}}}, "$defs": document}
    try:
        shape_from_openapi(openapi, path="/a", method="get", status="200")
    except ShapeSchemaError:
        pass
