"""Logs are JSON lines on stdout, one object per record, as configured in settings.LOGGING."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings


def run_shell(code: str) -> subprocess.CompletedProcess[str]:
    """Run `manage.py shell -c` in a fresh process with the development settings."""
    env = os.environ | {"DJANGO_SETTINGS_MODULE": "config.settings.local"}
    return subprocess.run(
        # --no-imports: Django 5.2's shell otherwise prints its auto-import banner on stdout.
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def json_lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_log_record_is_one_json_line_on_stdout() -> None:
    result = run_shell("import logging; logging.getLogger('x').info('hello %s', 1)")

    records = json_lines(result.stdout)

    for record in records:
        assert {"level", "logger", "message"} <= record.keys()
    (record,) = [r for r in records if r["logger"] == "x"]
    assert record["level"] == "INFO"
    assert record["message"] == "hello 1"
    assert {"time", "process"} <= record.keys()


def test_exception_traceback_stays_inside_one_json_line() -> None:
    code = (
        "import logging\n"
        "try:\n"
        "    1 / 0\n"
        "except ZeroDivisionError:\n"
        "    logging.getLogger('x').exception('failed monitor=%s', 7)\n"
    )
    result = run_shell(code)

    records = json_lines(result.stdout)  # a traceback line outside JSON would fail to parse here

    (record,) = [r for r in records if r["logger"] == "x"]
    assert record["level"] == "ERROR"
    assert record["message"] == "failed monitor=7"
    assert "ZeroDivisionError" in record["exc_info"]
