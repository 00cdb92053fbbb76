"""The ping probe with real ICMP to 127.0.0.1 and ::1, an unresolvable name, and a worker without ICMP rights."""

from __future__ import annotations

import json
import os
import socket
import time

import pytest

from checks.probes import probe
from checks.probes.ping import NOT_PERMITTED_MESSAGE, probe_ping
from checks.tests.probes.conftest import make_probe_monitor
from monitors.models import Monitor

NOBODY = 65534


def ping(host: str, **fields: object) -> Monitor:
    return make_probe_monitor(Monitor.Kind.PING, host=host, **({"ping_count": 3} | fields))


def _icmp_allowed(family: socket.AddressFamily, proto: int) -> bool:
    for kind in (socket.SOCK_RAW, socket.SOCK_DGRAM):
        try:
            socket.socket(family, kind, proto).close()
            return True
        except OSError:
            continue
    return False


needs_icmp = pytest.mark.skipif(
    not _icmp_allowed(socket.AF_INET, socket.IPPROTO_ICMP), reason="this machine allows no ICMP socket"
)


@needs_icmp
def test_ping_loopback_is_up_with_loss_and_rtt() -> None:
    outcome = probe(ping("127.0.0.1"))

    assert outcome.ok, outcome.error
    details = outcome.details
    assert (details["address"], details["packets_sent"], details["packets_received"]) == ("127.0.0.1", 3, 3)
    assert details["packet_loss"] == 0
    assert 0 <= details["rtt_min_ms"] <= details["rtt_avg_ms"] <= details["rtt_max_ms"]
    assert outcome.latency_ms == round(details["rtt_avg_ms"])


@pytest.mark.skipif(
    not _icmp_allowed(socket.AF_INET6, socket.IPPROTO_ICMPV6), reason="this machine allows no ICMPv6 socket"
)
def test_ping_ipv6_loopback() -> None:
    outcome = probe_ping(ping("::1", ping_count=2))
    assert outcome.ok, outcome.error
    assert (outcome.details["address"], outcome.details["packets_received"]) == ("::1", 2)


@needs_icmp
def test_ping_name_resolves_through_the_guard(fake_dns) -> None:
    fake_dns({"gateway.example": ["127.0.0.1"]})
    outcome = probe_ping(ping("gateway.example", ping_count=1))
    assert outcome.ok, outcome.error
    assert outcome.details["address"] == "127.0.0.1"


@needs_icmp
def test_ping_run_fits_into_the_total_deadline() -> None:
    began = time.monotonic()
    outcome = probe_ping(ping("127.0.0.1", ping_count=10, timeout_seconds=1))
    assert outcome.ok
    assert time.monotonic() - began < 1.5


def test_ping_unresolvable_name_is_dns_error(fake_dns) -> None:
    fake_dns({})
    outcome = probe_ping(ping("nowhere.example"))
    assert (outcome.ok, outcome.error_kind, outcome.error) == (
        False,
        "dns_error",
        "DNS lookup failed for nowhere.example",
    )


@pytest.mark.parametrize("host", ["169.254.169.254", "fe80::1", "224.0.0.1"])
def test_ssrf_ping_link_local_metadata_and_multicast_are_blocked(host: str) -> None:
    outcome = probe_ping(ping(host))
    assert outcome.error_kind == "blocked_address"
    assert outcome.error.startswith("address blocked: ")


def test_ping_loopback_is_refused_without_the_opt_in(settings) -> None:
    settings.ALLOW_PRIVATE_TARGETS = False
    assert probe_ping(ping("127.0.0.1")).error_kind == "blocked_address"


def _probe_as_nobody(monitor: Monitor) -> dict[str, object]:
    """Run the probe in a forked child that dropped root for `nobody`: a real worker without ICMP rights."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        status = 1
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            outcome = probe_ping(monitor)
            os.write(
                write_end, json.dumps({"ok": outcome.ok, "kind": outcome.error_kind, "error": outcome.error}).encode()
            )
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    _pid, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the probe crashed in the unprivileged child"
    return json.loads(data)


def _group_may_ping() -> bool:
    with open("/proc/sys/net/ipv4/ping_group_range") as ranges:
        low, high = (int(part) for part in ranges.read().split())
    return low <= NOBODY <= high


@pytest.mark.skipif(
    not hasattr(os, "fork") or os.geteuid() != 0 or _group_may_ping(),
    reason="needs root to become nobody, and a kernel that refuses nobody unprivileged ICMP",
)
def test_ping_without_icmp_rights_is_a_clear_error_not_a_crash() -> None:
    # The kernel refuses both a raw socket (no CAP_NET_RAW) and a ping socket (group outside
    # net.ipv4.ping_group_range) to the child, so both of icmplib's modes fail for real.
    result = _probe_as_nobody(ping("127.0.0.1", ping_count=1))

    assert result == {"ok": False, "kind": "icmp_not_permitted", "error": NOT_PERMITTED_MESSAGE}
