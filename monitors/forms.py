"""The web form for creating and editing a monitor. Rules live in monitors.validators."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from monitors.models import Monitor
from monitors.validators import (
    MAX_HEADER_BYTES,
    MAX_HEADERS,
    MAX_INTERVAL_SECONDS,
    MAX_TIMEOUT_SECONDS,
    parse_header_lines,
    parse_status_codes,
    validate_interval,
    validate_monitor_url,
    validate_timeout,
    validate_timeout_within_interval,
)

MAX_URL_CHARS = 2048
MAX_BODY_CHARS = 64 * 1024
# Enough for MAX_HEADERS headers of the largest size plus the line breaks between them.
MAX_HEADER_TEXT_CHARS = MAX_HEADERS * (MAX_HEADER_BYTES + 2)


class MonitorForm(forms.Form):
    name = forms.CharField(max_length=100, widget=forms.TextInput(attrs={"autofocus": True}))
    url = forms.CharField(
        label="URL",
        max_length=MAX_URL_CHARS,
        validators=[validate_monitor_url],
        widget=forms.URLInput(attrs={"placeholder": "https://api.example.com/health"}),
    )
    method = forms.ChoiceField(choices=[(m, m) for m in Monitor.Method.values], initial=Monitor.Method.GET)
    headers = forms.CharField(
        required=False,
        max_length=MAX_HEADER_TEXT_CHARS,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Accept: application/json"}),
        help_text="One header per line, as Name: value.",
    )
    body = forms.CharField(
        label="Request body",
        required=False,
        max_length=MAX_BODY_CHARS,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    expected_status = forms.CharField(
        label="Expected status codes",
        max_length=200,
        initial="200",
        help_text="Comma-separated, e.g. 200, 204.",
    )
    interval_seconds = forms.IntegerField(
        label="Interval (seconds)",
        initial=60,
        validators=[validate_interval],
        widget=forms.NumberInput(attrs={"max": MAX_INTERVAL_SECONDS}),
    )
    timeout_seconds = forms.IntegerField(
        label="Timeout (seconds)",
        initial=10,
        validators=[validate_timeout],
        widget=forms.NumberInput(attrs={"min": 1, "max": MAX_TIMEOUT_SECONDS}),
    )
    paused = forms.BooleanField(required=False, help_text="A paused monitor runs no checks.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Read at request time, not import time: tests and operators change it.
        self.fields["interval_seconds"].widget.attrs["min"] = settings.MIN_CHECK_INTERVAL

    @classmethod
    def initial_from_monitor(cls, monitor: Monitor) -> dict[str, Any]:
        """The form's initial values for editing `monitor`, in the text formats the fields parse."""
        return {
            "name": monitor.name,
            "url": monitor.url,
            "method": monitor.method,
            "headers": "\n".join(f"{name}: {value}" for name, value in monitor.headers.items()),
            "body": monitor.body,
            "expected_status": ", ".join(str(code) for code in monitor.expected_status),
            "interval_seconds": monitor.interval_seconds,
            "timeout_seconds": monitor.timeout_seconds,
            "paused": monitor.paused,
        }

    def clean_headers(self) -> dict[str, str]:
        return parse_header_lines(self.cleaned_data["headers"])

    def clean_expected_status(self) -> list[int]:
        return parse_status_codes(self.cleaned_data["expected_status"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        interval = cleaned.get("interval_seconds")
        timeout = cleaned.get("timeout_seconds")
        if interval is not None and timeout is not None:
            # Raises a {"timeout_seconds": ...} error, so it shows beside that field.
            validate_timeout_within_interval(timeout_seconds=timeout, interval_seconds=interval)
        return cleaned
