"""The DNS probe (dnspython): ask for one record type, optionally at a given resolver, and compare answers.

Only the resolver is connected to, so only its address goes through the network guard; the
queried name is data. The system resolver (/etc/resolv.conf) is the operator's and is trusted.
"""

from __future__ import annotations

import ipaddress
import time
from datetime import datetime

import dns.exception
import dns.name
import dns.rcode
import dns.rdatatype
import dns.resolver
from django.utils import timezone

from checks.probes.outcome import ProbeOutcome
from checks.probes.tcp import guard_failure
from core.net import format_address, format_seconds, guarded_resolver
from core.netguard import TargetRejected
from monitors.models import Monitor

_MAX_LISTED = 10


def normalize(record_type: str, value: str) -> str:
    """One comparable form per value: addresses compressed, names lowercase without the final dot,
    MX as "10 mail.example.com", TXT as written (case matters there) without surrounding quotes."""
    text = str(value).strip()
    if record_type in ("A", "AAAA"):
        try:
            return str(ipaddress.ip_address(text))
        except ValueError:
            return text.lower()
    if record_type == "TXT":
        return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text
    if record_type == "MX":
        preference, _, exchange = text.partition(" ")
        return f"{preference} {exchange.strip().rstrip('.').lower()}".strip()
    return text.rstrip(".").lower()


def _answer_text(rdata: object) -> str:
    rdtype = rdata.rdtype  # type: ignore[attr-defined]
    if rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
        return str(ipaddress.ip_address(rdata.address))  # type: ignore[attr-defined]
    if rdtype == dns.rdatatype.MX:
        exchange = rdata.exchange.to_text(omit_final_dot=True).lower()  # type: ignore[attr-defined]
        return f"{rdata.preference} {exchange}"  # type: ignore[attr-defined]
    if rdtype == dns.rdatatype.TXT:
        return b"".join(rdata.strings).decode("utf-8", "replace")  # type: ignore[attr-defined]
    return rdata.target.to_text(omit_final_dot=True).lower()  # type: ignore[attr-defined]  # CNAME, NS


def _listed(values: list[str]) -> str:
    shown = ", ".join(values[:_MAX_LISTED])
    return shown + (f" and {len(values) - _MAX_LISTED} more" if len(values) > _MAX_LISTED else "")


def _resolver(monitor: Monitor, lifetime: float) -> tuple[dns.resolver.Resolver, str]:
    """The resolver to ask and how to name it in messages; raises TargetRejected or DNSException."""
    if monitor.dns_resolver.strip():
        ip, port = guarded_resolver(monitor.dns_resolver)
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [str(ip)]
        resolver.port = port
        label = f"resolver {format_address(ip, port)}"
    else:
        resolver = dns.resolver.Resolver(configure=True)
        label = "the system resolver"
    resolver.timeout = lifetime
    resolver.lifetime = lifetime
    resolver.cache = None
    return resolver, label


def _failure(started_at: datetime, kind: str, error: str) -> ProbeOutcome:
    return ProbeOutcome(started_at=started_at, ok=False, error_kind=kind, error=error)


def probe_dns(monitor: Monitor) -> ProbeOutcome:
    """Resolve host/record_type; every expected value must be among the answers."""
    started_at = timezone.now()
    lifetime = float(monitor.timeout_seconds)
    record_type = monitor.record_type
    try:
        qname = dns.name.from_text(monitor.host.strip().rstrip(".") + ".")
    except dns.exception.DNSException:
        return _failure(started_at, "invalid_host", f"{monitor.host[:100]!r} is not a valid DNS name")
    name = qname.to_text(omit_final_dot=True)
    try:
        resolver, label = _resolver(monitor, lifetime)
    except TargetRejected as exc:
        return guard_failure(started_at, exc)
    except (dns.exception.DNSException, OSError):
        return _failure(started_at, "dns_error", "no system resolver is configured on this worker")
    began = time.monotonic()
    try:
        answer = resolver.resolve(qname, record_type, search=False, lifetime=lifetime)
    except dns.resolver.NXDOMAIN:
        return _failure(started_at, "nxdomain", f"NXDOMAIN: no such name {name}")
    except dns.resolver.NoAnswer:
        return _failure(started_at, "no_answer", f"no {record_type} record for {name}")
    except dns.exception.Timeout:
        return _failure(started_at, "dns_timeout", f"{label} did not answer within {format_seconds(lifetime)} s")
    except dns.resolver.NoNameservers as exc:
        return _failure(started_at, "dns_error", f"{label} could not answer for {name}: {_rcodes(exc)}")
    except dns.exception.DNSException as exc:
        return _failure(started_at, "dns_error", f"DNS query for {name} failed: {exc}")
    latency_ms = round((time.monotonic() - began) * 1000)
    answers = sorted({_answer_text(rdata) for rdata in answer})
    details: dict[str, object] = {
        "answers": answers,
        "ttl": answer.rrset.ttl if answer.rrset is not None else None,
        "record_type": record_type,
        "resolver": label,
    }
    if answer.canonical_name != qname:
        details["canonical_name"] = answer.canonical_name.to_text(omit_final_dot=True)
    expected = [normalize(record_type, str(value)) for value in (monitor.expected or [])]
    missing = [value for value in expected if value not in answers]
    if missing:
        return ProbeOutcome(
            started_at=started_at,
            ok=False,
            latency_ms=latency_ms,
            error_kind="unexpected_answer",
            error=f"expected {_listed(missing)}, got {_listed(answers)}",
            details=details,
        )
    return ProbeOutcome(started_at=started_at, ok=True, latency_ms=latency_ms, details=details)


def _rcodes(exc: dns.resolver.NoNameservers) -> str:
    """The response codes behind NoNameservers ("SERVFAIL", "REFUSED"), or its own text."""
    codes = []
    for error in exc.kwargs.get("errors") or []:
        response = error[4] if len(error) > 4 else None
        if response is not None:
            codes.append(dns.rcode.to_text(response.rcode()))
    return ", ".join(dict.fromkeys(codes)) or "no usable answer"
