"""RELIABILITY §4 fault injection (CEL-03..10), private PostgreSQL + Redis: prints findings, exits 1 on a failure.

    .venv/bin/python -m tests.fault.celery_faults                  # every scenario
    .venv/bin/python -m tests.fault.celery_faults cel03 cel08      # some of them
    options: --monitors 200 --interval 30 --keep

Scaled down for a shared 2-core machine (say so when quoting): 200 monitors (not 500), interval
30 s, `-c 4` prefork with checks in batches of CHECKS_BATCH_SIZE (up to 80 probes in flight; the
issue's `-c 50` would be 50 processes), the two-beat run 3 minutes (not 10). Everything is loopback:
tests/fault/target.py, tests/fault/proxy.py, PostgreSQL on 55432 and Redis on 56379 in a temp dir.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from bench import processes
from tests.fault.harness import CONTROL_PORT, PROXY_PORT, SCENARIOS, TARGET_PORT, Harness, _reconnect, proxy_mode
from tests.fault.stack import Stack


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help="scenarios (default all): cel03 ... cel10")
    parser.add_argument("--monitors", type=int, default=200)
    parser.add_argument("--interval", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs) afterwards")
    args = parser.parse_args()
    stack = Stack()
    os.environ.update(stack.env(LOG_LEVEL="WARNING"))
    failures = 0
    names: list[str] = []
    started = []
    try:
        stack.pg_start()
        stack.create_database()
        stack.redis_start()
        stack.manage("migrate", "--noinput")
        import django  # noqa: PLC0415

        django.setup()
        from tests.fault import scenarios  # noqa: F401, PLC0415 - registers the scenarios

        started.append(stack.helper("target", [sys.executable, "-m", "tests.fault.target", "--port", str(TARGET_PORT)]))
        started.append(
            stack.helper(
                "proxy",
                [
                    sys.executable,
                    "-m",
                    "tests.fault.proxy",
                    "--listen",
                    str(PROXY_PORT),
                    "--upstream",
                    f"127.0.0.1:{TARGET_PORT}",
                    "--control",
                    str(CONTROL_PORT),
                ],
            )
        )
        time.sleep(1)
        harness = Harness(stack, monitors=args.monitors, interval=args.interval)
        names = args.names or list(SCENARIOS)
        for name in names:
            began = time.monotonic()
            sys.stdout.write(f"== {name}\n")
            sys.stdout.flush()
            try:
                found = SCENARIOS[name](harness)
            except Exception as exc:  # noqa: BLE001 - a scenario that crashes is a failure, reported
                found = {"passed": False, "error": repr(exc)}
            finally:
                for proc in [p for p in stack.procs if p not in started]:
                    processes.stop(proc, timeout=40)
                    stack.procs.remove(proc)
                _reconnect()
                harness.pause_all()
                proxy_mode("pass")
            passed = bool(found.pop("passed", False))
            failures += 0 if passed else 1
            for key, value in found.items():
                sys.stdout.write(f"   {key}: {value}\n")
            sys.stdout.write(f"   -> {'PASS' if passed else 'FAIL'} ({time.monotonic() - began:.0f} s)\n")
            sys.stdout.flush()
    finally:
        if args.keep:
            sys.stdout.write(f"logs kept in {stack.root}\n")
            stack.stop_all()
            stack.redis_cli("shutdown", "nosave")
            stack.pg_stop()
        else:
            stack.close()
    sys.stdout.write(f"{len(names) - failures}/{len(names)} scenarios passed\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
