"""checks.assertions: status specs, keywords and JSON assertions as pure functions over stored monitor data."""

from __future__ import annotations

from typing import Any

import pytest

from checks.assertions import check_json, check_json_assertion, check_keywords, check_status, parse_status_spec
from checks.jsonsafe import parse_json_safely


@pytest.mark.parametrize(
    ("spec", "ranges", "text"),
    [
        (None, ((200, 200),), "200"),
        ([], ((200, 200),), "200"),
        ([200], ((200, 200),), "200"),
        (["200-299"], ((200, 299),), "200-299"),
        ([" 300 - 399 ", "204"], ((300, 399), (204, 204)), "300-399 or 204"),
        ([200, 201, "500-599"], ((200, 200), (201, 201), (500, 599)), "200, 201 or 500-599"),
    ],
)
def test_parse_status_spec(spec: Any, ranges: tuple[tuple[int, int], ...], text: str) -> None:
    parsed = parse_status_spec(spec)

    assert (parsed.ranges, str(parsed)) == (ranges, text)


@pytest.mark.parametrize("spec", [["2xx"], [True], ["299-200"], [99], ["600"], [None], ["200-"], [2.5]])
def test_parse_status_spec_refuses(spec: list[Any]) -> None:
    with pytest.raises(ValueError):
        parse_status_spec(spec)


def test_stored_status_spec_that_no_longer_parses_is_a_failure_not_a_crash() -> None:
    failure = check_status(200, ["2xx"])

    assert failure is not None and failure.kind == "invalid_assertion"


@pytest.mark.parametrize(("status", "holds"), [(199, False), (200, True), (250, True), (299, True), (300, False)])
def test_range_bounds_are_inclusive(status: int, holds: bool) -> None:
    assert (check_status(status, ["200-299"]) is None) is holds


def test_keywords_are_case_sensitive_utf8() -> None:
    assert check_keywords("Zoë OK".encode(), present="Zoë", absent="", truncated=False) is None
    assert check_keywords(b"ok", present="OK", absent="", truncated=False) is not None
    assert check_keywords(b"", present="", absent="", truncated=False) is None


def test_long_keyword_is_cut_in_the_message() -> None:
    failure = check_keywords(b"", present="k" * 200, absent="", truncated=False)

    assert failure is not None and len(failure.message) < 120


@pytest.mark.parametrize(
    ("document", "assertion", "holds"),
    [
        ({"a": 1}, {"path": "$.a", "op": "equals", "value": 1.0}, True),
        ({"a": True}, {"path": "$.a", "op": "equals", "value": 1}, False),
        ({"a": 1}, {"path": "$.a", "op": "equals", "value": True}, False),
        ({"a": None}, {"path": "$.a", "op": "equals", "value": None}, True),
        ({"a": None}, {"path": "$.a", "op": "exists"}, True),
        ({"a": [1, 2]}, {"path": "$.a", "op": "equals", "value": [1, 2]}, True),
        ({"a": {"b": [1]}}, {"path": "$.a", "op": "equals", "value": {"b": [1]}}, True),
        ({"a": "1"}, {"path": "$.a", "op": "equals", "value": 1}, False),
        ({"a": "5"}, {"path": "$.a", "op": "gt", "value": 1}, False),
        ({"a": True}, {"path": "$.a", "op": "gt", "value": 0}, False),
        ({"a": [1, True]}, {"path": "$.a", "op": "contains", "value": 1}, True),
        ({"a": [True]}, {"path": "$.a", "op": "contains", "value": 1}, False),
        ({"a": 12}, {"path": "$.a", "op": "contains", "value": 1}, False),
        ({"items": [{"id": 1}]}, {"path": "$.items[*].id", "op": "contains", "value": 1}, True),
        ({"items": [{"id": 1}]}, {"path": "$.items[*].id", "op": "equals", "value": [1]}, True),
        ({"items": [{"id": 1}]}, {"path": "$.items[0].id", "op": "equals", "value": 1}, True),
        ({"items": []}, {"path": "$.items[*].id", "op": "exists"}, False),
        ({"a": {"id": 3}}, {"path": "$..id", "op": "contains", "value": 3}, True),
        ([1, 2, 3], {"path": "$[1:]", "op": "equals", "value": [2, 3]}, True),
        (None, {"path": "$", "op": "equals", "value": None}, True),
        ({"a": 1}, {"path": "$.a", "op": "unknown", "value": 1}, False),
    ],
)
def test_json_assertion_semantics(document: Any, assertion: dict[str, Any], holds: bool) -> None:
    assert (check_json_assertion(document, assertion) is None) is holds


@pytest.mark.parametrize("assertion", [{"path": "$.[[", "op": "exists"}, {"op": "exists"}, "not a dict"])
def test_broken_stored_assertion_is_a_failure_not_a_crash(assertion: Any) -> None:
    failure = check_json_assertion({"a": 1}, assertion)

    assert failure is not None and failure.kind == "invalid_assertion"


def test_long_values_are_cut_in_the_message() -> None:
    failure = check_json_assertion({"a": "x" * 5000}, {"path": "$.a", "op": "equals", "value": "y"})

    assert failure is not None and len(failure.message) < 200


def test_no_assertions_never_parses_the_body() -> None:
    assert check_json(parse_json_safely(b"<html>"), [], truncated=True) is None
