"""The isolation suite's map of the URLconf: every route, what its ids are, and how to make one.

Routes come from the URL resolver, never from a hand list. Every URL kwarg must be classified:
either it names an organisation's object (KWARG_KINDS, or ROUTE_KINDS for a generic name such
as `pk`) and FACTORIES can make one, or it is listed in NO_OBJECT_ID with the reason. A new
route with an unclassified kwarg fails every sweep (see `kinds_for`) until it is added here.
Objects are made through the real services (accounts.services, monitors.services, ...).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.core import mail
from django.db import models
from django.forms.models import model_to_dict
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.models import Membership, User
from accounts.services import (
    Actor,
    api_key_create,
    audit_record,
    invitation_accept,
    invitation_create,
)
from conftest import make_user, organization_of
from monitors.services import monitor_create

API_PREFIX = "api/v1/"
# Not pages of ours: the admin and allauth (neither is tenant-scoped; tests/test_admin.py and
# accounts' tests cover them), and the API (its own sweeps).
HTML_EXCLUDED_PREFIXES = ("api/", "admin/", "accounts/")
HTML_EXCLUDED_NAMES = {"schema", "api-docs", "healthz", "readyz"}  # schema, Swagger UI, probes
MARKER = "Alice"  # in the name of every object alice owns here; never in anything mallory gets

# URL kwarg -> the kind of organisation object it names (same name, same kind, on every route).
KWARG_KINDS: dict[str, str] = {
    "monitor_id": "monitor",
    "channel_id": "channel",
    "incident_id": "incident",
    "rule_id": "alert_rule",
    "api_key_id": "api_key",
    "membership_id": "membership",
    "invitation_id": "invitation",
    "audit_event_id": "audit_event",
    "result_id": "result",
    "maintenance_window_id": "maintenance_window",
    "event_id": "drift_event",
    "notification_id": "notification",
}
# Generic kwarg names (`pk`) mean different things on different routes: classified per route.
ROUTE_KINDS: dict[str, dict[str, str]] = {
    "monitors:monitor-detail": {"pk": "monitor"},
    "monitors:monitor-edit": {"pk": "monitor"},
    "monitors:monitor-delete": {"pk": "monitor"},
    "accounts:api-key-revoke": {"pk": "api_key"},
    "checks:drift-accept": {"pk": "monitor"},
    "checks:contract-pin": {"pk": "monitor"},
    "checks:contract-relearn": {"pk": "monitor"},
}
# URL kwargs that are not an organisation's object id, and why they need no cross-tenant sweep.
NO_OBJECT_ID: dict[str, str] = {
    "token": (
        "organizations:invitation-accept: the secret token of an emailed invitation link is the "
        "credential itself (256 random bits, stored hashed); it names no object a caller could "
        "guess, and accepting is covered by the invitation tests; checks:ping-*: a heartbeat monitor's "
        "ping token (a random UUID) is the credential of an unauthenticated endpoint that answers only "
        "OK or 404 (checks/tests/test_heartbeats.py); account-deletion-confirm/restore: a signed token "
        "(django.core.signing, the user's own pending request) emailed to the account's address is the "
        "credential (tests/test_data_04_account_soft_deletion.py); alerts:unsubscribe: a signed token "
        "(django.core.signing) of one address's opt-out, mailed in List-Unsubscribe (RFC 8058); a forged "
        "one is 404 (alerts/tests/services/test_delivery_bars.py)"
    ),
}

Made = dict[str, models.Model]
_serial = itertools.count(1)


def _tag(owner: User) -> str:
    """The owner's name tag ("Alice", the MARKER, or "Mallory"), put in the names of what they own."""
    return owner.email.split("@")[0].capitalize()


def _actor(owner: User) -> Actor:
    return Actor(user=owner, ip="127.0.0.1")


def _monitor(owner: User, made: Made) -> models.Model:
    return monitor_create(
        organization=organization_of(owner),
        actor=_actor(owner),
        name=f"{_tag(owner)}'s monitor {next(_serial)}",
        url=f"http://127.0.0.1:9/{_tag(owner).lower()}-only",
        paused=True,  # never due: nothing here runs a check
    )


def _channel(owner: User, made: Made) -> models.Model:
    from alerts.services import channel_create  # noqa: PLC0415 - alerts sits above accounts and monitors

    # An email channel: a test message goes to the locmem outbox, never the network.
    return channel_create(
        organization=organization_of(owner),
        actor=_actor(owner),
        kind="email",
        name=f"{_tag(owner)}'s pager {next(_serial)}",
        target=owner.email,
    )


def _incident(owner: User, made: Made) -> models.Model:
    from alerts.models import Incident  # noqa: PLC0415

    monitor = made.get("monitor") or _monitor(owner, made)
    now = timezone.now()
    # Resolved: a monitor has at most one open incident, and a list needs several.
    return Incident.objects.create(
        monitor=monitor, opened_at=now - timedelta(hours=1), resolved_at=now, cause=f"{_tag(owner)}'s outage"
    )


def _alert_rule(owner: User, made: Made) -> models.Model:
    from alerts.services.rules import alert_rule_create  # noqa: PLC0415

    return alert_rule_create(
        organization=organization_of(owner),
        actor=_actor(owner),
        condition="latency",
        threshold_ms=500,
        name=f"{_tag(owner)}'s slow rule {next(_serial)}",
    )


def _result(owner: User, made: Made) -> models.Model:
    from checks.models import CheckResult  # noqa: PLC0415

    monitor = made.get("monitor") or _monitor(owner, made)
    now = timezone.now() - timedelta(seconds=next(_serial))  # one result per (monitor, region, due_at)
    return CheckResult.objects.create(
        monitor=monitor,
        due_at=now,
        started_at=now,
        ok=False,
        status_code=503,
        latency_ms=12,
        error=f"{_tag(owner)} 503",
    )


def _heartbeat_ping(owner: User, made: Made) -> models.Model:
    from checks.models import HeartbeatPing  # noqa: PLC0415

    monitor = made.get("monitor") or _monitor(owner, made)
    return HeartbeatPing.objects.create(
        monitor=monitor,
        received_at=timezone.now() - timedelta(seconds=next(_serial)),
        remote_addr="127.0.0.1",
        user_agent=f"{_tag(owner)}'s cron",
        body=f"{_tag(owner)}'s backup log",
    )


def _drift_event(owner: User, made: Made) -> models.Model:
    """A learned baseline of the owner's monitor and one breaking drift event against it."""
    from checks.models import ContractBaseline, DriftEvent  # noqa: PLC0415

    monitor = made.get("monitor") or _monitor(owner, made)
    made["monitor"] = monitor
    shape = {"type": "object", "properties": {f"{_tag(owner)}_id": {"type": "integer"}}}
    version = ContractBaseline.objects.filter(monitor=monitor).count() + 1
    ContractBaseline.objects.filter(monitor=monitor, status__in=["learning", "active"]).update(status="superseded")
    baseline = ContractBaseline.objects.create(
        monitor=monitor, version=version, status="active", shape=shape, shape_hash=f"{version:064d}"
    )
    path = f"$.{_tag(owner)}_id"
    return DriftEvent.objects.create(
        monitor=monitor,
        baseline=baseline,
        severity="breaking",
        changes=[{"path": path, "change": "removed", "before": "integer", "after": None, "severity": "breaking"}],
        shape={"type": "object", "properties": {}},
        shape_hash=f"{next(_serial):064d}",
    )


def _maintenance_window(owner: User, made: Made) -> models.Model:
    from monitors.services_maintenance import maintenance_window_create  # noqa: PLC0415

    now = timezone.now()
    return maintenance_window_create(
        organization=organization_of(owner),
        actor=_actor(owner),
        name=f"{_tag(owner)}'s deploy {next(_serial)}",
        monitor=made.get("monitor"),
        recurrence="once",
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=1, hours=1),
    )


def _api_key(owner: User, made: Made) -> models.Model:
    return api_key_create(
        organization=organization_of(owner),
        created_by=owner,
        name=f"{_tag(owner)}'s key {next(_serial)}",
        scope="write",
    ).api_key


def _invitation(owner: User, made: Made) -> models.Model:
    issued = invitation_create(
        organization=organization_of(owner),
        email=f"{_tag(owner).lower()}-invitee-{next(_serial)}@example.com",
        role=Membership.Role.VIEWER,
        actor=_actor(owner),
    )
    return issued.invitation


def _membership(owner: User, made: Made) -> models.Model:
    """A colleague of alice's, joined through a real invitation."""
    colleague = make_user(email=f"{_tag(owner).lower()}-colleague-{next(_serial)}@example.com")
    issued = invitation_create(
        organization=organization_of(owner), email=colleague.email, role=Membership.Role.MEMBER, actor=_actor(owner)
    )
    return invitation_accept(token=issued.token, user=colleague, actor=_actor(colleague))


def _audit_event(owner: User, made: Made) -> models.Model:
    return audit_record(
        organization=organization_of(owner), actor=_actor(owner), action="monitor.created", data={"name": _tag(owner)}
    )


def _notification(owner: User, made: Made) -> models.Model:
    """A dead delivery of the owner's email channel: the delivery log's row, retryable by hand."""
    from alerts.models import Notification  # noqa: PLC0415
    from alerts.services.notify import notifications_enqueue  # noqa: PLC0415

    monitor = made.get("monitor") or _monitor(owner, made)
    channel = _channel(owner, made)
    [notification_id] = notifications_enqueue(
        monitor=monitor, event="monitor.down", dedup_key=f"isolation:{next(_serial)}", channels=[channel]
    )
    Notification.objects.filter(id=notification_id).update(status="dead", attempts=8, last_error="HTTP 500")
    return Notification.objects.get(id=notification_id)


FACTORIES: dict[str, Callable[[User, Made], models.Model]] = {
    "monitor": _monitor,
    "channel": _channel,
    "incident": _incident,
    "alert_rule": _alert_rule,
    "result": _result,
    "heartbeat_ping": _heartbeat_ping,
    "maintenance_window": _maintenance_window,
    "drift_event": _drift_event,
    "notification": _notification,
    "api_key": _api_key,
    "invitation": _invitation,
    "membership": _membership,
    "audit_event": _audit_event,
}


@dataclass(frozen=True)
class Route:
    route: str  # "api/v1/monitors/<int:monitor_id>/"
    name: str  # "monitors-api:monitor-detail"
    kwargs: tuple[str, ...]
    pattern: URLPattern

    @property
    def view_class(self) -> type:
        view_class = getattr(self.pattern.callback, "cls", None) or getattr(self.pattern.callback, "view_class", None)
        assert view_class is not None, f"{self.name} is not a class-based view"
        return view_class

    @property
    def is_api(self) -> bool:
        return self.route.startswith(API_PREFIX)

    def serves(self, method: str) -> bool:
        view_class = self.view_class
        return method in getattr(view_class, "http_method_names", ()) and hasattr(view_class, method)

    def __str__(self) -> str:
        return f"{self.name} ({self.route})"


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(part for part in (namespace, pattern.namespace) if part)
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace else str(pattern.name)
            route = prefix + str(pattern.pattern)
            yield Route(route, name, tuple(_kwargs(route)), pattern)


def _kwargs(route: str) -> list[str]:
    import re  # noqa: PLC0415

    return re.findall(r"<(?:\w+:)?(\w+)>", route)


def all_routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns))


def api_routes() -> list[Route]:
    return [route for route in all_routes() if route.is_api]


def html_routes() -> list[Route]:
    return [
        route
        for route in all_routes()
        if not route.route.startswith(HTML_EXCLUDED_PREFIXES) and route.name.split(":")[-1] not in HTML_EXCLUDED_NAMES
    ]


def kinds_for(route: Route) -> dict[str, str] | None:
    """{kwarg: kind} of a route's object ids; None for a route in NO_OBJECT_ID; fails if unclassified."""
    if any(kwarg in NO_OBJECT_ID for kwarg in route.kwargs):
        return None
    kinds = {}
    for kwarg in route.kwargs:
        kind = ROUTE_KINDS.get(route.name, {}).get(kwarg) or KWARG_KINDS.get(kwarg)
        if kind is None or kind not in FACTORIES:
            pytest.fail(
                f"{route} takes {kwarg!r}, which the isolation suite does not know: add it to KWARG_KINDS "
                f"(or ROUTE_KINDS) with a factory in tests/isolation.py, or to NO_OBJECT_ID with the reason"
            )
        kinds[kwarg] = kind
    return kinds


def make_objects(route: Route, owner: User) -> Made | None:
    """One object of `owner`'s organisation per id kwarg of the route ({kwarg: object}); None: no ids."""
    kinds = kinds_for(route)
    if kinds is None:
        return None
    made: Made = {}
    by_kwarg: Made = {}
    for kwarg, kind in kinds.items():
        obj = made.get(kind) or FACTORIES[kind](owner, made)
        made[kind] = by_kwarg[kwarg] = obj
    mail.outbox.clear()  # invitations send email; the sweeps assert nobody else's requests do
    return by_kwarg


def path_for(route: Route, objects: Made) -> str:
    return reverse(route.name, kwargs={kwarg: obj.pk for kwarg, obj in objects.items()})


def snapshot(objects: Made) -> dict[str, Any]:
    """Each object's editable fields (model_to_dict) and every column, as stored now."""
    state: dict[str, Any] = {}
    for kwarg, obj in objects.items():
        stored = type(obj)._default_manager.filter(pk=obj.pk).first()
        state[kwarg] = (
            model_to_dict(stored) if stored else None,
            type(obj)._default_manager.filter(pk=obj.pk).values().first(),
        )
    return state


# Columns that change on a read by design: a key's last use (KEY-05, at most once a minute),
# the last login of the user a test client logs in.
VOLATILE = {"accounts.apikey": {"last_used_at"}, "accounts.user": {"last_login"}}
# Tables no organisation data lives in: sessions (a request may save its own), JWT bookkeeping.
UNTRACKED = {"sessions.session", "token_blacklist.outstandingtoken", "token_blacklist.blacklistedtoken"}


def db_state() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (less the volatile columns): equal before and after = nothing changed."""
    state = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in UNTRACKED or model._meta.proxy:
            continue
        skip = VOLATILE.get(label, set())
        fields = [field.attname for field in model._meta.concrete_fields if field.attname not in skip]
        state[label] = sorted(model._base_manager.values_list(*fields), key=repr)
    return state


def changed_tables(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> list[str]:
    return sorted(label for label in before.keys() | after.keys() if before.get(label) != after.get(label))


# Valid enough for any of the writable entities, so a missing check cannot hide behind a 400.
API_PAYLOAD = {
    "name": "mallory was here",
    "url": "https://example.com/",
    "paused": True,
    "kind": "email",
    "target": "mallory@example.com",
    "scope": "write",
    "email": "mallory-friend@example.com",
    "role": "admin",
}
HTML_PAYLOAD = {
    "name": "mallory was here",
    "url": "http://127.0.0.1:9/mallory",
    "method": "POST",
    "headers": "",
    "body": "mallory was here",  # a POST monitor's body, and an incident comment's
    "expected_status": "200",
    "interval_seconds": "300",
    "timeout_seconds": "5",
    "paused": "on",
    "kind": "email",
    "target": "mallory@example.com",
    "scope": "write",
    "email": "mallory-friend@example.com",
    "role": "admin",
    "confirm": "on",
}
