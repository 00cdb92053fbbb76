"""Field rules for monitors, shared by the web forms and the API serializers."""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError

from core import netguard
from core.http import RESERVED_HEADERS
from core.net import guarded_resolver
from core.netguard import TargetRejected, check_addresses, check_host, validate_target_url

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
    """A non-empty list of status codes (ints 100-599) and ranges ("200-299"); see status_ranges."""
    status_ranges(codes)


_STATUS_RANGE = re.compile(r"\s*([0-9]{3})\s*-\s*([0-9]{3})\s*")


def status_ranges(codes: Any) -> list[tuple[int, int]]:
    """[200, "300-399"] -> [(200, 200), (300, 399)]: the one parser of expected-status lists.

    Items are ints or strings holding a code ("204") or an inclusive range ("200-299"), all within
    100-599. Raises ValidationError; the probe (checks.assertions) uses the same rules on stored data.
    """
    if not isinstance(codes, list) or not codes:
        raise ValidationError("Give at least one expected status code.", code="required")
    if len(codes) > MAX_EXPECTED_STATUS:
        raise ValidationError(f"At most {MAX_EXPECTED_STATUS} status codes.", code="too_many")
    ranges: list[tuple[int, int]] = []
    for code in codes:
        if isinstance(code, str) and code.strip().isascii() and code.strip().isdigit():
            code = int(code.strip())
        if isinstance(code, int) and not isinstance(code, bool):
            low = high = code
        elif isinstance(code, str) and (match := _STATUS_RANGE.fullmatch(code)):
            low, high = int(match[1]), int(match[2])
            if low > high:
                raise ValidationError(f"{code.strip()!r}: the range starts after it ends.", code="invalid")
        else:
            text = code[:20] if isinstance(code, str) else code
            raise ValidationError(f"{text!r} is not an HTTP status code or range (200, 200-299).", code="invalid")
        if not (100 <= low <= 599 and 100 <= high <= 599):
            raise ValidationError(f"{code!r} is not an HTTP status code (100-599).", code="invalid")
        ranges.append((low, high))
    return ranges


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


def parse_status_codes(text: str) -> list[int | str]:
    """'200, 204, 300-399' -> [200, 204, "300-399"], for the web form's text field."""
    codes: list[int | str] = []
    for part in re.split(r"[\s,]+", re.sub(r"\s*-\s*", "-", text.strip())):
        if not part:
            continue
        if part.isascii() and part.isdigit():
            codes.append(int(part))
        elif _STATUS_RANGE.fullmatch(part):
            codes.append(part)
        else:
            raise ValidationError(f"{part[:10]!r} is not a number or a range such as 200-299.", code="invalid")
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


# --- every kind of monitor (helper I) ----------------------------------------------------------

MAX_PORT = 65535
MAX_REDIRECTS = 10
MAX_RETRIES = 5
MAX_FAILURE_THRESHOLD = 10
MAX_PING_COUNT = 10
MAX_DAYS_BEFORE_EXPIRY = 365
MAX_PERIOD_SECONDS = 31 * 24 * 60 * 60  # a monthly cron job
MAX_DNS_EXPECTED = 20
MAX_DNS_VALUE_CHARS = 255
# Shown instead of a stored auth secret; sent back unchanged, it keeps the stored one.
SECRET_MASK = "••••••••"  # noqa: S105 - a placeholder, not a secret


def is_secret_mask(value: str) -> bool:
    return bool(value) and set(value) == {"•"}


def _between(value: int, low: int, high: int, what: str) -> None:
    if not low <= value <= high:
        raise ValidationError(f"{what} must be between {low} and {high}.", code="range")


def validate_port(port: int) -> None:
    _between(port, 1, MAX_PORT, "The port")


def validate_max_redirects(count: int) -> None:
    _between(count, 0, MAX_REDIRECTS, "Redirects")


def validate_retries(count: int) -> None:
    _between(count, 0, MAX_RETRIES, "Retries")


def validate_threshold(count: int) -> None:
    _between(count, 1, MAX_FAILURE_THRESHOLD, "The number of checks in a row")


def validate_ping_count(count: int) -> None:
    _between(count, 1, MAX_PING_COUNT, "The number of packets")


def validate_days_before_expiry(days: int) -> None:
    _between(days, 1, MAX_DAYS_BEFORE_EXPIRY, "The warning window (days)")


def validate_degraded_latency(ms: int) -> None:
    _between(ms, 1, MAX_TIMEOUT_SECONDS * 1000, "The slow-response threshold (ms)")


def validate_period(seconds: int) -> None:
    _between(seconds, settings.MIN_CHECK_INTERVAL, MAX_PERIOD_SECONDS, "The period (seconds)")


def validate_grace(seconds: int) -> None:
    _between(seconds, 0, MAX_PERIOD_SECONDS, "The grace time (seconds)")


def validate_regions_down_threshold(count: int) -> None:
    _between(count, 1, MAX_REGIONS, "The number of failing regions")


def normalize_monitor_host(host: str) -> str:
    """Check a host name or IP address (tcp, ping, tls) as the network guard does; returns its stored form.

    No scheme, path, port or user info; IDNA names become their ASCII form; private and loopback
    addresses and local names are refused unless ALLOW_PRIVATE_TARGETS, link-local and metadata
    addresses always. A name that resolves to a refused address is refused too; one that does not
    resolve is accepted (the check at connect time decides).
    """
    host = host.strip()
    if "://" in host or "/" in host:
        raise ValidationError("Give a host name or IP address, not a URL.", code="invalid_url")
    if "@" in host:
        raise ValidationError("A host must not contain a user name.", code="invalid_url")
    bracketed = host.startswith("[") and host.endswith("]")
    if bracketed:
        host = host[1:-1]
    elif host.count(":") == 1:
        raise ValidationError("Give the port in its own field.", code="invalid_url")
    allow_private = bool(settings.ALLOW_PRIVATE_TARGETS)
    try:
        checked = check_host(host, allow_private=allow_private, bracketed=bracketed)
        if isinstance(checked, str):
            try:
                addresses = netguard.resolve_host(checked, 443)
            except OSError:
                return checked
            check_addresses(checked, addresses, allow_private=allow_private)
    except TargetRejected as exc:
        raise ValidationError(exc.message.replace("The URL has", "There is"), code=exc.kind) from exc
    return str(checked)


def normalize_dns_name(name: str) -> str:
    """A DNS name to query (dns monitors): a domain name in its ASCII form, not an IP address.

    Nothing connects to it (the resolver does the work), so it is not resolved here; local names
    are refused unless ALLOW_PRIVATE_TARGETS, so the system resolver does not leak internal zones.
    """
    name = name.strip()
    if "://" in name or "/" in name or "@" in name or ":" in name:
        raise ValidationError("Give a domain name such as example.com.", code="invalid")
    try:
        checked = check_host(name, allow_private=bool(settings.ALLOW_PRIVATE_TARGETS))
    except TargetRejected as exc:
        raise ValidationError(exc.message.replace("The URL has", "There is"), code=exc.kind) from exc
    if not isinstance(checked, str):
        raise ValidationError("Give a domain name, not an IP address.", code="invalid")
    return checked


def validate_dns_expected(values: Any) -> None:
    if not isinstance(values, list):
        raise ValidationError("Expected values must be a list of strings.", code="invalid")
    if len(values) > MAX_DNS_EXPECTED:
        raise ValidationError(f"At most {MAX_DNS_EXPECTED} expected values.", code="too_many")
    for value in values:
        if not isinstance(value, str) or not value.strip():
            raise ValidationError("Each expected value must be a non-empty string.", code="invalid")
        if len(value) > MAX_DNS_VALUE_CHARS or not value.isprintable():
            raise ValidationError(f"{value[:40]!r} is not a valid record value.", code="invalid")


def validate_header_safe_text(value: str) -> None:
    """Auth user names and secrets end up in a header: no line breaks or control characters."""
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValidationError("Line breaks and control characters are not allowed.", code="invalid")


# --- JSON assertions (helper F; evaluated by checks.assertions) ------------------------------------

JSON_ASSERTION_OPS = ("equals", "not_equals", "lt", "gt", "contains", "exists")
MAX_JSON_ASSERTIONS = 20
MAX_JSON_PATH_CHARS = 300
MAX_JSON_VALUE_CHARS = 1000


def validate_json_assertions(assertions: Any) -> None:
    """A list of {"path", "op", "value"}: the path parses as JSONPath, the op is known, the value fits the op.

    equals/not_equals take any JSON value; lt/gt a number; contains a string, number, bool or
    null; exists takes no value or a bool (false: the path must not exist).
    """
    if not isinstance(assertions, list):
        raise ValidationError("JSON assertions must be a list.", code="invalid")
    if len(assertions) > MAX_JSON_ASSERTIONS:
        raise ValidationError(f"At most {MAX_JSON_ASSERTIONS} JSON assertions.", code="too_many")
    for number, item in enumerate(assertions, start=1):
        if not isinstance(item, dict) or not {"path", "op"} <= item.keys() or item.keys() - {"path", "op", "value"}:
            raise ValidationError(f"Assertion {number}: give exactly path, op and value.", code="invalid")
        validate_json_path(item["path"], number=number)
        _validate_assertion_value(item["op"], item, number=number)


def validate_json_path(path: Any, *, number: int = 1) -> None:
    from jsonpath_ng import parse  # ply builds its tables on first use: only when a path is checked

    if not isinstance(path, str) or not path.strip().startswith("$"):
        raise ValidationError(f"Assertion {number}: the path must start with $ (e.g. $.status).", code="invalid_path")
    if len(path) > MAX_JSON_PATH_CHARS:
        raise ValidationError(
            f"Assertion {number}: the path is longer than {MAX_JSON_PATH_CHARS}.", code="invalid_path"
        )
    try:
        parse(path)
    except Exception as exc:  # noqa: BLE001 - jsonpath-ng and ply raise several unrelated types
        reason = str(exc)[:100]
        raise ValidationError(
            f"Assertion {number}: {path[:60]!r} is not a JSONPath ({reason}).", code="invalid_path"
        ) from None


def _validate_assertion_value(op: Any, item: dict[str, Any], *, number: int) -> None:
    if op not in JSON_ASSERTION_OPS:
        raise ValidationError(
            f"Assertion {number}: the operator must be one of {', '.join(JSON_ASSERTION_OPS)}.", code="invalid_op"
        )
    value = item.get("value")
    if op == "exists":
        if value is not None and not isinstance(value, bool):
            raise ValidationError(f"Assertion {number}: exists takes true, false or no value.", code="invalid_value")
        return
    if "value" not in item:
        raise ValidationError(f"Assertion {number}: {op} needs a value.", code="invalid_value")
    if op in ("lt", "gt") and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise ValidationError(f"Assertion {number}: {op} compares with a number.", code="invalid_value")
    if op == "contains" and isinstance(value, (list, dict)):
        raise ValidationError(
            f"Assertion {number}: contains takes a string, number, true, false or null.", code="invalid_value"
        )
    try:
        size = len(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError):
        raise ValidationError(f"Assertion {number}: the value is not JSON.", code="invalid_value") from None
    if size > MAX_JSON_VALUE_CHARS:
        raise ValidationError(
            f"Assertion {number}: the value is longer than {MAX_JSON_VALUE_CHARS} characters.", code="invalid_value"
        )


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
