"""core.net: guarded addresses and connections for the non-HTTP probes, against real sockets on loopback."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from core import net
from core.net import NetError, guarded_addresses, guarded_connect, guarded_ip, guarded_resolver
from core.netguard import TargetRejected


@dataclass
class FakeResolver:
    """Answers per name, one list per lookup (the last one repeats); `calls` lists the names looked up."""

    answers: dict[str, list[list[str]]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def __setitem__(self, name: str, answers: list[list[str]]) -> None:
        self.answers[name] = answers

    def resolve(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        queue = self.answers.get(host.rstrip("."))
        if not queue:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return queue.pop(0) if len(queue) > 1 else queue[0]


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> FakeResolver:
    """Replaces core.netguard.resolve_host, the guard's documented DNS boundary."""
    fake = FakeResolver()
    monkeypatch.setattr("core.netguard.resolve_host", fake.resolve)
    return fake


@pytest.fixture
def listener() -> Iterator[int]:
    sock = socket.create_server(("127.0.0.1", 0))
    yield sock.getsockname()[1]
    sock.close()


def test_guarded_connect_dials_the_checked_address_and_times_it(listener: int, resolver) -> None:
    resolver["db.example"] = [["127.0.0.1"]]
    sock, ip, connect_ms = guarded_connect("db.example", listener, timeout_s=2)
    with sock:
        assert sock.getpeername() == ("127.0.0.1", listener)
    assert str(ip) == "127.0.0.1"
    assert 0 <= connect_ms < 1000


def test_ssrf_04_guarded_connect_resolves_once_so_rebinding_cannot_reach_the_second_answer(
    listener: int, resolver
) -> None:
    # The first answer is checked and dialled; a later, different answer is never asked for.
    resolver["rebind.example"] = [["127.0.0.1"], ["169.254.169.254"]]
    sock, ip, _ = guarded_connect("rebind.example", listener, timeout_s=2)
    sock.close()
    assert str(ip) == "127.0.0.1"
    assert resolver.calls == ["rebind.example"]


def test_ssrf_02_one_blocked_address_refuses_the_name(resolver, settings) -> None:
    settings.ALLOW_PRIVATE_TARGETS = False
    resolver["mixed.example"] = [["93.184.216.34", "10.0.0.5"]]
    with pytest.raises(TargetRejected) as caught:
        guarded_addresses("mixed.example", 443)
    assert caught.value.kind == "blocked_address"


@pytest.mark.parametrize("host", ["169.254.169.254", "[fe80::1]", "::ffff:169.254.169.254", "fd00:ec2::254", "0.0.0.0"])  # noqa: S104
def test_ssrf_09_link_local_and_metadata_stay_blocked_with_private_targets_allowed(host: str) -> None:
    with pytest.raises(TargetRejected) as caught:
        guarded_addresses(host, 80)
    assert caught.value.kind == "blocked_address"


def test_private_targets_need_the_opt_in(settings) -> None:
    assert [str(ip) for ip in guarded_addresses("10.0.0.5", 80)] == ["10.0.0.5"]
    assert str(guarded_ip("::1")) == "::1"
    settings.ALLOW_PRIVATE_TARGETS = False
    for host in ("10.0.0.5", "127.0.0.1", "[::1]", "localhost", "redis"):
        with pytest.raises(TargetRejected):
            guarded_addresses(host, 80)


@pytest.mark.parametrize(
    ("host", "port"), [("", 80), ("a b", 80), ("127.0.0.1", 65536), ("127.0.0.1", -1), ("0x7g.1", 1)]
)
def test_invalid_hosts_and_ports(host: str, port: int) -> None:
    with pytest.raises(TargetRejected) as caught:
        guarded_addresses(host, port)
    assert caught.value.kind == "invalid_host"


def test_unresolvable_name_is_dns_error(resolver) -> None:
    with pytest.raises(NetError) as caught:
        guarded_connect("db.example", 5432, timeout_s=1)
    assert (caught.value.kind, caught.value.message) == ("dns_error", "DNS lookup failed for db.example")


def test_slow_resolver_is_cut_at_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading  # noqa: PLC0415
    import time  # noqa: PLC0415

    release = threading.Event()

    def slow(host: str, port: int) -> list[str]:
        release.wait(5)
        return ["127.0.0.1"]

    monkeypatch.setattr("core.netguard.resolve_host", slow)
    began = time.monotonic()
    try:
        with pytest.raises(NetError) as caught:
            guarded_addresses("slow.example", 80, deadline=time.monotonic() + 0.3)
    finally:
        release.set()
    assert caught.value.kind == "dns_error"
    assert time.monotonic() - began < 1


def test_refused_and_every_address_tried(listener: int, resolver) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    with pytest.raises(NetError) as caught:
        guarded_connect("127.0.0.1", closed_port, timeout_s=1)
    assert caught.value.message == f"connection refused by 127.0.0.1:{closed_port}"
    resolver["dual.example"] = [["::1", "127.0.0.1"]]
    sock, ip, _ = guarded_connect("dual.example", listener, timeout_s=1)
    sock.close()
    assert str(ip) == "127.0.0.1"


def test_resolver_addresses_go_through_the_guard(settings) -> None:
    assert [str(part) for part in guarded_resolver("[::1]:5300")] == ["::1", "5300"]
    with pytest.raises(TargetRejected):
        guarded_resolver("169.254.169.254:53")
    settings.ALLOW_PRIVATE_TARGETS = False
    with pytest.raises(TargetRejected):
        guarded_resolver("127.0.0.1:5399")
    assert str(guarded_resolver("9.9.9.9")[0]) == "9.9.9.9"


def test_format_helpers() -> None:
    assert net.format_seconds(5) == "5"
    assert net.format_seconds(2.5) == "2.5"
    assert net.format_address("::1", 53) == "[::1]:53"
