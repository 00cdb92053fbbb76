"""Contract drift, the Django side: baselines, confirmation, events (the shapes themselves: checks.shapes).

`drift_observe` runs for every successful response of an HTTP monitor with track_contract, inside
the transaction that stores the result; the other services change the baseline on request.
"""

from __future__ import annotations

from checks.drift.observe import Observation, changes_hash, drift_observe, drift_observe_outcome, is_json_content_type
from checks.drift.store import (
    NUDGE_TASK,
    baseline_pin_json_schema,
    baseline_pin_openapi,
    baseline_relearn,
    drift_accept,
    drift_event_claim,
    nudge_drift_consumer,
)

__all__ = [
    "NUDGE_TASK",
    "Observation",
    "baseline_pin_json_schema",
    "baseline_pin_openapi",
    "baseline_relearn",
    "changes_hash",
    "drift_accept",
    "drift_event_claim",
    "drift_observe",
    "drift_observe_outcome",
    "is_json_content_type",
    "nudge_drift_consumer",
]
