"""The DNS probe against a real dnslib server on 127.0.0.1 (a free port) and a UDP port that never answers."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from django.core.exceptions import ValidationError

from checks.probes import probe
from checks.probes.dns import normalize, probe_dns
from checks.tests.probes.conftest import make_probe_monitor
from checks.tests.probes.dns_server import DnsServer, dns_server, silent_udp
from core.net import parse_resolver
from monitors.models import Monitor
from monitors.validators import validate_dns_resolver


@pytest.fixture(scope="module")
def server() -> Iterator[DnsServer]:
    with dns_server() as running:
        yield running


def dns(server: DnsServer | str, host: str, record_type: str, expected: list[str] | None = None, **fields: object):
    resolver = server if isinstance(server, str) else server.address
    return make_probe_monitor(
        Monitor.Kind.DNS, host=host, record_type=record_type, expected=expected or [], dns_resolver=resolver, **fields
    )


@pytest.mark.parametrize(
    ("host", "record_type", "answers", "ttl"),
    [
        ("www.example.test", "A", ["93.184.216.34", "93.184.216.35"], 300),
        ("www.example.test", "AAAA", ["2606:2800:220:1:248:1893:25c8:1946"], 300),
        ("alias.example.test", "CNAME", ["www.example.test"], 120),
        ("example.test", "MX", ["10 mail.example.test", "20 backup.example.test"], 600),
        ("example.test", "NS", ["ns1.example.test", "ns2.example.test"], 600),
        ("example.test", "TXT", ["v=spf1 include:_spf.example.test ~all"], 600),
    ],
)
def test_dns_each_record_type_answers(server: DnsServer, host: str, record_type: str, answers: list[str], ttl: int):
    outcome = probe(dns(server, host, record_type))

    assert outcome.ok, outcome.error
    assert outcome.details["answers"] == answers
    assert outcome.details["ttl"] == ttl
    assert outcome.details["resolver"] == f"resolver {server.address}"
    assert outcome.latency_ms is not None


def test_dns_resolver_on_ipv6_loopback_with_a_port() -> None:
    with dns_server(host="::1") as running:
        outcome = probe_dns(dns(running, "www.example.test", "AAAA", ["2606:2800:220:1:248:1893:25c8:1946"]))
    assert outcome.ok, outcome.error
    assert outcome.details["resolver"] == f"resolver [::1]:{running.port}"


def test_dns_a_query_follows_a_cname(server: DnsServer) -> None:
    outcome = probe_dns(dns(server, "alias.example.test", "A", ["93.184.216.34"]))
    assert outcome.ok, outcome.error
    assert outcome.details["canonical_name"] == "www.example.test"


@pytest.mark.parametrize(
    ("host", "record_type", "expected"),
    [
        ("WWW.Example.Test.", "A", ["93.184.216.35"]),
        ("www.example.test", "A", ["93.184.216.34", "93.184.216.35"]),
        ("www.example.test", "AAAA", ["2606:2800:0220:0001:0248:1893:25C8:1946"]),
        ("alias.example.test", "CNAME", ["WWW.EXAMPLE.TEST."]),
        ("example.test", "MX", ["10 Mail.Example.Test."]),
        ("example.test", "NS", ["ns2.example.test."]),
        ("example.test", "TXT", ['"v=spf1 include:_spf.example.test ~all"']),
    ],
)
def test_dns_expected_values_are_normalized(server: DnsServer, host: str, record_type: str, expected: list[str]):
    outcome = probe_dns(dns(server, host, record_type, expected))
    assert outcome.ok, outcome.error


def test_dns_missing_expected_value_says_what_came_back(server: DnsServer) -> None:
    outcome = probe_dns(dns(server, "v4only.example.test", "A", ["93.184.216.34"]))

    assert (outcome.ok, outcome.error_kind) == (False, "unexpected_answer")
    assert outcome.error == "expected 93.184.216.34, got 10.0.0.1"
    assert outcome.details["answers"] == ["10.0.0.1"]


def test_dns_every_expected_value_must_be_there(server: DnsServer) -> None:
    outcome = probe_dns(dns(server, "example.test", "MX", ["10 mail.example.test", "30 other.example.test"]))
    assert outcome.error == "expected 30 other.example.test, got 10 mail.example.test, 20 backup.example.test"


def test_dns_txt_values_keep_their_case(server: DnsServer) -> None:
    outcome = probe_dns(dns(server, "example.test", "TXT", ["V=SPF1 include:_spf.example.test ~all"]))
    assert outcome.error_kind == "unexpected_answer"


def test_dns_unknown_name_is_nxdomain(server: DnsServer) -> None:
    outcome = probe_dns(dns(server, "nope.example.test", "A"))
    assert (outcome.ok, outcome.error_kind, outcome.error) == (
        False,
        "nxdomain",
        "NXDOMAIN: no such name nope.example.test",
    )


def test_dns_name_without_the_type_is_no_answer(server: DnsServer) -> None:
    outcome = probe_dns(dns(server, "v4only.example.test", "AAAA"))
    assert (outcome.ok, outcome.error_kind, outcome.error) == (
        False,
        "no_answer",
        "no AAAA record for v4only.example.test",
    )


def test_dns_silent_resolver_times_out_within_the_deadline() -> None:
    with silent_udp() as address:
        began = time.monotonic()
        outcome = probe_dns(dns(address, "www.example.test", "A", timeout_seconds=1))
        elapsed = time.monotonic() - began

    assert (outcome.ok, outcome.error_kind) == (False, "dns_timeout")
    assert outcome.error == f"resolver {address} did not answer within 1 s"
    assert 0.9 < elapsed < 1.6


def test_dns_invalid_name_is_a_result(server: DnsServer) -> None:
    outcome = probe_dns(dns(server, "a" * 64 + ".example.test", "A"))
    assert (outcome.ok, outcome.error_kind) == (False, "invalid_host")


@pytest.mark.parametrize("resolver", ["169.254.169.254", "[fe80::1]:53", "[fd00:ec2::254]", "224.0.0.251:5353"])
def test_ssrf_dns_resolver_address_goes_through_the_guard(resolver: str) -> None:
    outcome = probe_dns(dns(resolver, "www.example.test", "A"))
    assert outcome.error_kind == "blocked_address"
    assert outcome.error.startswith("address blocked: resolver ")


def test_ssrf_dns_loopback_resolver_needs_the_opt_in(server: DnsServer, settings) -> None:
    settings.ALLOW_PRIVATE_TARGETS = False
    before = server.queries
    outcome = probe_dns(dns(server, "www.example.test", "A"))

    assert outcome.error_kind == "blocked_address"
    assert server.queries == before  # nothing was sent


def test_dns_queried_name_is_not_checked_against_the_guard(settings) -> None:
    # A public zone may well name private addresses; only the resolver is connected to.
    settings.ALLOW_PRIVATE_TARGETS = False
    zone = "intranet.example.test. 60 IN A 10.1.2.3\n"
    with dns_server(zone) as running:
        settings.ALLOW_PRIVATE_TARGETS = True  # the test resolver itself lives on loopback
        outcome = probe_dns(dns(running, "intranet.example.test", "A", ["10.1.2.3"]))
    assert outcome.ok, outcome.error


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("9.9.9.9", ("9.9.9.9", 53)),
        ("127.0.0.1:5399", ("127.0.0.1", 5399)),
        ("2620:fe::fe", ("2620:fe::fe", 53)),
        ("[2620:fe::fe]", ("2620:fe::fe", 53)),
        ("[::1]:5300", ("::1", 5300)),
        (" 1.1.1.1 ", ("1.1.1.1", 53)),
    ],
)
def test_dns_resolver_forms(value: str, parsed: tuple[str, int]) -> None:
    ip, port = parse_resolver(value)
    assert (str(ip), port) == parsed
    validate_dns_resolver(value)


@pytest.mark.parametrize(
    "value",
    ["dns.google", "1.1.1.1:0", "1.1.1.1:65536", "1.1.1.1:", "[1.1.1.1]:53", "[::1", "[::1]x", "::1:53:", "1.1.1"],
)
def test_dns_resolver_validation_refuses_bad_forms(value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_dns_resolver(value)
    assert caught.value.code == "invalid_host"


def test_dns_resolver_validation_applies_the_guard(settings) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_dns_resolver("169.254.169.254")
    assert caught.value.code == "blocked_address"
    settings.ALLOW_PRIVATE_TARGETS = False
    with pytest.raises(ValidationError):
        validate_dns_resolver("127.0.0.1:5399")
    validate_dns_resolver("")  # blank: the system resolver


def test_dns_normalize() -> None:
    assert normalize("A", " 093.1.1.1 ") == "093.1.1.1"  # not an address: compared as written, lowercase
    assert normalize("MX", "10  Mail.Example.COM.") == "10 mail.example.com"
    assert normalize("NS", "NS1.Example.com.") == "ns1.example.com"
