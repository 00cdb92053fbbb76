"""What one probe run found. Probes touch no database: they return this, check_execute stores it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from checks.jsonsafe import JsonOutcome

_MAX_ERROR = 500


@dataclass(frozen=True)
class ProbeOutcome:
    started_at: datetime
    ok: bool
    status_code: int | None = None
    latency_ms: int | None = None
    # A stable machine code ("dns_error", "unexpected_status", "tls_expired", …) and a
    # sentence a person understands ("expected 200, got 503").
    error_kind: str = ""
    error: str = ""
    response_bytes: int | None = None
    body_truncated: bool = False
    # Up, but slow or with a TLS certificate inside its warning window: DEGRADED, not DOWN.
    degraded: bool = False
    # Kind-specific facts (TLS expiry and issuer, ping loss and RTT, DNS answers, attempts…), JSON-able.
    details: dict[str, object] = field(default_factory=dict)
    # Not stored: the parsed body and its Content-Type, handed to checks.drift for monitors that
    # track their contract (None when the body was not parsed).
    document: JsonOutcome | None = field(default=None, compare=False, repr=False)
    content_type: str = field(default="", compare=False)

    def as_fields(self) -> dict[str, object]:
        return {
            "started_at": self.started_at,
            "ok": self.ok,
            "status_code": self.status_code,
            "latency_ms": self.latency_ms,
            "error_kind": self.error_kind,
            "error": self.error[:_MAX_ERROR],
            "response_bytes": self.response_bytes,
            "body_truncated": self.body_truncated,
            "degraded": self.degraded,
            "details": self.details,
        }
