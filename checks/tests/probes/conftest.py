"""Fixtures of the probe tests: monitors built in memory (probes touch no database) and a fake resolver."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest

from monitors.models import Monitor


def make_probe_monitor(kind: str, **fields: Any) -> Monitor:
    """An unsaved Monitor: the probes read only its fields."""
    return Monitor(kind=kind, name=f"{kind} probe", **({"timeout_seconds": 5, "connect_timeout_seconds": 5} | fields))


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> Callable[[dict[str, list[str]]], None]:
    """Point names at addresses by replacing `core.netguard.resolve_host`, the guard's documented DNS boundary.

    A name not in the mapping fails as getaddrinfo does (EAI_NONAME), so no test asks the real resolver.
    """

    def install(mapping: dict[str, list[str]]) -> None:
        def resolve(host: str, port: int) -> list[str]:
            try:
                return mapping[host.rstrip(".")]
            except KeyError:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None

        monkeypatch.setattr("core.netguard.resolve_host", resolve)

    return install
