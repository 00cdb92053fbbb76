"""Start the product's processes (and the target) as subprocesses, wait for them, stop them by PID."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess  # noqa: S404 - the harness runs the product's own commands
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger("bench")

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    _log: object = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""


def start(name: str, argv: list[str], *, env: dict[str, str], log_dir: Path) -> Proc:
    """Start one process in its own session (so a stray child can be ended by its group id, which is its PID)."""
    log_path = log_dir / f"{name}.log"
    log = log_path.open("wb")
    popen = subprocess.Popen(  # noqa: S603 - fixed argv built by the harness
        argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    logger.info("started %s pid=%s", name, popen.pid)
    return Proc(name=name, popen=popen, log_path=log_path, _log=log)


def stop(proc: Proc, *, timeout: float = 20.0) -> None:
    """SIGTERM (Celery's warm shutdown, gunicorn's graceful stop), then SIGKILL to its own group after `timeout`."""
    if proc.popen.poll() is None:
        proc.popen.send_signal(signal.SIGTERM)
        try:
            proc.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            logger.warning("%s pid=%s did not stop in %.0f s: killing its process group", proc.name, proc.pid, timeout)
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the group we created with start_new_session
            except ProcessLookupError:
                pass
            proc.popen.wait(timeout=10)
    # Children left behind in the group (a prefork child orphaned by a crash): end them too.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if proc._log is not None:
        proc._log.close()  # type: ignore[attr-defined]


def wait_for_log(proc: Proc, needle: str, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if needle in proc.log_text():
            return
        if proc.popen.poll() is not None:
            raise RuntimeError(f"{proc.name} exited with {proc.popen.returncode}; see {proc.log_path}")
        time.sleep(0.3)
    raise RuntimeError(f"{proc.name} not ready after {timeout:.0f} s (no {needle!r} in {proc.log_path})")


def wait_for_port(proc: Proc, port: int, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"{proc.name} exited with {proc.popen.returncode}; see {proc.log_path}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{proc.name} not listening on {port} after {timeout:.0f} s")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def target_argv(port: int) -> list[str]:
    return [sys.executable, "-m", "bench.target", "--port", str(port)]


def worker_argv(index: int, concurrency: int | None) -> list[str]:
    # Queues as `make run` gets them: config/celery.py adds the region's check queue to the default one.
    argv = [str(VENV_BIN / "celery"), "-A", "config", "worker", "--loglevel", "INFO", "--hostname", f"bench{index}@%h"]
    if concurrency:
        argv += ["--concurrency", str(concurrency)]
    return argv


def beat_argv(pidfile: Path) -> list[str]:
    return [str(VENV_BIN / "celery"), "-A", "config", "beat", "--loglevel", "INFO", "--pidfile", str(pidfile)]


def web_argv(port: int, workers: int) -> list[str]:
    return [
        str(VENV_BIN / "gunicorn"),
        "config.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--graceful-timeout",
        "5",
    ]
