from __future__ import annotations

from core.exceptions import ApplicationError


class MonitorError(ApplicationError):
    pass
