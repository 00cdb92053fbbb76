"""Import rules the design depends on, checked on the source (DESIGN.md "Apps and the way imports go", SSRF-11).

Each rule is a small function over one module's source, tested first on synthetic code so that a
rule that can no longer fail is noticed, then run over the whole repository.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {"core": 0, "accounts": 1, "monitors": 2, "checks": 3, "alerts": 4}
SCANNED = [*LAYERS, "config"]

# Anything that can open an HTTP (or raw TCP) connection on its own, past the network guard.
HTTP_CLIENT_MODULES = frozenset(
    {"requests", "urllib3", "httpx", "http.client", "pycurl", "aiohttp", "httplib2", "urllib.request"}
)
FORBIDDEN_CALLS = frozenset({"socket.create_connection"})
# The outbound path (core/http.py and the two modules it is split into); an exact list, never a prefix.
HTTP_CLIENT_OWNERS = frozenset({"core.http", "core.http_transport", "core.http_body"})
# May open raw TCP connections (the tcp and tls probes) but import no HTTP client: core/net.py
# dials only an address core.netguard checked. An exact list, never a prefix.
RAW_SOCKET_OWNERS = frozenset({"core.net"})


# --- reading modules ------------------------------------------------------------------------------


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def python_files(*, skip_tests_and_migrations: bool) -> Iterator[Path]:
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if skip_tests_and_migrations and ("tests" in parts or "migrations" in parts):
                continue
            yield path


def _resolve_relative(module: str, is_package: bool, level: int, target: str | None) -> str:
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (level - 1)] if level > 1 else package
    return ".".join([*base, target] if target else base)


def imported_modules(source: str, module: str, *, is_package: bool = False) -> Iterator[tuple[int, str]]:
    """(line, dotted name) for every import anywhere in the module, functions and TYPE_CHECKING blocks included.

    `from a import b` yields both `a` and `a.b`, because b may be a submodule (`from http import client`).
    `importlib.import_module("x")` and `__import__("x")` with a literal name count too.
    """
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = _resolve_relative(module, is_package, node.level, node.module) if node.level else node.module or ""
            yield node.lineno, base
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            name = _dotted(node.func)
            if name in ("importlib.import_module", "import_module", "__import__") and isinstance(
                node.args[0].value, str
            ):
                yield node.lineno, node.args[0].value


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _matches(name: str, forbidden: frozenset[str]) -> str | None:
    for candidate in forbidden:
        if name == candidate or name.startswith(candidate + "."):
            return candidate
    return None


# --- rule 1: one egress path (SSRF-11) -------------------------------------------------------------


def http_client_violations(source: str, module: str) -> list[str]:
    """Imports of HTTP client libraries and calls of socket.create_connection outside HTTP_CLIENT_OWNERS."""
    if module in HTTP_CLIENT_OWNERS:
        return []
    calls = frozenset() if module in RAW_SOCKET_OWNERS else FORBIDDEN_CALLS
    found: set[str] = set()
    for line, name in imported_modules(source, module):
        hit = _matches(name, HTTP_CLIENT_MODULES) or _matches(name, calls)
        if hit:
            found.add(f"{module}:{line} imports {name}")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and _dotted(node) in calls:
            found.add(f"{module}:{node.lineno} uses {_dotted(node)}")
    return sorted(found)


@pytest.mark.parametrize(
    "source",
    [
        "import requests",
        "import requests.adapters as a",
        "from requests import Session",
        "from urllib3.util import connection",
        "import httpx",
        "import http.client",
        "from http import client",
        "from http.client import HTTPSConnection",
        "import pycurl",
        "import urllib.request",
        "from urllib.request import urlopen",
        "def later():\n    import requests\n    return requests",
        "class A:\n    def m(self):\n        from httpx import Client",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import requests",
        "import importlib\nimportlib.import_module('requests')",
        "__import__('urllib3')",
        "import socket\nsocket.create_connection(('example.com', 80))",
        "from socket import create_connection",
        "import socket\nconnect = socket.create_connection",
    ],
)
def test_http_client_rule_catches(source: str) -> None:
    assert http_client_violations(source, "checks.probes")


@pytest.mark.parametrize(
    "source",
    [
        "import socket\nsocket.getaddrinfo('example.com', 80)",
        "from core.http import send",
        "from core import http",
        "import http",
        "from http import HTTPStatus",
        "from urllib.parse import urljoin",
        "import json  # requests",
        "x = 'import requests'",
    ],
)
def test_http_client_rule_allows(source: str) -> None:
    assert http_client_violations(source, "checks.probes") == []


@pytest.mark.parametrize("module", sorted(HTTP_CLIENT_OWNERS))
def test_http_client_rule_exempts_core_http(module: str) -> None:
    assert http_client_violations("import requests\nimport urllib3", module) == []


@pytest.mark.parametrize(
    "module", ["core.http_guard", "core.http_errors", "core.netguard", "core.http_transport.extra", "core.https"]
)
def test_http_client_rule_holds_next_to_the_owners(module: str) -> None:
    assert http_client_violations("import requests\nimport urllib3", module)


def test_raw_socket_rule_lets_core_net_connect_and_nothing_more() -> None:
    connect = "import socket\nsocket.create_connection(('192.0.2.1', 80))"
    assert http_client_violations(connect, "core.net") == []
    assert http_client_violations("import requests", "core.net")
    assert http_client_violations("from http.client import HTTPConnection", "core.net")
    for module in ("core.netguard", "core.net_extra", "checks.probes.tcp", "checks.probes.tls"):
        assert http_client_violations(connect, module)


def test_ssrf_11_only_core_http_imports_http_clients() -> None:
    violations: list[str] = []
    files = list(python_files(skip_tests_and_migrations=True))
    for path in files:
        violations += http_client_violations(path.read_text(encoding="utf-8"), module_name(path))

    assert ROOT / "core" / "http.py" in files  # the walk sees the real tree
    assert HTTP_CLIENT_OWNERS | RAW_SOCKET_OWNERS <= {module_name(path) for path in files}  # no stale names
    assert violations == [], f"HTTP clients outside {sorted(HTTP_CLIENT_OWNERS)}:\n" + "\n".join(violations)


# --- rule 2: layering ----------------------------------------------------------------------------------


def layer_violations(source: str, module: str, *, is_package: bool = False) -> list[str]:
    """Imports of an app above the module's own: core < accounts < monitors < checks < alerts."""
    app = module.split(".")[0]
    if app not in LAYERS:
        return []
    found: set[str] = set()
    for line, name in imported_modules(source, module, is_package=is_package):
        target = name.split(".")[0]
        if target in LAYERS and LAYERS[target] > LAYERS[app]:
            found.add(f"{module}:{line} imports {name} ({app} may not import {target})")
    return sorted(found)


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("core.netguard", "from accounts.models import User"),
        ("core.tests.test_x", "import monitors"),
        ("accounts.services", "from monitors.models import Monitor"),
        ("monitors.views", "def f():\n    from checks.selectors import latest\n    return latest"),
        ("checks.services", "from alerts.tasks import notify"),
        ("checks.tests.test_state", "import alerts.models as m"),
        ("checks.services", "import importlib\nimportlib.import_module('alerts.services')"),
        ("monitors.admin", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from alerts.models import Rule"),
    ],
)
def test_layering_rule_catches(module: str, source: str) -> None:
    assert layer_violations(source, module)


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("core.api", "from core.exceptions import ApplicationError"),
        ("accounts.models", "from core.http import send"),
        ("alerts.services", "from checks.models import StatusChange\nfrom monitors.models import Monitor"),
        ("checks.probes", "from monitors.models import Monitor\nfrom .state import apply"),
        ("monitors.services", "from . import validators\nfrom ..core import exceptions"),
        ("config.urls", "from alerts import urls\nfrom checks import api_urls"),
        ("checks.tests.test_probes", "from tests.servers import HttpTarget\nfrom accounts.models import User"),
    ],
)
def test_layering_rule_allows(module: str, source: str) -> None:
    assert layer_violations(source, module) == []


def test_relative_imports_resolve_to_the_right_app() -> None:
    assert list(imported_modules("from .models import A", "checks.services")) == [
        (1, "checks.models"),
        (1, "checks.models.A"),
    ]
    assert [name for _, name in imported_modules("from . import views", "alerts", is_package=True)] == [
        "alerts",
        "alerts.views",
    ]
    assert [name for _, name in imported_modules("from ..services import x", "checks.tests.test_a")] == [
        "checks.services",
        "checks.services.x",
    ]


def test_imports_follow_the_layering() -> None:
    violations: list[str] = []
    for path in python_files(skip_tests_and_migrations=False):
        violations += layer_violations(
            path.read_text(encoding="utf-8"), module_name(path), is_package=path.name == "__init__.py"
        )

    assert violations == [], "imports against the layering:\n" + "\n".join(violations)
