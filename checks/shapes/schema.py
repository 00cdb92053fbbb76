"""Shapes from a published contract: a JSON Schema (draft 2020-12 / 07 subset) or an OpenAPI 3.0/3.1 operation.

Supported: type (a name or a list), properties + required, items / prefixItems, nullable (OpenAPI
3.0), "null" in a type list (3.1, JSON Schema), oneOf / anyOf (merged), allOf (combined into one
object), enum / const (their values' types), additionalProperties / patternProperties without
properties (a map), and local $ref (#/$defs, #/definitions, #/components/schemas or any local
pointer). A schema that allows anything ({} or true, an object without properties, an array
without items) reads as "truncated" there, which diff never reports. A $ref that refers back to
itself is cut the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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

_MAX_DEPTH: Final = min(64, MAX_SHAPE_DEPTH)
_SCALARS: Final = {
    "string": STRING_ID,
    "integer": INTEGER_ID,
    "number": NUMBER_ID,
    "boolean": BOOLEAN_ID,
    "null": NULL_ID,
}
_METHODS: Final = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class ShapeSchemaError(ValueError):
    """The document cannot give a shape: not a schema, an unresolvable $ref, a missing operation…"""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def shape_from_json_schema(schema: Mapping[str, Any]) -> Shape:
    """The shape a document valid under `schema` has. Raises ShapeSchemaError for what it cannot read."""
    if not isinstance(schema, Mapping):
        raise ShapeSchemaError("A JSON Schema must be a JSON object.")
    nodes = Nodes()
    return nodes.materialize(_Converter(nodes, schema).convert(schema, 0, ()))


def shape_from_openapi(document: Mapping[str, Any], *, path: str, method: str, status: str) -> Shape:
    """The shape of the JSON response `status` of `method path` in an OpenAPI 3.0 or 3.1 document."""
    schema = openapi_response_schema(document, path=path, method=method, status=str(status))
    nodes = Nodes()
    return nodes.materialize(_Converter(nodes, document).convert(schema, 0, ()))


def openapi_operations(document: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """Every (path, METHOD, status) with a JSON response in the document, for a picker. Raises ShapeSchemaError."""
    _check_openapi(document)
    found = []
    paths = document.get("paths")
    for path, item in paths.items() if isinstance(paths, Mapping) else ():
        for method in _METHODS:
            operation = item.get(method) if isinstance(item, Mapping) else None
            responses = operation.get("responses") if isinstance(operation, Mapping) else None
            for status in responses if isinstance(responses, Mapping) else ():
                try:
                    openapi_response_schema(document, path=path, method=method, status=str(status))
                except ShapeSchemaError:
                    continue
                found.append((str(path), method.upper(), str(status)))
    return found


def _check_openapi(document: Mapping[str, Any]) -> None:
    if not isinstance(document, Mapping):
        raise ShapeSchemaError("An OpenAPI document must be a JSON object.")
    version = document.get("openapi")
    if not isinstance(version, str) or not version.startswith(("3.0", "3.1")):
        found = document.get("swagger") or version
        raise ShapeSchemaError(f"Only OpenAPI 3.0 and 3.1 documents are supported (this one says {found!r}).")


def openapi_response_schema(document: Mapping[str, Any], *, path: str, method: str, status: str) -> Any:
    _check_openapi(document)
    paths = document.get("paths")
    item = paths.get(path) if isinstance(paths, Mapping) else None
    if not isinstance(item, Mapping):
        raise ShapeSchemaError(f"The document has no path {path!r}.")
    operation = item.get(method.lower())
    if not isinstance(operation, Mapping):
        raise ShapeSchemaError(f"{path!r} has no {method.upper()} operation.")
    responses = operation.get("responses")
    responses = responses if isinstance(responses, Mapping) else {}
    response = responses.get(status)
    if response is None and len(status) == 3:
        response = responses.get(f"{status[0]}XX", responses.get(f"{status[0]}xx"))
    if not isinstance(response, Mapping):
        raise ShapeSchemaError(f"{method.upper()} {path} has no {status} response.")
    response = _resolve_refs(document, response)
    content = response.get("content")
    media = _json_media(content) if isinstance(content, Mapping) else None
    if media is None:
        raise ShapeSchemaError(f"The {status} response of {method.upper()} {path} has no JSON content.")
    if "schema" not in media:
        raise ShapeSchemaError(f"The {status} response of {method.upper()} {path} has no schema.")
    return media["schema"]


def _json_media(content: Mapping[str, Any]) -> Mapping[str, Any] | None:
    ranked = []
    for media_type, media in content.items():
        base = str(media_type).split(";")[0].strip().lower()
        if isinstance(media, Mapping) and (base == "application/json" or base.endswith("+json")):
            ranked.append((base != "application/json", str(media_type), media))
    return min(ranked, key=lambda r: r[:2])[2] if ranked else None


def _resolve_refs(document: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    seen: set[str] = set()
    while isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if ref in seen:
            raise ShapeSchemaError(f"{ref} refers to itself.")
        seen.add(ref)
        node = _pointer(document, ref)
    return node


def _pointer(document: Any, ref: str) -> Any:
    if not ref.startswith("#"):
        raise ShapeSchemaError(f"Only local references (#/…) are supported, not {ref[:100]!r}.")
    target = document
    for raw in ref[1:].split("/")[1:] if ref != "#" else ():
        part = raw.replace("~1", "/").replace("~0", "~").replace("%25", "%")
        if isinstance(target, Mapping) and part in target:
            target = target[part]
        elif isinstance(target, list) and part.isdigit() and int(part) < len(target):
            target = target[int(part)]
        else:
            raise ShapeSchemaError(f"The reference {ref[:100]!r} points to nothing.")
    return target


class _Converter:
    def __init__(self, nodes: Nodes, root: Any) -> None:
        self.nodes = nodes
        self.root = root

    def convert(self, schema: Any, depth: int, refs: tuple[str, ...]) -> int:
        if schema is True or schema == {}:
            return TRUNCATED_ID
        if schema is False:
            return UNKNOWN_ID
        if not isinstance(schema, Mapping):
            raise ShapeSchemaError("A schema must be a JSON object or a boolean.")
        if depth > _MAX_DEPTH:
            return TRUNCATED_ID
        nullable = schema.get("nullable") is True
        ref = schema.get("$ref")
        if isinstance(ref, str):
            if ref in refs:
                return TRUNCATED_ID  # a recursive type: the shape stops where it repeats
            node = self.convert(_pointer(self.root, ref), depth + 1, (*refs, ref))
            return self.nodes.nullable(node) if nullable else node
        if isinstance(schema.get("allOf"), list):
            schema = self._flatten_all_of(schema, refs)
        parts = [self._typed(schema, name, depth, refs) for name in self._types(schema)]
        for keyword in ("oneOf", "anyOf"):
            options = schema.get(keyword)
            if isinstance(options, list) and options:
                alternatives = UNKNOWN_ID
                for option in options:
                    alternatives = self.nodes.merge(alternatives, self.convert(option, depth + 1, refs))
                parts.append(alternatives)
        node = UNKNOWN_ID if parts else TRUNCATED_ID
        for part in parts:
            node = self.nodes.merge(node, part)
        return self.nodes.nullable(node) if nullable else node

    def _types(self, schema: Mapping[str, Any]) -> list[str]:
        declared = schema.get("type")
        if isinstance(declared, str):
            return [declared]
        if isinstance(declared, list):
            return [t for t in declared if isinstance(t, str)]
        if any(k in schema for k in ("properties", "additionalProperties", "patternProperties", "required")):
            return ["object"]
        if "items" in schema or "prefixItems" in schema:
            return ["array"]
        values = schema.get("enum") if isinstance(schema.get("enum"), list) else None
        if values is None and "const" in schema:
            values = [schema["const"]]
        return sorted({_json_type(v) for v in values}) if values else []

    def _typed(self, schema: Mapping[str, Any], name: str, depth: int, refs: tuple[str, ...]) -> int:
        if name in _SCALARS:
            return _SCALARS[name]
        if name == "array":
            items = [schema.get("items")] if "items" in schema and schema.get("items") is not False else []
            prefix = schema.get("prefixItems")
            items += list(prefix) if isinstance(prefix, list) else []
            if not items:
                return self.nodes.array(TRUNCATED_ID)
            node = UNKNOWN_ID
            for item in items:
                node = self.nodes.merge(node, self.convert(item, depth + 1, refs))
            return self.nodes.array(node)
        if name == "object":
            return self._object(schema, depth, refs)
        return TRUNCATED_ID  # an unknown type name: allow anything there rather than fail the import

    def _object(self, schema: Mapping[str, Any], depth: int, refs: tuple[str, ...]) -> int:
        properties = schema.get("properties")
        if not isinstance(properties, Mapping) or not properties:
            values = schema.get("additionalProperties")
            patterns = schema.get("patternProperties")
            options = [values] if isinstance(values, Mapping) else []
            options += list(patterns.values()) if isinstance(patterns, Mapping) else []
            node = UNKNOWN_ID if options else TRUNCATED_ID
            for option in options:
                node = self.nodes.merge(node, self.convert(option, depth + 1, refs))
            return self.nodes.map(node)
        required = schema.get("required")
        required = {r for r in required if isinstance(r, str)} if isinstance(required, list) else set()
        props = tuple(sorted((str(k), self.convert(v, depth + 1, refs)) for k, v in properties.items()))
        optional = tuple(sorted(k for k, _ in props if k not in required))
        return self.nodes.object(props, optional, False)

    def _flatten_all_of(self, schema: Mapping[str, Any], refs: tuple[str, ...]) -> dict[str, Any]:
        """allOf [A, B] → one schema: properties and required lists joined, the first value of anything else."""
        combined: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        own_properties, own_required = combined.get("properties"), combined.get("required")
        properties: dict[str, Any] = dict(own_properties) if isinstance(own_properties, Mapping) else {}
        required: list[Any] = list(own_required) if isinstance(own_required, list) else []
        pending: list[Any] = list(schema["allOf"])
        seen = set(refs)
        while pending:
            part = pending.pop(0)
            if isinstance(part, Mapping) and isinstance(part.get("$ref"), str) and part["$ref"] not in seen:
                seen.add(part["$ref"])
                pending.insert(0, _pointer(self.root, part["$ref"]))
                continue
            if not isinstance(part, Mapping):
                continue
            nested, props, needed = part.get("allOf"), part.get("properties"), part.get("required")
            pending[0:0] = nested if isinstance(nested, list) else []
            for key, value in props.items() if isinstance(props, Mapping) else ():
                properties[key] = {"allOf": [properties[key], value]} if key in properties else value
            required += needed if isinstance(needed, list) else []
            for key, value in part.items():
                if key not in ("properties", "required", "allOf", "$ref"):
                    combined.setdefault(key, value)
        if properties:
            combined["properties"] = properties
        if required:
            combined["required"] = required
        return combined


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, Sequence) and not isinstance(value, str):
        return "array"
    return "string"
