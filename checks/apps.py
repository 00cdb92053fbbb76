from __future__ import annotations

from django.apps import AppConfig


class ChecksConfig(AppConfig):
    name = "checks"
    verbose_name = "Checks"

    def ready(self) -> None:
        from checks import panels, panels_drift, panels_regions  # noqa: PLC0415

        panels.register()
        panels_regions.register()
        panels_drift.register()

        from django.db.models.signals import post_migrate, pre_migrate  # noqa: PLC0415

        from checks import migrate_hooks  # noqa: PLC0415

        # sender=self: once per migrate command, not once per app.
        pre_migrate.connect(migrate_hooks.lock_timeout_set, sender=self, dispatch_uid="checks-lock-timeout")
        post_migrate.connect(
            migrate_hooks.lock_timeout_reset_and_partitions_create, sender=self, dispatch_uid="checks-partitions"
        )
