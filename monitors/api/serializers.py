"""The monitor's API shape: one input serializer for every kind, one output serializer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from monitors import kinds, validators, validators_contract
from monitors.models import Monitor

KINDS = tuple(Monitor.Kind.values)
MAX_BODY_CHARS = 64 * 1024


# JSON-typed fields: the value is checked by the shared validator as it arrived, so a
# string "200" or a number header value is an error rather than silently coerced.
@extend_schema_field({"type": "object", "additionalProperties": {"type": "string"}})
class HeadersField(serializers.JSONField):
    pass


@extend_schema_field(
    {
        "type": "array",
        "items": {
            "oneOf": [{"type": "integer", "minimum": 100, "maximum": 599}, {"type": "string", "example": "200-299"}]
        },
    }
)
class StatusCodesField(serializers.JSONField):
    pass


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class StringListField(serializers.JSONField):
    pass


@extend_schema_field(
    {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "path": {"type": "string", "example": "$.status"},
                "op": {"type": "string", "enum": ["equals", "not_equals", "lt", "gt", "contains", "exists"]},
                "value": {},
            },
            "required": ["path", "op"],
        },
    }
)
class AssertionsField(serializers.JSONField):
    pass


def _as_drf_error(exc: DjangoValidationError) -> serializers.ValidationError:
    if hasattr(exc, "error_dict"):
        return serializers.ValidationError(exc.message_dict)
    return serializers.ValidationError(exc.messages)


def _number(*rules: Any, null: bool = False) -> serializers.IntegerField:
    return serializers.IntegerField(required=False, allow_null=null, validators=list(rules))


def _text(max_length: int, *rules: Any, trim: bool = True) -> serializers.CharField:
    return serializers.CharField(
        required=False, allow_blank=True, max_length=max_length, trim_whitespace=trim, validators=list(rules)
    )


@extend_schema_serializer(component_name="MonitorInput")
class MonitorInputSerializer(serializers.Serializer):
    """A monitor to create (POST) or replace (PUT); PATCH takes any subset. Unknown fields are ignored.

    Only the fields of the monitor's `kind` are read (monitors.kinds.fields_for); the others are
    ignored. `auth_secret` is write-only: left out, blank or the mask, the stored one stays.
    """

    # context["monitor"]: the stored monitor (PUT, PATCH). A PATCH checks the rules that span
    # fields against its stored values.

    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=KINDS, required=False, help_text="Default: http.")
    paused = serializers.BooleanField(required=False)
    # http
    url = serializers.URLField(max_length=2048, required=False, allow_blank=True)
    method = serializers.ChoiceField(choices=Monitor.Method.choices, required=False)
    headers = HeadersField(required=False, validators=[validators.validate_headers])
    body = _text(MAX_BODY_CHARS, trim=False)
    expected_status = StatusCodesField(required=False, validators=[validators.validate_expected_status])
    keyword = _text(200, trim=False)
    keyword_absent = _text(200, trim=False)
    json_assertions = AssertionsField(required=False, validators=[validators.validate_json_assertions])
    auth_kind = serializers.ChoiceField(choices=Monitor.AuthKind.choices, required=False)
    auth_username = _text(200, validators.validate_header_safe_text)
    auth_secret = serializers.CharField(
        required=False,
        allow_blank=True,
        write_only=True,
        max_length=2000,
        trim_whitespace=False,
        validators=[validators.validate_header_safe_text],
        help_text="Basic password or bearer token. Write-only: never returned (see auth_secret_set).",
    )
    follow_redirects = serializers.BooleanField(required=False)
    max_redirects = _number(validators.validate_max_redirects)
    verify_tls = serializers.BooleanField(required=False)
    connect_timeout_seconds = _number(validators.validate_timeout)
    read_timeout_seconds = _number(validators.validate_timeout)
    track_contract = serializers.BooleanField(required=False)
    contract_baseline_samples = _number(validators_contract.validate_contract_baseline_samples)
    contract_confirmations = _number(validators_contract.validate_contract_confirmations)
    contract_ignore_paths = StringListField(
        required=False, validators=[validators_contract.validate_contract_ignore_paths]
    )
    contract_alert_additive = serializers.BooleanField(required=False)
    # tcp, ping, dns, tls
    host = _text(253)
    port = _number(validators.validate_port, null=True)
    ping_count = _number(validators.validate_ping_count)
    record_type = serializers.ChoiceField(choices=Monitor.RecordType.choices, required=False)
    expected = StringListField(required=False, validators=[validators.validate_dns_expected])
    dns_resolver = _text(45)
    days_before_expiry = _number(validators.validate_days_before_expiry)
    # heartbeat
    period_seconds = _number(validators.validate_period)
    grace_seconds = _number(validators.validate_grace)
    # schedule and decisions
    interval_seconds = _number(validators.validate_interval)
    timeout_seconds = _number(validators.validate_timeout)
    regions = StringListField(required=False, validators=[validators.validate_regions])
    retries = _number(validators.validate_retries)
    failure_threshold = _number(validators.validate_threshold)
    recovery_threshold = _number(validators.validate_threshold)
    degraded_latency_ms = _number(validators.validate_degraded_latency, null=True)
    regions_down_threshold = _number(validators.validate_regions_down_threshold, null=True)

    def validate_url(self, url: str) -> str:
        # Only after the cheap syntax checks pass: the network guard may resolve the name.
        if url:
            validators.validate_monitor_url(url)
        return url

    def _stored(self) -> Monitor | None:
        return self.context.get("monitor")

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        # Read only the chosen kind's fields: a TCP monitor's body may carry a stale `url`.
        if isinstance(data, Mapping):
            kind = data.get("kind")
            stored = self._stored()
            if "kind" not in data:
                kind = stored.kind if stored is not None else Monitor.Kind.HTTP
            if isinstance(kind, str) and kind in kinds.KIND_FIELDS:
                used = set(kinds.fields_for(kind))
                data = {name: value for name, value in data.items() if name in used}
        return super().to_internal_value(data)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        stored = self._stored()
        kind = attrs.setdefault("kind", stored.kind if stored is not None else Monitor.Kind.HTTP)
        secret = attrs.get("auth_secret")
        if secret is not None and (not secret or validators.is_secret_mask(secret)):
            del attrs["auth_secret"]  # keep the stored one
        self._normalize(attrs, kind)
        if self.partial and stored is not None:
            base = {name: getattr(stored, name) for name in kinds.ALL_FIELDS}
        else:
            base = {name: kinds.default_value(name, kind) for name in kinds.ALL_FIELDS}
        merged = base | attrs
        kinds.settle_timeouts(merged, given=set(attrs))
        secret_stored = stored is not None and bool(stored.auth_secret)
        try:
            kinds.validate_monitor(merged, secret_stored=secret_stored)
        except DjangoValidationError as exc:
            raise _as_drf_error(exc) from exc
        if self.partial:
            settled = {n: merged[n] for n in ("connect_timeout_seconds", "read_timeout_seconds") if n not in attrs}
            return attrs | {n: v for n, v in settled.items() if stored is None or getattr(stored, n) != v}
        values = {name: merged[name] for name in kinds.fields_for(kind) if name != "auth_secret"}
        if "auth_secret" in attrs:
            values["auth_secret"] = attrs["auth_secret"]
        return values

    def _normalize(self, attrs: dict[str, Any], kind: str) -> None:
        """Host and resolver through the network guard's rules, once the kind is known."""
        try:
            if attrs.get("host"):
                attrs["host"] = (
                    validators.normalize_dns_name(attrs["host"])
                    if kind == Monitor.Kind.DNS
                    else validators.normalize_monitor_host(attrs["host"])
                )
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"host": exc.messages}) from exc
        resolver = attrs.get("dns_resolver")
        if resolver:
            try:
                validators.validate_dns_resolver(resolver)
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"dns_resolver": exc.messages}) from exc


@extend_schema_serializer(component_name="Monitor")
class MonitorOutputSerializer(serializers.Serializer):
    """A monitor as API.md shows it: every kind's fields (those of other kinds keep their defaults)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField(help_text="http, tcp, ping, dns, tls or heartbeat")
    url = serializers.CharField()
    method = serializers.CharField()
    headers = serializers.DictField(child=serializers.CharField())
    body = serializers.CharField()
    expected_status = StatusCodesField()
    keyword = serializers.CharField()
    keyword_absent = serializers.CharField()
    json_assertions = AssertionsField()
    auth_kind = serializers.CharField()
    auth_username = serializers.CharField()
    auth_secret_set = serializers.SerializerMethodField(help_text="Whether a secret is stored; it is never returned.")
    follow_redirects = serializers.BooleanField()
    max_redirects = serializers.IntegerField()
    verify_tls = serializers.BooleanField()
    connect_timeout_seconds = serializers.IntegerField()
    read_timeout_seconds = serializers.IntegerField()
    host = serializers.CharField()
    port = serializers.IntegerField(allow_null=True)
    ping_count = serializers.IntegerField()
    record_type = serializers.CharField()
    expected = serializers.ListField(child=serializers.CharField())
    dns_resolver = serializers.CharField()
    days_before_expiry = serializers.IntegerField()
    period_seconds = serializers.IntegerField()
    grace_seconds = serializers.IntegerField()
    ping_url = serializers.SerializerMethodField(help_text="heartbeat only: the URL the job calls.")
    last_ping_at = serializers.DateTimeField(allow_null=True)
    interval_seconds = serializers.IntegerField()
    timeout_seconds = serializers.IntegerField()
    regions = serializers.ListField(child=serializers.CharField())
    paused = serializers.BooleanField()
    track_contract = serializers.BooleanField()
    contract_baseline_samples = serializers.IntegerField()
    contract_confirmations = serializers.IntegerField()
    contract_ignore_paths = serializers.ListField(child=serializers.CharField())
    contract_alert_additive = serializers.BooleanField()
    retries = serializers.IntegerField()
    failure_threshold = serializers.IntegerField()
    recovery_threshold = serializers.IntegerField()
    degraded_latency_ms = serializers.IntegerField(allow_null=True)
    regions_down_threshold = serializers.IntegerField(allow_null=True)
    state = serializers.CharField(
        source="display_state", help_text="pending, up, down, degraded, paused or maintenance"
    )
    last_checked_at = serializers.DateTimeField(allow_null=True)
    last_latency_ms = serializers.IntegerField(allow_null=True)
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField(help_text="Why the last check failed, in words; empty when it passed.")
    created_at = serializers.DateTimeField()

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_auth_secret_set(self, monitor: Monitor) -> bool:
        return bool(monitor.auth_secret)

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_ping_url(self, monitor: Monitor) -> str | None:
        return kinds.ping_url(monitor) if monitor.kind == Monitor.Kind.HEARTBEAT else None
