"""checks.jsonsafe.parse_json_safely: every adversarial body ends in a typed outcome (RELIABILITY.md IN-05)."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from checks.jsonsafe import JsonOutcome, parse_json_safely

MB = 1024 * 1024


def measured(body: bytes, **limits: int) -> tuple[JsonOutcome, float, int]:
    """(outcome, seconds, peak bytes): timed on its own run, since tracemalloc slows every allocation."""
    started = time.perf_counter()
    outcome = parse_json_safely(body, **limits)
    took = time.perf_counter() - started
    tracemalloc.start()
    try:
        assert parse_json_safely(body, **limits) == outcome
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return outcome, took, peak


ADVERSARIAL = {
    "nesting_10000_deep_arrays": (b"[" * 10_000 + b"]" * 10_000, "too_deep"),
    "nesting_10000_deep_objects": (b'{"a":' * 10_000 + b"1" + b"}" * 10_000, "too_deep"),
    "nesting_unclosed": (b"[" * 10_000, "too_deep"),
    "array_of_a_million": (b"[" + b"0," * 999_999 + b"0]", "too_large"),
    "int_of_5000_digits": (b'{"n": ' + b"9" * 5000 + b"}", "invalid_number"),
    "negative_int_of_5000_digits": (b"-" + b"9" * 5000, "invalid_number"),
    "float_of_5000_digits": (b"0." + b"1" * 5000, "invalid_number"),
    "nan": (b'{"x": NaN}', "invalid_number"),
    "infinity": (b"[Infinity]", "invalid_number"),
    "minus_infinity": (b"-Infinity", "invalid_number"),
    "float_overflow": (b"1e999", "invalid_number"),
    "duplicate_keys": (b'{"a": 1, "a": 2}', "non_json"),
    "lone_surrogate": (b'{"s": "\\ud800"}', "non_json"),
    "lone_surrogate_key": (b'{"\\udc00": 1}', "non_json"),
    "invalid_utf8": (b'{"s": "\xff\xfe"}', "non_json"),
    "utf16_body": ('{"a": 1}'.encode("utf-16"), "non_json"),
    "html": (b"<!doctype html><html><body>502 Bad Gateway</body></html>", "non_json"),
    "empty": (b"", "non_json"),
    "whitespace_only": (b" \r\n\t", "non_json"),
    "truncated": (b'{"a": [1, 2', "non_json"),
    "unterminated_string": (b'["abc', "non_json"),
    "trailing_garbage": (b'{"a": 1} {"b": 2}', "non_json"),
    "over_max_bytes": (b'"' + b"a" * (2 * MB) + b'"', "too_large"),
}


@pytest.mark.parametrize(("body", "kind"), ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_in_05_adversarial_body_is_a_typed_outcome_fast_and_small(body: bytes, kind: str) -> None:
    outcome, took, peak = measured(body)

    assert outcome.kind == kind, outcome
    assert outcome.value is None
    assert outcome.reason
    assert took < 1.0
    assert peak < 50 * MB


def test_in_05_null_is_a_document_not_a_failure() -> None:
    outcome = parse_json_safely(b"null")

    assert (outcome.kind, outcome.value, outcome.ok) == ("ok", None, True)


def test_in_05_bom_is_skipped() -> None:
    assert parse_json_safely(b'\xef\xbb\xbf{"status": "ok"}').value == {"status": "ok"}


def test_in_05_valid_surrogate_pair_and_unicode_are_kept() -> None:
    outcome = parse_json_safely('{"emoji": "\\ud83d\\ude00", "name": "Zoë"}'.encode())

    assert outcome.value == {"emoji": "\U0001f600", "name": "Zoë"}


def test_in_05_escaped_backslash_before_u_is_not_a_surrogate() -> None:
    assert parse_json_safely(b'["\\\\ud800"]').value == ["\\ud800"]


def test_in_05_brackets_and_commas_inside_strings_do_not_count() -> None:
    body = b'{"text": "' + b"[{," * 50_000 + b'"}'

    outcome, took, _ = measured(body, max_depth=4, max_values=10)

    assert outcome.ok
    assert took < 1.0


def test_in_05_depth_at_the_limit_parses_and_one_more_does_not() -> None:
    assert parse_json_safely(b"[" * 64 + b"]" * 64).ok
    assert parse_json_safely(b"[" * 65 + b"]" * 65).kind == "too_deep"


def test_in_05_large_but_allowed_array_parses_within_limits() -> None:
    body = b"[" + b"1," * 99_998 + b"1]"

    outcome, took, peak = measured(body)

    assert outcome.ok
    assert len(outcome.value) == 99_999  # type: ignore[arg-type]
    assert took < 1.0
    assert peak < 50 * MB


def test_in_05_a_million_elements_fit_when_the_caller_allows_them() -> None:
    body = b"[" + b"0," * 999_999 + b"0]"

    outcome, _, peak = measured(body, max_bytes=4 * MB, max_values=2_000_000)

    assert outcome.ok
    assert peak < 50 * MB


def test_in_05_long_but_reasonable_integers_are_numbers() -> None:
    assert parse_json_safely(b"[12345678901234567890123, -1, 1.5e3]").value == [12345678901234567890123, -1, 1500.0]


@pytest.mark.parametrize("size", range(0, 40))
def test_in_05_every_prefix_of_a_document_is_a_typed_outcome(size: int) -> None:
    document = b'{"a": [1, 2.5, "x\\u00e9", {"b": null}], "c": true}'

    outcome = parse_json_safely(document[:size])

    assert outcome.kind in ("ok", "non_json")
