"""REST API of the monitors app: serializers (every kind) and one APIView per operation."""

from __future__ import annotations

from monitors.api.serializers import MonitorInputSerializer, MonitorOutputSerializer
from monitors.api.views import (
    MonitorCollectionApi,
    MonitorCreateApi,
    MonitorDeleteApi,
    MonitorDetailApi,
    MonitorItemApi,
    MonitorListApi,
    MonitorUpdateApi,
    monitor_for,
)

__all__ = [
    "MonitorCollectionApi",
    "MonitorCreateApi",
    "MonitorDeleteApi",
    "MonitorDetailApi",
    "MonitorInputSerializer",
    "MonitorItemApi",
    "MonitorListApi",
    "MonitorOutputSerializer",
    "MonitorUpdateApi",
    "monitor_for",
]
