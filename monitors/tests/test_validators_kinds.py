"""Pure rules for every kind: host normalisation through the network guard, cross-field rules, timeouts."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from core import netguard
from monitors import kinds
from monitors.validators import SECRET_MASK, is_secret_mask, normalize_dns_name, normalize_monitor_host


@pytest.fixture(autouse=True)
def no_dns(monkeypatch):
    def resolve(host: str, port: int) -> list[str]:
        if host.rstrip(".") == "rebind.test":
            return ["93.184.216.34", "127.0.0.1"]
        raise OSError(f"{host} does not resolve")

    monkeypatch.setattr(netguard, "resolve_host", resolve)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("DB.Example.com", "db.example.com"),
        ("  db.example.com ", "db.example.com"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("2001:db8::1", "2001:db8::1"),
        ("127.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
    ],
)
def test_host_is_stored_in_one_canonical_form(settings, typed, stored):
    settings.ALLOW_PRIVATE_TARGETS = True
    assert normalize_monitor_host(typed) == stored


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "2130706433", "0x7f.1", "[::1]", "10.1.2.3", "localhost", "db.internal", "redis", "rebind.test"],
)
def test_ssrf_02_private_hosts_refused_when_private_targets_are_off(settings, host):
    settings.ALLOW_PRIVATE_TARGETS = False
    with pytest.raises(ValidationError):
        normalize_monitor_host(host)


@pytest.mark.parametrize("host", ["169.254.169.254", "[fe80::1]", "0.0.0.0", "[::ffff:169.254.169.254]", "224.0.0.1"])  # noqa: S104
def test_ssrf_09_link_local_and_metadata_hosts_refused_even_with_private_targets_allowed(settings, host):
    settings.ALLOW_PRIVATE_TARGETS = True
    with pytest.raises(ValidationError):
        normalize_monitor_host(host)


@pytest.mark.parametrize(
    "host",
    ["http://example.com", "example.com/path", "user@example.com", "example.com:80", "a" * 254, "ex ample.com", ""],
)
def test_ssrf_12_host_syntax_refused(host):
    with pytest.raises(ValidationError):
        normalize_monitor_host(host)


@pytest.mark.parametrize("name", ["93.184.216.34", "[::1]", "example.com:53", "https://example.com", ""])
def test_dns_name_must_be_a_domain_name(name):
    with pytest.raises(ValidationError):
        normalize_dns_name(name)


def test_secret_mask_is_recognised_and_carries_nothing_of_the_secret():
    assert is_secret_mask(SECRET_MASK)
    assert not is_secret_mask("") and not is_secret_mask("••••1234")


def _errors(values: dict[str, Any], **kwargs: Any) -> dict[str, list[str]]:
    base = {name: kinds.default_value(name, values["kind"]) for name in kinds.ALL_FIELDS}
    try:
        kinds.validate_monitor(base | values, **kwargs)
    except ValidationError as exc:
        return exc.message_dict
    return {}


def test_validate_monitor_names_the_field_to_fix():
    assert set(_errors({"kind": "tcp", "host": "h"})) == {"port"}
    assert _errors({"kind": "tls", "host": "h"}) == {}  # port 443 by default
    assert set(_errors({"kind": "http", "url": "https://x.example/", "auth_kind": "bearer"})) == {"auth_secret"}
    assert _errors({"kind": "http", "url": "https://x.example/", "auth_kind": "bearer"}, secret_stored=True) == {}
    assert set(_errors({"kind": "http", "url": "u", "auth_kind": "basic", "headers": {"authorization": "x"}})) == {
        "auth_username",
        "headers",
    }
    assert set(_errors({"kind": "heartbeat", "timeout_seconds": 500})) == set()  # no schedule for heartbeats


def test_settle_timeouts_fits_untyped_timeouts_inside_the_total():
    values = {"kind": "http", "timeout_seconds": 4, "connect_timeout_seconds": 5, "read_timeout_seconds": 10}
    kinds.settle_timeouts(values, given={"timeout_seconds"})
    assert (values["connect_timeout_seconds"], values["read_timeout_seconds"]) == (4, 4)
    typed = {"kind": "http", "timeout_seconds": 4, "connect_timeout_seconds": 5, "read_timeout_seconds": 10}
    kinds.settle_timeouts(typed, given={"timeout_seconds", "read_timeout_seconds"})
    assert typed["read_timeout_seconds"] == 10  # typed: left for validate_monitor to refuse
