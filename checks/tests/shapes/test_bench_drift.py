"""bench/drift.py keeps working: small seeded bodies through the same timed pipeline."""

from __future__ import annotations

import json

from bench.drift import events_body, orders_body, run_case


def test_bench_drift_bodies_are_seeded_and_sized() -> None:
    assert orders_body(1, 20_000) == orders_body(1, 20_000)
    assert orders_body(1, 20_000) != orders_body(2, 20_000)
    assert 15_000 < len(orders_body(1, 20_000)) <= 20_000
    assert len(json.loads(events_body(1, 50))) == 50


def test_bench_drift_case_reports_no_drift_between_bodies_of_one_api() -> None:
    rows = run_case("orders_small", lambda seed: orders_body(seed, 60_000), runs=1)
    assert [r["limits"] for r in rows] == ["default limits", "every value"]
    for row in rows:
        assert row["changes"] == 0
        assert row["total_cpu_ms_median"] >= row["shape_cpu_ms_median"] > 0
        assert row["peak_mb"] > 0
    assert rows[1]["bounded"] == []
