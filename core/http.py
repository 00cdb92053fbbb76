"""The only way out to the network over HTTP: `send()`, behind the network guard.

Only this module, `core.http_transport` and `core.http_body` import requests or urllib3 (a test
enforces it); callers import from here. Every request:

- resolves the host once per hop (through `core.netguard.resolve_host`), checks every address it
  gets, refuses the hop if any one is blocked, and connects to the checked address: the `Host`
  header, TLS SNI and the certificate check keep the original name, so DNS rebinding between the
  check and the connect is impossible (`core.http_guard`, `core.http_transport`);
- ignores the environment (`trust_env=False`: no proxies, no .netrc; CVE-2024-47081);
- follows redirects by hand, each hop checked again, and drops credentials and user headers on a
  cross-origin hop (here);
- has a connect timeout, a per-read timeout and a total deadline, and reads at most `max_bytes`
  of decoded body, gzip and deflate only (`core.http_guard`, `core.http_body`).

A target that is down is data for the caller: every failure is an `HttpError` with a `kind`.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings
from requests.utils import requote_uri

from core import netguard
from core.http_body import READ_CHUNK_BYTES, read_body
from core.http_errors import ERROR_KINDS, TRANSIENT_KINDS, HttpError
from core.http_guard import WATCHDOG_GRACE_SECONDS, Guard
from core.http_transport import (
    ACCEPT_ENCODING,
    CONNECT_TIMEOUT_SECONDS,
    USER_AGENT,
    new_session,
    redirect_refused,
    send_hop,
)

__all__ = [
    "ACCEPT_ENCODING",
    "CONNECT_TIMEOUT_SECONDS",
    "ERROR_KINDS",
    "MAX_REQUEST_HEADERS",
    "MAX_REQUEST_HEADER_BYTES",
    "READ_CHUNK_BYTES",
    "REDIRECT_STATUSES",
    "RESERVED_HEADERS",
    "TRANSIENT_KINDS",
    "USER_AGENT",
    "WATCHDOG_GRACE_SECONDS",
    "HttpError",
    "HttpResponse",
    "ResponseHeaders",
    "send",
]

logger = logging.getLogger(__name__)

MAX_REQUEST_HEADERS: Final = 64
MAX_REQUEST_HEADER_BYTES: Final = 8 * 1024
REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})

_TOKEN: Final = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
# Set by send() itself, never taken from the caller.
RESERVED_HEADERS: Final = frozenset(
    {
        "host",
        "user-agent",
        "accept-encoding",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "upgrade",
    }
)


class ResponseHeaders(dict[str, str]):
    """Response headers with lowercase keys; lookups ignore case (`headers["Content-Type"]` works)."""

    def __init__(self, items: Mapping[str, str]) -> None:
        super().__init__((name.lower(), value) for name, value in items.items())

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower())

    def __contains__(self, name: object) -> bool:
        return super().__contains__(name.lower() if isinstance(name, str) else name)

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(name.lower(), default)


@dataclass(frozen=True)
class HttpResponse:
    """What came back. `elapsed_ms` is time to first byte: from the start of send() (DNS, connect,
    TLS and any redirect hops included) until the final response's headers arrived, body excluded."""

    status_code: int
    headers: dict[str, str]
    body: bytes
    body_truncated: bool
    elapsed_ms: int
    url: str
    redirects: tuple[str, ...] = field(default=())
    # notAfter of the final hop's TLS certificate (verified or not); None over plain HTTP.
    tls_not_after: datetime | None = None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


# --- send ------------------------------------------------------------------------------------


def send(
    method: str,
    url: str,
    *,
    timeout_ms: int,
    max_bytes: int,
    headers: Mapping[str, str] | None = None,
    body: bytes | str | None = None,
    max_redirects: int = 0,
    allow_private: bool | None = None,
    verify_tls: bool = True,
    connect_timeout_ms: int | None = None,
    read_timeout_ms: int | None = None,
) -> HttpResponse:
    """Send one request through the network guard and return the response, body capped at `max_bytes`.

    `timeout_ms` bounds the whole call, redirects and body included (plus at most the 2 s DNS bound).
    `connect_timeout_ms` (default 5 s) bounds each TCP connect and TLS handshake, `read_timeout_ms`
    (default: what is left of the deadline) each wait for bytes; neither goes past the deadline.
    With `max_redirects=0` a 3xx comes back as it is; otherwise up to that many hops are followed.
    `verify_tls=False` skips certificate checks for this call only. `allow_private=None` reads
    settings.ALLOW_PRIVATE_TARGETS now. Raises HttpError (with `extra["redirects"]` once a hop was
    followed), never another network exception; no side effects besides the request itself,
    nothing logged about headers or bodies.
    """
    if timeout_ms <= 0 or max_bytes < 0 or max_redirects < 0:
        raise ValueError("timeout_ms must be positive, max_bytes and max_redirects not negative")
    if (connect_timeout_ms is not None and connect_timeout_ms <= 0) or (
        read_timeout_ms is not None and read_timeout_ms <= 0
    ):
        raise ValueError("connect_timeout_ms and read_timeout_ms must be positive")
    if allow_private is None:
        allow_private = bool(settings.ALLOW_PRIVATE_TARGETS)
    method = _check_method(method)
    user_headers = _check_headers(headers or {})
    payload = body.encode("utf-8") if isinstance(body, str) else body
    url = url.strip()
    _check_url(url, allow_private=allow_private, kind=None)

    started = time.monotonic()
    guard = Guard(
        allow_private=allow_private,
        timeout_ms=timeout_ms,
        verify_tls=verify_tls,
        connect_timeout_ms=connect_timeout_ms,
        read_timeout_ms=read_timeout_ms,
    )
    session = new_session(guard)
    redirects: list[str] = []
    try:
        return _follow(
            session,
            guard,
            _Request(method, url, user_headers, payload),
            started=started,
            max_bytes=max_bytes,
            max_redirects=max_redirects,
            redirects=redirects,
        )
    except HttpError as exc:
        if redirects:
            exc.extra.setdefault("redirects", list(redirects))
        raise
    finally:
        guard.close()
        session.close()


def _follow(
    session: requests.Session,
    guard: Guard,
    request: _Request,
    *,
    started: float,
    max_bytes: int,
    max_redirects: int,
    redirects: list[str],
) -> HttpResponse:
    """The hop loop of send(): appends each followed URL to `redirects` as it goes."""
    while True:
        response = send_hop(
            session, guard, request.method, request.url, request.headers, request.payload, hop=len(redirects)
        )
        location = _redirect_location(response) if max_redirects else None
        if location is None:
            return _final_response(
                response, guard, request.url, started=started, max_bytes=max_bytes, redirects=redirects
            )
        response.close()  # the 3xx body is never read
        # As browsers and requests do: percent-encode what servers leave raw in Location (spaces, UTF-8).
        next_url = requote_uri(urljoin(request.url, location))
        if len(redirects) >= max_redirects:
            raise HttpError(
                f"too many redirects ({len(redirects) + 1} > {max_redirects})",
                kind="too_many_redirects",
                extra={"redirects": [*redirects, next_url]},
            )
        _check_url(next_url, allow_private=guard.allow_private, kind="redirect_blocked")
        request = request.redirected(next_url, response.status_code)
        redirects.append(next_url)


@dataclass(frozen=True)
class _Request:
    method: str
    url: str
    headers: dict[str, str | bytes]
    payload: bytes | None

    def redirected(self, next_url: str, status: int) -> _Request:
        """The request of the next hop: user headers dropped across origins, method changed as browsers do."""
        method, headers, payload = self.method, self.headers, self.payload
        if not _same_origin(self.url, next_url):
            headers = {}  # stays dropped for every later hop, even back to the first origin
        if _becomes_get(status, method):
            method = "GET"
            payload = None
            headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        return _Request(method, next_url, headers, payload)


def _final_response(
    response: requests.Response, guard: Guard, url: str, *, started: float, max_bytes: int, redirects: list[str]
) -> HttpResponse:
    elapsed_ms = int((time.monotonic() - started) * 1000)
    try:
        content, truncated = read_body(response, guard, max_bytes=max_bytes)
    except HttpError as exc:
        # The status line did arrive: callers such as webhooks may act on it.
        exc.extra["status_code"] = response.status_code
        raise
    logger.debug(
        "http send finished status=%s elapsed_ms=%s redirects=%s", response.status_code, elapsed_ms, len(redirects)
    )
    final = urlsplit(url)
    is_https = final.scheme.lower() == "https"
    final_port = final.port or netguard.DEFAULT_PORTS[final.scheme.lower()]
    return HttpResponse(
        status_code=response.status_code,
        headers=ResponseHeaders(response.headers),
        body=content,
        body_truncated=truncated,
        elapsed_ms=elapsed_ms,
        url=url,
        redirects=tuple(redirects),
        tls_not_after=guard.not_after(final.hostname or "", final_port) if is_https else None,
    )


def _becomes_get(status: int, method: str) -> bool:
    """What browsers and requests do: 303 and 302 turn into GET, 301 only for POST; 307 and 308 keep all."""
    if method == "HEAD":
        return False
    return status in (302, 303) or (status == 301 and method == "POST")


def _check_method(method: str) -> str:
    method = method.upper()
    if not _TOKEN.match(method):
        raise HttpError("The HTTP method is not valid.", kind="invalid_request")
    return method


def _check_headers(headers: Mapping[str, str]) -> dict[str, str | bytes]:
    """Refuse what could split or bloat the request; drop the headers send() owns; non-ASCII values go as UTF-8."""
    if len(headers) > MAX_REQUEST_HEADERS:
        raise HttpError(f"At most {MAX_REQUEST_HEADERS} headers.", kind="invalid_request")
    cleaned: dict[str, str | bytes] = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not _TOKEN.match(name):
            raise HttpError("A header name is not valid.", kind="invalid_request")
        if not isinstance(value, str) or any(ch in value for ch in "\r\n\x00"):
            raise HttpError(f"The value of the {name} header is not valid.", kind="invalid_request")
        if len(name) + len(value.encode("utf-8")) > MAX_REQUEST_HEADER_BYTES:
            raise HttpError(f"The {name} header is longer than 8 KB.", kind="invalid_request")
        if name.lower() not in RESERVED_HEADERS:
            # http.client would encode a str value as latin-1 and fail on anything beyond it.
            cleaned[name] = value if value.isascii() else value.encode("utf-8")
    return cleaned


def _check_url(url: str, *, allow_private: bool, kind: str | None) -> None:
    """The syntax and literal-address rules of save time; `kind` replaces the error's kind on a redirect hop."""
    try:
        netguard.split_target(url, allow_private=allow_private)
    except netguard.TargetRejected as exc:
        if kind is None:
            raise HttpError(exc.message, kind=exc.kind) from None
        raise redirect_refused(url, exc.message) from None


def _same_origin(first: str, second: str) -> bool:
    a, b = urlsplit(first), urlsplit(second)
    a_port = a.port or netguard.DEFAULT_PORTS[a.scheme.lower()]
    b_port = b.port or netguard.DEFAULT_PORTS[b.scheme.lower()]
    return (a.scheme.lower(), a.hostname, a_port) == (b.scheme.lower(), b.hostname, b_port)


def _redirect_location(response: requests.Response) -> str | None:
    if response.status_code not in REDIRECT_STATUSES:
        return None
    location = response.headers.get("Location")
    if not location:
        return None
    try:
        # http.client decodes header bytes as latin-1; most servers send UTF-8 (as requests does).
        return location.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return location
