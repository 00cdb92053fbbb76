"""Parse a response body as JSON without letting the body choose the cost (RELIABILITY.md IN-05).

Pure: no Django, no I/O. Every input ends in a typed `JsonOutcome`; nothing a target sends makes
this raise. The limits are checked before `json.loads` runs, on a copy of the body with its
strings blanked out, so a 10,000-deep nesting never reaches the recursive C scanner and a
million-element array is refused before a million objects are built.

Rules beyond the JSON grammar, each for a reason:
- UTF-8 only (RFC 8259 §8.1); one leading UTF-8 BOM is skipped, as the RFC allows.
- `NaN`, `Infinity`, non-finite floats (`1e999`) and integers longer than `max_int_digits` are
  `invalid_number`: other parsers (PostgreSQL jsonb, JavaScript) would read them differently or fail.
- Duplicate keys and lone surrogates (`"\\ud800"`) are `non_json`: parsers disagree on the first
  (first wins, last wins, error), and the second cannot be stored or re-encoded as UTF-8.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Final, Literal

OutcomeKind = Literal["ok", "non_json", "too_deep", "too_large", "invalid_number"]

DEFAULT_MAX_DEPTH: Final = 64
DEFAULT_MAX_BYTES: Final = 1024 * 1024
DEFAULT_MAX_VALUES: Final = 100_000
DEFAULT_MAX_INT_DIGITS: Final = 64

_BOM: Final = b"\xef\xbb\xbf"
# A complete JSON string (possessive, so an unterminated one fails fast instead of backtracking).
_STRING: Final = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_BRACKETS: Final = bytes.maketrans(b"", b"")
_NOT_BRACKETS: Final = bytes(set(range(256)) - set(b"[]{}"))
# "\\uD8xx" … "\\uDFxx", either case (an escaped backslash before "u" matches too: a harmless extra walk).
_SURROGATE_ESCAPE: Final = re.compile(rb"\\u[dD][89a-fA-F]")


@dataclass(frozen=True)
class JsonOutcome:
    """`kind` says what the body was; `value` is the parsed document only when kind is "ok"."""

    kind: OutcomeKind
    value: object = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.kind == "ok"


class _Refused(Exception):
    def __init__(self, kind: OutcomeKind, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


def parse_json_safely(
    body: bytes,
    *,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_values: int = DEFAULT_MAX_VALUES,
    max_int_digits: int = DEFAULT_MAX_INT_DIGITS,
) -> JsonOutcome:
    """Parse `body` as one JSON document within the limits; never raises for any input bytes."""
    if len(body) > max_bytes:
        return JsonOutcome("too_large", reason=f"the body is larger than {max_bytes} bytes")
    if body.startswith(_BOM):
        body = body[len(_BOM) :]
    if not body.strip():
        return JsonOutcome("non_json", reason="the body is empty")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return JsonOutcome("non_json", reason=f"not valid UTF-8 at byte {exc.start}")
    try:
        _check_shape(body, max_depth=max_depth, max_values=max_values)
        value = json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_int=lambda digits: _parse_int(digits, max_int_digits),
            parse_float=_parse_float,
            object_pairs_hook=_unique_keys,
        )
        # The body decoded as UTF-8, so a lone surrogate can only come from a \uD800-\uDFFF escape:
        # without one, the walk over every string (most of the cost of a large body) is skipped.
        if _SURROGATE_ESCAPE.search(body):
            _check_strings(value)
    except _Refused as exc:
        return JsonOutcome(exc.kind, reason=exc.reason)
    except json.JSONDecodeError as exc:
        return JsonOutcome("non_json", reason=f"{exc.msg} at line {exc.lineno} column {exc.colno}")
    except RecursionError:  # the shape check should have caught it first; kept as a backstop
        return JsonOutcome("too_deep", reason=f"nested deeper than {max_depth} levels")
    except (ValueError, OverflowError) as exc:
        return JsonOutcome("invalid_number", reason=str(exc)[:200])
    return JsonOutcome("ok", value=value)


def _check_shape(body: bytes, *, max_depth: int, max_values: int) -> None:
    """Depth and value count from the brackets and commas outside strings, before anything is built."""
    skeleton = _STRING.sub(b'""', body)
    # Values ~ separators + containers: each comma adds one, each container adds one.
    values = skeleton.count(b",") + skeleton.count(b"[") + skeleton.count(b"{") + 1
    if values > max_values:
        raise _Refused("too_large", f"more than {max_values} values")
    depth = 0
    for byte in skeleton.translate(_BRACKETS, _NOT_BRACKETS):
        if byte in b"[{":
            depth += 1
            if depth > max_depth:
                raise _Refused("too_deep", f"nested deeper than {max_depth} levels")
        else:
            depth -= 1


def _refuse_constant(name: str) -> object:
    raise _Refused("invalid_number", f"{name} is not a JSON number")


def _parse_int(digits: str, max_digits: int) -> int:
    if len(digits.lstrip("-")) > max_digits:
        raise _Refused("invalid_number", f"an integer with more than {max_digits} digits")
    return int(digits)


def _parse_float(text: str) -> float:
    if len(text) > 400:
        raise _Refused("invalid_number", "a number longer than 400 characters")
    number = float(text)
    if not math.isfinite(number):
        raise _Refused("invalid_number", f"{text[:40]} is out of range")
    return number


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Refused("non_json", f"duplicate key {_short(key)}")
            seen.add(key)
    return result


def _check_strings(value: object) -> None:
    """Every key and string must be encodable as UTF-8 (no lone surrogates). Iterative: depth is bounded anyway."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            _check_text(item)
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            for key, child in item.items():
                _check_text(key)
                stack.append(child)


def _check_text(text: str) -> None:
    if text.isascii():
        return
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _Refused("non_json", "a string holds a lone UTF-16 surrogate") from None


def _short(text: str) -> str:
    return repr(text[:40].encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace"))
