"""A private PostgreSQL cluster, a private Redis and the product's processes for the Celery fault scenarios.

Everything listens on 127.0.0.1 on its own ports (PostgreSQL 55432, Redis 56379 by default) in a
temporary directory, so the scenarios can restart, kill and flush them without touching the
machine's shared PostgreSQL and Redis. initdb and pg_ctl run as the `postgres` user when the
harness runs as root (initdb refuses root).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess  # noqa: S404 - the harness runs fixed commands
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import processes

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@dataclass
class Stack:
    pg_port: int = 55432
    redis_port: int = 56379
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="driftwatch-fault-")))
    procs: list[processes.Proc] = field(default_factory=list)

    @property
    def database_url(self) -> str:
        return f"postgres://fault@127.0.0.1:{self.pg_port}/fault"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            DJANGO_SETTINGS_MODULE="tests.fault.settings",
            CHECKS_ALLOWED_PRIVATE_NETWORKS="127.0.0.1/32",
            LOG_LEVEL="INFO",
            DEBUG="false",
        )
        env.update(extra)
        return env

    # --- PostgreSQL ---------------------------------------------------------------------
    def pg_start(self) -> None:
        data = self.root / "pg"
        if not data.exists():
            if os.geteuid() == 0:
                shutil.chown(self.root, "postgres")
            subprocess.run(  # noqa: S603
                _as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "fault"]),
                check=True,
                capture_output=True,
            )
        options = f"-p {self.pg_port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        subprocess.run(  # noqa: S603
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(self.root / "pg.log"), "-o", options])
            + ["-w", "start"],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def pg_restart(self) -> None:
        # -l again: without it the new postmaster writes to pg_ctl's stdout and keeps that pipe open.
        data, log = str(self.root / "pg"), str(self.root / "pg.log")
        subprocess.run(  # noqa: S603
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", data, "-l", log, "-m", "fast", "-w", "restart"]),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def pg_stop(self) -> None:
        subprocess.run(  # noqa: S603
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.root / "pg"), "-m", "immediate", "-w", "stop"]),
            check=False,
            capture_output=True,
        )

    def create_database(self) -> None:
        subprocess.run(  # noqa: S603
            ["createdb", "-h", "127.0.0.1", "-p", str(self.pg_port), "-U", "fault", "fault"],  # noqa: S607
            check=True,
            capture_output=True,
        )

    # --- Redis --------------------------------------------------------------------------
    def redis_start(self) -> None:
        subprocess.run(  # noqa: S603
            [  # noqa: S607
                "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.root),
                "--appendonly",
                "yes",
                "--maxmemory-policy",
                "noeviction",
                "--daemonize",
                "yes",
                "--pidfile",
                str(self.root / "redis.pid"),
                "--save",
                "",
            ],
            check=True,
            capture_output=True,
        )
        self._wait_redis(up=True)

    def redis_cli(self, *command: str) -> str:
        done = subprocess.run(  # noqa: S603
            ["redis-cli", "-p", str(self.redis_port), *command],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        )
        return done.stdout.strip()

    def redis_shutdown_nosave(self) -> None:
        self.redis_cli("shutdown", "nosave")
        self._wait_redis(up=False)

    def _wait_redis(self, *, up: bool, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (self.redis_cli("ping") == "PONG") == up:
                return
            time.sleep(0.2)
        raise RuntimeError(f"redis did not come {'up' if up else 'down'}")

    # --- the product --------------------------------------------------------------------
    def manage(self, *args: str) -> None:
        subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *args], cwd=processes.ROOT, env=self.env(), check=True, capture_output=True
        )

    def worker(self, name: str, *, concurrency: int = 4, app: str = "config") -> processes.Proc:
        argv = [
            str(processes.VENV_BIN / "celery"),
            "-A",
            app,
            "worker",
            "--loglevel",
            "INFO",
            "-c",
            str(concurrency),
            "--prefetch-multiplier=1",
            "-n",
            f"{name}@%h",
        ]
        proc = processes.start(name, argv, env=self.env(), log_dir=self.root)
        self.procs.append(proc)
        processes.wait_for_log(proc, "ready", timeout=90)
        return proc

    def beat(self, name: str) -> processes.Proc:
        argv = [
            str(processes.VENV_BIN / "celery"),
            "-A",
            "config",
            "beat",
            "--loglevel",
            "INFO",
            "--pidfile",
            str(self.root / f"{name}.pid"),
        ]
        proc = processes.start(name, argv, env=self.env(), log_dir=self.root)
        self.procs.append(proc)
        return proc

    def helper(self, name: str, argv: list[str]) -> processes.Proc:
        proc = processes.start(name, argv, env=self.env(), log_dir=self.root)
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            processes.stop(proc, timeout=40)
        self.procs.clear()

    def close(self) -> None:
        self.stop_all()
        self.redis_cli("shutdown", "nosave")
        self.pg_stop()
        shutil.rmtree(self.root, ignore_errors=True)


def pool_children(pid: int) -> list[int]:
    """The direct children of a process (a prefork worker's pool processes)."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def kill(pid: int, sig: signal.Signals) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass
