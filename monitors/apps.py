from __future__ import annotations

from django.apps import AppConfig


class MonitorsConfig(AppConfig):
    name = "monitors"
    verbose_name = "Monitors"

    def ready(self) -> None:
        from monitors import receivers  # noqa: F401, PLC0415 - connects the receivers
