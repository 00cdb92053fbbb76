"""TEN-05: what leaves the system about alice's monitors holds only alice's data.

Both organisations have a monitor, a webhook to a real local HTTP receiver and an email
channel; alice's monitor goes down and up through the real outbox and delivery path (webhooks
to tests.servers.HttpTarget, emails through Django's SMTP backend to a local SMTP sink).
Nothing of mallory's is in what alice's channels get, mallory's channels get nothing, and no
error message mallory gets names alice's objects.
"""

from __future__ import annotations

import pytest
from standardwebhooks.webhooks import Webhook

from alerts.models import Channel
from alerts.services import channel_create, status_changes_process
from alerts.tests.factories import record_change
from conftest import organization_of
from monitors.services import monitor_create

pytestmark = pytest.mark.django_db

ALICE = ("Alice's orders", "https://alice-shop.example/orders", "alice@example.com")
MALLORY = ("Mallory's billing", "https://mallory-corp.example/billing", "mallory@example.com")


@pytest.fixture
def smtp(settings, smtp_sink):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    return smtp_sink


@pytest.fixture
def tenants(alice, mallory, http_target):
    made = {}
    for user, (name, url, _), path in ((alice, ALICE, "alice-hook"), (mallory, MALLORY, "mallory-hook")):
        organization = organization_of(user)
        made[path] = {
            "monitor": monitor_create(organization=organization, name=name, url=url),
            "webhook": channel_create(
                organization=organization, kind="webhook", name=f"{name} hook", target=f"{http_target.url}/{path}"
            ),
        }
    return made


def test_ten_05_alice_flip_reaches_only_alices_channels_with_only_her_data(
    smtp, http_target, tenants, django_capture_on_commit_callbacks
):
    monitor = tenants["alice-hook"]["monitor"]
    for old, new in (("up", "down"), ("down", "up")):
        record_change(monitor=monitor, old=old, new=new, cause="HTTP 503")
        with django_capture_on_commit_callbacks(execute=True):
            status_changes_process()

    assert [request.path for request in http_target.requests] == ["/alice-hook", "/alice-hook"]
    secret = tenants["alice-hook"]["webhook"].secret
    for request in http_target.requests:
        payload = Webhook(secret).verify(request.body, request.headers)
        assert payload["data"]["monitor"] == {"id": monitor.id, "name": ALICE[0], "url": ALICE[1]}
        body = request.body.decode()
        for secret_of_mallory in MALLORY:
            assert secret_of_mallory not in body

    alerts = [message for message in smtp.messages if message["X-Driftwatch-Event"]]
    assert [message["To"] for message in alerts] == [ALICE[2], ALICE[2]]
    for message in alerts:
        raw = message.as_string()
        assert ALICE[0] in raw or "Alice" in raw
        for value in MALLORY:
            assert value not in raw
    assert not Channel.objects.filter(organization=monitor.organization, last_error__contains="Mallory").exists()


def test_ten_05_error_messages_to_mallory_never_name_alices_objects(api_client_for, mallory, tenants):
    client = api_client_for(mallory)
    alice_monitor = tenants["alice-hook"]["monitor"]
    alice_hook = tenants["alice-hook"]["webhook"]
    responses = [
        client.get(f"/api/v1/monitors/{alice_monitor.pk}/"),
        client.patch(f"/api/v1/monitors/{alice_monitor.pk}/", {"interval_seconds": "x"}, format="json"),
        client.post(f"/api/v1/channels/{alice_hook.pk}/test/"),
        client.get("/api/v1/incidents/", {"monitor": alice_monitor.pk}),
        client.get(f"/api/v1/monitors/{alice_monitor.pk}/metrics/", {"range": "bogus"}),
        client.post("/api/v1/monitors/", {"name": "x", "url": "not a url"}, format="json"),
        client.post("/api/v1/channels/", {"kind": "webhook", "name": "x", "target": alice_hook.target}, format="json"),
    ]
    for response in responses:
        text = response.content.decode()
        for value in (*ALICE, "Alice Inc", alice_hook.secret, f"/{alice_monitor.pk}/"):
            assert value not in text, f"{response.request['PATH_INFO']} ({response.status_code}) names {value!r}"
