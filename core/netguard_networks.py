"""The address ranges the network guard judges by, and the operator's private-network opt-in."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Final

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _networks(*cidrs: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(cidr) for cidr in cidrs)


# Refused even with ALLOW_PRIVATE_TARGETS: nothing a monitor needs lives there, and the cloud
# metadata services hand out credentials.
ALWAYS_BLOCKED_V4: Final = _networks(
    "0.0.0.0/8",  # "this network"; 0.0.0.0 reaches localhost on Linux
    "169.254.0.0/16",  # link-local, includes 169.254.169.254 (AWS, GCP, Azure, OCI metadata)
    "224.0.0.0/4",  # multicast
    "240.0.0.0/4",  # reserved, includes the broadcast address
    "100.100.100.200/32",  # Alibaba Cloud metadata
    "168.63.129.16/32",  # Azure WireServer, reachable from every Azure VM
)
ALWAYS_BLOCKED_V6: Final = _networks(
    "::/128",  # unspecified
    "fe80::/10",  # link-local
    "ff00::/8",  # multicast
    "fd00:ec2::254/128",  # AWS metadata over IPv6
)

# Refused unless ALLOW_PRIVATE_TARGETS, on top of `not is_global`. Listed explicitly because
# `is_private`/`is_global` changed between Python patch releases (cpython#113171) and miss
# 100.64.0.0/10 (cpython#119812); Sentry's SENTRY_DISALLOWED_IPS plus the IANA special-purpose rows.
PRIVATE_V4: Final = _networks(
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "255.255.255.255/32",
)
PRIVATE_V6: Final = _networks(
    "::/96",  # unspecified, loopback and the deprecated IPv4-compatible form
    "::1/128",
    "64:ff9b:1::/48",  # local-use NAT64
    "100::/64",  # discard-only
    "2001::/23",  # IETF protocol assignments, includes Teredo 2001::/32
    "2001:db8::/32",  # documentation
    "3fff::/20",  # documentation
    "5f00::/16",  # SRv6 SIDs
    "fc00::/7",  # unique local
    "fe80::/10",
    "fec0::/10",  # deprecated site-local
    "ff00::/8",
)

IPV4_COMPATIBLE: Final = ipaddress.IPv6Network("::/96")
NAT64_WELL_KNOWN: Final = ipaddress.IPv6Network("64:ff9b::/96")
NAT64_LOCAL: Final = ipaddress.IPv6Network("64:ff9b:1::/48")


@lru_cache(maxsize=8)
def _allowed(cidrs: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def in_allowed_private_networks(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True when `address` is inside a network of settings.CHECKS_ALLOWED_PRIVATE_NETWORKS (read per call)."""
    networks = _allowed(tuple(settings.CHECKS_ALLOWED_PRIVATE_NETWORKS))
    return any(address.version == network.version and address in network for network in networks)
