"""What a failed `core.http.send()` raises: `HttpError` and its kinds, plus the short reason its messages quote.

No HTTP client is imported here, so every module of the outbound path can import it without a cycle.
"""

from __future__ import annotations

from typing import Any, Final

from core.exceptions import ApplicationError

ERROR_KINDS: Final = frozenset(
    {
        "invalid_url",
        "invalid_request",
        "blocked_address",
        "dns_error",
        "connect_timeout",
        "read_timeout",
        "timeout",
        "connection_error",
        "tls_error",
        "tls_timeout",
        "invalid_response",
        "redirect_blocked",
        "too_many_redirects",
    }
)
# Worth retrying later (webhook deliveries): the same request may work in a minute. A TLS error
# counts, because resets and handshake failures come and go and an expired certificate gets renewed.
TRANSIENT_KINDS: Final = frozenset(
    {"dns_error", "connect_timeout", "read_timeout", "timeout", "connection_error", "tls_error", "tls_timeout"}
)


class HttpError(ApplicationError):
    """A request that produced no usable response; `kind` is one of ERROR_KINDS."""

    def __init__(self, message: str, *, kind: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message, {"kind": kind, **(extra or {})})
        self.kind = kind

    @property
    def transient(self) -> bool:
        return self.kind in TRANSIENT_KINDS


def seconds_text(seconds: float) -> str:
    """5.0 -> "5", 0.7 -> "0.7": durations in messages read as a person would write them."""
    if abs(seconds - round(seconds)) < 0.05:
        return str(round(seconds))
    return f"{seconds:.1f}"


def find_cause(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    """The first exception of `kind` along the chain requests and urllib3 wrap around the real error."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        following = getattr(current, "reason", None)
        if not isinstance(following, BaseException):
            following = current.__cause__ or current.__context__
        if following is None and current.args and isinstance(current.args[0], BaseException):
            following = current.args[0]
        current = following
    return None


def short_reason(exc: BaseException) -> str:
    """The innermost cause, short: "Connection refused" rather than urllib3's pool and retry wrappers."""
    seen: set[int] = set()
    current: BaseException | None = exc
    innermost = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        innermost = current
        following = getattr(current, "reason", None)
        if not isinstance(following, BaseException):
            following = current.__cause__ or current.__context__
        if following is None and current.args and isinstance(current.args[0], BaseException):
            following = current.args[0]
        current = following
    verify_message = getattr(innermost, "verify_message", None)
    if verify_message:
        return f"certificate verify failed: {verify_message}"
    if isinstance(innermost, OSError) and innermost.strerror:
        return innermost.strerror
    return (str(innermost) or type(innermost).__name__)[:200]
