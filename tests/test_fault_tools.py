"""The fault harness's own tools work (tests/fault/target.py, proxy.py): each proxy mode does what CEL-09 relies on.

The scenarios themselves (tests/fault/celery_faults.py) start PostgreSQL clusters and Celery
processes for minutes, so they run by hand, not here.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest

from bench.processes import free_port
from core.http import HttpError, send


def _start(argv: list[str]) -> subprocess.Popen[str]:
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)  # noqa: S603
    assert proc.stdout is not None and proc.stdout.readline().startswith("listening")
    return proc


@pytest.fixture(scope="module")
def proxy() -> Iterator[tuple[int, int]]:
    target_port, proxy_port, control_port = free_port(), free_port(), free_port()
    target = _start([sys.executable, "-m", "tests.fault.target", "--port", str(target_port)])
    proxy = _start(
        [
            sys.executable,
            "-m",
            "tests.fault.proxy",
            "--listen",
            str(proxy_port),
            "--upstream",
            f"127.0.0.1:{target_port}",
            "--control",
            str(control_port),
        ]
    )
    yield proxy_port, control_port
    for proc in (proxy, target):
        proc.terminate()
        proc.wait(timeout=10)


def _mode(control_port: int, mode: str) -> None:
    urllib.request.urlopen(f"http://127.0.0.1:{control_port}/mode/{mode}", timeout=5).read()  # noqa: S310


def _get(port: int, path: str = "/ok", timeout_ms: int = 3000):  # noqa: ANN202
    return send("GET", f"http://127.0.0.1:{port}{path}", timeout_ms=timeout_ms, max_bytes=10_000, allow_private=True)


def test_proxy_passes_and_target_answers_its_paths(proxy) -> None:
    port, control = proxy
    _mode(control, "pass")
    assert _get(port).status_code == 200
    assert _get(port, "/status/503").status_code == 503
    assert _get(port, "/slow?ms=300").elapsed_ms >= 300


def test_proxy_reset_and_latency(proxy) -> None:
    port, control = proxy
    _mode(control, "reset")
    with pytest.raises(HttpError) as failure:
        _get(port)
    assert failure.value.kind == "connection_error"
    _mode(control, "latency=400")
    assert _get(port).elapsed_ms >= 400
    _mode(control, "pass")


def test_cel_09_blackhole_ends_in_the_checks_own_timeout(proxy) -> None:
    port, control = proxy
    _mode(control, "blackhole")
    began = time.monotonic()
    with pytest.raises(HttpError) as failure:
        _get(port, timeout_ms=1000)
    assert failure.value.kind in ("timeout", "read_timeout")
    assert time.monotonic() - began < 1.0 + 1.0  # within timeout + 1 s
    _mode(control, "pass")
