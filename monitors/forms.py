"""The web form for creating and editing a monitor of any kind. Rules live in monitors.validators and monitors.kinds.

The form holds every kind's fields; only those of the chosen kind are validated and saved
(monitors.kinds.fields_for), so values typed into another kind's fieldset are kept on the page
but never stored. The template groups the fields by kind; static/js/monitors/monitor_form.js
hides the groups the chosen kind does not use.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from monitors import kinds, validators
from monitors.forms_contract import ContractFields
from monitors.models import Monitor, default_regions

MAX_URL_CHARS = 2048
MAX_BODY_CHARS = 64 * 1024
# Enough for MAX_HEADERS headers of the largest size plus the line breaks between them.
MAX_HEADER_TEXT_CHARS = validators.MAX_HEADERS * (validators.MAX_HEADER_BYTES + 2)
MAX_ASSERTION_LINES = validators.MAX_JSON_ASSERTIONS
ASSERTION_OPS = validators.JSON_ASSERTION_OPS
KIND_LABELS = {
    Monitor.Kind.HTTP: "HTTP(S) request",
    Monitor.Kind.TCP: "TCP port",
    Monitor.Kind.PING: "Ping (ICMP)",
    Monitor.Kind.DNS: "DNS record",
    Monitor.Kind.TLS: "TLS certificate",
    Monitor.Kind.HEARTBEAT: "Heartbeat (your job pings Driftwatch)",
}
YES_NO = [("true", "Yes"), ("false", "No")]
# Model fields that may be empty: a blank form field clears them. Any other blank number or
# choice keeps the stored value when editing, or takes the kind's default when creating.
NULLABLE = frozenset({"port", "degraded_latency_ms", "regions_down_threshold"})


def _number(label: str, *validators_: Any, help_text: str = "", **attrs: Any) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        validators=list(validators_),
        help_text=help_text,
        widget=forms.NumberInput(attrs=attrs),
    )


def _yes_no(label: str, help_text: str = "") -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=YES_NO,
        coerce=lambda value: value == "true",
        required=False,
        empty_value=None,
        help_text=help_text,
    )


def parse_assertion_lines(text: str) -> list[dict[str, Any]]:
    """'$.status equals "ok"' lines -> [{"path", "op", "value"}]; a value that is not JSON is a string."""
    assertions: list[dict[str, Any]] = []
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > MAX_ASSERTION_LINES:
        raise ValidationError(f"At most {MAX_ASSERTION_LINES} assertions.", code="too_many")
    for number, line in enumerate(lines, start=1):
        parts = line.split(None, 2)
        if len(parts) < 2 or parts[1] not in ASSERTION_OPS:
            ops = ", ".join(ASSERTION_OPS)
            raise ValidationError(f"Line {number}: expected '<JSONPath> <operator> <value>' ({ops}).", code="invalid")
        assertion: dict[str, Any] = {"path": parts[0], "op": parts[1]}
        if parts[1] != "exists" or len(parts) == 3:
            if len(parts) < 3:
                raise ValidationError(f"Line {number}: {parts[1]} needs a value.", code="invalid")
            try:
                assertion["value"] = json.loads(parts[2])
            except ValueError:
                assertion["value"] = parts[2]
        assertions.append(assertion)
    return assertions


def assertion_lines(assertions: list[dict[str, Any]]) -> str:
    lines = []
    for item in assertions:
        value = f" {json.dumps(item['value'])}" if "value" in item else ""
        lines.append(f"{item.get('path', '')} {item.get('op', '')}{value}")
    return "\n".join(lines)


class MonitorForm(ContractFields):  # + the contract-drift fields (monitors.forms_contract)
    name = forms.CharField(max_length=100, widget=forms.TextInput(attrs={"autofocus": True}))
    kind = forms.ChoiceField(
        choices=list(KIND_LABELS.items()),
        required=False,
        initial=Monitor.Kind.HTTP,
        help_text="What to watch. Only the settings of the chosen kind are used.",
    )
    paused = forms.BooleanField(required=False, help_text="A paused monitor runs no checks.")

    # http
    url = forms.CharField(
        label="URL",
        max_length=MAX_URL_CHARS,
        required=False,
        validators=[validators.validate_monitor_url],
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
    auth_kind = forms.ChoiceField(
        label="Authentication",
        choices=[("none", "None"), ("basic", "Basic (user name and password)"), ("bearer", "Bearer token")],
        required=False,
        initial=Monitor.AuthKind.NONE,
    )
    auth_username = forms.CharField(
        label="User name", max_length=200, required=False, validators=[validators.validate_header_safe_text]
    )
    # Never rendered back: a stored secret shows only as the placeholder.
    auth_secret = forms.CharField(
        label="Password or token",
        max_length=2000,
        required=False,
        strip=False,
        validators=[validators.validate_header_safe_text],
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    expected_status = forms.CharField(
        label="Expected status codes",
        max_length=200,
        required=False,
        initial="200",
        help_text="Comma-separated, e.g. 200, 204.",
    )
    keyword = forms.CharField(label="Keyword that must appear", max_length=200, required=False, strip=False)
    keyword_absent = forms.CharField(label="Keyword that must not appear", max_length=200, required=False, strip=False)
    json_assertions = forms.CharField(
        label="JSON assertions",
        required=False,
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": '$.status equals "ok"'}),
        help_text="One per line: a JSONPath, an operator (equals, not_equals, lt, gt, contains, exists), a value.",
    )
    follow_redirects = _yes_no("Follow redirects")
    max_redirects = _number("Redirects at most", validators.validate_max_redirects, min=0, max=10)
    verify_tls = _yes_no("Verify the TLS certificate")
    connect_timeout_seconds = _number(
        "Connect timeout (seconds)", validators.validate_timeout, min=1, placeholder="5, at most the timeout"
    )
    read_timeout_seconds = _number(
        "Read timeout (seconds)", validators.validate_timeout, min=1, placeholder="10, at most the timeout"
    )

    # tcp, ping, dns, tls
    host = forms.CharField(
        max_length=253,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "db.example.com"}),
        help_text="A host name or IP address, without scheme or port.",
    )
    port = _number("Port", validators.validate_port, min=1, max=validators.MAX_PORT)
    ping_count = _number("Packets per check", validators.validate_ping_count, min=1)
    record_type = forms.ChoiceField(
        label="Record type", choices=Monitor.RecordType.choices, required=False, initial=Monitor.RecordType.A
    )
    expected = forms.CharField(
        label="Expected values",
        required=False,
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "93.184.215.14"}),
        help_text="One per line; the answer must contain each. Empty: any answer is fine.",
    )
    dns_resolver = forms.CharField(
        label="Resolver",
        max_length=45,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "system resolver"}),
        help_text="An IP address (optionally ip:port). Empty: the system's resolver.",
    )
    days_before_expiry = _number(
        "Warn days before expiry",
        validators.validate_days_before_expiry,
        help_text="Inside this window the monitor is degraded; expired or invalid, it is down.",
        min=1,
    )

    # heartbeat
    period_seconds = _number(
        "Period (seconds)",
        validators.validate_period,
        help_text="How often your job runs and pings its URL.",
    )
    grace_seconds = _number(
        "Grace (seconds)",
        validators.validate_grace,
        help_text="How late a ping may be before the monitor is down.",
        min=0,
    )

    # schedule (all but heartbeat)
    interval_seconds = _number("Interval (seconds)", validators.validate_interval, max=validators.MAX_INTERVAL_SECONDS)
    timeout_seconds = _number(
        "Timeout (seconds)", validators.validate_timeout, min=1, max=validators.MAX_TIMEOUT_SECONDS
    )
    retries = _number(
        "Retries", validators.validate_retries, help_text="Extra attempts inside one check before it fails.", min=0
    )
    regions = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    regions_down_threshold = _number(
        "Failing regions before down",
        validators.validate_regions_down_threshold,
        help_text="Empty: more than half of the monitor's regions.",
        min=1,
    )
    degraded_latency_ms = _number(
        "Slow above (ms)",
        validators.validate_degraded_latency,
        help_text="Up but slower than this: degraded. Empty: never.",
        min=1,
    )

    # alerting
    failure_threshold = _number(
        "Failed checks before down",
        validators.validate_threshold,
        help_text="Checks in a row. Default 2; 1 for heartbeats, so one late ping pages.",
        min=1,
    )
    recovery_threshold = _number("Good checks before up", validators.validate_threshold, min=1)

    def __init__(self, *args: Any, monitor: Monitor | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.monitor = monitor
        self._settled: dict[str, Any] = {}  # timeouts fitted by clean()
        # Read at request time, not import time: tests and operators change them.
        self.fields["interval_seconds"].widget.attrs["min"] = settings.MIN_CHECK_INTERVAL
        self.fields["regions"].choices = [(region, region) for region in settings.CHECK_REGIONS]
        if monitor is not None and monitor.auth_secret:
            self.fields["auth_secret"].widget.attrs["placeholder"] = "stored — leave blank to keep"
        raw_kind = self.data.get(self.add_prefix("kind")) if self.is_bound else None
        stored_kind = monitor.kind if monitor is not None else Monitor.Kind.HTTP
        self.kind = raw_kind if raw_kind in kinds.KIND_FIELDS else stored_kind
        if self.kind == Monitor.Kind.HTTP:
            self.fields["url"].required = True

    @classmethod
    def initial_for_new(cls) -> dict[str, Any]:
        """The defaults a new monitor shows, per field (the model's, plus the kinds' own)."""
        initial = {name: kinds.default_value(name, Monitor.Kind.HTTP) for name in kinds.ALL_FIELDS}
        return cls._as_text(initial) | {
            "port": None,
            "failure_threshold": None,
            # Blank: the default, fitted inside whatever total timeout is typed.
            "connect_timeout_seconds": None,
            "read_timeout_seconds": None,
            "regions": default_regions(),
            "auth_secret": "",
        }

    @classmethod
    def initial_from_monitor(cls, monitor: Monitor) -> dict[str, Any]:
        """The form's initial values for editing `monitor`, in the text formats the fields parse."""
        initial = cls._as_text({name: getattr(monitor, name) for name in kinds.ALL_FIELDS})
        initial["auth_secret"] = ""  # write-only: never sent to the browser
        return initial

    @staticmethod
    def _as_text(values: dict[str, Any]) -> dict[str, Any]:
        return values | {
            "headers": "\n".join(f"{name}: {value}" for name, value in values["headers"].items()),
            "expected_status": ", ".join(str(code) for code in values["expected_status"]),
            "json_assertions": assertion_lines(values["json_assertions"]),
            "expected": "\n".join(values["expected"]),
            "contract_ignore_paths": "\n".join(values["contract_ignore_paths"]),
            "follow_redirects": "true" if values["follow_redirects"] else "false",
            "verify_tls": "true" if values["verify_tls"] else "false",
        }

    def full_clean(self) -> None:
        # Validate only the chosen kind's fields: the others stay on the page as typed, unchecked.
        everything = self.fields
        used = set(kinds.fields_for(self.kind))
        self.fields = {name: field for name, field in everything.items() if name in used}
        try:
            super().full_clean()
        finally:
            self.fields = everything

    def clean_headers(self) -> dict[str, str]:
        return validators.parse_header_lines(self.cleaned_data["headers"])

    def clean_expected_status(self) -> list[int]:
        text = self.cleaned_data["expected_status"]
        if not text.strip():
            return kinds.default_value("expected_status", Monitor.Kind.HTTP)
        return validators.parse_status_codes(text)

    def clean_json_assertions(self) -> list[dict[str, Any]]:
        assertions = parse_assertion_lines(self.cleaned_data["json_assertions"])
        validators.validate_json_assertions(assertions)
        return assertions

    def clean_expected(self) -> list[str]:
        values = [line.strip() for line in self.cleaned_data["expected"].splitlines() if line.strip()]
        validators.validate_dns_expected(values)
        return values

    def clean_host(self) -> str:
        host = self.cleaned_data["host"]
        if not host:
            return host
        if self.kind == Monitor.Kind.DNS:
            return validators.normalize_dns_name(host)
        return validators.normalize_monitor_host(host)

    def clean_dns_resolver(self) -> str:
        resolver = self.cleaned_data["dns_resolver"].strip()
        validators.validate_dns_resolver(resolver)
        return resolver

    def clean_regions(self) -> list[str] | None:
        regions = self.cleaned_data["regions"]
        if not regions:
            return None
        validators.validate_regions(regions)
        return regions

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        cleaned["kind"] = self.kind
        values = self.monitor_fields()
        stored = self.monitor
        if stored is not None:
            merged = {name: getattr(stored, name) for name in kinds.ALL_FIELDS}
        else:
            merged = {name: kinds.default_value(name, self.kind) for name in kinds.ALL_FIELDS}
        merged |= {name: value for name, value in values.items() if value is not None or name in NULLABLE}
        given = {name for name, value in values.items() if value is not None}
        kinds.settle_timeouts(merged, given=given)
        secret_stored = stored is not None and bool(stored.auth_secret)
        try:
            kinds.validate_monitor(merged, secret_stored=secret_stored)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                if field in self.fields:
                    self.add_error(field, messages)
        # Timeouts fitted inside a lowered total are saved too.
        for name in ("connect_timeout_seconds", "read_timeout_seconds"):
            if name in merged and merged[name] is not None:
                self._settled[name] = merged[name]
        return cleaned

    def monitor_fields(self) -> dict[str, Any]:
        """What to pass to monitor_create / monitor_update: the chosen kind's fields as cleaned.

        A blank number or choice is left out (the stored value or the default stays), except for
        the fields that may be empty; a blank secret is left out, so the stored one stays.
        """
        fields: dict[str, Any] = {}
        for name in kinds.fields_for(self.kind):
            if name not in self.cleaned_data:
                continue
            value = self.cleaned_data[name]
            if value is None and name in kinds.KIND_DEFAULTS.get(self.kind, {}):
                value = kinds.KIND_DEFAULTS[self.kind][name]  # a TLS port left blank is 443
            if name == "auth_secret" and not value:
                continue
            if value in (None, "") and name not in NULLABLE and not isinstance(self.fields[name], forms.CharField):
                continue
            fields[name] = value
        fields["kind"] = self.kind
        used = kinds.fields_for(self.kind)
        for name, value in self._settled.items():
            if name in used:
                fields.setdefault(name, value)
        return fields
