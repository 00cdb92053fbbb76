"""The Celery fault scenarios (RELIABILITY CEL-03..10), each a function returning what it found and `passed`."""

from __future__ import annotations

import re
import signal
import time
from datetime import timedelta

from bench import processes
from tests.fault.harness import Found, Harness, now, proxy_mode, scenario
from tests.fault.stack import kill, pool_children

SLOW = "/slow?ms=3000"


def _run(h: Harness, *, path: str = SLOW, worker_app: str = "config") -> tuple[list[int], dict, processes.Proc]:
    ids = h.seed(path=path)
    worker = h.stack.worker("w1", app=worker_app)
    h.stack.beat("beat1")
    return ids, h.settle(ids), worker


@scenario("cel03")
def cel03_kill_pool_children(h: Harness) -> Found:
    """SIGKILL the pool children mid-run: every slot one result, poison counters <= 2."""
    ids, anchors, worker = _run(h)
    h.reset_deliveries()
    time.sleep(5)
    children = pool_children(worker.pid)
    for child in children:
        kill(child, signal.SIGKILL)
    end = now() + timedelta(seconds=h.interval * 2)
    time.sleep(h.interval * 2)
    waited = h.wait_drained(anchors, end, timeout=60)
    found = h.verify(anchors, end)
    counters = h.deliveries()
    found.update(killed_children=len(children), drain_s=round(waited), deliveries_max=counters)
    found["passed"] = (
        found["missing"] == 0 and found["duplicates"] == 0 and counters["run"] <= 2 and counters["batch"] <= 2
    )
    del ids
    return found


@scenario("cel04")
def cel04_kill_main_worker(h: Harness) -> Found:
    """SIGKILL the main worker process, restart it 10 s later (visibility timeout 30 s): all slots within 90 s.

    Interval 60 s as in RELIABILITY's harness: check messages expire one interval + 30 s after
    dispatch, so the dead worker's messages come back through the 30 s visibility timeout in time.
    """
    ids = h.seed(path=SLOW, interval=60)
    worker = h.stack.worker("w1")
    h.stack.beat("beat1")
    anchors = h.settle(ids)
    time.sleep(5)
    children = pool_children(worker.pid)
    kill(worker.pid, signal.SIGKILL)
    killed_at = now()
    time.sleep(2)
    for child in children:  # orphans of the dead main process: as after an OOM kill of the whole worker
        kill(child, signal.SIGKILL)
    time.sleep(8)
    h.stack.procs.remove(worker)
    h.stack.worker("w1b")
    # The slots the dead worker held or had queued (due before the kill) must all arrive within 90 s.
    # Slots due while no worker ran (the dispatcher runs on the workers) are dispatched when it is
    # back, up to CHECKS_MISSED_AFTER_SECONDS (30 s) late: a 10 s restart loses none of them either.
    waited = h.wait_drained(anchors, killed_at, timeout=150)
    found = h.verify(anchors, killed_at)
    # Then the slots due in the minute after the kill (the outage and after), once they could all
    # have run: those due while no worker ran are dispatched up to CHECKS_MISSED_AFTER_SECONDS late.
    time.sleep(max(0.0, (killed_at + timedelta(seconds=75) - now()).total_seconds()))
    outage = h.verify(anchors, killed_at + timedelta(seconds=60))
    found.update(
        drain_s=round(waited),
        minute_after_owed=outage["owed"] - found["owed"],
        minute_after_missing=outage["missing"] - found["missing"],
        duplicates_after=outage["duplicates"],
    )
    found["passed"] = (
        found["missing"] == 0 and found["duplicates"] == 0 and waited <= 90 and outage["missing"] == 0
    ) and outage["duplicates"] == 0
    del ids
    return found


@scenario("cel05")
def cel05_sigterm_in_flight(h: Harness) -> Found:
    """SIGTERM with checks in flight: the worker exits within soft shutdown (30 s) + 5 s; nothing lost."""
    ids, anchors, worker = _run(h)
    time.sleep(5)
    stopped_at = time.monotonic()
    worker.popen.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 60
    while worker.popen.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    exit_s = time.monotonic() - stopped_at
    exited = worker.popen.poll() is not None
    h.stack.procs.remove(worker)
    end = now() + timedelta(seconds=h.interval)
    h.stack.worker("w1b")
    waited = h.wait_drained(anchors, end, timeout=120)
    found = h.verify(anchors, end)
    found.update(exit_s=round(exit_s, 1), exited=exited, drain_s=round(waited))
    found["passed"] = exited and exit_s <= 35 and found["missing"] == 0 and found["duplicates"] == 0
    del ids
    return found


@scenario("cel06")
def cel06_redis_loss(h: Harness) -> Found:
    """Redis shutdown nosave + restart, then FLUSHALL: worker and beat reconnect; every monitor checked again soon."""
    from checks.models import CheckResult  # noqa: PLC0415

    ids, anchors, _ = _run(h, path="/ok")
    bound = 2 * h.interval + 30
    found: Found = {}
    ok = True
    for fault in ("shutdown nosave", "flushall"):
        if fault == "flushall":
            h.stack.redis_cli("flushall")
        else:
            h.stack.redis_shutdown_nosave()
            time.sleep(10)
            h.stack.redis_start()
        back = now()
        time.sleep(bound)
        checked = set(
            CheckResult.objects.filter(monitor_id__in=ids, started_at__gte=back).values_list("monitor_id", flat=True)
        )
        found[f"{fault}: monitors with a result within {bound} s"] = f"{len(checked)}/{len(ids)}"
        ok = ok and len(checked) == len(ids)
    end = now() - timedelta(seconds=h.interval)
    tail = {m: (a + timedelta(seconds=i) * ((end - a) // timedelta(seconds=i) - 1), i) for m, (a, i) in anchors.items()}
    last = h.verify(tail, end)  # the last full interval: no slot missing any more
    found.update(last_interval_missing=last["missing"], duplicates=last["duplicates"])
    found["passed"] = ok and last["missing"] == 0 and last["duplicates"] == 0
    return found


@scenario("cel07")
def cel07_postgres_restart(h: Harness) -> Found:
    """pg_ctl restart -m fast mid-run: no InterfaceError loop, lag under 60 s once back, no duplicates."""
    from checks.models import CheckResult  # noqa: PLC0415

    ids, anchors, _ = _run(h, path="/ok")
    h.stack.pg_restart()
    back = now()
    time.sleep(2 * h.interval + 10)
    from django.db import connection  # noqa: PLC0415

    connection.close()
    rows = list(CheckResult.objects.filter(monitor_id__in=ids, due_at__gte=back).values_list("started_at", "due_at"))
    lag = max(((s - d).total_seconds() for s, d in rows), default=None)
    worker_log = h.log("w1")
    interface_errors = len(re.findall(r"InterfaceError", worker_log))
    end = now() - timedelta(seconds=5)
    after = {
        m: (a + timedelta(seconds=i) * ((back - a) // timedelta(seconds=i) + 2), i) for m, (a, i) in anchors.items()
    }
    found = h.verify(after, end)
    found.update(results_since_restart=len(rows), max_lag_s=lag, interface_error_lines=interface_errors)
    found["passed"] = bool(rows) and lag is not None and lag < 60 and found["missing"] == 0 and found["duplicates"] == 0
    return found


@scenario("cel08")
def cel08_two_beats(h: Harness) -> Found:
    """Two `celery beat` processes for 3 minutes: every slot exactly once."""
    ids = h.seed(path="/ok")
    h.stack.worker("w1")
    beats = [h.stack.beat("beat1"), h.stack.beat("beat2")]
    anchors = h.settle(ids)
    end = now() + timedelta(minutes=3)
    time.sleep(180)
    alive = [beat.popen.poll() is None for beat in beats]
    waited = h.wait_drained(anchors, end, timeout=30)
    found = h.verify(anchors, end)
    found.update(drain_s=round(waited), beats_alive_throughout=alive)
    found["passed"] = found["missing"] == 0 and found["duplicates"] == 0 and found["owed"] > 0 and all(alive)
    return found


@scenario("cel09")
def cel09_blackhole(h: Harness) -> Found:
    """Blackhole the target for 60 s: affected checks time out within timeout + 1 s, the others keep lag < 5 s."""
    from checks.models import CheckResult  # noqa: PLC0415

    affected = h.seed(path="/ok", count=h.monitors // 2, prefix="hole")
    others = h.seed(path="/ok", count=h.monitors // 2, prefix="direct", via_proxy=False)
    h.stack.worker("w1")
    h.stack.beat("beat1")
    h.settle(affected + others)
    proxy_mode("blackhole")
    start = now()
    seen: dict[int, float] = {}
    while (now() - start).total_seconds() < 60:
        for result_id, started in CheckResult.objects.filter(
            monitor_id__in=affected, started_at__gte=start
        ).values_list("id", "started_at"):
            seen.setdefault(result_id, (now() - started).total_seconds())
        time.sleep(0.5)
    proxy_mode("pass")
    time.sleep(8)
    hole = list(CheckResult.objects.filter(monitor_id__in=affected, started_at__gte=start, id__in=list(seen)))
    kinds = sorted({r.error_kind for r in hole})
    late = [seen[r.id] for r in hole if seen[r.id] > 5 + 1 + 0.5]  # timeout 5 s, +1 s, +0.5 s poll
    lags = sorted(
        (s - d).total_seconds()
        for s, d in CheckResult.objects.filter(monitor_id__in=others, started_at__gte=start).values_list(
            "started_at", "due_at"
        )
    )
    found: Found = {
        "blackholed_results": len(hole),
        "their_error_kinds": kinds,
        "recorded_later_than_timeout_plus_1s": len(late),
        "unaffected_results": len(lags),
        "unaffected_lag_max_s": round(lags[-1], 2) if lags else None,
    }
    found["passed"] = bool(hole) and all(not r.ok for r in hole) and not late and bool(lags) and lags[-1] < 5
    return found


@scenario("cel10")
def cel10_poison(h: Harness) -> Found:
    """A check that SIGKILLs its own worker child: probed at most 3 times, then worker_lost; others flow."""
    from checks.models import CheckResult  # noqa: PLC0415

    poison = h.seed(path="/ok", count=1, prefix="poison")
    others = h.seed(path="/ok", count=h.monitors // 4, prefix="healthy")
    h.stack.worker("w1", app="tests.fault.poison_app")
    h.stack.beat("beat1")
    anchors = h.settle(others)
    time.sleep(h.interval * 2)
    probes = len(re.findall(r"poison probe monitor=", h.log("w1")))
    lost = list(CheckResult.objects.filter(monitor_id__in=poison).values_list("due_at", "error_kind", "details"))
    end = now() - timedelta(seconds=5)
    found = h.verify(anchors, end)
    found.update(poison_results=[(d.isoformat(), k, det.get("deliveries")) for d, k, det in lost], poison_probes=probes)
    found["passed"] = (
        bool(lost)
        and all(k == "worker_lost" for _, k, _ in lost)
        and probes <= 3 * len(lost) + 3  # a slot still in its deliveries may be under way
        and found["missing"] == 0
    )
    return found
