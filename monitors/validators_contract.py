"""Rules for a monitor's contract-drift settings (read by checks.drift): shared by the form, the API, the admin."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError

MIN_BASELINE_SAMPLES, MAX_BASELINE_SAMPLES = 1, 50
MIN_CONFIRMATIONS, MAX_CONFIRMATIONS = 1, 10
MAX_IGNORE_PATHS = 50
MAX_IGNORE_PATH_CHARS = 300
# $ then .name, [*], [n] or ["name"] segments; names are word characters and - (JSONPath-style, as drift reports them).
_IGNORE_PATH = re.compile(r"\$(?:\.[\w\-]+|\.\*|\[\*\]|\[\d+\]|\[\"[^\"\\]+\"\]|\['[^'\\]+'\])*")


def validate_contract_baseline_samples(count: int) -> None:
    if not MIN_BASELINE_SAMPLES <= count <= MAX_BASELINE_SAMPLES:
        raise ValidationError(
            f"Learn from between {MIN_BASELINE_SAMPLES} and {MAX_BASELINE_SAMPLES} responses.", code="range"
        )


def validate_contract_confirmations(count: int) -> None:
    if not MIN_CONFIRMATIONS <= count <= MAX_CONFIRMATIONS:
        raise ValidationError(
            f"Confirm a change in between {MIN_CONFIRMATIONS} and {MAX_CONFIRMATIONS} responses.", code="range"
        )


def validate_contract_ignore_paths(paths: Any) -> None:
    """A list of JSONPath-style paths, each starting with $ ("$.meta", "$.items[*].debug", "$.rates.*")."""
    if not isinstance(paths, list):
        raise ValidationError("Ignored paths must be a list of paths.", code="invalid")
    if len(paths) > MAX_IGNORE_PATHS:
        raise ValidationError(f"At most {MAX_IGNORE_PATHS} ignored paths.", code="too_many")
    for number, path in enumerate(paths, start=1):
        if not isinstance(path, str) or not path.startswith("$"):
            raise ValidationError(f"Path {number}: must start with $ (e.g. $.meta.request_id).", code="invalid_path")
        if len(path) > MAX_IGNORE_PATH_CHARS:
            raise ValidationError(
                f"Path {number}: longer than {MAX_IGNORE_PATH_CHARS} characters.", code="invalid_path"
            )
        if not _IGNORE_PATH.fullmatch(path):
            raise ValidationError(
                f"Path {number}: {path[:60]!r} is not a path like $.meta, $.items[*].price or $.rates.*.",
                code="invalid_path",
            )


def parse_ignore_path_lines(text: str) -> list[str]:
    """One path per line (blank lines skipped), validated."""
    paths = [line.strip() for line in text.splitlines() if line.strip()]
    validate_contract_ignore_paths(paths)
    return paths
