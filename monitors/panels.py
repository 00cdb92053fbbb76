"""Extension points for pages owned by monitors but fed by apps that import monitors.

checks and alerts may import monitors, never the other way round (DESIGN.md). So the
monitor page and the dashboard ask this registry for what later apps contribute:
panels on the detail page (template + context) and per-monitor columns on the dashboard.
Apps register in their AppConfig.ready().
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from monitors.models import Monitor


@dataclass(frozen=True)
class DetailPanel:
    order: int
    template: str
    context: Callable[[Monitor], dict[str, Any]]


DashboardColumns = Callable[[list[Monitor]], dict[int, dict[str, Any]]]

_detail_panels: list[DetailPanel] = []
_dashboard_columns: list[DashboardColumns] = []


def register_detail_panel(*, order: int, template: str, context: Callable[[Monitor], dict[str, Any]]) -> None:
    if any(p.template == template for p in _detail_panels):
        return  # ready() can run twice in tests
    _detail_panels.append(DetailPanel(order=order, template=template, context=context))
    _detail_panels.sort(key=lambda p: p.order)


def register_dashboard_columns(provider: DashboardColumns) -> None:
    if provider not in _dashboard_columns:
        _dashboard_columns.append(provider)


def detail_panels(monitor: Monitor) -> list[dict[str, Any]]:
    """Rendered-context for each registered panel, in order."""
    return [{"template": p.template, **p.context(monitor)} for p in _detail_panels]


def dashboard_columns(monitors: Iterable[Monitor]) -> dict[int, dict[str, Any]]:
    """Extra values per monitor id, merged from every provider (one query per provider)."""
    monitors = list(monitors)
    merged: dict[int, dict[str, Any]] = {m.id: {} for m in monitors}
    for provider in _dashboard_columns:
        for monitor_id, values in provider(monitors).items():
            merged.setdefault(monitor_id, {}).update(values)
    return merged
