"""The web form of maintenance windows; the rules that span fields live in monitors.services_maintenance."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from django import forms
from django.utils import timezone

from accounts.models import Organization
from monitors.maintenance import MAX_DURATION_MINUTES, is_valid_time_zone
from monitors.models import MaintenanceWindow
from monitors.selectors import monitor_list_for_organization

WEEKDAYS = [(0, "Mon"), (1, "Tue"), (2, "Wed"), (3, "Thu"), (4, "Fri"), (5, "Sat"), (6, "Sun")]


def _time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(available_timezones() | {"UTC"})]


class MaintenanceWindowForm(forms.Form):
    name = forms.CharField(max_length=100)
    monitor = forms.ModelChoiceField(
        queryset=MaintenanceWindow.objects.none(),  # set per organisation in __init__
        required=False,
        empty_label="Every monitor of the organisation",
    )
    recurrence = forms.ChoiceField(
        choices=[("once", "Once"), ("weekly", "Every week"), ("cron", "Cron schedule")], initial="once"
    )
    starts_at = forms.DateTimeField(
        required=False,
        label="Starts",
        help_text="Once: in the time zone below.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    ends_at = forms.DateTimeField(
        required=False,
        label="Ends",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    weekdays = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS, coerce=int, required=False, widget=forms.CheckboxSelectMultiple, label="Days"
    )
    start_time = forms.TimeField(
        required=False,
        label="Start time",
        help_text="Every week: on the days above, in the time zone below.",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    cron = forms.CharField(
        max_length=100, required=False, label="Cron expression", help_text="e.g. 0 3 * * 0 (Sundays at 03:00)."
    )
    duration_minutes = forms.IntegerField(
        min_value=1,
        max_value=MAX_DURATION_MINUTES,
        required=False,
        initial=60,
        label="Duration (minutes)",
        help_text="Every week and cron: how long each window lasts.",
    )
    time_zone = forms.ChoiceField(choices=_time_zone_choices, initial="UTC", label="Time zone")

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the caller's organisation's monitors: another organisation's id is "not one of the choices".
        self.fields["monitor"].queryset = monitor_list_for_organization(organization=organization)  # type: ignore[attr-defined]

    @classmethod
    def initial_for(cls, window: MaintenanceWindow) -> dict[str, Any]:
        """The form's values for an existing window: its instants shown in its own time zone."""
        tz = ZoneInfo(window.time_zone) if is_valid_time_zone(window.time_zone) else ZoneInfo("UTC")

        def local(value: datetime | None) -> datetime | None:
            return value.astimezone(tz).replace(tzinfo=None) if value else None

        return {
            "name": window.name,
            "monitor": window.monitor_id,
            "recurrence": window.recurrence,
            "starts_at": local(window.starts_at),
            "ends_at": local(window.ends_at),
            "weekdays": window.weekdays,
            "start_time": window.start_time,
            "cron": window.cron,
            "duration_minutes": window.duration_minutes,
            "time_zone": window.time_zone,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        tz_name = data.get("time_zone") or "UTC"
        tz = ZoneInfo(tz_name) if is_valid_time_zone(tz_name) else ZoneInfo("UTC")
        for name in ("starts_at", "ends_at"):
            value = data.get(name)
            if value is not None:
                # Django read the wall-clock time in the site's zone; it means the window's zone.
                data[name] = timezone.make_naive(value).replace(tzinfo=tz)
        if data.get("duration_minutes") is None:
            data["duration_minutes"] = 60
        data["weekdays"] = list(data.get("weekdays") or [])
        data["cron"] = (data.get("cron") or "").strip()
        return data
