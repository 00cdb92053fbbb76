from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from monitors.models import Monitor
from monitors.validators import (
    parse_header_lines,
    parse_status_codes,
    validate_headers,
    validate_regions,
)


def test_headers_lone_surrogate_value_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="not valid text"):
        validate_headers({"X-A": "\ud800"})


@pytest.mark.parametrize("name", ["User-Agent", "host", "Accept-Encoding", "Proxy-Authorization", "Connection"])
def test_headers_set_by_the_http_client_are_refused(name: str) -> None:
    with pytest.raises(ValidationError, match="set by Driftwatch"):
        validate_headers({name: "x"})


def test_header_name_with_trailing_newline_is_refused() -> None:
    with pytest.raises(ValidationError, match="Invalid header name"):
        validate_headers({"X-A\n": "1"})


def test_header_lines_parse_and_keep_values() -> None:
    assert parse_header_lines("Accept: application/json\n\nX-Token:  abc:def ") == {
        "Accept": "application/json",
        "X-Token": "abc:def",
    }


def test_status_codes_parse_commas_and_spaces() -> None:
    assert parse_status_codes("200, 204 301") == [200, 204, 301]


def test_regions_must_be_served_by_a_worker(settings) -> None:
    settings.CHECK_REGIONS = ["local", "eu-west"]
    validate_regions(["eu-west", "local"])
    with pytest.raises(ValidationError, match="No worker runs checks for region"):
        validate_regions(["nowhere"])


@pytest.mark.django_db
def test_api_lone_surrogate_header_value_is_400_not_500(api_client_for, alice) -> None:
    body = b'{"name": "x", "url": "https://example.com/", "headers": {"X-A": "\\ud800"}}'
    response = api_client_for(alice).generic("POST", "/api/v1/monitors/", body, "application/json")
    assert response.status_code == 400
    assert "headers" in response.json()
    assert not Monitor.objects.exists()


@pytest.mark.django_db
def test_api_unknown_region_is_400(api_client_for, alice) -> None:
    response = api_client_for(alice).post(
        "/api/v1/monitors/", {"name": "x", "url": "https://example.com/", "regions": ["nowhere"]}, format="json"
    )
    assert response.status_code == 400
    assert "regions" in response.json()
    assert not Monitor.objects.exists()
