"""One hop of `core.http.send()` over requests, pinned to the address the guard checked.

With `core.http` and `core.http_body`, one of the only modules that import requests or urllib3 (a
test enforces it). The adapter resolves and checks the host of each hop through the call's
`Guard`, connects only to that address (the `Host` header, TLS SNI and the certificate check keep
the original name), never uses a proxy, .netrc or a client certificate, and maps every client
exception to an `HttpError`.
"""

from __future__ import annotations

import functools
import http.cookiejar
import socket
import ssl
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.ssl_match_hostname import CertificateError

from core import netguard
from core.http_errors import HttpError, find_cause, seconds_text, short_reason
from core.http_guard import Guard
from core.http_tls import CertificateDates, describe_verify_failure

USER_AGENT: Final = "Driftwatch/1.0 (+uptime monitor)"
ACCEPT_ENCODING: Final = "gzip, deflate"
CONNECT_TIMEOUT_SECONDS: Final = 5.0


class _GuardedConnectionMixin:
    """Connects only to an address the call's guard pinned, and hands the socket to its watchdog."""

    host: str

    def __init__(self, *args: Any, guard: Guard, **kwargs: Any) -> None:
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
        # The certificate's dates, verified or not (binary_form works with CERT_NONE too).
        der = self.sock.getpeercert(binary_form=True) if isinstance(self.sock, ssl.SSLSocket) else None
        self._guard.record_certificate(self.server_hostname or self.host, self.port or 443, der)


class _GuardedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection

    def _validate_conn(self, conn: Any) -> None:
        # urllib3's version, minus the InsecureRequestWarning: verify_tls=False is the monitor's
        # explicit choice, and a warning per check would only flood the worker's log.
        HTTPConnectionPool._validate_conn(self, conn)
        if conn.is_closed:
            conn.connect()


class _GuardedAdapter(HTTPAdapter):
    """Resolves and checks the host of each request, then sends it to the pinned address.

    The approach of saleor/requests-hardened's IPFilterAdapter: the pool key's host becomes the
    checked IP, while `Host`, `server_hostname` (SNI) and `assert_hostname` keep the original name.
    """

    def __init__(self, guard: Guard) -> None:
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
        # Never a proxy or a client certificate, whatever the caller passed; verification as the
        # call's guard says. The guard (and this adapter, and its pools) lives for one send() call,
        # so a verify_tls=False call never lends a connection to a verifying one (CVE-2024-35195).
        verify_tls = self._guard.verify_tls
        return super().send(request, stream=stream, timeout=timeout, verify=verify_tls, cert=None, proxies=None)


class _Session(requests.Session):
    def get_redirect_target(self, resp: requests.Response) -> str | None:
        # Redirects are followed by send(). Returning None also stops Session.send from reading
        # a 3xx body in full (resolve_redirects consumes resp.content, with no cap).
        return None


def new_session(guard: Guard) -> requests.Session:
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


def send_hop(
    session: requests.Session,
    guard: Guard,
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
            timeout=guard.hop_timeouts(remaining),
            allow_redirects=False,
            stream=True,
        )
    except HttpError as exc:
        if hop and exc.kind in ("blocked_address", "invalid_url"):
            raise redirect_refused(url, exc.message) from None
        raise
    except requests.RequestException as exc:
        raise _map_request_error(exc, guard, url, remaining) from None
    except OSError as exc:
        # requests lets a few plain OSErrors through, e.g. a missing CA bundle.
        raise HttpError(f"could not send the request: {short_reason(exc)}", kind="connection_error") from None


def redirect_refused(url: str, reason: str) -> HttpError:
    return HttpError(f"redirect to a blocked address refused ({url[:200]}: {reason})", kind="redirect_blocked")


def _map_request_error(exc: requests.RequestException, guard: Guard, url: str, remaining: float) -> HttpError:
    parts = urlsplit(url)
    host = parts.hostname or url[:100]
    port = parts.port or netguard.DEFAULT_PORTS.get(parts.scheme.lower(), 80)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        connect = seconds_text(min(guard.connect_timeout, remaining))
        return HttpError(f"timed out after {connect} s (connect)", kind="connect_timeout")
    if isinstance(exc, requests.exceptions.Timeout) and guard.handshaking and not guard.expired:
        return HttpError(f"TLS handshake timed out ({host})", kind="tls_timeout")
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return guard.read_timeout_error()
    if guard.expired:
        return HttpError(guard.deadline_message, kind="timeout")
    if isinstance(exc, requests.exceptions.SSLError):
        return _tls_error(exc, guard, host, port)
    if isinstance(exc, requests.exceptions.InvalidHeader):
        return HttpError("A request header is not valid.", kind="invalid_request")
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema)):
        return HttpError("The URL is not valid.", kind="invalid_url")
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        return HttpError(f"the response of {host} could not be decoded", kind="invalid_response")
    netloc = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if find_cause(exc, ConnectionRefusedError):
        return HttpError(f"connection refused by {netloc}", kind="connection_error")
    if find_cause(exc, ConnectionResetError):
        return HttpError(f"connection reset by {netloc}", kind="connection_error")
    return HttpError(f"connection to {netloc} failed: {short_reason(exc)}", kind="connection_error")


def _tls_error(exc: requests.RequestException, guard: Guard, host: str, port: int) -> HttpError:
    if find_cause(exc, CertificateError):  # urllib3 matches the name itself when given assert_hostname
        message = f"certificate does not match {host} (hostname mismatch)"
        return HttpError(message, kind="tls_error", extra={"tls_reason": "hostname_mismatch"})
    failure = find_cause(exc, ssl.SSLCertVerificationError)
    if not isinstance(failure, ssl.SSLCertVerificationError):
        return HttpError(
            f"TLS error with {host}: {short_reason(exc)}", kind="tls_error", extra={"tls_reason": "handshake"}
        )
    dates = _peek_certificate(guard, host, port) if failure.verify_code in (9, 10) else None
    described = describe_verify_failure(failure, host=host, dates=dates)
    extra: dict[str, Any] = {"tls_reason": described.reason}
    if dates:
        extra["tls_not_after"] = dates.not_after.isoformat()
    return HttpError(described.message, kind="tls_error", extra=extra)


def _peek_certificate(guard: Guard, host: str, port: int) -> CertificateDates | None:
    """Dates of a certificate that failed verification: one more handshake, unverified, to the same pinned address.

    The failed handshake leaves nothing to read the certificate from; the second one only reads
    it, sends no request, and is bounded by 2 s and the call's deadline.
    """
    address = guard.pins.get((host.strip("[]").rstrip(".").lower(), port))
    remaining = guard.remaining()
    if address is None or remaining <= 0.1:
        return None
    is_name = address != host.strip("[]")
    connection = _GuardedHTTPSConnection(
        address,
        port,
        guard=guard,
        timeout=min(2.0, remaining),
        cert_reqs="CERT_NONE",
        server_hostname=host.rstrip(".") if is_name else None,
    )
    try:
        connection.connect()
    except (OSError, HttpError, urllib3.exceptions.HTTPError):
        return None
    finally:
        connection.close()
    return guard.certificate_for(host, port)
