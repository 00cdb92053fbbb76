"""The only way out to the network over HTTP: `send()`, behind the network guard.

This is the only module that imports requests or urllib3 (a test enforces it). Every request:

- resolves the host once per hop (through `core.netguard.resolve_host`), checks every address it
  gets, refuses the hop if any one is blocked, and connects to the checked address: the `Host`
  header, TLS SNI and the certificate check keep the original name, so DNS rebinding between the
  check and the connect is impossible;
- ignores the environment (`trust_env=False`: no proxies, no .netrc; CVE-2024-47081);
- follows redirects by hand, each hop checked again, and drops credentials and user headers on a
  cross-origin hop;
- has a connect timeout, a per-read timeout and a total deadline, and reads at most `max_bytes`
  of decoded body (gzip and deflate only).

A target that is down is data for the caller: every failure is an `HttpError` with a `kind`.
"""

from __future__ import annotations

import functools
import http.cookiejar
import logging
import re
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions
from django.conf import settings
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import requote_uri
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from core import netguard
from core.exceptions import ApplicationError

logger = logging.getLogger(__name__)

USER_AGENT: Final = "Driftwatch/1.0 (+uptime monitor)"
ACCEPT_ENCODING: Final = "gzip, deflate"
CONNECT_TIMEOUT_SECONDS: Final = 5.0
# The watchdog fires a little after the deadline, so that a server that stays silent ends with
# its own socket timeout (read_timeout) and only a server that keeps trickling is cut (timeout).
WATCHDOG_GRACE_SECONDS: Final = 0.25
READ_CHUNK_BYTES: Final = 64 * 1024
MAX_REQUEST_HEADERS: Final = 64
MAX_REQUEST_HEADER_BYTES: Final = 8 * 1024
REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})

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
_CREDENTIAL_HEADERS: Final = frozenset({"authorization", "cookie", "proxy-authorization"})
_DECODABLE: Final = frozenset({"", "identity", "gzip", "x-gzip", "deflate"})


class HttpError(ApplicationError):
    """A request that produced no usable response; `kind` is one of ERROR_KINDS."""

    def __init__(self, message: str, *, kind: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message, {"kind": kind, **(extra or {})})
        self.kind = kind

    @property
    def transient(self) -> bool:
        return self.kind in TRANSIENT_KINDS


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

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


# --- the per-call guard: pinning and the total deadline ---------------------------------


class _Guard:
    """State of one send() call: what may be connected to, and a watchdog for the total deadline.

    The watchdog shuts down every socket the call opened when the deadline passes, which wakes a
    read blocked on a server that trickles bytes (a per-read timeout never fires there; psf/requests#4276).
    """

    def __init__(self, *, allow_private: bool, timeout_ms: int) -> None:
        timeout_seconds = timeout_ms / 1000
        self.allow_private = allow_private
        self.deadline = time.monotonic() + timeout_seconds
        self.deadline_message = f"The request did not complete within {timeout_ms} ms."
        self.expired = False
        self.handshaking = False  # a TLS handshake is under way: a timeout now is a tls_timeout
        self._pinned: set[str] = set()
        self._watched: list[socket.socket] = []
        self._lock = threading.Lock()
        self._closed = False
        self._timer = threading.Timer(timeout_seconds + WATCHDOG_GRACE_SECONDS, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def past_deadline(self) -> bool:
        return self.expired or self.remaining() <= 0

    def pin(self, host: str, port: int) -> tuple[str, bool]:
        """Check `host` (name or literal), resolve a name once, check every address: (IP to connect to, is_name)."""
        try:
            checked = netguard.check_host(host, allow_private=self.allow_private, bracketed=":" in host)
        except netguard.TargetRejected as exc:
            raise HttpError(exc.message, kind=exc.kind) from None
        if not isinstance(checked, str):
            address = str(checked)
        else:
            try:
                addresses = netguard.resolve_host(checked, port)
            except OSError:
                raise HttpError(f"Could not resolve {checked}.", kind="dns_error") from None
            if not addresses:
                raise HttpError(f"{checked} has no addresses.", kind="dns_error")
            try:
                address = str(netguard.check_addresses(checked, addresses, allow_private=self.allow_private)[0])
            except netguard.TargetRejected as exc:
                raise HttpError(exc.message, kind=exc.kind) from None
        with self._lock:
            self._pinned.add(address)
        return address, isinstance(checked, str)

    def before_connect(self, host: str) -> None:
        """Last check before a socket opens: only an address pin() approved, and still allowed."""
        address = host.strip("[]")
        with self._lock:
            approved = address in self._pinned
        if not approved or netguard.is_blocked_address(address, allow_private=self.allow_private):
            raise HttpError(netguard.blocked_message(address), kind="blocked_address")

    def watch(self, sock: socket.socket) -> None:
        # A duplicate descriptor still refers to the connection after the TLS wrapper takes over
        # the original socket object, and it cannot be reused for another socket while held.
        duplicate = sock.dup()
        with self._lock:
            if not self._closed:
                self._watched.append(duplicate)
                if not self.expired:
                    return
        _shutdown(duplicate)
        if self._closed:
            duplicate.close()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._watched:
                _shutdown(sock)

    def close(self) -> None:
        self._timer.cancel()
        with self._lock:
            self._closed = True
            watched, self._watched = self._watched, []
        for sock in watched:
            sock.close()


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed by the peer or by urllib3: nothing left to interrupt


class _GuardedConnectionMixin:
    """Connects only to an address the call's guard pinned, and hands the socket to its watchdog."""

    host: str

    def __init__(self, *args: Any, guard: _Guard, **kwargs: Any) -> None:
        self._guard = guard
        super().__init__(*args, **kwargs)

    def _new_conn(self) -> socket.socket:
        self._guard.before_connect(self.host)
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        self._guard.watch(sock)
        return sock


class _GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    def connect(self) -> None:
        self._guard.handshaking = True
        super().connect()
        self._guard.handshaking = False


class _GuardedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    """Resolves and checks the host of each request, then sends it to the pinned address.

    The approach of saleor/requests-hardened's IPFilterAdapter: the pool key's host becomes the
    checked IP, while `Host`, `server_hostname` (SNI) and `assert_hostname` keep the original name.
    """

    def __init__(self, guard: _Guard) -> None:
        self._guard = guard  # before super().__init__, which calls init_poolmanager
        super().__init__(pool_connections=2, pool_maxsize=2, max_retries=0)

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any) -> None:
        super().init_poolmanager(connections, maxsize, block=block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": functools.partial(_GuardedHTTPConnectionPool, guard=self._guard),
            "https": functools.partial(_GuardedHTTPSConnectionPool, guard=self._guard),
        }

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        hostname: str = host_params["host"] or ""
        port: int | None = host_params["port"]
        scheme: str = host_params["scheme"]
        address, is_name = self._guard.pin(hostname, port or netguard.DEFAULT_PORTS.get(scheme, 80))
        host_header = f"[{hostname}]" if ":" in hostname else hostname
        request.headers["Host"] = host_header if port is None else f"{host_header}:{port}"
        if scheme == "https" and is_name:
            pool_kwargs["server_hostname"] = hostname.rstrip(".")
            pool_kwargs["assert_hostname"] = hostname.rstrip(".")
        host_params["host"] = address
        return host_params, pool_kwargs

    def get_connection(self, url: str, proxies: Mapping[str, str] | None = None) -> Any:
        raise NotImplementedError("Only get_connection_with_tls_context pins the address (requests >= 2.32.2).")

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        # Never a proxy, never verify=False, never a client certificate, whatever the caller passed.
        return super().send(request, stream=stream, timeout=timeout, verify=True, cert=None, proxies=None)


class _Session(requests.Session):
    def get_redirect_target(self, resp: requests.Response) -> str | None:
        # Redirects are followed by send(). Returning None also stops Session.send from reading
        # a 3xx body in full (resolve_redirects consumes resp.content, with no cap).
        return None


def _new_session(guard: _Guard) -> requests.Session:
    session = _Session()
    session.trust_env = False
    session.headers = CaseInsensitiveDict(
        {"User-Agent": USER_AGENT, "Accept-Encoding": ACCEPT_ENCODING, "Accept": "*/*"}
    )
    # Cookies a target sets are not carried to the next hop; a Cookie header from the caller is.
    session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    adapter = _GuardedAdapter(guard)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


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
) -> HttpResponse:
    """Send one request through the network guard and return the response, body capped at `max_bytes`.

    `timeout_ms` bounds the whole call, redirects and body included (plus at most the 2 s DNS bound).
    With `max_redirects=0` a 3xx comes back as it is; otherwise up to that many hops are followed.
    `allow_private=None` reads settings.ALLOW_PRIVATE_TARGETS now. Raises HttpError, never another
    network exception; no side effects besides the request itself, nothing logged about headers or bodies.
    """
    if timeout_ms <= 0 or max_bytes < 0 or max_redirects < 0:
        raise ValueError("timeout_ms must be positive, max_bytes and max_redirects not negative")
    if allow_private is None:
        allow_private = bool(settings.ALLOW_PRIVATE_TARGETS)
    method = _check_method(method)
    user_headers = _check_headers(headers or {})
    payload = body.encode("utf-8") if isinstance(body, str) else body
    url = url.strip()
    _check_url(url, allow_private=allow_private, kind=None)

    started = time.monotonic()
    guard = _Guard(allow_private=allow_private, timeout_ms=timeout_ms)
    session = _new_session(guard)
    redirects: list[str] = []
    try:
        while True:
            response = _send_hop(session, guard, method, url, user_headers, payload, hop=len(redirects))
            location = _redirect_location(response) if max_redirects else None
            if location is None:
                elapsed_ms = int((time.monotonic() - started) * 1000)
                content, truncated = _read_body(response, guard, max_bytes=max_bytes)
                logger.debug(
                    "http send finished status=%s elapsed_ms=%s redirects=%s",
                    response.status_code,
                    elapsed_ms,
                    len(redirects),
                )
                return HttpResponse(
                    status_code=response.status_code,
                    headers=ResponseHeaders(response.headers),
                    body=content,
                    body_truncated=truncated,
                    elapsed_ms=elapsed_ms,
                    url=url,
                    redirects=tuple(redirects),
                )
            response.close()  # the 3xx body is never read
            # As browsers and requests do: percent-encode what servers leave raw in Location (spaces, UTF-8).
            next_url = requote_uri(urljoin(url, location))
            if len(redirects) >= max_redirects:
                raise HttpError(
                    f"More than {max_redirects} redirects.",
                    kind="too_many_redirects",
                    extra={"redirects": [*redirects, next_url]},
                )
            _check_url(next_url, allow_private=allow_private, kind="redirect_blocked")
            if not _same_origin(url, next_url):
                user_headers = {}  # stays dropped for every later hop, even back to the first origin
            if _becomes_get(response.status_code, method):
                method = "GET"
                payload = None
                user_headers = {k: v for k, v in user_headers.items() if k.lower() != "content-type"}
            redirects.append(next_url)
            url = next_url
    finally:
        guard.close()
        session.close()


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
        raise HttpError(f"Redirect to {url[:200]} refused: {exc.message}", kind=kind) from None


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


def _send_hop(
    session: requests.Session,
    guard: _Guard,
    method: str,
    url: str,
    headers: Mapping[str, str | bytes],
    payload: bytes | None,
    *,
    hop: int,
) -> requests.Response:
    remaining = guard.remaining()
    if remaining <= 0:
        raise HttpError(guard.deadline_message, kind="timeout")
    guard.handshaking = False
    try:
        return session.request(
            method,
            url,
            headers=dict(headers),
            data=payload,
            timeout=(min(CONNECT_TIMEOUT_SECONDS, remaining), remaining),
            allow_redirects=False,
            stream=True,
        )
    except HttpError as exc:
        if hop and exc.kind in ("blocked_address", "invalid_url"):
            raise HttpError(f"Redirect to {url[:200]} refused: {exc.message}", kind="redirect_blocked") from None
        raise
    except requests.RequestException as exc:
        raise _map_request_error(exc, guard, url, remaining) from None
    except OSError as exc:
        # requests lets a few plain OSErrors through, e.g. a missing CA bundle.
        raise HttpError(f"Could not send the request: {_reason(exc)}", kind="connection_error") from None


def _map_request_error(exc: requests.RequestException, guard: _Guard, url: str, remaining: float) -> HttpError:
    host = urlsplit(url).hostname or url[:100]
    connect_ms = int(min(CONNECT_TIMEOUT_SECONDS, remaining) * 1000)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return HttpError(f"Connecting to {host} timed out after {connect_ms} ms.", kind="connect_timeout")
    if isinstance(exc, requests.exceptions.Timeout) and guard.handshaking and not guard.expired:
        return HttpError(f"The TLS handshake with {host} timed out after {connect_ms} ms.", kind="tls_timeout")
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return HttpError(f"{host} sent nothing for {int(remaining * 1000)} ms.", kind="read_timeout")
    if guard.expired:
        return HttpError(guard.deadline_message, kind="timeout")
    if isinstance(exc, requests.exceptions.SSLError):
        return HttpError(f"TLS error with {host}: {_reason(exc)}", kind="tls_error")
    if isinstance(exc, requests.exceptions.InvalidHeader):
        return HttpError("A request header is not valid.", kind="invalid_request")
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema)):
        return HttpError("The URL is not valid.", kind="invalid_url")
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        return HttpError(f"The response of {host} could not be decoded.", kind="invalid_response")
    return HttpError(f"Connection to {host} failed: {_reason(exc)}", kind="connection_error")


def _read_body(response: requests.Response, guard: _Guard, *, max_bytes: int) -> tuple[bytes, bool]:
    """Read at most max_bytes + 1 decoded bytes, so truncation is known; always closes the response."""
    raw = response.raw
    codings = {part.strip().lower() for part in response.headers.get("Content-Encoding", "").split(",")}
    # Accept-Encoding asked for gzip and deflate only; anything else is kept as the bytes that came.
    decode = codings <= _DECODABLE
    buffer = bytearray()
    try:
        while len(buffer) <= max_bytes:
            if guard.past_deadline():
                raise HttpError(guard.deadline_message, kind="timeout")
            data = raw.read(min(READ_CHUNK_BYTES, max_bytes + 1 - len(buffer)), decode_content=decode)
            if not data:
                break
            buffer += data
    except HttpError:
        raise
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise _map_body_error(exc, guard) from None
    finally:
        response.close()
    if guard.expired:
        # The watchdog's shutdown looks like the end of the body to a read without Content-Length.
        raise HttpError(guard.deadline_message, kind="timeout")
    truncated = len(buffer) > max_bytes
    del buffer[max_bytes:]
    return bytes(buffer), truncated


def _map_body_error(exc: Exception, guard: _Guard) -> HttpError:
    if isinstance(exc, urllib3.exceptions.ReadTimeoutError):
        return HttpError("The response body stalled.", kind="read_timeout")
    if guard.expired:
        return HttpError(guard.deadline_message, kind="timeout")
    if isinstance(exc, urllib3.exceptions.SSLError):
        return HttpError(f"TLS error while reading the response: {_reason(exc)}", kind="tls_error")
    if isinstance(exc, urllib3.exceptions.DecodeError):
        return HttpError("The response body could not be decoded.", kind="invalid_response")
    return HttpError(f"The connection broke while reading the response: {_reason(exc)}", kind="connection_error")


def _reason(exc: BaseException) -> str:
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
