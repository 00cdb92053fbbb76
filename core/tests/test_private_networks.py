"""SSRF-09: the operator's narrow opt-in, CHECKS_ALLOWED_PRIVATE_NETWORKS, and its deploy warning."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks

from core.checks import W001
from core.http import HttpError, send
from core.netguard import TargetRejected, validate_target_url


@pytest.fixture
def allowlist(settings):  # noqa: ANN001, ANN201
    settings.ALLOW_PRIVATE_TARGETS = False
    settings.CHECKS_ALLOWED_PRIVATE_NETWORKS = ["10.0.0.0/8", "127.0.0.1/32"]
    return settings


@pytest.mark.parametrize("url", ["http://10.0.0.5/", "http://127.0.0.1:8080/health"])
def test_ssrf_09_listed_private_networks_are_allowed(allowlist, url: str) -> None:  # noqa: ANN001
    assert validate_target_url(url, resolve=False) == url


@pytest.mark.parametrize(
    "url", ["http://127.0.0.2/", "http://192.168.1.1/", "http://169.254.169.254/", "http://[fd00:ec2::254]/"]
)
def test_ssrf_09_everything_else_private_stays_blocked(allowlist, url: str) -> None:  # noqa: ANN001
    with pytest.raises(TargetRejected) as raised:
        validate_target_url(url, resolve=False)
    assert raised.value.kind == "blocked_address"


def test_ssrf_09_listing_link_local_or_metadata_opens_nothing(settings) -> None:  # noqa: ANN001
    settings.ALLOW_PRIVATE_TARGETS = False
    settings.CHECKS_ALLOWED_PRIVATE_NETWORKS = ["169.254.0.0/16", "fd00:ec2::/32"]
    for url in ("http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/"):
        with pytest.raises(TargetRejected):
            validate_target_url(url, resolve=False)


def test_ssrf_09_a_real_request_reaches_only_the_listed_address(settings, http_target) -> None:  # noqa: ANN001
    settings.ALLOW_PRIVATE_TARGETS = False
    settings.CHECKS_ALLOWED_PRIVATE_NETWORKS = []
    with pytest.raises(HttpError) as raised:
        send("GET", http_target.url, timeout_ms=2000, max_bytes=1024)
    assert raised.value.kind == "blocked_address"
    served_before = len(http_target.requests)

    settings.CHECKS_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32"]
    response = send("GET", http_target.url, timeout_ms=2000, max_bytes=1024)
    assert response.status_code == 200
    assert len(http_target.requests) == served_before + 1


def test_ssrf_09_check_deploy_warns_when_signup_is_open(settings) -> None:  # noqa: ANN001
    settings.SIGNUP_OPEN = True
    settings.ALLOW_PRIVATE_TARGETS = False
    settings.CHECKS_ALLOWED_PRIVATE_NETWORKS = ["10.0.0.0/8"]
    assert W001 in {message.id for message in run_checks(include_deployment_checks=True)}

    settings.SIGNUP_OPEN = False
    assert W001 not in {message.id for message in run_checks(include_deployment_checks=True)}

    settings.SIGNUP_OPEN = True
    settings.CHECKS_ALLOWED_PRIVATE_NETWORKS = []
    assert W001 not in {message.id for message in run_checks(include_deployment_checks=True)}
