"""What an HTTP monitor asserts about a response: status, keywords, JSON values. Pure; no I/O.

Each check returns None when it holds, or a `Failure` whose message a person understands
("expected 200, got 503", "keyword 'ok' not found", "$.status was 'degraded', expected 'ok'").
The rules for what may be saved live in monitors.validators; this module applies them to stored
data, and an item that no longer validates (edited around the form) is a failure, not a crash.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from jsonpath_ng import JSONPath, parse
from jsonpath_ng.jsonpath import Child, Fields, Index, Root

from checks.jsonsafe import JsonOutcome

_MAX_SHOWN: Final = 80
_RANGE: Final = re.compile(r"\s*([0-9]{3})\s*-\s*([0-9]{3})\s*")


@dataclass(frozen=True)
class Failure:
    kind: str  # a stable code: unexpected_status, keyword_missing, keyword_present, json_assertion, not_json, …
    message: str


# --- status ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusSpec:
    ranges: tuple[tuple[int, int], ...]

    def matches(self, status: int) -> bool:
        return any(low <= status <= high for low, high in self.ranges)

    def __str__(self) -> str:
        parts = [str(low) if low == high else f"{low}-{high}" for low, high in self.ranges]
        return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1]


def parse_status_spec(spec: Sequence[int | str] | None) -> StatusSpec:
    """[200, "204", "300-399"] -> StatusSpec; empty means 200. Raises ValueError on an item that does not parse.

    The rules of monitors.validators.validate_expected_status (which the form and API apply at save
    time), applied again to what is stored.
    """
    if not spec:
        return StatusSpec(((200, 200),))
    ranges: list[tuple[int, int]] = []
    for item in spec:
        if isinstance(item, str) and item.strip().isascii() and item.strip().isdigit():
            item = int(item.strip())
        if isinstance(item, int) and not isinstance(item, bool):
            low = high = item
        elif isinstance(item, str) and (match := _RANGE.fullmatch(item)):
            low, high = int(match[1]), int(match[2])
        else:
            raise ValueError(f"{str(item)[:20]!r} is not a status code or range")
        if not 100 <= low <= high <= 599:
            raise ValueError(f"{str(item)[:20]!r} is not within 100-599")
        ranges.append((low, high))
    return StatusSpec(tuple(ranges))


def check_status(status: int, spec: Sequence[int | str] | None) -> Failure | None:
    try:
        expected = parse_status_spec(spec)
    except ValueError as exc:
        return Failure("invalid_assertion", f"the expected status list is not valid: {exc}")
    if expected.matches(status):
        return None
    return Failure("unexpected_status", f"expected {expected}, got {status}")


# --- keywords -------------------------------------------------------------------------------------


def check_keywords(body: bytes, *, present: str, absent: str, truncated: bool) -> Failure | None:
    """`present` must appear in the body and `absent` must not (UTF-8, case-sensitive)."""
    where = f" in the first {len(body)} bytes" if truncated else ""
    if present and present.encode("utf-8", "surrogatepass") not in body:
        return Failure("keyword_missing", f"keyword {_show(present)} not found{where}")
    if absent and absent.encode("utf-8", "surrogatepass") in body:
        return Failure("keyword_present", f"keyword {_show(absent)} found")
    return None


# --- JSON -----------------------------------------------------------------------------------------


def check_json(document: JsonOutcome, assertions: Sequence[Any], *, truncated: bool) -> Failure | None:
    """Every assertion must hold over the parsed body; the first that does not is the failure."""
    if not assertions:
        return None
    if truncated:
        return Failure("not_json", "response is not JSON (the body was cut at the size cap)")
    if not document.ok:
        return Failure("not_json", f"response is not JSON ({document.reason})")
    for item in assertions:
        failure = check_json_assertion(document.value, item)
        if failure is not None:
            return failure
    return None


def check_json_assertion(document: object, item: Any) -> Failure | None:
    if not isinstance(item, dict) or not isinstance(item.get("path"), str):
        return Failure("invalid_assertion", "a JSON assertion is not valid")
    path, op, expected = item["path"], item.get("op"), item.get("value")
    try:
        expression = _compile(path)
    except Exception:  # noqa: BLE001 - a stored path that no longer parses: jsonpath-ng raises several types
        return Failure("invalid_assertion", f"{path[:_MAX_SHOWN]} is not a valid JSONPath")
    matches = [match.value for match in expression.find(document)]
    if op == "exists":
        if (expected is not False) == bool(matches):
            return None
        return Failure("json_assertion", f"{path} does not exist" if matches == [] else f"{path} exists")
    if not matches:
        return Failure("json_assertion", f"{path} does not exist")
    actual = matches[0] if len(matches) == 1 and _singular(expression) else matches
    return _compare(path, op, actual, expected)


def _compare(path: str, op: object, actual: object, expected: object) -> Failure | None:
    was = f"{path} was {_show(actual)}"
    if op == "equals":
        return None if _same(actual, expected) else Failure("json_assertion", f"{was}, expected {_show(expected)}")
    if op == "not_equals":
        if not _same(actual, expected):
            return None
        return Failure("json_assertion", f"{was}, expected anything but {_show(expected)}")
    if op in ("lt", "gt"):
        sign = "<" if op == "lt" else ">"
        if not _is_number(actual) or not _is_number(expected):
            return Failure("json_assertion", f"{was}, expected a number {sign} {_show(expected)}")
        holds = actual < expected if op == "lt" else actual > expected  # type: ignore[operator]
        return None if holds else Failure("json_assertion", f"{was}, expected {sign} {_show(expected)}")
    if op == "contains":
        if isinstance(actual, str):
            holds = isinstance(expected, str) and expected in actual
        elif isinstance(actual, list):
            holds = any(_same(element, expected) for element in actual)
        else:
            return Failure("json_assertion", f"{was}, expected a string or a list containing {_show(expected)}")
        return None if holds else Failure("json_assertion", f"{was}, expected it to contain {_show(expected)}")
    return Failure("invalid_assertion", f"unknown JSON assertion operator {_show(op)}")


@functools.lru_cache(maxsize=512)
def _compile(path: str) -> JSONPath:
    return parse(path)


def _singular(expression: JSONPath) -> bool:
    """A path naming one place ($.a.b[0]) gives that value; wildcards, slices and .. give the list of matches."""
    if isinstance(expression, Root):
        return True
    if isinstance(expression, Child):
        return _singular(expression.left) and _singular(expression.right)
    if isinstance(expression, Fields):
        return len(expression.fields) == 1 and expression.fields[0] != "*"
    if isinstance(expression, Index):
        return len(expression.indices) == 1
    return False


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _same(actual: object, expected: object) -> bool:
    """JSON equality: true is not 1, 1 equals 1.0, lists and objects compare element by element."""
    if isinstance(actual, bool) or isinstance(expected, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and actual == expected
    if _is_number(actual) and _is_number(expected):
        return actual == expected
    if isinstance(actual, list) and isinstance(expected, list):
        return len(actual) == len(expected) and all(_same(a, e) for a, e in zip(actual, expected, strict=True))
    if isinstance(actual, dict) and isinstance(expected, dict):
        return actual.keys() == expected.keys() and all(_same(actual[k], expected[k]) for k in actual)
    return type(actual) is type(expected) and actual == expected


def _show(value: object) -> str:
    """'degraded' for strings, JSON for the rest (3, true, null, [1, 2]), cut for the message."""
    if isinstance(value, str):
        text = repr(value)
    else:
        try:
            text = json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError):
            text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"
