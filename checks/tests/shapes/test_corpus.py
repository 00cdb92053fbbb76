"""The corpus: real API objects and their later published versions (checks/tests/shapes/corpus/).

manifest.json lists, for each pair, the changes found by hand. The differ must name exactly those,
each at its path; value-only variations of either document (every scalar changed within its type,
keys reordered, arrays resized, map keys added and removed) must give none.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from checks.shapes import severity_of, shape_diff, shape_merge, shape_of

from .strategies import vary

CORPUS = Path(__file__).resolve().parent / "corpus"
MANIFEST = json.loads((CORPUS / "manifest.json").read_text())["pairs"]
KINDS = ("added", "removed", "type_changed", "became_nullable")


def _load(name: str) -> Any:
    return json.loads((CORPUS / name).read_text())


def test_corpus_has_at_least_eight_pairs_and_every_file_is_listed() -> None:
    assert len(MANIFEST) >= 8
    listed = {p["before"] for p in MANIFEST} | {p["after"] for p in MANIFEST}
    assert listed == {p.name for p in CORPUS.glob("*.json")} - {"manifest.json"}


@pytest.mark.parametrize("pair", MANIFEST, ids=[p["before"].removesuffix(".json") for p in MANIFEST])
def test_corpus_every_change_is_named_at_its_path(pair: dict[str, Any]) -> None:
    changes = shape_diff(shape_of(_load(pair["before"])).shape, shape_of(_load(pair["after"])).shape)
    found = {kind: sorted(c.path for c in changes if c.change == kind) for kind in KINDS}
    assert found == {kind: sorted(pair[kind]) for kind in KINDS}
    breaking = pair["removed"] or pair["type_changed"] or pair["became_nullable"]
    assert severity_of(changes) == ("breaking" if breaking else "additive")


@pytest.mark.parametrize("pair", MANIFEST, ids=[p["before"].removesuffix(".json") for p in MANIFEST])
def test_corpus_value_only_variations_are_never_drift(pair: dict[str, Any]) -> None:
    rnd = random.Random(f"corpus:{pair['before']}")  # noqa: S311 - reproducible variations
    for name in (pair["before"], pair["after"]):
        document = _load(name)
        baseline = shape_of(document).shape
        for _ in range(25):
            variation = vary(document, rnd)
            assert shape_diff(baseline, shape_of(variation).shape) == [], (name, variation)


@pytest.mark.parametrize("pair", MANIFEST, ids=[p["before"].removesuffix(".json") for p in MANIFEST])
def test_corpus_learned_baseline_still_names_every_added_and_removed_field(pair: dict[str, Any]) -> None:
    """A baseline merged from several responses (as the product learns it) finds the same new and gone fields."""
    rnd = random.Random(f"learned:{pair['before']}")  # noqa: S311
    before, after = _load(pair["before"]), _load(pair["after"])
    learned = shape_of(before).shape
    for _ in range(4):
        learned = shape_merge(learned, shape_of(_keep_sizes(before, vary(before, rnd))).shape)
    changes = shape_diff(learned, shape_of(after).shape)
    assert sorted(c.path for c in changes if c.change == "added") == sorted(pair["added"])
    assert sorted(c.path for c in changes if c.change == "removed") == sorted(pair["removed"])


def _keep_sizes(original: Any, varied: Any) -> Any:
    """A variation whose arrays are not emptied (an empty array teaches nothing about its elements)."""
    if isinstance(original, dict) and isinstance(varied, dict):
        return {k: _keep_sizes(original.get(k), v) for k, v in varied.items()}
    if isinstance(original, list) and isinstance(varied, list):
        return [_keep_sizes(original[0] if original else None, v) for v in varied] or original
    return varied
