"""Which fields each kind of monitor uses, and the rules that span several fields.

Shared by the web form, the API and the admin, so the three accept exactly the same monitors.
Single-field rules live in monitors.validators.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError

from monitors.models import Monitor

Kind = Monitor.Kind

# Every kind: what it is called, whether it runs, how many failures page.
COMMON_FIELDS: tuple[str, ...] = ("name", "kind", "paused", "failure_threshold", "recovery_threshold")
# Kinds that Driftwatch probes on a schedule (all but heartbeat, which is pushed to).
SCHEDULE_FIELDS: tuple[str, ...] = (
    "interval_seconds",
    "timeout_seconds",
    "regions",
    "retries",
    "regions_down_threshold",
)
HTTP_FIELDS: tuple[str, ...] = (
    "url",
    "method",
    "headers",
    "body",
    "expected_status",
    "keyword",
    "keyword_absent",
    "json_assertions",
    "auth_kind",
    "auth_username",
    "auth_secret",
    "follow_redirects",
    "max_redirects",
    "verify_tls",
    "connect_timeout_seconds",
    "read_timeout_seconds",
    "track_contract",
    "contract_baseline_samples",
    "contract_confirmations",
    "contract_ignore_paths",
    "contract_alert_additive",
    "degraded_latency_ms",
)
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    Kind.HTTP: HTTP_FIELDS,
    Kind.TCP: ("host", "port", "connect_timeout_seconds", "degraded_latency_ms"),
    Kind.PING: ("host", "ping_count", "degraded_latency_ms"),
    Kind.DNS: ("host", "record_type", "expected", "dns_resolver", "degraded_latency_ms"),
    Kind.TLS: ("host", "port", "days_before_expiry", "connect_timeout_seconds", "read_timeout_seconds"),
    Kind.HEARTBEAT: ("period_seconds", "grace_seconds"),
}
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    Kind.HTTP: ("url",),
    Kind.TCP: ("host", "port"),
    Kind.PING: ("host",),
    Kind.DNS: ("host",),
    Kind.TLS: ("host", "port"),
    Kind.HEARTBEAT: (),
}
# Defaults that differ by kind. A heartbeat pages on the first late ping: a job that runs
# once a day would otherwise be two days late before anyone hears of it.
KIND_DEFAULTS: dict[str, dict[str, Any]] = {
    Kind.TLS: {"port": 443},
    Kind.HEARTBEAT: {"failure_threshold": 1},
}
DEFAULT_FAILURE_THRESHOLD = 2
ALL_FIELDS: tuple[str, ...] = tuple(
    dict.fromkeys(COMMON_FIELDS + SCHEDULE_FIELDS + tuple(f for fs in KIND_FIELDS.values() for f in fs))
)


def fields_for(kind: str) -> tuple[str, ...]:
    """The editable fields a monitor of `kind` uses, in form order."""
    schedule = () if kind == Kind.HEARTBEAT else SCHEDULE_FIELDS
    return COMMON_FIELDS + schedule + KIND_FIELDS[kind]


def default_value(name: str, kind: str) -> Any:
    """The value a new monitor of `kind` gets for a field the caller left out."""
    if name in KIND_DEFAULTS.get(kind, {}):
        return KIND_DEFAULTS[kind][name]
    return Monitor._meta.get_field(name).get_default()


def settle_timeouts(values: dict[str, Any], *, given: set[str]) -> None:
    """Fit the connect and read timeouts the caller did not give inside the ones it did.

    The total deadline (`timeout_seconds`) bounds the others: lowering it, or creating a monitor
    with a short one, must not fail over defaults nobody typed.
    """
    total = values.get("timeout_seconds")
    if values.get("kind") not in (Kind.HTTP, Kind.TCP, Kind.TLS) or not isinstance(total, int):
        return
    read = values.get("read_timeout_seconds")
    if "read_timeout_seconds" not in given and isinstance(read, int):
        values["read_timeout_seconds"] = read = min(read, total)
    connect = values.get("connect_timeout_seconds")
    if "connect_timeout_seconds" not in given and isinstance(connect, int) and isinstance(read, int):
        values["connect_timeout_seconds"] = min(connect, read)


def validate_monitor(values: Mapping[str, Any], *, secret_stored: bool = False) -> None:
    """Rules across fields for the values a monitor will hold after a write.

    Raises ValidationError({field: [message, ...]}) naming the field to fix. `secret_stored`:
    the monitor already has an auth secret that this write keeps.
    """
    kind = values.get("kind")
    if kind not in KIND_FIELDS:
        return  # the kind field has its own error
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    for name in REQUIRED_FIELDS[kind]:
        if values.get(name) in (None, ""):
            add(name, "This field is required.")
    if kind != Kind.HEARTBEAT:
        _check_schedule(values, add)
    if kind in (Kind.HTTP, Kind.TCP, Kind.TLS):
        _check_timeouts(values, add, read_used=kind != Kind.TCP)
    if kind == Kind.HTTP:
        _check_http(values, add, secret_stored=secret_stored)
    if errors:
        raise ValidationError(errors)


def _check_schedule(values: Mapping[str, Any], add: Any) -> None:
    total, interval = values.get("timeout_seconds"), values.get("interval_seconds")
    if isinstance(total, int) and isinstance(interval, int) and total >= interval:
        add("timeout_seconds", "The timeout must be shorter than the interval.")
    slow = values.get("degraded_latency_ms")
    if isinstance(slow, int) and isinstance(total, int) and slow >= total * 1000:
        add("degraded_latency_ms", "The slow-response threshold must be below the timeout, or it never applies.")
    regions, needed = values.get("regions"), values.get("regions_down_threshold")
    if isinstance(needed, int) and isinstance(regions, list) and regions and needed > len(regions):
        add("regions_down_threshold", f"The monitor runs in {len(regions)} region(s); give at most that many.")


def _check_timeouts(values: Mapping[str, Any], add: Any, *, read_used: bool) -> None:
    """connect <= read <= total (tcp has no read phase: connect <= total)."""
    total = values.get("timeout_seconds")
    connect, read = values.get("connect_timeout_seconds"), values.get("read_timeout_seconds")
    if read_used and isinstance(read, int) and isinstance(total, int) and read > total:
        add("read_timeout_seconds", "The read timeout must not be longer than the total timeout.")
    if read_used and isinstance(connect, int) and isinstance(read, int) and connect > read:
        add("connect_timeout_seconds", "The connect timeout must not be longer than the read timeout.")
    elif isinstance(connect, int) and isinstance(total, int) and connect > total:
        add("connect_timeout_seconds", "The connect timeout must not be longer than the total timeout.")


def _check_http(values: Mapping[str, Any], add: Any, *, secret_stored: bool) -> None:
    auth = values.get("auth_kind")
    if auth == Monitor.AuthKind.BASIC and not values.get("auth_username"):
        add("auth_username", "Basic authentication needs a user name.")
    if auth == Monitor.AuthKind.BEARER and not (values.get("auth_secret") or secret_stored):
        add("auth_secret", "Bearer authentication needs a token.")
    headers = values.get("headers")
    if auth in (Monitor.AuthKind.BASIC, Monitor.AuthKind.BEARER) and isinstance(headers, dict):
        if any(isinstance(name, str) and name.lower() == "authorization" for name in headers):
            add("headers", "Remove the Authorization header, or set authentication to none.")


# --- what a monitor watches, for pages and the API ------------------------------------------


def ping_url(monitor: Monitor) -> str:
    """The URL a heartbeat monitor's job calls (SITE_URL is read at call time)."""
    return f"{settings.SITE_URL}/ping/{monitor.ping_token}"


def target_label(monitor: Monitor) -> str:
    """One line naming what the monitor watches: the URL, host:port, the DNS record or the ping URL."""
    if monitor.kind == Kind.HTTP:
        return f"{monitor.method} {monitor.url}"
    if monitor.kind in (Kind.TCP, Kind.TLS):
        host = f"[{monitor.host}]" if ":" in monitor.host else monitor.host
        return f"{host}:{monitor.port}"
    if monitor.kind == Kind.DNS:
        return f"{monitor.record_type} {monitor.host}"
    if monitor.kind == Kind.HEARTBEAT:
        return ping_url(monitor)
    return monitor.host
