"""/api/v1/monitors/: CRUD, tenancy, input validation (IN-03, SSRF-01, SSRF-12), query count."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import ApiKey
from accounts.services import api_key_create
from conftest import organization_of
from core import netguard
from monitors.models import Monitor
from monitors.services import monitor_create

pytestmark = pytest.mark.django_db

URL = "https://api.example.com/orders"
LIST = "/api/v1/monitors/"


# The DNS boundary of the network guard (save-time validation resolves names): a fixed mapping,
# so no test sends a query beyond this machine. Unknown names do not resolve.
FAKE_DNS = {
    "api.example.com": ["93.184.216.34"],
    "example.com": ["93.184.216.34"],
    "internal.test": ["10.0.0.5"],
    "v6.test": ["fc00::1"],
    "meta.test": ["169.254.169.254"],
    "mixed.test": ["93.184.216.34", "10.0.0.5"],
}


@pytest.fixture(autouse=True)
def fake_dns(monkeypatch):
    def resolve(host: str, port: int) -> list[str]:
        try:
            return FAKE_DNS[host.rstrip(".")]
        except KeyError:
            raise OSError(f"{host} does not resolve") from None

    monkeypatch.setattr(netguard, "resolve_host", resolve)


def detail(monitor: Monitor) -> str:
    return f"/api/v1/monitors/{monitor.id}/"


def make_monitor(user: Any, **overrides: Any) -> Monitor:
    fields = {"name": "Orders API", "url": URL} | overrides
    return monitor_create(organization=organization_of(user), **fields)


def key_client(user: Any, scope: str) -> APIClient:
    issued = api_key_create(organization=organization_of(user), created_by=user, name="ci", scope=scope)
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=issued.key)
    return client


# --- reads -------------------------------------------------------------------


def test_monitor_list_owner_sees_own_monitors_in_api_shape(api_client_for, alice, mallory):
    monitor = make_monitor(alice, headers={"Accept": "application/json"}, track_contract=True)
    make_monitor(mallory, name="Mallory's")

    response = api_client_for(alice).get(LIST)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 1
    item = body["results"][0]
    assert item == {
        "id": monitor.id,
        "name": "Orders API",
        "kind": "http",
        "url": URL,
        "method": "GET",
        "headers": {"Accept": "application/json"},
        "body": "",
        "expected_status": [200],
        "keyword": "",
        "keyword_absent": "",
        "json_assertions": [],
        "auth_kind": "none",
        "auth_username": "",
        "auth_secret_set": False,
        "follow_redirects": True,
        "max_redirects": 5,
        "verify_tls": True,
        "connect_timeout_seconds": 5,
        "read_timeout_seconds": 10,
        "host": "",
        "port": None,
        "ping_count": 3,
        "record_type": "A",
        "expected": [],
        "dns_resolver": "",
        "days_before_expiry": 14,
        "period_seconds": 3600,
        "grace_seconds": 300,
        "ping_url": None,
        "last_ping_at": None,
        "interval_seconds": 60,
        "timeout_seconds": 10,
        "regions": ["local"],
        "paused": False,
        "track_contract": True,
        "contract_baseline_samples": 5,
        "contract_confirmations": 2,
        "contract_ignore_paths": [],
        "contract_alert_additive": False,
        "retries": 1,
        "failure_threshold": 2,
        "recovery_threshold": 1,
        "degraded_latency_ms": None,
        "regions_down_threshold": None,
        "state": "pending",
        "last_checked_at": None,
        "last_latency_ms": None,
        "last_status_code": None,
        "last_error": "",
        "created_at": item["created_at"],
    }


def test_monitor_list_member_sees_organization_monitors(api_client_for, alice, bob):
    monitor = make_monitor(alice)
    response = api_client_for(bob).get(LIST)
    assert response.status_code == 200
    assert [m["id"] for m in response.json()["results"]] == [monitor.id]


def test_monitor_list_other_organization_sees_none_of_them(api_client_for, alice, mallory):
    make_monitor(alice)
    response = api_client_for(mallory).get(LIST)
    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_monitor_list_anonymous_gets_401():
    assert APIClient().get(LIST).status_code == 401


def test_monitor_list_queries_do_not_grow(api_client_for, alice, django_assert_max_num_queries):
    client = api_client_for(alice)
    make_monitor(alice)
    with CaptureQueriesContext(connection) as one:
        assert client.get(LIST).status_code == 200
    for n in range(9):
        make_monitor(alice, name=f"m{n}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(LIST)
    assert response.json()["count"] == 10


def test_monitor_detail_owner_and_member_get_it(api_client_for, alice, bob):
    monitor = make_monitor(alice, paused=True)
    for user in (alice, bob):
        response = api_client_for(user).get(detail(monitor))
        assert response.status_code == 200
        assert response.json()["id"] == monitor.id
        assert response.json()["state"] == "paused"


def test_monitor_detail_other_organization_gets_404(api_client_for, alice, mallory):
    monitor = make_monitor(alice)
    assert api_client_for(mallory).get(detail(monitor)).status_code == 404


def test_monitor_detail_missing_id_gets_404(api_client_for, alice):
    assert api_client_for(alice).get("/api/v1/monitors/999999/").status_code == 404


def test_monitor_detail_anonymous_gets_401(alice):
    assert APIClient().get(detail(make_monitor(alice))).status_code == 401


# --- create ------------------------------------------------------------------


def test_monitor_create_stores_the_monitor_with_defaults(api_client_for, alice):
    response = api_client_for(alice).post(LIST, {"name": "Orders", "url": URL}, format="json")

    assert response.status_code == 201, response.json()
    monitor = Monitor.objects.get(id=response.json()["id"])
    assert monitor.organization == organization_of(alice)
    assert (monitor.name, monitor.url, monitor.method, monitor.kind) == ("Orders", URL, "GET", "http")
    assert (monitor.interval_seconds, monitor.timeout_seconds, monitor.expected_status) == (60, 10, [200])
    assert (monitor.headers, monitor.regions, monitor.paused) == ({}, ["local"], False)
    assert response.json()["state"] == "pending"


def test_monitor_create_takes_every_field(api_client_for, bob, alice):
    payload = {
        "name": "Create order",
        "url": URL,
        "kind": "http",
        "method": "POST",
        "headers": {"Content-Type": "application/json", "Authorization": "Bearer t"},
        "body": '{"sku": 1}',
        "expected_status": [201, 202],
        "keyword": "created",
        "interval_seconds": 120,
        "timeout_seconds": 30,
        "regions": ["local"],
        "paused": True,
        "track_contract": True,
    }
    response = api_client_for(bob).post(LIST, payload, format="json")

    assert response.status_code == 201, response.json()
    monitor = Monitor.objects.get(id=response.json()["id"])
    assert monitor.organization == organization_of(alice)
    for name, value in payload.items():
        assert getattr(monitor, name) == value, name
    assert monitor.display_state == "paused"


def test_monitor_create_ignores_unknown_and_read_only_fields(api_client_for, alice, mallory):
    response = api_client_for(alice).post(
        LIST,
        {"name": "x", "url": URL, "state": "up", "id": 5, "organization": organization_of(mallory).id, "zzz": 1},
        format="json",
    )
    assert response.status_code == 201
    monitor = Monitor.objects.get(id=response.json()["id"])
    assert monitor.state == "pending"
    assert monitor.organization == organization_of(alice)


def test_monitor_create_anonymous_gets_401_and_stores_nothing():
    assert APIClient().post(LIST, {"name": "x", "url": URL}, format="json").status_code == 401
    assert not Monitor.objects.exists()


BAD_INPUT = [
    pytest.param({"name": ""}, "name", id="blank-name"),
    pytest.param({"name": "n" * 100_000}, "name", id="100kb-name"),
    pytest.param({"name": None}, "name", id="null-name"),
    pytest.param({"name": ["a"]}, "name", id="list-name"),
    pytest.param({"url": "not a url"}, "url", id="bad-url"),
    pytest.param({"url": None}, "url", id="null-url"),
    pytest.param({"url": "https://example.com/" + "a" * 3000}, "url", id="long-url"),
    pytest.param({"kind": "smtp"}, "kind", id="unknown-kind"),
    pytest.param({"method": "TRACE"}, "method", id="bad-method"),
    pytest.param({"headers": []}, "headers", id="headers-list"),
    pytest.param({"headers": "Accept: x"}, "headers", id="headers-string"),
    pytest.param({"headers": None}, "headers", id="null-headers"),
    pytest.param({"headers": {"X-N": 5}}, "headers", id="header-value-number"),
    pytest.param({"headers": {"Bad Name": "x"}}, "headers", id="header-name-space"),
    pytest.param({"headers": {"Host": "internal"}}, "headers", id="reserved-header"),
    pytest.param({"headers": {f"X-H{i}": "v" for i in range(10_000)}}, "headers", id="10000-headers"),
    pytest.param({"body": None}, "body", id="null-body"),
    pytest.param({"expected_status": "200"}, "expected_status", id="status-string"),
    pytest.param({"expected_status": ["ok"]}, "expected_status", id="status-list-of-words"),
    pytest.param({"expected_status": ["299-200"]}, "expected_status", id="status-range-backwards"),
    pytest.param({"expected_status": []}, "expected_status", id="status-empty"),
    pytest.param({"expected_status": [99]}, "expected_status", id="status-99"),
    pytest.param({"expected_status": [True]}, "expected_status", id="status-bool"),
    pytest.param({"expected_status": None}, "expected_status", id="null-status"),
    pytest.param({"keyword": "k" * 201}, "keyword", id="long-keyword"),
    pytest.param({"interval_seconds": "abc"}, "interval_seconds", id="interval-abc"),
    pytest.param({"interval_seconds": 10}, "interval_seconds", id="interval-below-minimum"),
    pytest.param({"interval_seconds": 86_401}, "interval_seconds", id="interval-over-a-day"),
    pytest.param({"interval_seconds": None}, "interval_seconds", id="null-interval"),
    pytest.param({"interval_seconds": 60.5}, "interval_seconds", id="interval-fraction"),
    pytest.param({"timeout_seconds": 0}, "timeout_seconds", id="timeout-0"),
    pytest.param({"timeout_seconds": 61, "interval_seconds": 120}, "timeout_seconds", id="timeout-over-60"),
    pytest.param({"timeout_seconds": 30, "interval_seconds": 30}, "timeout_seconds", id="timeout-not-below-interval"),
    pytest.param({"regions": "local"}, "regions", id="regions-string"),
    pytest.param({"regions": []}, "regions", id="regions-empty"),
    pytest.param({"regions": ["Local Region"]}, "regions", id="regions-bad-name"),
    pytest.param({"regions": ["a", "a"]}, "regions", id="regions-repeat"),
    pytest.param({"paused": "maybe"}, "paused", id="paused-not-bool"),
    pytest.param({"paused": None}, "paused", id="null-paused"),
    pytest.param({"track_contract": [1]}, "track_contract", id="track-contract-list"),
]


@pytest.mark.parametrize(("override", "field"), BAD_INPUT)
def test_monitor_create_bad_input_gets_400_on_the_field(api_client_for, alice, override, field):
    payload = {"name": "Orders", "url": URL} | override
    response = api_client_for(alice).post(LIST, payload, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Monitor.objects.exists()


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        ("{not json", "application/json"),
        ("[]", "application/json"),
        ('"a string"', "application/json"),
        ("null", "application/json"),
        ("", "application/json"),
        ('{"name": NaN, "url": "x"}', "application/json"),
        ('{"name": "x", "url": "https://example.com/", "interval_seconds": 1' + "0" * 5000 + "}", "application/json"),
        ("[" * 10_000 + "]" * 10_000, "application/json"),
        ("\ud800", "application/json"),
        ("<html></html>", "text/html"),
        ("name=x&url=https%3A%2F%2Fexample.com%2F", "application/x-www-form-urlencoded"),
    ],
)
def test_monitor_create_malformed_body_gets_4xx_not_500(api_client_for, alice, raw, content_type):
    response = api_client_for(alice).generic("POST", LIST, raw.encode("utf-8", "surrogatepass"), content_type)
    assert response.status_code in (400, 415)
    assert not Monitor.objects.exists()


def test_monitor_create_3mb_body_is_refused_not_500(api_client_for, alice):
    raw = '{"name": "x", "url": "https://example.com/", "body": "' + "a" * (3 * 1024 * 1024) + '"}'
    response = api_client_for(alice).generic("POST", LIST, raw, "application/json")
    assert response.status_code in (400, 413)
    assert not Monitor.objects.exists()


def test_in_03_monitor_create_3mb_body_gets_a_413_json_error(api_client_for, alice):
    raw = '{"name": "x", "url": "https://example.com/", "body": "' + "a" * (3 * 1024 * 1024) + '"}'
    response = api_client_for(alice).generic("POST", LIST, raw, "application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"


# SSRF-01: every address form of RELIABILITY.md, with private targets not allowed.
SSRF_01_URLS = """
    http://127.0.0.1/  http://127.1/  http://2130706433/  http://0x7f000001/  http://0177.0.0.1/  http://0.0.0.0/
    http://[::]/  http://[::1]/  http://[::ffff:127.0.0.1]/  http://[fd00::1]/  http://[fe80::1%25eth0]/
    http://10.0.0.1/  http://10.255.255.254/  http://172.16.0.1/  http://172.31.255.254/
    http://192.168.0.1/  http://192.168.255.254/  http://100.64.0.1/  http://169.254.169.254/latest/meta-data/
    http://[fd00:ec2::254]/  http://[64:ff9b::7f00:1]/  http://[2002:7f00:1::]/
""".split()


@pytest.mark.parametrize("url", SSRF_01_URLS)
def test_ssrf_01_monitor_url_rejected(api_client_for, alice, settings, url):
    settings.ALLOW_PRIVATE_TARGETS = False
    response = api_client_for(alice).post(LIST, {"name": "x", "url": url}, format="json")
    assert response.status_code == 400
    assert "url" in response.json()
    assert not Monitor.objects.exists()


@pytest.mark.parametrize("url", SSRF_01_URLS)
def test_ssrf_01_monitor_url_rejected_on_patch(api_client_for, alice, settings, url):
    settings.ALLOW_PRIVATE_TARGETS = False
    monitor = make_monitor(alice)
    response = api_client_for(alice).patch(detail(monitor), {"url": url}, format="json")
    assert response.status_code == 400
    assert "url" in response.json()
    monitor.refresh_from_db()
    assert monitor.url == URL


SSRF_02_URLS = """
    http://internal.test/  http://v6.test/  http://meta.test/latest/meta-data/  http://mixed.test/
    http://redis/  http://postgres:5432/  http://localhost/  http://a.localhost/  http://svc.internal/
    http://printer.local/
""".split()


@pytest.mark.parametrize("url", SSRF_02_URLS)
def test_ssrf_02_monitor_url_naming_a_private_host_rejected(api_client_for, alice, settings, url):
    settings.ALLOW_PRIVATE_TARGETS = False
    response = api_client_for(alice).post(LIST, {"name": "x", "url": url}, format="json")
    assert response.status_code == 400
    assert "url" in response.json()
    assert not Monitor.objects.exists()


def test_ssrf_02_monitor_url_naming_a_public_host_accepted(api_client_for, alice, settings):
    settings.ALLOW_PRIVATE_TARGETS = False
    response = api_client_for(alice).post(LIST, {"name": "x", "url": "https://api.example.com/v1"}, format="json")
    assert response.status_code == 201


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/file",
        "file:///etc/passwd",
        "gopher://example.com:70/_x",
        "dict://example.com:11111/",
        "http://user:pass@example.com/",
        "http://user@example.com/",
        "http://example.com:0/",
        "http://example.com:65536/",
        "http://exa mple.com/",
        "http://exa\tmple.com/",
        "http://example.com\\@evil.com/",
        "http://" + "a" * 250 + ".com/",
        "http://xn--a.com/",
    ],
)
def test_ssrf_12_monitor_url_syntax_rejected(api_client_for, alice, url):
    response = api_client_for(alice).post(LIST, {"name": "x", "url": url}, format="json")
    assert response.status_code == 400
    assert "url" in response.json()
    assert not Monitor.objects.exists()


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"X-A": "v\r\nX-Injected: 1"}, id="crlf-in-value"),
        pytest.param({"X-A": "v\nX-Injected: 1"}, id="lf-in-value"),
        pytest.param({"X-A": "v\r"}, id="trailing-cr-in-value"),
        pytest.param({"X-A\r\nX-Injected": "1"}, id="crlf-in-name"),
        pytest.param({"X-A\n": "1"}, id="trailing-lf-in-name"),
        pytest.param({f"X-H{i}": "v" for i in range(51)}, id="51-headers"),
        pytest.param({"X-Big": "v" * (8 * 1024 + 1)}, id="header-over-8kb"),
    ],
)
def test_ssrf_12_monitor_headers_rejected(api_client_for, alice, headers):
    response = api_client_for(alice).post(LIST, {"name": "x", "url": URL, "headers": headers}, format="json")
    assert response.status_code == 400
    assert "headers" in response.json()
    assert not Monitor.objects.exists()


def test_ssrf_12_fifty_headers_of_reasonable_size_are_accepted(api_client_for, alice):
    headers = {f"X-H{i}": "v" * 100 for i in range(50)}
    response = api_client_for(alice).post(LIST, {"name": "x", "url": URL, "headers": headers}, format="json")
    assert response.status_code == 201
    assert Monitor.objects.get().headers == headers


# --- update ------------------------------------------------------------------


def test_monitor_patch_changes_only_given_fields(api_client_for, alice):
    monitor = make_monitor(alice, interval_seconds=300, keyword="ok")
    response = api_client_for(alice).patch(detail(monitor), {"name": "Renamed", "timeout_seconds": 20}, format="json")

    assert response.status_code == 200, response.json()
    monitor.refresh_from_db()
    assert (monitor.name, monitor.timeout_seconds, monitor.interval_seconds, monitor.keyword) == (
        "Renamed",
        20,
        300,
        "ok",
    )
    assert response.json()["name"] == "Renamed"


def test_monitor_patch_member_can_pause(api_client_for, alice, bob):
    monitor = make_monitor(alice)
    response = api_client_for(bob).patch(detail(monitor), {"paused": True}, format="json")
    assert response.status_code == 200
    assert response.json()["state"] == "paused"
    monitor.refresh_from_db()
    assert monitor.paused is True


def test_monitor_patch_timeout_checked_against_stored_interval(api_client_for, alice):
    monitor = make_monitor(alice, interval_seconds=60, timeout_seconds=10)
    response = api_client_for(alice).patch(detail(monitor), {"timeout_seconds": 60}, format="json")
    assert response.status_code == 400
    assert "timeout_seconds" in response.json()
    response = api_client_for(alice).patch(
        detail(monitor), {"interval_seconds": 30, "timeout_seconds": 45}, format="json"
    )
    assert response.status_code == 400
    monitor.refresh_from_db()
    assert (monitor.interval_seconds, monitor.timeout_seconds) == (60, 10)


def test_monitor_patch_interval_checked_against_stored_timeout(api_client_for, alice):
    monitor = make_monitor(alice, interval_seconds=120, timeout_seconds=45)
    response = api_client_for(alice).patch(detail(monitor), {"interval_seconds": 30}, format="json")
    assert response.status_code == 400
    assert "timeout_seconds" in response.json()
    monitor.refresh_from_db()
    assert monitor.interval_seconds == 120


@pytest.mark.parametrize(("override", "field"), BAD_INPUT)
def test_monitor_patch_bad_input_gets_400_and_changes_nothing(api_client_for, alice, override, field):
    monitor = make_monitor(alice)
    before = Monitor.objects.filter(id=monitor.id).values().get()
    response = api_client_for(alice).patch(detail(monitor), override, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert Monitor.objects.filter(id=monitor.id).values().get() == before


def test_monitor_put_replaces_every_field(api_client_for, alice):
    monitor = make_monitor(alice, method="POST", body="x", keyword="k", headers={"A": "b"}, interval_seconds=300)
    response = api_client_for(alice).put(detail(monitor), {"name": "Replaced", "url": URL + "/v2"}, format="json")

    assert response.status_code == 200, response.json()
    monitor.refresh_from_db()
    assert (monitor.name, monitor.url, monitor.method, monitor.body, monitor.keyword) == (
        "Replaced",
        URL + "/v2",
        "GET",
        "",
        "",
    )
    assert (monitor.headers, monitor.interval_seconds) == ({}, 60)


def test_monitor_put_without_required_fields_gets_400(api_client_for, alice):
    monitor = make_monitor(alice)
    response = api_client_for(alice).put(detail(monitor), {"name": "Only a name"}, format="json")
    assert response.status_code == 400
    assert "url" in response.json()
    monitor.refresh_from_db()
    assert monitor.name == "Orders API"


@pytest.mark.parametrize("method", ["patch", "put", "delete"])
def test_monitor_write_other_organization_gets_404_and_changes_nothing(api_client_for, alice, mallory, method):
    monitor = make_monitor(alice)
    before = Monitor.objects.filter(id=monitor.id).values().get()
    response = getattr(api_client_for(mallory), method)(detail(monitor), {"name": "pwned", "url": URL}, format="json")
    assert response.status_code == 404
    assert Monitor.objects.filter(id=monitor.id).values().get() == before


def test_monitor_write_other_organization_with_bad_body_still_gets_404(api_client_for, alice, mallory):
    monitor = make_monitor(alice)
    response = api_client_for(mallory).patch(detail(monitor), {"interval_seconds": "abc"}, format="json")
    assert response.status_code == 404


# --- delete ------------------------------------------------------------------


def test_monitor_delete_removes_it(api_client_for, alice, bob):
    first, second = make_monitor(alice), make_monitor(alice, name="second")
    assert api_client_for(alice).delete(detail(first)).status_code == 204
    assert api_client_for(bob).delete(detail(second)).status_code == 204
    assert not Monitor.objects.filter(id__in=[first.id, second.id]).exists()
    assert api_client_for(alice).get(detail(first)).status_code == 404


def test_monitor_delete_anonymous_gets_401(alice):
    monitor = make_monitor(alice)
    assert APIClient().delete(detail(monitor)).status_code == 401
    assert Monitor.objects.filter(id=monitor.id).exists()


# --- API keys on monitors (KEY-02) ---------------------------------------------


def test_monitor_read_key_can_read(alice):
    monitor = make_monitor(alice)
    client = key_client(alice, ApiKey.Scope.READ)
    assert client.get(LIST).json()["count"] == 1
    assert client.get(detail(monitor)).status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", None), ("patch", "detail"), ("put", "detail"), ("delete", "detail")],
)
def test_monitor_read_key_gets_403_on_writes_and_changes_nothing(alice, method, path):
    monitor = make_monitor(alice)
    before = list(Monitor.objects.values())
    client = key_client(alice, ApiKey.Scope.READ)
    url = detail(monitor) if path else LIST
    response = getattr(client, method)(url, {"name": "changed", "url": URL}, format="json")
    assert response.status_code == 403
    assert list(Monitor.objects.values()) == before


def test_monitor_write_key_can_create_update_and_delete(alice):
    client = key_client(alice, ApiKey.Scope.WRITE)
    created = client.post(LIST, {"name": "By key", "url": URL}, format="json")
    assert created.status_code == 201
    monitor = Monitor.objects.get(id=created.json()["id"])
    assert monitor.organization == organization_of(alice)
    assert client.patch(detail(monitor), {"name": "Renamed"}, format="json").status_code == 200
    monitor.refresh_from_db()
    assert monitor.name == "Renamed"
    assert client.delete(detail(monitor)).status_code == 204
    assert not Monitor.objects.exists()


def test_monitor_key_of_another_organization_gets_404(alice, mallory):
    monitor = make_monitor(alice)
    client = key_client(mallory, ApiKey.Scope.WRITE)
    assert client.get(detail(monitor)).status_code == 404
    assert client.delete(detail(monitor)).status_code == 404
    assert Monitor.objects.filter(id=monitor.id).exists()
