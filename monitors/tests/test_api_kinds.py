"""/api/v1/monitors/ for every kind: create, edit, each invalid input a 400 on its field, the write-only secret."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import AuditEvent, Membership
from conftest import organization_of
from core import netguard
from monitors.models import Monitor
from monitors.services import monitor_create
from monitors.validators import SECRET_MASK

pytestmark = pytest.mark.django_db

LIST = "/api/v1/monitors/"
SECRET = "s3cret-token-Zq9vXw"
FAKE_DNS = {"db.example.com": ["93.184.216.34"], "internal.test": ["10.0.0.5"], "meta.test": ["169.254.169.254"]}


@pytest.fixture(autouse=True)
def fake_dns(monkeypatch):
    def resolve(host: str, port: int) -> list[str]:
        try:
            return FAKE_DNS[host.rstrip(".")]
        except KeyError:
            raise OSError(f"{host} does not resolve") from None

    monkeypatch.setattr(netguard, "resolve_host", resolve)


VALID = {
    "http": {"url": "https://db.example.com/health", "method": "POST", "keyword_absent": "error"},
    "tcp": {"host": "db.example.com", "port": 5432},
    "ping": {"host": "db.example.com", "ping_count": 5},
    "dns": {"host": "example.com", "record_type": "MX", "expected": ["mx1.example.com"], "dns_resolver": "127.0.0.1"},
    "tls": {"host": "db.example.com", "days_before_expiry": 30},
    "heartbeat": {"period_seconds": 86400, "grace_seconds": 600},
}


def detail(monitor_id: int) -> str:
    return f"{LIST}{monitor_id}/"


@pytest.mark.parametrize("kind", list(VALID))
def test_monitor_create_every_kind_stores_its_fields(api_client_for, alice, kind):
    response = api_client_for(alice).post(LIST, {"name": f"{kind} one", "kind": kind} | VALID[kind], format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    monitor = Monitor.objects.get(id=body["id"])
    assert monitor.kind == body["kind"] == kind
    for name, value in VALID[kind].items():
        assert getattr(monitor, name) == value, name
        assert body[name] == value, name
    if kind != "http":
        assert monitor.url == ""


def test_monitor_create_tls_defaults_to_port_443(api_client_for, alice):
    body = api_client_for(alice).post(LIST, {"name": "cert", "kind": "tls", "host": "db.example.com"}, format="json")
    assert body.status_code == 201
    assert body.json()["port"] == 443


def test_monitor_create_heartbeat_gets_ping_url_and_pages_on_first_late_ping(api_client_for, alice, settings):
    settings.SITE_URL = "https://dw.example.com"
    response = api_client_for(alice).post(LIST, {"name": "nightly", "kind": "heartbeat"}, format="json")

    assert response.status_code == 201
    monitor = Monitor.objects.get()
    assert response.json()["ping_url"] == f"https://dw.example.com/ping/{monitor.ping_token}"
    assert monitor.failure_threshold == 1
    assert monitor.url == ""
    other = api_client_for(alice).post(LIST, {"name": "web", "url": "https://db.example.com/"}, format="json")
    assert other.json()["ping_url"] is None
    assert other.json()["failure_threshold"] == 2


def test_monitor_create_heartbeat_keeps_a_given_failure_threshold(api_client_for, alice):
    payload = {"name": "nightly", "kind": "heartbeat", "failure_threshold": 3}
    assert api_client_for(alice).post(LIST, payload, format="json").json()["failure_threshold"] == 3


def test_monitor_create_ignores_fields_of_other_kinds(api_client_for, alice):
    payload = {"name": "db", "kind": "tcp", "host": "db.example.com", "port": 5432, "url": "not a url", "headers": 5}
    response = api_client_for(alice).post(LIST, payload, format="json")
    assert response.status_code == 201, response.json()
    monitor = Monitor.objects.get()
    assert (monitor.url, monitor.headers) == ("", {})


BAD = [
    pytest.param("tcp", {"host": "db.example.com"}, "port", id="tcp-without-port"),
    pytest.param("tcp", {"port": 80}, "host", id="tcp-without-host"),
    pytest.param("tcp", {"host": "db.example.com", "port": 0}, "port", id="tcp-port-0"),
    pytest.param("tcp", {"host": "db.example.com", "port": 65536}, "port", id="tcp-port-65536"),
    pytest.param("tcp", {"host": "db.example.com", "port": "http"}, "port", id="tcp-port-word"),
    pytest.param("tcp", {"host": "http://db.example.com", "port": 80}, "host", id="host-with-scheme"),
    pytest.param("tcp", {"host": "user@db.example.com", "port": 80}, "host", id="host-with-userinfo"),
    pytest.param("tcp", {"host": "db.example.com:80", "port": 80}, "host", id="host-with-port"),
    pytest.param("tcp", {"host": "a" * 254, "port": 80}, "host", id="host-254-chars"),
    pytest.param("tcp", {"host": "exa mple.com", "port": 80}, "host", id="host-with-space"),
    pytest.param("tcp", {"host": "169.254.169.254", "port": 80}, "host", id="ssrf-metadata-ip"),
    pytest.param("tcp", {"host": "meta.test", "port": 80}, "host", id="ssrf-name-to-metadata"),
    pytest.param("tcp", {"host": "[fe80::1]", "port": 80}, "host", id="ssrf-link-local-v6"),
    pytest.param("tcp", {"host": None, "port": 80}, "host", id="host-null"),
    pytest.param(
        "tcp",
        {"host": "db.example.com", "port": 80, "connect_timeout_seconds": 9, "timeout_seconds": 5},
        "connect_timeout_seconds",
        id="tcp-connect-over-total",
    ),
    pytest.param(
        "tls",
        {"host": "db.example.com", "read_timeout_seconds": 9, "timeout_seconds": 5},
        "read_timeout_seconds",
        id="tls-read-over-total",
    ),
    pytest.param("ping", {}, "host", id="ping-without-host"),
    pytest.param("ping", {"host": "db.example.com", "ping_count": 0}, "ping_count", id="ping-count-0"),
    pytest.param("dns", {}, "host", id="dns-without-host"),
    pytest.param("dns", {"host": "93.184.216.34"}, "host", id="dns-host-is-an-ip"),
    pytest.param("dns", {"host": "example.com", "record_type": "SRV"}, "record_type", id="dns-record-type"),
    pytest.param("dns", {"host": "example.com", "expected": "1.2.3.4"}, "expected", id="dns-expected-string"),
    pytest.param("dns", {"host": "example.com", "expected": [1]}, "expected", id="dns-expected-number"),
    pytest.param("dns", {"host": "example.com", "dns_resolver": "dns.google"}, "dns_resolver", id="dns-resolver-name"),
    pytest.param("dns", {"host": "example.com", "dns_resolver": "169.254.169.254"}, "dns_resolver", id="resolver-meta"),
    pytest.param("tls", {}, "host", id="tls-without-host"),
    pytest.param("tls", {"host": "db.example.com", "days_before_expiry": 0}, "days_before_expiry", id="tls-days-0"),
    pytest.param("tls", {"host": "db.example.com", "days_before_expiry": 366}, "days_before_expiry", id="tls-days-366"),
    pytest.param("heartbeat", {"period_seconds": 5}, "period_seconds", id="heartbeat-period-5"),
    pytest.param("heartbeat", {"period_seconds": None}, "period_seconds", id="heartbeat-period-null"),
    pytest.param("heartbeat", {"grace_seconds": -1}, "grace_seconds", id="heartbeat-grace-negative"),
    pytest.param("http", {}, "url", id="http-without-url"),
    pytest.param("http", {"url": "https://db.example.com/", "max_redirects": 11}, "max_redirects", id="redirects-11"),
    pytest.param("http", {"url": "https://db.example.com/", "retries": 6}, "retries", id="retries-6"),
    pytest.param("http", {"url": "https://db.example.com/", "failure_threshold": 0}, "failure_threshold", id="k-0"),
    pytest.param("http", {"url": "https://db.example.com/", "failure_threshold": 11}, "failure_threshold", id="k-11"),
    pytest.param(
        "http", {"url": "https://db.example.com/", "degraded_latency_ms": 0}, "degraded_latency_ms", id="slow-0"
    ),
    pytest.param(
        "http",
        {"url": "https://db.example.com/", "degraded_latency_ms": 10_000},
        "degraded_latency_ms",
        id="slow-timeout",
    ),
    pytest.param(
        "http", {"url": "https://db.example.com/", "regions_down_threshold": 2}, "regions_down_threshold", id="m-over-n"
    ),
    pytest.param(
        "http",
        {"url": "https://db.example.com/", "read_timeout_seconds": 8, "timeout_seconds": 5},
        "read_timeout_seconds",
        id="read-over-total",
    ),
    pytest.param(
        "http",
        {"url": "https://db.example.com/", "connect_timeout_seconds": 9, "read_timeout_seconds": 8},
        "connect_timeout_seconds",
        id="connect-over-read",
    ),
    pytest.param("http", {"url": "https://db.example.com/", "auth_kind": "basic"}, "auth_username", id="basic-no-user"),
    pytest.param(
        "http", {"url": "https://db.example.com/", "auth_kind": "bearer"}, "auth_secret", id="bearer-no-token"
    ),
    pytest.param(
        "http",
        {"url": "https://db.example.com/", "auth_kind": "bearer", "auth_secret": "a\r\nX-Evil: 1"},
        "auth_secret",
        id="secret-line-break",
    ),
    pytest.param(
        "http",
        {"url": "https://db.example.com/", "json_assertions": [{"path": "status", "op": "equals", "value": 1}]},
        "json_assertions",
        id="assertion-path",
    ),
    pytest.param(
        "http", {"url": "https://db.example.com/", "json_assertions": {"a": 1}}, "json_assertions", id="assertion-dict"
    ),
    pytest.param("http", {"url": "https://db.example.com/", "auth_kind": "digest"}, "auth_kind", id="auth-kind"),
]


@pytest.mark.parametrize(("kind", "fields", "error_field"), BAD)
def test_monitor_create_invalid_kind_fields_get_400_on_the_field(
    api_client_for, alice, settings, kind, fields, error_field
):
    settings.ALLOW_PRIVATE_TARGETS = True  # even then, link-local and metadata stay refused
    response = api_client_for(alice).post(LIST, {"name": "x", "kind": kind} | fields, format="json")
    assert response.status_code == 400, response.content
    assert error_field in response.json(), response.json()
    assert not Monitor.objects.exists()


@pytest.mark.parametrize("host", ["127.0.0.1", "10.0.0.5", "internal.test", "localhost", "redis"])
def test_ssrf_02_private_hosts_refused_for_tcp_unless_allowed(api_client_for, alice, settings, host):
    settings.ALLOW_PRIVATE_TARGETS = False
    payload = {"name": "x", "kind": "tcp", "host": host, "port": 6379}
    response = api_client_for(alice).post(LIST, payload, format="json")
    assert response.status_code == 400
    assert "host" in response.json()
    settings.ALLOW_PRIVATE_TARGETS = True
    assert api_client_for(alice).post(LIST, payload, format="json").status_code == 201


def test_monitor_create_host_is_stored_in_its_ascii_form(api_client_for, alice):
    payload = {"name": "x", "kind": "ping", "host": "Bücher.example"}
    assert api_client_for(alice).post(LIST, payload, format="json").status_code == 201
    assert Monitor.objects.get().host == "xn--bcher-kva.example"


def test_monitor_patch_checks_kind_rules_against_stored_values(api_client_for, alice):
    client = api_client_for(alice)
    created = client.post(LIST, {"name": "db", "kind": "tcp", "host": "db.example.com", "port": 5432}, format="json")
    url = detail(created.json()["id"])

    assert client.patch(url, {"port": 6432}, format="json").status_code == 200
    assert client.patch(url, {"port": None}, format="json").status_code == 400
    assert client.patch(url, {"kind": "dns"}, format="json").status_code == 200  # host is a DNS name too
    monitor = Monitor.objects.get()
    assert (monitor.kind, monitor.host, monitor.port) == ("dns", "db.example.com", 6432)
    response = client.patch(url, {"kind": "http"}, format="json")
    assert response.status_code == 400 and "url" in response.json()


def test_monitor_put_resets_the_kind_fields_to_defaults(api_client_for, alice):
    client = api_client_for(alice)
    created = client.post(LIST, {"name": "n", "kind": "ping", "host": "db.example.com", "ping_count": 7}, format="json")
    response = client.put(
        detail(created.json()["id"]), {"name": "n", "kind": "ping", "host": "db.example.com"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["ping_count"] == 3


def test_monitor_lowering_the_total_timeout_fits_the_others_inside(api_client_for, alice):
    client = api_client_for(alice)
    created = client.post(LIST, {"name": "n", "url": "https://db.example.com/", "timeout_seconds": 3}, format="json")
    assert created.status_code == 201, created.json()
    assert (created.json()["connect_timeout_seconds"], created.json()["read_timeout_seconds"]) == (3, 3)
    response = client.patch(detail(created.json()["id"]), {"timeout_seconds": 2}, format="json")
    assert response.status_code == 200
    assert (response.json()["connect_timeout_seconds"], response.json()["read_timeout_seconds"]) == (2, 2)


# --- the write-only auth secret ---------------------------------------------------------------


def _bearer_monitor(client: APIClient) -> dict[str, Any]:
    payload = {"name": "api", "url": "https://db.example.com/", "auth_kind": "bearer", "auth_secret": SECRET}
    response = client.post(LIST, payload, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_auth_secret_is_never_returned(api_client_for, alice):
    client = api_client_for(alice)
    created = _bearer_monitor(client)
    assert created["auth_secret_set"] is True
    assert "auth_secret" not in created
    for response in (client.get(detail(created["id"])), client.get(LIST)):
        assert SECRET not in response.content.decode()
        assert "Zq9vXw" not in response.content.decode()
    assert Monitor.objects.get().auth_secret == SECRET


@pytest.mark.parametrize("sent", [None, "", SECRET_MASK])
def test_auth_secret_omitted_blank_or_masked_keeps_the_stored_one(api_client_for, alice, sent):
    client = api_client_for(alice)
    created = _bearer_monitor(client)
    payload: dict[str, Any] = {"name": "api 2", "url": "https://db.example.com/", "auth_kind": "bearer"}
    if sent is not None:
        payload["auth_secret"] = sent
    assert client.put(detail(created["id"]), payload, format="json").status_code == 200
    assert Monitor.objects.get().auth_secret == SECRET


def test_auth_secret_replaced_and_cleared_with_auth_none_and_never_audited(api_client_for, alice):
    client = api_client_for(alice)
    created = _bearer_monitor(client)
    assert client.patch(detail(created["id"]), {"auth_secret": "new-token-777"}, format="json").status_code == 200
    assert Monitor.objects.get().auth_secret == "new-token-777"
    response = client.patch(detail(created["id"]), {"auth_kind": "none"}, format="json")
    assert response.json()["auth_secret_set"] is False
    assert Monitor.objects.get().auth_secret == ""
    audit = str(list(AuditEvent.objects.values_list("data", "target_repr")))
    assert SECRET not in audit and "new-token-777" not in audit


def test_monitor_create_every_kind_viewer_gets_403_and_nothing_is_stored(api_client_for, alice, bob):
    Membership.objects.filter(user=bob).update(role=Membership.Role.VIEWER)
    for kind, fields in VALID.items():
        response = api_client_for(bob).post(LIST, {"name": "x", "kind": kind} | fields, format="json")
        assert response.status_code == 403, kind
    assert not Monitor.objects.exists()


def test_monitor_edit_every_kind_member_can_and_other_org_gets_404(api_client_for, alice, bob, mallory):
    for kind, fields in VALID.items():
        monitor = monitor_create(organization=organization_of(alice), name=kind, kind=kind, **fields)
        assert api_client_for(bob).patch(detail(monitor.id), {"name": f"{kind}!"}, format="json").status_code == 200
        assert api_client_for(mallory).patch(detail(monitor.id), {"name": "m"}, format="json").status_code == 404
        monitor.refresh_from_db()
        assert monitor.name == f"{kind}!"
