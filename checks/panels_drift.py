"""The "Contract" section of an HTTP monitor's page: baseline tree, drift events with their diff, history."""

from __future__ import annotations

from typing import Any

from checks import shapes
from checks.models import ContractBaseline, DriftEvent
from checks.selectors_drift import (
    baseline_current_for_monitor,
    baseline_list_for_monitor,
    drift_event_list_for_monitor,
    shape_samples_by_id,
)
from monitors.models import Monitor
from monitors.panels import register_detail_panel

RECENT_EVENTS = 10
RECENT_VERSIONS = 10
MAX_TREE_ROWS = 500
MAX_INDENT = 10

# change kind -> (left cell class, right cell class) of the side-by-side diff
_DIFF_CLASSES = {
    "added": ("diff-empty", "diff-added"),
    "removed": ("diff-removed", "diff-empty"),
    "type_changed": ("diff-removed", "diff-added"),
    "became_nullable": ("diff-removed", "diff-added"),
    "content_type_changed": ("diff-removed", "diff-added"),
    "not_json": ("diff-removed", "diff-added"),
}


def diff_rows(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per change for the side-by-side diff: what the baseline had (left), what came (right)."""
    rows = []
    for change in changes:
        kind = str(change.get("change", ""))
        left, right = _DIFF_CLASSES.get(kind, ("", ""))
        before = change.get("before")
        after = change.get("after")
        if kind == "not_json":
            after = "not JSON"
        rows.append(
            {
                "path": change.get("path", ""),
                "change": kind,
                "label": kind.replace("_", " "),
                "before": "" if kind == "added" else before or "",
                "after": "" if kind == "removed" else after or "",
                "left_class": left,
                "right_class": right,
                "severity": change.get("severity", "breaking"),
            }
        )
    return rows


def tree_rows(shape: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
    """The baseline as indented rows (checks.shapes.shape_tree), capped; True when rows were left out."""
    if not shape:
        return [], False
    rows = shapes.shape_tree(shape)
    cut = len(rows) > MAX_TREE_ROWS
    return [row | {"indent": min(int(row.get("depth", 0)), MAX_INDENT)} for row in rows[:MAX_TREE_ROWS]], cut


def drift_panel_context(monitor: Monitor) -> dict[str, Any]:
    """Everything the Contract section shows; {} for monitors that are not HTTP."""
    if monitor.kind != Monitor.Kind.HTTP:
        return {}
    baseline = baseline_current_for_monitor(monitor=monitor)
    rows, cut = tree_rows(baseline.shape if baseline else {})
    events = list(drift_event_list_for_monitor(monitor=monitor)[:RECENT_EVENTS])
    samples = shape_samples_by_id(ids=[event.sample_id for event in events if event.sample_id])
    return {
        "contract": True,
        "tracking": monitor.track_contract,
        "baseline": baseline,
        "learning": baseline is not None and baseline.status == ContractBaseline.Status.LEARNING,
        "samples_needed": monitor.contract_baseline_samples,
        "tree": rows,
        "tree_cut": cut,
        "events": [
            {
                "event": event,
                "rows": diff_rows(event.changes),
                # Additive events notify only if the monitor or a drift alert rule asks (alerts.services.drift).
                "quiet": event.severity == DriftEvent.Severity.ADDITIVE and not monitor.contract_alert_additive,
                "acceptable": event.accepted_at is None,
                "sample": samples.get(event.sample_id),  # redacted and capped when it was stored
            }
            for event in events
        ],
        "history": list(baseline_list_for_monitor(monitor=monitor)[:RECENT_VERSIONS]),
        "ignore_paths": monitor.contract_ignore_paths,
        "confirmations": monitor.contract_confirmations,
    }


def register() -> None:
    """Called from ChecksConfig.ready()."""
    register_detail_panel(order=25, template="checks/_drift_panel.html", context=drift_panel_context)
