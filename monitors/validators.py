"""Field rules for monitors, shared by the web forms and the API serializers."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError

from core.http import RESERVED_HEADERS
from core.net import guarded_resolver
from core.netguard import TargetRejected, validate_target_url

MAX_HEADERS = 50
MAX_HEADER_BYTES = 8 * 1024
MAX_INTERVAL_SECONDS = 24 * 60 * 60
MAX_TIMEOUT_SECONDS = 60
MAX_EXPECTED_STATUS = 20
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def validate_monitor_url(url: str) -> None:
    """Syntax and address rules of the network guard, checked at save time for early feedback."""
    try:
        validate_target_url(url)
    except TargetRejected as exc:
        raise ValidationError(exc.message, code=exc.kind) from exc


def validate_headers(headers: Any) -> None:
    if not isinstance(headers, dict):
        raise ValidationError("Headers must be an object of name: value pairs.", code="invalid")
    if len(headers) > MAX_HEADERS:
        raise ValidationError(f"At most {MAX_HEADERS} headers.", code="too_many")
    for name, value in headers.items():
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            raise ValidationError(f"Invalid header name: {str(name)[:40]!r}.", code="invalid_name")
        if name.lower() in RESERVED_HEADERS:  # set by core.http.send itself, never by a user
            raise ValidationError(f"The {name} header is set by Driftwatch.", code="reserved")
        if not isinstance(value, str):
            raise ValidationError(f"The value of {name} must be a string.", code="invalid_value")
        if "\r" in value or "\n" in value or "\x00" in value:
            raise ValidationError(f"The value of {name} contains a line break.", code="invalid_value")
        try:
            size = len(name.encode()) + len(value.encode())
        except UnicodeEncodeError as exc:  # a lone surrogate such as "\ud800" from JSON
            raise ValidationError(f"The value of {name} is not valid text.", code="invalid_value") from exc
        if size > MAX_HEADER_BYTES:
            raise ValidationError(f"The {name} header is longer than 8 KB.", code="too_long")


def validate_expected_status(codes: Any) -> None:
    if not isinstance(codes, list) or not codes:
        raise ValidationError("Give at least one expected status code.", code="required")
    if len(codes) > MAX_EXPECTED_STATUS:
        raise ValidationError(f"At most {MAX_EXPECTED_STATUS} status codes.", code="too_many")
    for code in codes:
        if isinstance(code, bool) or not isinstance(code, int) or not 100 <= code <= 599:
            raise ValidationError(f"{code!r} is not an HTTP status code (100-599).", code="invalid")


def validate_interval(seconds: int) -> None:
    minimum = settings.MIN_CHECK_INTERVAL
    if seconds < minimum:
        raise ValidationError(f"The interval must be at least {minimum} seconds.", code="min_value")
    if seconds > MAX_INTERVAL_SECONDS:
        raise ValidationError("The interval must be at most 86400 seconds (one day).", code="max_value")


def validate_timeout(seconds: int) -> None:
    if not 1 <= seconds <= MAX_TIMEOUT_SECONDS:
        raise ValidationError(f"The timeout must be between 1 and {MAX_TIMEOUT_SECONDS} seconds.", code="range")


def validate_timeout_within_interval(*, timeout_seconds: int, interval_seconds: int) -> None:
    if timeout_seconds >= interval_seconds:
        raise ValidationError({"timeout_seconds": "The timeout must be shorter than the interval."})


def parse_status_codes(text: str) -> list[int]:
    """'200, 204' -> [200, 204], for the web form's text field."""
    codes: list[int] = []
    for part in re.split(r"[\s,]+", text.strip()):
        if not part:
            continue
        if not part.isdigit():
            raise ValidationError(f"{part[:10]!r} is not a number.", code="invalid")
        codes.append(int(part))
    validate_expected_status(codes)
    return codes


def parse_header_lines(text: str) -> dict[str, str]:
    """'Name: value' lines -> dict, for the web form's text area."""
    headers: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise ValidationError(f"Line {number}: expected 'Name: value'.", code="invalid")
        headers[name.strip()] = value.strip()
    validate_headers(headers)
    return headers


_REGION = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
MAX_REGIONS = 10


def validate_regions(regions: Any) -> None:
    if not isinstance(regions, list) or not regions:
        raise ValidationError("Give at least one region.", code="required")
    if len(regions) > MAX_REGIONS:
        raise ValidationError(f"At most {MAX_REGIONS} regions.", code="too_many")
    for region in regions:
        if not isinstance(region, str) or not _REGION.fullmatch(region):
            raise ValidationError(f"{str(region)[:40]!r} is not a region name (a-z, 0-9, -).", code="invalid")
    if len(set(regions)) != len(regions):
        raise ValidationError("Regions must not repeat.", code="duplicate")
    # A region no worker serves would queue its checks forever and never alert.
    for region in regions:
        if region not in settings.CHECK_REGIONS:
            served = ", ".join(settings.CHECK_REGIONS)
            raise ValidationError(f"No worker runs checks for region {region!r} (regions: {served}).", code="unknown")


def validate_dns_resolver(value: str) -> None:
    """A DNS monitor's resolver: blank (the system's), "ip", "ip:port", "v6", "[v6]" or "[v6]:port".

    An IP address only, checked by the network guard like any target (private ones need
    ALLOW_PRIVATE_TARGETS, link-local and metadata ones are always refused).
    """
    if not value.strip():
        return
    try:
        guarded_resolver(value)
    except TargetRejected as exc:
        raise ValidationError(exc.message, code=exc.kind) from exc
