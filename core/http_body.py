"""Reading the body of the final response of `core.http.send()`: capped, decoded, within the deadline.

With `core.http` and `core.http_transport`, one of the only modules that import requests or urllib3
(a test enforces it).
"""

from __future__ import annotations

from typing import Final

import requests
import urllib3.exceptions

from core.http_errors import HttpError, short_reason
from core.http_guard import Guard

READ_CHUNK_BYTES: Final = 64 * 1024
_DECODABLE: Final = frozenset({"", "identity", "gzip", "x-gzip", "deflate"})


def read_body(response: requests.Response, guard: Guard, *, max_bytes: int) -> tuple[bytes, bool]:
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


def _map_body_error(exc: Exception, guard: Guard) -> HttpError:
    if isinstance(exc, urllib3.exceptions.ReadTimeoutError):
        return guard.read_timeout_error()
    if guard.expired:
        return HttpError(guard.deadline_message, kind="timeout")
    if isinstance(exc, urllib3.exceptions.SSLError):
        return HttpError(f"TLS error while reading the response: {short_reason(exc)}", kind="tls_error")
    if isinstance(exc, urllib3.exceptions.DecodeError):
        return HttpError(f"the response body could not be decoded ({short_reason(exc)})", kind="invalid_response")
    return HttpError(f"the connection broke while reading the response: {short_reason(exc)}", kind="connection_error")
