"""The network guard: which targets outbound requests may reach.

Two layers use it. Save-time validation (`validate_target_url`) gives users early feedback on
monitor and webhook URLs. The fetch-time check in `core.http` is the one that decides: it calls
`parse_host` and `resolve_host` on every hop, checks every address with `is_blocked_address`
and connects to the checked address only.

Private targets are allowed only when `settings.ALLOW_PRIVATE_TARGETS` is true (self-hosted installs
watching their own LAN; the test suite), or, one network at a time, when they fall inside
`settings.CHECKS_ALLOWED_PRIVATE_NETWORKS`. Link-local, multicast, unspecified and cloud-metadata
addresses stay refused even then.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
import threading
from typing import Final
from urllib.parse import SplitResult, urlsplit

import idna
from django.conf import settings

from core.exceptions import ApplicationError
from core.netguard_networks import (
    ALWAYS_BLOCKED_V4 as _ALWAYS_BLOCKED_V4,
)
from core.netguard_networks import (
    ALWAYS_BLOCKED_V6 as _ALWAYS_BLOCKED_V6,
)
from core.netguard_networks import (
    IPV4_COMPATIBLE as _IPV4_COMPATIBLE,
)
from core.netguard_networks import (
    NAT64_LOCAL as _NAT64_LOCAL,
)
from core.netguard_networks import (
    NAT64_WELL_KNOWN as _NAT64_WELL_KNOWN,
)
from core.netguard_networks import (
    PRIVATE_V4 as _PRIVATE_V4,
)
from core.netguard_networks import (
    PRIVATE_V6 as _PRIVATE_V6,
)
from core.netguard_networks import (
    in_allowed_private_networks,
)

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_SCHEMES: Final = frozenset({"http", "https"})
DEFAULT_PORTS: Final = {"http": 80, "https": 443}
MAX_URL_LENGTH: Final = 2048
MAX_HOST_LENGTH: Final = 253
DNS_TIMEOUT_SECONDS: Final = 2.0

BLOCKED_MESSAGE: Final = "Private and loopback addresses are not allowed as targets."
ALWAYS_BLOCKED_MESSAGE: Final = (
    "Link-local, multicast, unspecified and cloud metadata addresses are never allowed as targets."
)
LOCAL_NAME_MESSAGE: Final = "Local and internal host names are not allowed as targets."


# Names that only mean something inside a network (RFC 6761, RFC 8375, ICANN's .internal).
_LOCAL_SUFFIXES: Final = (".localhost", ".local", ".internal", ".home.arpa")

# The dotted forms inet_aton accepts: 1 to 4 parts, each decimal, octal (leading 0) or hex (0x).
_NUMERIC_HOST: Final = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}$")
_NUMERIC_LABEL: Final = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$")
_LABEL: Final = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")


class TargetRejected(ApplicationError):
    """A URL the guard refuses. `kind` is "invalid_url" (syntax) or "blocked_address" (policy)."""

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message, {"kind": kind})
        self.kind = kind


def _invalid(message: str) -> TargetRejected:
    return TargetRejected(message, kind="invalid_url")


def _blocked(message: str = BLOCKED_MESSAGE) -> TargetRejected:
    return TargetRejected(message, kind="blocked_address")


# --- the address classifier ---------------------------------------------------


def _rfc6052_candidates(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """Every IPv4 address a local-use NAT64 prefix (/48, /56, /64 or /96) could embed (RFC 6052 2.2).

    A layout that reads as 0.0.0.0/8 is not the one in use (a translator never sends there), so it
    is left out rather than blocking every local NAT64 address.
    """
    b = address.packed
    layouts = (b[6:8] + b[9:11], b[7:8] + b[9:12], b[9:13], b[12:16])
    return [candidate for raw in layouts if (candidate := ipaddress.IPv4Address(raw)).packed[0] != 0]


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (mapped, compatible, NAT64, 6to4, Teredo)."""
    found: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address in _IPV4_COMPATIBLE and int(address) > 1:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if address in _NAT64_WELL_KNOWN:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if address in _NAT64_LOCAL:
        found.extend(_rfc6052_candidates(address))
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    return found


def _in_any(address: IPAddress, networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]) -> bool:
    return any(address.version == network.version and address in network for network in networks)


def _always_blocked(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv4Address):
        return address.is_multicast or _in_any(address, _ALWAYS_BLOCKED_V4)
    return address.is_multicast or _in_any(address, _ALWAYS_BLOCKED_V6)


def _blocked_unless_private_allowed(address: IPAddress) -> bool:
    networks = _PRIVATE_V4 if isinstance(address, ipaddress.IPv4Address) else _PRIVATE_V6
    return not address.is_global or address.is_multicast or _in_any(address, networks)


def _blocked_single(address: IPAddress, *, allow_private: bool) -> bool:
    if _always_blocked(address):
        return True
    if allow_private or not _blocked_unless_private_allowed(address):
        return False
    # The operator's narrower opt-in: only the private networks CHECKS_ALLOWED_PRIVATE_NETWORKS lists (SSRF-09).
    return not in_allowed_private_networks(address)


def is_blocked_address(ip: IPAddress | str, *, allow_private: bool) -> bool:
    """True when no outbound request may connect to `ip`.

    IPv6 forms that carry an IPv4 address (mapped, compatible, NAT64, 6to4, Teredo) are judged by
    the embedded address too: blocked if either is. A string that is not an address, or an IPv6
    address with a zone id, counts as blocked (fail closed).
    """
    if isinstance(ip, str):
        try:
            address: IPAddress = ipaddress.ip_address(ip)
        except ValueError:
            return True
    else:
        address = ip
    if isinstance(address, ipaddress.IPv4Address):
        return _blocked_single(address, allow_private=allow_private)
    if address.scope_id:
        return True
    if address.ipv4_mapped is not None:
        # Connecting to ::ffff:a.b.c.d is connecting to a.b.c.d; judge only that (what Python 3.13 does).
        return _blocked_single(address.ipv4_mapped, allow_private=allow_private)
    if _blocked_single(address, allow_private=allow_private):
        return True
    return any(_blocked_single(inner, allow_private=allow_private) for inner in embedded_ipv4(address))


def blocked_message(ip: IPAddress | str) -> str:
    """The user-facing reason for a blocked address: always-blocked ones get their own wording."""
    return BLOCKED_MESSAGE if not is_blocked_address(ip, allow_private=True) else ALWAYS_BLOCKED_MESSAGE


# --- host syntax ----------------------------------------------------------------


def _parse_ipv6_literal(host: str) -> ipaddress.IPv6Address:
    # urlsplit keeps a zone id as written: "fe80::1%25eth0" (RFC 6874) or "fe80::1%eth0".
    address, _, zone = host.partition("%")
    if zone.startswith("25"):
        zone = zone[2:]
    try:
        return ipaddress.IPv6Address(f"{address}%{zone}" if zone else address)
    except ValueError:
        raise _invalid("The host is not a valid IPv6 address.") from None


def _parse_numeric_ipv4(host: str) -> ipaddress.IPv4Address:
    """Read 127.1, 2130706433, 0x7f000001 and 0177.0.0.1 the way inet_aton (and so getaddrinfo) does."""
    if not _NUMERIC_HOST.match(host):
        raise _invalid("The host looks like an IP address but is not a valid one.")
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        raise _invalid("The host looks like an IP address but is not a valid one.") from None


def _ascii_host(host: str) -> str:
    if host.isascii():
        for label in host.split("."):
            if label.startswith("xn--"):
                try:
                    idna.decode(label)
                except (idna.IDNAError, UnicodeError):
                    raise _invalid("The host is not a valid internationalized domain name.") from None
        return host
    try:
        # The same call requests makes in PreparedRequest.prepare_url, so both parsers agree (ASVS 1.5.3).
        return idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise _invalid("The host is not a valid internationalized domain name.") from None


def parse_host(host: str, *, bracketed: bool = False) -> IPAddress | str:
    """Check a URL host's syntax: an IP address in any form inet_aton accepts, or an ASCII domain name.

    `host` is as `urlsplit(...).hostname` gives it (lowercase, brackets removed; `bracketed` says
    whether the URL had them). Raises TargetRejected(kind="invalid_url").
    """
    if not host:
        raise _invalid("The URL has no host.")
    if bracketed or ":" in host:
        return _parse_ipv6_literal(host)
    if any(ch.isspace() or not ch.isprintable() or ch in "\\%/@" for ch in host):
        raise _invalid("The host contains spaces, control characters or other invalid characters.")
    name = _ascii_host(host.lower())
    bare = name[:-1] if name.endswith(".") else name
    if not bare or len(bare) > MAX_HOST_LENGTH:
        raise _invalid(f"The host must be 1 to {MAX_HOST_LENGTH} characters long.")
    labels = bare.split(".")
    # WHATWG: a host whose last label is numeric is an IPv4 address or an error, never a name.
    if _NUMERIC_LABEL.match(labels[-1]):
        return _parse_numeric_ipv4(bare)
    if not all(_LABEL.match(label) for label in labels):
        raise _invalid("The host is not a valid domain name.")
    return name


def is_local_name(name: str) -> bool:
    """Single-label names (`redis`), `localhost` and the `.localhost`, `.local`, `.internal` suffixes."""
    bare = name.rstrip(".")
    return "." not in bare or bare == "localhost" or bare.endswith(_LOCAL_SUFFIXES)


def _split(url: str) -> tuple[SplitResult, str, int]:
    if len(url) > MAX_URL_LENGTH:
        raise _invalid(f"The URL is longer than {MAX_URL_LENGTH} characters.")
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        raise _invalid("The URL contains spaces or control characters.")
    if "\\" in url:
        # urllib3 ends the authority at a backslash, urlsplit does not: refuse instead of guessing.
        raise _invalid("The URL contains a backslash.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _invalid("The URL is not valid (check the host and the port).") from None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise _invalid("Only http:// and https:// URLs are allowed.")
    if not parts.netloc:
        raise _invalid("The URL has no host.")
    if "@" in parts.netloc:
        raise _invalid("URLs with a user name or password are not allowed; send credentials in a header.")
    if port == 0:
        raise _invalid("The port must be between 1 and 65535.")
    return parts, scheme, port or DEFAULT_PORTS[scheme]


def check_host(host: str, *, allow_private: bool, bracketed: bool = False) -> IPAddress | str:
    """Syntax and policy for a host before any DNS: returns the IP address or the ASCII name.

    Raises TargetRejected: "invalid_url" for syntax, "blocked_address" for a blocked IP literal or
    (unless `allow_private`) a local name.
    """
    parsed = parse_host(host, bracketed=bracketed)
    if isinstance(parsed, str):
        if not allow_private and is_local_name(parsed):
            raise _blocked(LOCAL_NAME_MESSAGE)
        return parsed
    if is_blocked_address(parsed, allow_private=allow_private):
        raise _blocked(blocked_message(parsed))
    return parsed


def split_target(url: str, *, allow_private: bool) -> tuple[str, IPAddress | str, int]:
    """Parse and check a target URL without DNS: (scheme, IP address or ASCII name, port)."""
    parts, scheme, port = _split(url)
    host = check_host(parts.hostname or "", allow_private=allow_private, bracketed=parts.netloc.startswith("["))
    return scheme, host, port


# --- DNS --------------------------------------------------------------------------


def resolve_host(host: str, port: int) -> list[str]:
    """Resolve a name to its addresses with getaddrinfo, bounded to DNS_TIMEOUT_SECONDS.

    Raises OSError (socket.gaierror, TimeoutError) when the name does not resolve. This module-level
    function is the DNS boundary: tests replace it (monkeypatch `core.netguard.resolve_host`) with a
    fake mapping. A dotted name gets a trailing dot so resolv.conf search domains never apply
    (Sentry's SENTRY_ENSURE_FQDN); single-label names, reachable only with ALLOW_PRIVATE_TARGETS,
    keep them so self-hosters can watch `http://api/` inside Docker or Kubernetes.
    """
    query = host if host.endswith(".") or "." not in host else f"{host}."
    outcome: list[list[str] | OSError] = []

    def lookup() -> None:
        try:
            records = socket.getaddrinfo(
                query, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP, flags=socket.AI_ADDRCONFIG
            )
        except OSError as exc:
            outcome.append(exc)
            return
        outcome.append(list(dict.fromkeys(str(record[4][0]) for record in records)))

    # getaddrinfo has no timeout of its own; an abandoned lookup thread ends when the resolver gives up.
    worker = threading.Thread(target=lookup, name="netguard-dns", daemon=True)
    worker.start()
    worker.join(DNS_TIMEOUT_SECONDS)
    if not outcome:
        raise TimeoutError(f"DNS lookup took longer than {DNS_TIMEOUT_SECONDS} s")
    result = outcome[0]
    if isinstance(result, OSError):
        raise result
    return result


def check_addresses(host: str, addresses: list[str], *, allow_private: bool) -> list[IPAddress]:
    """Parse and check every resolved address; one blocked address refuses the host ("one bad apple")."""
    checked: list[IPAddress] = []
    for raw in addresses:
        if is_blocked_address(raw, allow_private=allow_private):
            raise _blocked(f"{host} resolves to {raw}. {blocked_message(raw)}")
        checked.append(ipaddress.ip_address(raw))
    return checked


# --- save-time validation ---------------------------------------------------------


def validate_target_url(url: str, *, allow_private: bool | None = None, resolve: bool = True) -> str:
    """Save-time check of a monitor or webhook URL; returns it stripped of surrounding whitespace.

    Raises TargetRejected. `allow_private=None` reads settings.ALLOW_PRIVATE_TARGETS now. With
    `resolve`, a name is resolved and refused if any address is blocked; a name that does not
    resolve is accepted, because the check at fetch time decides.
    """
    if allow_private is None:
        allow_private = bool(settings.ALLOW_PRIVATE_TARGETS)
    url = url.strip()
    _scheme, host, port = split_target(url, allow_private=allow_private)
    if isinstance(host, str) and resolve:
        try:
            addresses = resolve_host(host, port)
        except OSError:
            return url
        check_addresses(host, addresses, allow_private=allow_private)
    return url
