"""How many times one (monitor, region, due_at) run was delivered: the poison guard (RELIABILITY CEL-10).

Brokers keep no redelivery counter (celery discussion #8969): with late acks and
reject-on-worker-lost, a run that kills its own worker process comes back for ever. So run_check
counts its deliveries here, in the cache (Redis in production: one INCR + EXPIRE in one round
trip), before it probes. The count also tells a first delivery from a redelivery: only a
redelivery (or an unknown count) has to look for a result already stored before probing.

The count is kept for DELIVERY_TTL_SECONDS, longer than any redelivery can take (several
visibility timeouts). A cache that fails answers None: "unknown", treated as a redelivery that
may still run (the stored-result check and the unique slot keep it idempotent).
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

DELIVERY_TTL_SECONDS = 3 * 3600


def delivery_key(*, monitor_id: int, region: str, due_at: datetime) -> str:
    return f"{monitor_id}:{region}:{due_at.timestamp():.6f}"


def delivery_count(*, monitor_id: int, region: str, due_at: datetime) -> int | None:
    """Count one more delivery of the run and return the count (1 on the first); None if the cache failed."""
    return message_delivery_count(key=delivery_key(monitor_id=monitor_id, region=region, due_at=due_at))


def message_delivery_count(*, key: str) -> int | None:
    """Count one more delivery of the message named `key` (a run, a batch); None if the cache failed."""
    try:
        return _incr(f"checks:deliveries:{key}")
    except Exception:  # noqa: BLE001 - any cache failure: count unknown, the run goes on safely
        logger.warning("delivery counter unavailable key=%s", key)
        return None


def max_deliveries() -> int:
    """Deliveries a run may have before it is recorded as worker_lost instead of run (CHECKS_MAX_DELIVERIES)."""
    return max(1, int(settings.CHECKS_MAX_DELIVERIES))


def _incr(key: str) -> int:
    client = _redis_client()
    if client is not None:
        pipe = client.pipeline(transaction=False)
        pipe.incr(cache.make_key(key))
        pipe.expire(cache.make_key(key), DELIVERY_TTL_SECONDS)
        count, _ = pipe.execute()
        return int(count)
    # Any other cache (the file cache of a laptop install): add-then-incr, not atomic across
    # processes, which only matters for two deliveries of one run at the same instant.
    cache.add(key, 0, timeout=DELIVERY_TTL_SECONDS)
    return int(cache.incr(key))


def _redis_client():  # noqa: ANN202 - a redis.Redis, or None when the cache is not django-redis
    get_client = getattr(getattr(cache, "client", None), "get_client", None)
    if get_client is None:
        return None
    return get_client(write=True)
