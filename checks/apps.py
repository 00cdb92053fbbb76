from __future__ import annotations

from django.apps import AppConfig


class ChecksConfig(AppConfig):
    name = "checks"
    verbose_name = "Checks"

    def ready(self) -> None:
        from checks import panels, panels_regions  # noqa: PLC0415

        panels.register()
        panels_regions.register()
