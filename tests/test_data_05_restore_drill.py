"""DATA-05: the restore drill (tests/fault/data_05_restore_drill.py) passes end to end on a small
seeded database under write load, and refuses to run with a pg_dump older than the server."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.db import connection

pytestmark = pytest.mark.postgres_only

DRILL = Path(__file__).resolve().parent / "fault" / "data_05_restore_drill.py"


def server_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/postgres"


def drill(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(DRILL), "--server", server_url(), "--suffix", f"_t{os.getpid()}", "--drop-after", *args],
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.django_db
def test_data_05_restore_drill_under_write_load_passes() -> None:
    done = drill("--rows", "3000", "--writers", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "counts equal to the dump's snapshot: yes" in done.stdout
    assert "migrate --check: clean" in done.stdout
    assert "smoke: ok" in done.stdout
    assert "DATA-05 PASS" in done.stdout


@pytest.mark.django_db
def test_data_05_a_pg_dump_older_than_the_server_stops_the_drill(tmp_path: Path) -> None:
    old = tmp_path / "pg_dump"
    old.write_text('#!/bin/sh\necho "pg_dump (PostgreSQL) 9.6.24"\n')
    old.chmod(0o755)
    done = drill("--pg-dump", str(old))
    assert done.returncode == 2
    assert "older than the server's major version" in done.stdout


@pytest.mark.django_db
def test_data_05_a_drill_that_cannot_connect_fails_and_pings_fail() -> None:
    """The heartbeat gets /start, then /fail (a heartbeat monitor turns DOWN on it; without any ping it
    alerts after its grace period). This server trusts loopback logins, so a wrong password would not
    fail here: a database that does not exist breaks the connection the same way."""
    pings: list[tuple[str, str]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            pings.append((self.path, body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        broken = server_url().rsplit("/", 1)[0] + "/driftwatch_no_such_database"
        done = drill("--source-url", broken, "--ping-url", f"http://127.0.0.1:{server.server_port}/ping/drill")
    finally:
        server.shutdown()
    assert done.returncode == 1
    assert "DATA-05 FAIL" in done.stdout
    assert [path for path, _ in pings] == ["/ping/drill/start", "/ping/drill/fail"]
    assert "error=OperationalError" in pings[-1][1]
