"""TLS facts for `core.http.send()`: a certificate's validity dates, and why a verification failed.

No HTTP client and no socket here: the transport hands over the DER certificate it got and the
`ssl.SSLCertVerificationError` it caught; this module turns them into data and sentences.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

# OpenSSL X509_V_ERR_* codes (x509_vfy.h) that a person would call "not trusted".
_UNTRUSTED: Final = frozenset({2, 18, 19, 20, 21, 27, 28, 29})
_NOT_YET_VALID: Final = 9
_EXPIRED: Final = 10
_HOSTNAME_MISMATCH: Final = 62
_IP_MISMATCH: Final = 64

_UTC_TIME: Final = 0x17
_GENERALIZED_TIME: Final = 0x18


@dataclass(frozen=True)
class CertificateDates:
    not_before: datetime
    not_after: datetime


def certificate_dates(der: bytes) -> CertificateDates | None:
    """notBefore/notAfter of a DER X.509 certificate (RFC 5280 §4.1), or None if it does not parse."""
    try:
        certificate, _ = _tlv(der, 0)
        tbs, _ = _tlv(certificate.body, 0)
        fields = _children(tbs.body)
        if fields and fields[0].tag == 0xA0:  # explicit [0] version
            fields = fields[1:]
        validity = _children(fields[3].body)  # serialNumber, signature, issuer, validity
        return CertificateDates(_time(validity[0]), _time(validity[1]))
    except (IndexError, ValueError):
        return None


@dataclass(frozen=True)
class VerifyFailure:
    """`reason` is a stable code (expired, not_yet_valid, untrusted, hostname_mismatch, rejected)."""

    reason: str
    message: str


def describe_verify_failure(
    error: ssl.SSLCertVerificationError, *, host: str, dates: CertificateDates | None
) -> VerifyFailure:
    code = getattr(error, "verify_code", None)
    detail = getattr(error, "verify_message", None) or str(error)
    if code == _EXPIRED:
        when = f" on {dates.not_after.date().isoformat()}" if dates else ""
        return VerifyFailure("expired", f"TLS certificate expired{when}")
    if code == _NOT_YET_VALID:
        when = f" until {dates.not_before.date().isoformat()}" if dates else " yet"
        return VerifyFailure("not_yet_valid", f"TLS certificate not valid{when}")
    if code in (_HOSTNAME_MISMATCH, _IP_MISMATCH):
        return VerifyFailure("hostname_mismatch", f"certificate does not match {host} (hostname mismatch)")
    if code in _UNTRUSTED:
        return VerifyFailure("untrusted", f"certificate not trusted ({detail})")
    return VerifyFailure("rejected", f"TLS certificate rejected ({detail})")


# --- a minimal DER reader: only what the validity dates need -------------------------------------


@dataclass(frozen=True)
class _Tlv:
    tag: int
    body: bytes


def _tlv(data: bytes, offset: int) -> tuple[_Tlv, int]:
    tag = data[offset]
    length = data[offset + 1]
    offset += 2
    if length & 0x80:
        count = length & 0x7F
        if not 1 <= count <= 4:
            raise ValueError("unsupported DER length")
        length = int.from_bytes(data[offset : offset + count], "big")
        offset += count
    end = offset + length
    if end > len(data):
        raise ValueError("truncated DER")
    return _Tlv(tag, data[offset:end]), end


def _children(data: bytes) -> list[_Tlv]:
    items: list[_Tlv] = []
    offset = 0
    while offset < len(data):
        item, offset = _tlv(data, offset)
        items.append(item)
    return items


def _time(item: _Tlv) -> datetime:
    text = item.body.decode("ascii")
    if item.tag == _UTC_TIME:  # YYMMDDHHMMSSZ; RFC 5280: YY >= 50 means 19YY
        year = int(text[:2])
        text = f"{1900 + year if year >= 50 else 2000 + year}{text[2:]}"
    elif item.tag != _GENERALIZED_TIME:
        raise ValueError("not a time")
    return datetime.strptime(text, "%Y%m%d%H%M%SZ").replace(tzinfo=UTC)
