from __future__ import annotations

from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Alerts"

    def ready(self) -> None:
        from alerts import (
            panels,  # noqa: PLC0415
            receivers,  # noqa: F401, PLC0415
        )

        panels.register()
