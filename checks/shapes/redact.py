"""redact: the JSON text of a sample body with secret-looking values masked, capped in bytes.

Written as an iterative, streaming encoder so that a 10,000-deep or 10^6-element value costs only
the bytes it is allowed to produce, never a RecursionError.
"""

from __future__ import annotations

import json
import re
from itertools import islice
from typing import Any, Final

MASK: Final = "***"
# Words that make a key secret; matched against the key's words and each pair of adjacent words
# joined (api_key → "apikey", privateKey → "privatekey"). "author" is not "auth": whole words only.
_SECRET_WORDS: Final = frozenset(
    {
        "token",
        "tokens",
        "password",
        "passwd",
        "passphrase",
        "pwd",
        "secret",
        "secrets",
        "apikey",
        "authorization",
        "auth",
        "cookie",
        "cookies",
        "session",
        "sessionid",
        "privatekey",
        "accesskey",
        "secretkey",
        "refresh",
        "jwt",
        "ssn",
        "card",
        "cardnumber",
        "cvv",
        "cvc",
        "pincode",
        "otp",
        "bearer",
        "credential",
        "credentials",
        "signature",
        "iban",
    }
)
_SECRET_PREFIXES: Final = ("password", "passwd", "secret", "token", "card", "credential", "apikey", "accesskey")
_WORDS: Final = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
# Secrets recognisable by their value, whatever the key: credentials in an Authorization-style
# string, JWTs, well-known token formats, passwords in URLs and secret-named query parameters.
_SECRET_VALUE: Final = re.compile(
    r"""^(?:(?:bearer|basic|token|digest)\s+\S+
      | eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*
      | (?:sk|rk)_(?:live|test)_[A-Za-z0-9]{8,}
      | gh[pousr]_[A-Za-z0-9]{20,} | github_pat_[A-Za-z0-9_]{20,}
      | xox[abposr]-[A-Za-z0-9-]{10,}
      | AKIA[0-9A-Z]{16}
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_URL_PASSWORD: Final = re.compile(r"(?<=://)([^/@:\s]*):[^/@\s]+@")
_QUERY_SECRET: Final = re.compile(
    r"([?&](?:[a-z_]*token|api[_-]?key|apikey|key|secret|client_secret|password|passwd|sig|signature|auth)=)[^&#\s]+",
    re.IGNORECASE,
)


def is_secret_key(key: str) -> bool:
    words = [w.lower() for w in _WORDS.findall(str(key))]
    pairs = (a + b for a, b in zip(words, words[1:], strict=False))
    for word in (*words, *pairs):
        if word in _SECRET_WORDS or word.startswith(_SECRET_PREFIXES):
            return True
    return False


def redact(value: Any, *, max_bytes: int = 16_384) -> tuple[str, bool]:
    """(JSON text of `value` with secrets replaced by "***", truncated). At most max_bytes UTF-8 bytes.

    Masked: the value of a secret-looking key (whole: an object or list under "credentials" goes
    too), and strings that are secrets by their form (Bearer credentials, JWTs, sk_live_…, ghp_…,
    xoxb-…, AKIA…, passwords in URLs, token/key/secret/signature query parameters).
    """
    limit = max(0, max_bytes)
    pieces: list[str] = []
    size = 0
    secret_keys: dict[str, bool] = {}
    # Work items: a value to encode, or a literal piece of text (closing brackets, commas, keys).
    stack: list[tuple[bool, Any]] = [(False, value)]
    while stack:
        is_text, item = stack.pop()
        if is_text:
            text = item
        elif isinstance(item, dict):
            if not item:
                text = "{}"
            else:
                entries: list[tuple[bool, Any]] = [(True, "}")]
                shown = list(islice(item.items(), max(0, limit - size) // 4 + 2))
                for index, (key, child) in enumerate(reversed(shown)):
                    key_text = key if isinstance(key, str) else str(key)
                    secret = secret_keys.get(key_text)
                    if secret is None:
                        secret = secret_keys[key_text] = is_secret_key(key_text)
                    entries.append((False, MASK if secret else child))
                    prefix = "" if index == len(shown) - 1 else ","
                    entries.append((True, prefix + _string(key_text) + ":"))
                stack.extend(entries)
                text = "{"
        elif isinstance(item, list | tuple):
            if not item:
                text = "[]"
            else:
                stack.append((True, "]"))
                _push_elements(stack, item, limit - size)
                text = "["
        else:
            text = _scalar(item)
        pieces.append(text)
        size += len(text) if text.isascii() else len(text.encode("utf-8"))
        if size > limit:
            raw = "".join(pieces).encode("utf-8")[:limit]
            return raw.decode("utf-8", "ignore"), True
    return "".join(pieces), False


def _push_elements(stack: list[tuple[bool, Any]], items: list | tuple, room: int) -> None:
    """Push at most as many elements as could fit in `room` bytes (each takes one at least), last first."""
    count = min(len(items), room // 2 + 2)
    for index in range(count - 1, -1, -1):
        stack.append((False, items[index]))
        if index:
            stack.append((True, ","))


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return _string(redact_text(value))
    if value is None or isinstance(value, bool | float):
        return json.dumps(value)
    if isinstance(value, int):
        try:
            return str(int(value))
        except ValueError:  # more digits than int -> str allows
            return '"<a very long integer>"'
    return _string(str(value))


def redact_text(text: str) -> str:
    """A string value with the secrets its own form gives away masked (see _SECRET_VALUE)."""
    if len(text) < 12:
        return text
    if _SECRET_VALUE.match(text):
        return MASK
    if "://" in text or "=" in text:
        text = _URL_PASSWORD.sub(r"\1:***@", text)
        text = _QUERY_SECRET.sub(r"\1***", text)
    return text


def _string(text: str) -> str:
    """JSON string literal; non-ASCII kept as is unless it cannot be UTF-8 (a lone surrogate), then escaped."""
    if text.isascii():
        return json.dumps(text)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(text, ensure_ascii=True)
    return json.dumps(text, ensure_ascii=False)
