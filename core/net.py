"""Guarded connections for the probes that are not HTTP: TCP, TLS, ICMP ping and DNS resolvers.

The policy of `core.http` (DESIGN.md, RELIABILITY.md §1): a host is parsed and checked by
`core.netguard`, a name is resolved once, every address is checked (one blocked address refuses the
host), and a socket is opened only to a checked address. Private targets need
`settings.ALLOW_PRIVATE_TARGETS`; link-local and cloud-metadata addresses are refused even then.

With `core.http*`, the only module allowed to call `socket.create_connection` (tests/test_architecture.py).
Failures raise `TargetRejected` (kind "invalid_host" or "blocked_address") or `NetError` (kinds
below), each with a sentence a person understands.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Callable
from typing import Final, TypeVar

from django.conf import settings

from core import netguard
from core.exceptions import ApplicationError
from core.netguard import IPAddress, TargetRejected

DEFAULT_DNS_PORT: Final = 53
NET_ERROR_KINDS: Final = frozenset({"dns_error", "connection_refused", "connect_timeout", "connection_error"})

_T = TypeVar("_T")


class NetError(ApplicationError):
    """A guarded lookup or connection that failed; `kind` is one of NET_ERROR_KINDS."""

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message, {"kind": kind})
        self.kind = kind


def format_seconds(seconds: float) -> str:
    """5 -> "5", 2.5 -> "2.5": timeouts as people write them."""
    return f"{seconds:.0f}" if abs(seconds - round(seconds)) < 0.05 else f"{seconds:.1f}"


def format_address(ip: IPAddress | str, port: int) -> str:
    """127.0.0.1:5433, [::1]:5433."""
    text = str(ip)
    return f"[{text}]:{port}" if ":" in text else f"{text}:{port}"


def _allow_private() -> bool:
    return bool(settings.ALLOW_PRIVATE_TARGETS)


def _invalid(message: str) -> TargetRejected:
    return TargetRejected(message, kind="invalid_host")


def _check_port(port: int) -> None:
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise _invalid("The port must be between 1 and 65535.")


def _remaining(deadline: float | None, default: float) -> float:
    return default if deadline is None else min(default, deadline - time.monotonic())


def _within(seconds: float, call: Callable[[], _T]) -> _T:
    """Run `call` in a daemon thread and give up after `seconds` (TimeoutError); the thread ends on its own."""
    outcome: list[_T | BaseException] = []

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller's thread
            outcome.append(exc)

    worker = threading.Thread(target=run, name="net-resolve", daemon=True)
    worker.start()
    worker.join(max(seconds, 0))
    if not outcome:
        raise TimeoutError
    result = outcome[0]
    if isinstance(result, BaseException):
        raise result
    return result


def _resolve(name: str, port: int, deadline: float | None) -> list[str]:
    budget = _remaining(deadline, netguard.DNS_TIMEOUT_SECONDS)
    try:
        if budget >= netguard.DNS_TIMEOUT_SECONDS:
            addresses = netguard.resolve_host(name, port)  # bounded to DNS_TIMEOUT_SECONDS itself
        else:
            addresses = _within(budget, lambda: netguard.resolve_host(name, port))
    except TimeoutError:
        raise NetError(f"DNS lookup failed for {name}: no answer in time", kind="dns_error") from None
    except OSError:
        raise NetError(f"DNS lookup failed for {name}", kind="dns_error") from None
    if not addresses:
        raise NetError(f"DNS lookup failed for {name}: no addresses", kind="dns_error")
    return addresses


def _split_host(host: str) -> tuple[str, bool]:
    host = host.strip()
    if host.startswith("[") and host.endswith("]"):
        return host[1:-1], True
    return host, False


def guarded_addresses(host: str, port: int, *, deadline: float | None = None) -> list[IPAddress]:
    """Every address `host` (a name, an IP literal, or `[v6]`) may be reached at, all checked.

    A name is resolved once (by `core.netguard.resolve_host`, before `deadline`, a `time.monotonic()`
    value). Raises TargetRejected ("invalid_host", "blocked_address") or NetError("dns_error").
    """
    _check_port(port)
    bare, bracketed = _split_host(host)
    if not bare:
        raise _invalid("No host is set.")
    allow_private = _allow_private()
    try:
        checked = netguard.check_host(bare, allow_private=allow_private, bracketed=bracketed)
    except TargetRejected as exc:
        if exc.kind == "blocked_address":
            raise
        raise _invalid(exc.message) from None
    if not isinstance(checked, str):
        return [checked]
    return netguard.check_addresses(checked, _resolve(checked, port, deadline), allow_private=allow_private)


def guarded_ip(host: str, *, deadline: float | None = None) -> IPAddress:
    """The one checked address to ping `host` at (the first the resolver gave)."""
    return guarded_addresses(host, 0, deadline=deadline)[0]


def _connect_one(ip: IPAddress, port: int, timeout_s: float) -> socket.socket:
    # Checked again right before the connect: nothing but a checked address is ever dialled.
    if netguard.is_blocked_address(ip, allow_private=_allow_private()):
        raise TargetRejected(netguard.blocked_message(ip), kind="blocked_address")
    try:
        return socket.create_connection((str(ip), port), timeout=timeout_s)
    except ConnectionRefusedError:
        raise NetError(f"connection refused by {format_address(ip, port)}", kind="connection_refused") from None
    except TimeoutError:
        raise NetError(f"timed out after {format_seconds(timeout_s)} s (connect)", kind="connect_timeout") from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise NetError(f"could not connect to {format_address(ip, port)}: {reason}", kind="connection_error") from None


def guarded_connect(
    host: str, port: int, *, timeout_s: float, deadline: float | None = None
) -> tuple[socket.socket, IPAddress, int]:
    """Open a TCP connection to a checked address of `host`: (socket, address, connect time in ms).

    Tries each allowed address in the resolver's order; each attempt gets `timeout_s`, cut to what
    is left before `deadline`. The caller keeps `host` for TLS SNI and owns the socket. Raises
    TargetRejected or NetError (the last attempt's error when every address fails).
    """
    if port == 0:
        raise _invalid("No port is set.")
    addresses = guarded_addresses(host, port, deadline=deadline)
    last: NetError | None = None
    for ip in addresses:
        budget = _remaining(deadline, timeout_s)
        if budget <= 0:
            break
        started = time.monotonic()
        try:
            sock = _connect_one(ip, port, budget)
        except NetError as exc:
            last = exc
            continue
        return sock, ip, round((time.monotonic() - started) * 1000)
    if last is None:
        last = NetError(f"timed out after {format_seconds(timeout_s)} s (connect)", kind="connect_timeout")
    raise last


# --- DNS resolvers given by users ---------------------------------------------------------------


def parse_resolver(value: str) -> tuple[IPAddress, int]:
    """Read a resolver address: "ip", "ip:port", "v6", "[v6]" or "[v6]:port" (port 53 by default).

    Only IP literals: a resolver given by name would need DNS to find DNS. Raises TargetRejected("invalid_host").
    """
    text = value.strip()
    port_text = ""
    if text.startswith("["):
        address_text, closing, rest = text[1:].partition("]")
        if not closing or (rest and not rest.startswith(":")):
            raise _invalid("Write the resolver as an IP address, ip:port or [IPv6]:port.")
        port_text = rest[1:]
        if rest and not port_text:
            raise _invalid("The resolver's port is missing after the colon.")
    elif text.count(":") == 1:
        address_text, _, port_text = text.partition(":")
        if not port_text:
            raise _invalid("The resolver's port is missing after the colon.")
    else:
        address_text = text
    try:
        ip = ipaddress.ip_address(address_text)
    except ValueError:
        raise _invalid("The resolver must be an IP address (optionally with a port), not a name.") from None
    if text.startswith("[") and ip.version != 6:
        raise _invalid("Only IPv6 addresses go in brackets.")
    port = DEFAULT_DNS_PORT
    if port_text:
        if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            raise _invalid("The resolver's port must be between 1 and 65535.")
        port = int(port_text)
    return ip, port


def guarded_resolver(value: str) -> tuple[IPAddress, int]:
    """A user-given resolver's (address, port), checked by the guard like any target.

    The name being queried is never connected to, so only the resolver's address is checked.
    Raises TargetRejected ("invalid_host", "blocked_address").
    """
    ip, port = parse_resolver(value)
    if netguard.is_blocked_address(ip, allow_private=_allow_private()):
        raise TargetRejected(f"resolver {ip}: {netguard.blocked_message(ip)}", kind="blocked_address")
    return ip, port
