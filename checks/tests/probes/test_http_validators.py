"""monitors.validators rules the HTTP probe relies on: expected status codes and ranges, JSON assertions.

They live in monitors (the form and the API use them; imports point down); the probe applies the
same rules again to stored data (checks.assertions), so both are tested against each other here.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from checks.assertions import parse_status_spec
from monitors.validators import (
    parse_status_codes,
    status_ranges,
    validate_expected_status,
    validate_json_assertions,
)

GOOD_SPECS = [[200], [200, 204], ["200-299"], [200, "300-399"], ["204"], [" 500 - 599 "], [100, 599]]
BAD_SPECS = [[], "200", [True], [99], [600], ["2xx"], ["299-200"], ["200-"], [2.5], [None], list(range(200, 221))]


@pytest.mark.parametrize("spec", GOOD_SPECS)
def test_expected_status_accepts_codes_and_ranges_and_agrees_with_the_probe(spec: list[Any]) -> None:
    validate_expected_status(spec)

    assert tuple(status_ranges(spec)) == parse_status_spec(spec).ranges


@pytest.mark.parametrize("spec", BAD_SPECS)
def test_expected_status_refuses(spec: Any) -> None:
    with pytest.raises(ValidationError):
        validate_expected_status(spec)


@pytest.mark.parametrize(
    ("text", "codes"),
    [("200", [200]), ("200, 204", [200, 204]), ("200-299", ["200-299"]), ("200 - 299, 404", ["200-299", 404])],
)
def test_form_text_parses_to_codes_and_ranges(text: str, codes: list[int | str]) -> None:
    assert parse_status_codes(text) == codes


@pytest.mark.parametrize("text", ["abc", "200-2xx", "2xx", "-200", "600"])
def test_form_text_refuses(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_status_codes(text)


GOOD_ASSERTIONS = [
    [],
    [{"path": "$.status", "op": "equals", "value": "ok"}],
    [{"path": "$.items[0].price", "op": "lt", "value": 10}],
    [{"path": "$.count", "op": "gt", "value": 2.5}],
    [{"path": "$.items[*].id", "op": "contains", "value": 7}],
    [{"path": "$.data.id", "op": "exists"}],
    [{"path": "$.data.id", "op": "exists", "value": False}],
    [{"path": "$.a", "op": "not_equals", "value": None}],
    [{"path": "$.a", "op": "equals", "value": {"b": [1, 2]}}],
    [{"path": "$..id", "op": "exists", "value": None}],
]
BAD_ASSERTIONS = [
    None,
    {"path": "$.a", "op": "exists"},
    ["$.a exists"],
    [{"path": "$.a"}],
    [{"op": "exists"}],
    [{"path": "$.a", "op": "exists", "extra": 1}],
    [{"path": "status", "op": "exists"}],
    [{"path": "$.[[", "op": "exists"}],
    [{"path": 5, "op": "exists"}],
    [{"path": "$." + "a" * 400, "op": "exists"}],
    [{"path": "$.a", "op": "matches", "value": "x"}],
    [{"path": "$.a", "op": "equals"}],
    [{"path": "$.a", "op": "lt", "value": "5"}],
    [{"path": "$.a", "op": "gt", "value": True}],
    [{"path": "$.a", "op": "contains", "value": [1]}],
    [{"path": "$.a", "op": "exists", "value": "yes"}],
    [{"path": "$.a", "op": "equals", "value": "x" * 2000}],
    [{"path": "$.a", "op": "equals", "value": float("nan")}],
    [{"path": "$.a", "op": "exists"}] * 21,
]


@pytest.mark.parametrize("assertions", GOOD_ASSERTIONS)
def test_json_assertions_accepted(assertions: list[dict[str, Any]]) -> None:
    validate_json_assertions(assertions)


@pytest.mark.parametrize("assertions", BAD_ASSERTIONS)
def test_json_assertions_refused_with_a_message(assertions: Any) -> None:
    with pytest.raises(ValidationError) as info:
        validate_json_assertions(assertions)

    assert info.value.messages[0]
