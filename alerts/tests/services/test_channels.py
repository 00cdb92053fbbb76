from __future__ import annotations

import base64

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from standardwebhooks.webhooks import Webhook

from alerts.models import Channel
from alerts.services import (
    channel_create,
    channel_delete,
    channel_send_test,
    channel_update,
    webhook_secret_generate,
)
from alerts.validators import validate_webhook_secret

pytestmark = pytest.mark.django_db


def _secret(size: int) -> str:
    return "whsec_" + base64.b64encode(bytes(range(size))).decode()


def _errors(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return excinfo.value.message_dict


def test_every_organisation_starts_with_its_owners_email_channel(organization) -> None:
    [channel] = Channel.objects.filter(organization=organization)
    assert (channel.kind, channel.target, channel.secret) == ("email", "alice@example.com", "")


def test_webhook_gets_a_generated_secret(organization) -> None:
    channel = channel_create(organization=organization, kind="webhook", name="h", target="https://hooks.example.com/x")
    assert channel.secret.startswith("whsec_")
    validate_webhook_secret(channel.secret)
    assert len(base64.b64decode(channel.secret[6:])) == 32
    assert webhook_secret_generate() != webhook_secret_generate()


@pytest.mark.parametrize("size", [24, 64])
def test_webhook_keeps_a_given_secret_of_24_to_64_bytes(organization, size) -> None:
    channel = channel_create(
        organization=organization, kind="webhook", name="h", target="https://h.example.com/", secret=_secret(size)
    )
    assert channel.secret == _secret(size)


@pytest.mark.parametrize(
    "secret",
    [_secret(23), _secret(65), "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_not base64!", "whsec_", "whsec_YWJj=="],
)
def test_webhook_rejects_a_malformed_secret(organization, secret) -> None:
    with pytest.raises(ValidationError) as excinfo:
        channel_create(
            organization=organization, kind="webhook", name="h", target="https://h.example.com/", secret=secret
        )
    assert list(_errors(excinfo)) == ["secret"]


@pytest.mark.parametrize("target", ["not an address", "alice@", "https://example.com/"])
def test_email_channel_needs_an_email_address(organization, target) -> None:
    with pytest.raises(ValidationError) as excinfo:
        channel_create(organization=organization, kind="email", name="e", target=target)
    assert "target" in _errors(excinfo)


@pytest.mark.parametrize(
    "target", ["ftp://example.com/hook", "example.com/hook", "http://169.254.169.254/latest/meta-data/", ""]
)
def test_webhook_url_must_pass_the_network_guard(organization, target) -> None:
    # 169.254.169.254 is refused even though the test settings allow private targets.
    with pytest.raises(ValidationError) as excinfo:
        channel_create(organization=organization, kind="webhook", name="h", target=target)
    assert "target" in _errors(excinfo)


def test_ssrf_01_webhook_url_loopback_refused_unless_private_targets_allowed(settings, organization) -> None:
    settings.ALLOW_PRIVATE_TARGETS = False
    with pytest.raises(ValidationError) as excinfo:
        channel_create(organization=organization, kind="webhook", name="h", target="http://127.0.0.1:8080/")
    assert "target" in _errors(excinfo)
    settings.ALLOW_PRIVATE_TARGETS = True
    channel_create(organization=organization, kind="webhook", name="h", target="http://127.0.0.1:8080/")


def test_an_email_channel_has_no_secret(organization) -> None:
    with pytest.raises(ValidationError) as excinfo:
        channel_create(organization=organization, kind="email", name="e", target="a@example.com", secret=_secret(32))
    assert list(_errors(excinfo)) == ["secret"]


def test_unknown_kind_and_missing_name_are_field_errors(organization) -> None:
    with pytest.raises(ValidationError) as excinfo:
        channel_create(organization=organization, kind="pager", name="  ", target="x")
    assert {"kind", "name"} <= set(_errors(excinfo))


def test_channel_update_changes_fields_and_validates(organization, webhook) -> None:
    channel = channel_update(channel=webhook, name="renamed", target="https://hooks.example.com/new")
    assert (channel.name, channel.target) == ("renamed", "https://hooks.example.com/new")
    with pytest.raises(ValidationError):
        channel_update(channel=webhook, target="gopher://example.com/")
    webhook.refresh_from_db()
    assert webhook.target == "https://hooks.example.com/new"


def test_enabling_a_channel_again_clears_its_error(webhook) -> None:
    Channel.objects.filter(id=webhook.id).update(disabled=True, last_error="HTTP 410 Gone")
    channel = channel_update(channel=webhook, disabled=False)
    assert (channel.disabled, channel.last_error) == (False, "")


def test_channel_delete_removes_it(webhook) -> None:
    channel_delete(channel=webhook)
    assert not Channel.objects.filter(id=webhook.id).exists()


def test_send_test_to_a_webhook_is_a_signed_test_message(webhook, http_target) -> None:
    result = channel_send_test(channel=webhook)
    assert (result.ok, result.error) == (True, "")
    request = http_target.requests[0]
    payload = Webhook(webhook.secret).verify(request.body, request.headers)
    assert payload["type"] == "test"
    assert payload["data"] == {"monitor": None, "incident": None, "state": None}


def test_send_test_failure_is_reported_and_stored(webhook, http_target) -> None:
    http_target.set_reply(status=500)
    result = channel_send_test(channel=webhook)
    assert result.ok is False and "500" in result.error
    webhook.refresh_from_db()
    assert "500" in webhook.last_error


def test_send_test_email(email_channel) -> None:
    assert channel_send_test(channel=email_channel).ok is True
    [message] = mail.outbox
    assert message.subject == "[Driftwatch] Test notification"
    assert message.to == ["alice@example.com"]
    assert "test notification" in message.body
