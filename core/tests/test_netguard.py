"""The network guard's address classifier and save-time URL rules (RELIABILITY.md SSRF-01, -02, -10, -12)."""

from __future__ import annotations

import ipaddress
import random
import socket
from collections.abc import Callable

import pytest

from core import netguard
from core.exceptions import ApplicationError
from core.netguard import TargetRejected, is_blocked_address, validate_target_url

Resolver = Callable[[str, int], list[str]]


class FakeDns:
    """Replaces the DNS boundary (core.netguard.resolve_host) with a fixed mapping and records lookups."""

    def __init__(self, records: dict[str, list[str]] | None = None) -> None:
        self.records = dict(records or {})
        self.calls: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append((host, port))
        if host not in self.records:
            raise socket.gaierror(socket.EAI_NONAME, f"{host} not in the fake DNS")
        return list(self.records[host])


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> FakeDns:
    dns = FakeDns()
    monkeypatch.setattr(netguard, "resolve_host", dns)
    return dns


def rejected(url: str, **kwargs: object) -> TargetRejected:
    with pytest.raises(TargetRejected) as info:
        validate_target_url(url, **kwargs)  # type: ignore[arg-type]
    return info.value


# --- SSRF-01: literal addresses -------------------------------------------------------------

SSRF_01_URLS = [
    "http://127.0.0.1/",
    "http://127.1/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0177.0.0.1/",
    "http://0.0.0.0/",
    "http://[::]/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[fd00::1]/",
    "http://[fe80::1%25eth0]/",
    "http://10.0.0.1/",
    "http://10.255.255.254:8080/x",
    "http://172.16.0.1/",
    "http://172.31.255.254/",
    "http://192.168.0.1/",
    "http://192.168.255.254/",
    "http://100.64.0.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/",
    "http://[64:ff9b::7f00:1]/",
    "http://[2002:7f00:1::]/",
    # more spellings of the same loopback and private hosts
    "http://127.0.0.1.:8000/",
    "http://0x7f.1/",
    "http://017700000001/",
    "http://[::ffff:7f00:1]/",
    "http://[0:0:0:0:0:ffff:127.0.0.1]/",
    "http://[::127.0.0.1]/",
    "http://[64:ff9b:1:7f00:0:100::]/",
    "http://[2001::1]/",
    "http://１２７.０.０.１/",
    "HTTP://LOCALHOST/",
]


@pytest.mark.parametrize("url", SSRF_01_URLS)
def test_ssrf_01_literal_private_addresses_rejected(url: str, fake_dns: FakeDns) -> None:
    error = rejected(url, allow_private=False)

    assert error.kind == "blocked_address"
    assert error.message
    assert fake_dns.calls == []  # decided on the literal, without DNS


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://169.254.0.1/",
        "http://[fd00:ec2::254]/",
        "http://[fe80::1]/",
        "http://[fe80::1%25eth0]/",
        "http://100.100.100.200/",
        "http://0.0.0.0/",
        "http://0/",
        "http://[::]/",
        "http://224.0.0.1/",
        "http://[ff02::1]/",
        "http://255.255.255.255/",
        # the metadata address wrapped in IPv6 forms
        "http://[::ffff:169.254.169.254]/",
        "http://[64:ff9b::a9fe:a9fe]/",
        "http://[2002:a9fe:a9fe::]/",
    ],
)
def test_ssrf_01_metadata_rejected_even_when_private_allowed(url: str) -> None:
    error = rejected(url, allow_private=True, resolve=False)

    assert error.kind == "blocked_address"
    assert "never allowed" in error.message


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/",
        "http://127.1/",
        "http://10.0.0.5/",
        "http://192.168.1.10/",
        "http://100.64.0.1/",
        "http://[::1]/",
        "http://[fd00::1]/",
        "http://[::ffff:10.0.0.1]/",
        "http://redis/",
        "http://postgres:5432/",
        "http://localhost:8000/",
        "http://printer.local/",
    ],
)
def test_ssrf_09_private_targets_allowed_when_opted_in(url: str, fake_dns: FakeDns) -> None:
    assert validate_target_url(url, allow_private=True) == url


def test_allow_private_none_reads_the_setting_at_call_time(settings, fake_dns: FakeDns) -> None:  # noqa: ANN001
    settings.ALLOW_PRIVATE_TARGETS = False
    assert rejected("http://10.0.0.5/").kind == "blocked_address"

    settings.ALLOW_PRIVATE_TARGETS = True
    assert validate_target_url("http://10.0.0.5/") == "http://10.0.0.5/"


# --- SSRF-02: names, a fake resolver, one bad apple ------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost/",
        "http://localhost.:8080/",
        "http://a.localhost/",
        "http://svc.internal/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://printer.local/",
        "http://router.home.arpa/",
        "http://redis/",
        "http://postgres:5432/",
        "http://Redis./",
    ],
)
def test_ssrf_02_local_and_single_label_names_rejected(url: str, fake_dns: FakeDns) -> None:
    error = rejected(url, allow_private=False)

    assert error.kind == "blocked_address"
    assert fake_dns.calls == []


@pytest.mark.parametrize(
    ("name", "addresses"),
    [
        ("internal.test", ["10.0.0.5"]),
        ("v6.test", ["fc00::1"]),
        ("meta.test", ["169.254.169.254"]),
        ("mixed.test", ["93.184.216.34", "10.0.0.5"]),  # one bad apple refuses the name
        ("mixed6.test", ["2606:2800:220:1:248:1893:25c8:1946", "::1"]),
        ("mapped.test", ["::ffff:127.0.0.1"]),
        ("garbage.test", ["not-an-address"]),
    ],
)
def test_ssrf_02_names_resolving_to_blocked_addresses_rejected(
    name: str, addresses: list[str], fake_dns: FakeDns
) -> None:
    fake_dns.records[name] = addresses

    error = rejected(f"https://{name}/hook", allow_private=False)

    assert error.kind == "blocked_address"
    assert fake_dns.calls == [(name, 443)]


def test_ssrf_02_metadata_name_rejected_even_when_private_allowed(fake_dns: FakeDns) -> None:
    fake_dns.records["meta.test"] = ["10.0.0.1", "169.254.169.254"]

    assert rejected("http://meta.test/", allow_private=True).kind == "blocked_address"


def test_ssrf_02_public_name_accepted(fake_dns: FakeDns) -> None:
    fake_dns.records["public.test"] = ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]

    assert validate_target_url("  http://public.test:8080/health?x=1  ", allow_private=False) == (
        "http://public.test:8080/health?x=1"
    )
    assert fake_dns.calls == [("public.test", 8080)]


def test_name_that_does_not_resolve_is_accepted_at_save_time(fake_dns: FakeDns) -> None:
    assert validate_target_url("https://not-yet.example/", allow_private=False) == "https://not-yet.example/"
    assert fake_dns.calls == [("not-yet.example", 443)]


def test_resolve_false_skips_dns(fake_dns: FakeDns) -> None:
    fake_dns.records["internal.test"] = ["10.0.0.5"]

    assert validate_target_url("http://internal.test/", allow_private=False, resolve=False)
    assert fake_dns.calls == []


# --- SSRF-12: syntax ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/file",
        "file:///etc/passwd",
        "gopher://example.com:70/_x",
        "dict://example.com:11211/stat",
        "javascript:alert(1)",
        "data:text/plain,hi",
        "ws://example.com/",
        "example.com/no-scheme",
        "//example.com/",
    ],
)
def test_ssrf_12_schemes_other_than_http_rejected(url: str) -> None:
    assert rejected(url, allow_private=False, resolve=False).kind == "invalid_url"


@pytest.mark.parametrize(
    "url",
    ["http://u:p@example.com/", "http://user@example.com/", "http://@example.com/", "http://a@b@example.com/"],
)
def test_ssrf_12_userinfo_rejected(url: str) -> None:
    assert rejected(url, allow_private=False, resolve=False).kind == "invalid_url"


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com:0/",
        "http://example.com:65536/",
        "http://example.com:99999/",
        "http://example.com:-1/",
        "http://example.com:8o/",
        "http://example.com:+80/",
    ],
)
def test_ssrf_12_ports_out_of_range_rejected(url: str) -> None:
    assert rejected(url, allow_private=False, resolve=False).kind == "invalid_url"


def test_ssrf_12_edge_ports_accepted() -> None:
    assert validate_target_url("http://example.com:1/", allow_private=False, resolve=False)
    assert validate_target_url("http://example.com:65535/", allow_private=False, resolve=False)


@pytest.mark.parametrize(
    "url",
    [
        "http://exa mple.com/",
        "http://example.com /",
        "http://exam\tple.com/",
        "http://exam\x00ple.com/",
        "http://exam\x7fple.com/",
        "http://exam\nple.com/",
        "http://example.com\\@127.0.0.1/",
        "http://example.com\\.evil/",
        "http://exa%6dple.com/",
        "http://[::1/",
        "http://[v1.fe]/",
        "http:///path-only",
        "http://:80/",
    ],
)
def test_ssrf_12_spaces_control_characters_and_backslashes_rejected(url: str) -> None:
    assert rejected(url, allow_private=False, resolve=False).kind == "invalid_url"


def test_ssrf_12_host_longer_than_253_characters_rejected() -> None:
    label = "a" * 63
    longest = ".".join([label, label, label, "a" * 61])  # 253 characters
    assert len(longest) == 253

    assert validate_target_url(f"http://{longest}/", allow_private=False, resolve=False)
    assert rejected(f"http://{longest}a/", allow_private=False, resolve=False).kind == "invalid_url"
    assert rejected(f"http://{'a' * 64}.com/", allow_private=False, resolve=False).kind == "invalid_url"


@pytest.mark.parametrize(
    "url",
    [
        "http://xn--zz.com/",  # an invalid A-label
        "http://\u0660\u0661.com/",  # breaks the bidi rule
        "http://a\u200db.com/",  # a joiner outside its allowed context
        "http://\u2603.com/",  # a symbol IDNA 2008 disallows
        "http://-bad-.com/",
        "http://a..com/",
    ],
)
def test_ssrf_12_idna_failure_rejected(url: str) -> None:
    assert rejected(url, allow_private=False, resolve=False).kind == "invalid_url"


@pytest.mark.parametrize("url", ["http://256.1.1.1/", "http://1.2.3.4.5/", "http://example.123/", "http://0x/"])
def test_ssrf_12_malformed_numeric_hosts_rejected(url: str) -> None:
    assert rejected(url, allow_private=False, resolve=False).kind == "invalid_url"


def test_ssrf_12_overlong_url_rejected() -> None:
    url = "http://example.com/" + "a" * netguard.MAX_URL_LENGTH
    assert rejected(url, allow_private=False, resolve=False).kind == "invalid_url"


@pytest.mark.parametrize(
    "url",
    [
        "http://1.1.1.1/",
        "https://93.184.216.34:8443/status",
        "https://[2606:4700:4700::1111]/",
        "http://[::ffff:1.1.1.1]/",
        "http://example.com",
        "HTTPS://Example.COM/Path?q=1#frag",
        "http://example.com./",
        "http://under_score.example.com/",
        "http://_dmarc.xn--bcher-kva.example/",
        "http://bücher.example/",
        "http://例え.テスト/",
    ],
)
def test_public_names_and_addresses_accepted(url: str, fake_dns: FakeDns) -> None:
    assert validate_target_url(url, allow_private=False) == url


def test_target_rejected_is_an_application_error_with_kind() -> None:
    error = TargetRejected("No.", kind="invalid_url")

    assert isinstance(error, ApplicationError)
    assert (error.message, error.kind, error.extra) == ("No.", "invalid_url", {"kind": "invalid_url"})


# --- the classifier (SSRF-10) -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "blocked_by_default", "blocked_when_private_allowed"),
    [
        ("8.8.8.8", False, False),
        ("93.184.216.34", False, False),
        ("2606:4700:4700::1111", False, False),
        ("127.0.0.1", True, False),
        ("127.255.255.254", True, False),
        ("10.0.0.1", True, False),
        ("172.16.0.1", True, False),
        ("192.168.0.1", True, False),
        ("100.64.0.1", True, False),  # CGNAT: neither private nor global to Python (cpython#119812)
        ("100.127.255.254", True, False),
        ("198.18.0.1", True, False),
        ("192.0.2.1", True, False),
        ("198.51.100.1", True, False),
        ("203.0.113.1", True, False),
        ("192.0.0.8", True, False),
        ("192.88.99.1", True, False),
        ("::1", True, False),
        ("fc00::1", True, False),
        ("fd12:3456::1", True, False),
        ("fec0::1", True, False),
        ("2001:db8::1", True, False),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", True, False),  # Teredo
        ("2001:1::1", True, False),
        ("100::1", True, False),
        ("3fff::1", True, False),
        ("64:ff9b:1::a00:1", True, False),
        ("::ffff:10.0.0.1", True, False),
        ("::ffff:8.8.8.8", False, False),
        ("64:ff9b::808:808", False, False),  # NAT64 of 8.8.8.8
        ("64:ff9b::a00:1", True, False),  # NAT64 of 10.0.0.1
        ("2002:808:808::1", False, False),  # 6to4 of 8.8.8.8
        ("2002:c0a8:1::1", True, False),  # 6to4 of 192.168.0.1
        # always blocked
        ("0.0.0.0", True, True),  # noqa: S104 - a value under test, not a bind address
        ("0.1.2.3", True, True),
        ("169.254.169.254", True, True),
        ("169.254.1.1", True, True),
        ("100.100.100.200", True, True),
        ("224.0.0.1", True, True),
        ("239.255.255.250", True, True),
        ("240.0.0.1", True, True),
        ("255.255.255.255", True, True),
        ("::", True, True),
        ("fe80::1", True, True),
        ("fe80::1%eth0", True, True),
        ("fd00:ec2::254", True, True),
        ("ff02::1", True, True),
        ("::ffff:169.254.169.254", True, True),
        ("64:ff9b::a9fe:a9fe", True, True),
        ("64:ff9b:1:a9fe:a9:fe00::", True, True),  # local-use NAT64 /48 layout of 169.254.169.254
        ("2002:a9fe:a9fe::", True, True),
        ("::a9fe:a9fe", True, True),  # IPv4-compatible
        ("2001::1", True, True),  # Teredo whose client address is 254.255.255.254
        ("not an address", True, True),
    ],
)
def test_ssrf_10_classifier_table(address: str, blocked_by_default: bool, blocked_when_private_allowed: bool) -> None:
    assert is_blocked_address(address, allow_private=False) is blocked_by_default
    assert is_blocked_address(address, allow_private=True) is blocked_when_private_allowed


def test_classifier_accepts_address_objects() -> None:
    assert is_blocked_address(ipaddress.ip_address("10.0.0.1"), allow_private=False)
    assert not is_blocked_address(ipaddress.ip_address("10.0.0.1"), allow_private=True)
    assert not is_blocked_address(ipaddress.ip_address("2606:4700:4700::1111"), allow_private=False)


# Rows of the IANA IPv4 and IPv6 special-purpose address registries that are not globally reachable.
IANA_NOT_GLOBAL = [
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.0.0/29",
    "192.0.0.8/32",
    "192.0.0.170/32",
    "192.0.0.171/32",
    "192.0.2.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "240.0.0.0/4",
    "255.255.255.255/32",
    "::1/128",
    "::/128",
    "::ffff:0:0/96",
    "64:ff9b:1::/48",
    "100::/64",
    "2001::/23",
    "2001:2::/48",
    "2001:db8::/32",
    "2001:10::/28",
    "3fff::/20",
    "5f00::/16",
    "fc00::/7",
    "fe80::/10",
]


@pytest.mark.parametrize("cidr", IANA_NOT_GLOBAL)
def test_ssrf_10_iana_special_purpose_rows_blocked(cidr: str) -> None:
    network = ipaddress.ip_network(cidr)
    for address in (network[0], network[-1], network[network.num_addresses // 2]):
        blocked = is_blocked_address(address, allow_private=False)
        if address.version == 6 and address.ipv4_mapped is not None:
            # ::ffff:a.b.c.d is judged by the IPv4 address it carries.
            assert blocked is is_blocked_address(address.ipv4_mapped, allow_private=False)
            continue
        assert blocked, f"{address} in {cidr} should be blocked"


AZURE_WIRESERVER = ipaddress.IPv4Address("168.63.129.16")


def test_ssrf_10_seeded_sample_agrees_with_the_oracle() -> None:
    """Sample addresses; blocked exactly when not global or in an explicit range (after unwrapping)."""
    rng = random.Random(20260801)
    explicit_v4 = [ipaddress.ip_network(c) for c in IANA_NOT_GLOBAL if ":" not in c] + [
        ipaddress.ip_network("224.0.0.0/4")
    ]
    for _ in range(20_000):
        address = ipaddress.IPv4Address(rng.getrandbits(32))
        oracle = (
            not address.is_global
            or address.is_multicast
            or any(address in net for net in explicit_v4)
            or address == AZURE_WIRESERVER
        )
        assert is_blocked_address(address, allow_private=False) is oracle, address
        mapped = ipaddress.IPv6Address(f"::ffff:{address}")
        nat64 = ipaddress.IPv6Address(int(ipaddress.IPv6Address("64:ff9b::")) | int(address))
        assert is_blocked_address(mapped, allow_private=False) is oracle, mapped
        assert is_blocked_address(nat64, allow_private=False) is oracle, nat64


def test_resolve_host_uses_the_system_resolver_for_loopback_names() -> None:
    addresses = netguard.resolve_host("localhost", 80)

    assert addresses
    assert all(ipaddress.ip_address(a).is_loopback for a in addresses)
    with pytest.raises(OSError):
        netguard.resolve_host("does-not-exist.invalid", 80)
