"""The Contract section of the monitor page and its actions (accept, pin, learn again), and redaction everywhere."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from checks.models import ContractBaseline, DriftEvent, ShapeSample
from checks.tests.drift.helpers import respond, tracked_monitor
from checks.tests.drift.test_services import OPENAPI, SCHEMA, learned, order
from conftest import organization_of

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(user: User, monitor) -> str:
    response = client_for(user).get(f"/monitors/{monitor.id}/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def drifted(monitor, http_target):
    learned(monitor, http_target)
    respond(monitor, http_target, order(status=..., total="12.50", currency="EUR"), times=2)
    return monitor


def test_contract_section_shows_learning_progress(alice, monitor, http_target):
    assert "waiting for the first successful response" in page(alice, monitor)
    respond(monitor, http_target, order())
    html = page(alice, monitor)
    assert 'id="contract-panel"' in html and "learning: 1 of 3 responses" in html


def test_contract_section_tree_diff_and_accept_button(alice, drifted):
    html = page(alice, drifted)
    assert "version 1 (Learned)" in html
    tree = html[html.index('id="contract-tree"') : html.index("</ul>", html.index('id="contract-tree"'))]
    assert ">status</span>" in tree and ">email</span>" in tree and "nullable" in tree
    event = DriftEvent.objects.get()
    block = html[html.index(f'id="drift-event-{event.id}"') :]
    assert 'data-change="removed"' in block
    # removed: the baseline's cell in red, the new one empty; retyped: both types; added: green.
    assert '<td class="mono diff-removed">string</td>\n                <td class="mono diff-empty"></td>' in block
    assert '<td class="mono diff-removed">number</td>\n                <td class="mono diff-added">string</td>' in block
    assert '<td class="mono diff-empty"></td>\n                <td class="mono diff-added">string</td>' in block
    assert f'id="accept-{event.id}"' in block
    assert 'id="baseline-history"' in html and 'id="contract-pin-link"' in html


def test_viewer_sees_the_section_without_buttons_and_cannot_accept(viewer, drifted):
    html = page(viewer, drifted)
    event = DriftEvent.objects.get()
    assert f'id="drift-event-{event.id}"' in html
    assert f'id="accept-{event.id}"' not in html and 'id="contract-pin-link"' not in html
    client = client_for(viewer)
    assert client.post(f"/monitors/{drifted.id}/drift-events/{event.id}/accept/").status_code == 403
    assert client.get(f"/monitors/{drifted.id}/contract/pin/").status_code == 403
    assert client.post(f"/monitors/{drifted.id}/contract/relearn/").status_code == 403
    assert DriftEvent.objects.get().accepted_at is None and ContractBaseline.objects.count() == 1


def test_other_organization_gets_404_on_every_contract_action(mallory, drifted):
    event = DriftEvent.objects.get()
    client = client_for(mallory)
    assert client.post(f"/monitors/{drifted.id}/drift-events/{event.id}/accept/").status_code == 404
    assert client.get(f"/monitors/{drifted.id}/contract/pin/").status_code == 404
    assert client.post(f"/monitors/{drifted.id}/contract/relearn/").status_code == 404


def test_accept_from_the_page_with_csrf(bob, drifted):
    event = DriftEvent.objects.get()
    client = Client(enforce_csrf_checks=True)
    client.force_login(bob)
    url = f"/monitors/{drifted.id}/drift-events/{event.id}/accept/"
    assert client.post(url).status_code == 403  # no CSRF token
    html = client.get(f"/monitors/{drifted.id}/").content.decode()
    token = client.cookies["csrftoken"].value
    assert "csrfmiddlewaretoken" in html
    response = client.post(url, {"csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response["Location"] == f"/monitors/{drifted.id}/"
    event.refresh_from_db()
    assert event.accepted_by == bob
    html = client.get(f"/monitors/{drifted.id}/").content.decode()
    assert "version 2 (Accepted)" in html and "accepted" in html and "by bob@example.com" in html


def test_pin_form_errors_keep_the_input(alice, monitor):
    client = client_for(alice)
    url = f"/monitors/{monitor.id}/contract/pin/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"source": "json_schema", "document": '{"type": "object", "properties": '})
    html = response.content.decode()
    assert response.status_code == 200 and "Not valid JSON" in html
    assert "{&quot;type&quot;: &quot;object&quot;, &quot;properties&quot;: </textarea>" in html
    response = client.post(url, {"source": "openapi", "document": '{"openapi": "3.0.3"}', "path": "", "method": "get"})
    html = response.content.decode()
    assert "Required for an OpenAPI operation." in html
    response = client.post(
        url,
        {
            "source": "openapi",
            "document": '{"openapi": "3.0.3", "paths": {}}',
            "path": "/x",
            "method": "get",
            "status": "200",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200 and "This schema cannot be used" in html and 'value="/x"' in html
    assert not ContractBaseline.objects.exists()


def test_pin_from_the_page(alice, monitor):
    import json  # noqa: PLC0415

    client = client_for(alice)
    url = f"/monitors/{monitor.id}/contract/pin/"
    response = client.post(url, {"source": "json_schema", "document": json.dumps(SCHEMA)})
    assert response.status_code == 302
    response = client.post(
        url, {"source": "openapi", "document": json.dumps(OPENAPI), "path": "/orders", "method": "get", "status": "200"}
    )
    assert response.status_code == 302
    versions = list(ContractBaseline.objects.filter(monitor=monitor).values_list("version", "source", "status"))
    assert sorted(versions) == [(1, "json_schema", "superseded"), (2, "openapi", "active")]
    assert "GET /orders 200" in page(alice, monitor)


def test_relearn_from_the_page(alice, drifted):
    response = client_for(alice).post(f"/monitors/{drifted.id}/contract/relearn/")
    assert response.status_code == 302
    assert ContractBaseline.objects.get(monitor=drifted, status="learning").version == 2


SECRETS = ("tok_live_S3CR3T", "hunter2-S3CR3T", "sess-S3CR3T", "bearer-S3CR3T")


def test_secrets_never_shown_in_sample_admin_api_or_page(alice, http_target, api_client_for):
    monitor = tracked_monitor(
        organization_of(alice),
        http_target,
        auth_kind="bearer",
        auth_secret="bearer-S3CR3T",
        contract_baseline_samples=1,
    )
    body = {
        "user": {"name": "ann", "token": "tok_live_S3CR3T", "password": "hunter2-S3CR3T"},
        "sessionId": "sess-S3CR3T",
    }
    respond(monitor, http_target, body, times=1)
    respond(monitor, http_target, {**body, "extra": 1}, times=2)
    assert http_target.requests[-1].headers["Authorization"] == "Bearer bearer-S3CR3T"  # it was sent
    assert DriftEvent.objects.count() == 1
    stored = " ".join(ShapeSample.objects.values_list("body", flat=True))
    assert "ann" in stored
    seen = [stored]
    seen.append(page(alice, monitor))
    assert "Example response (application/json, secrets masked)" in seen[-1] and "ann" in seen[-1]
    api = api_client_for(alice)
    seen.append(api.get(f"/api/v1/monitors/{monitor.id}/drift-events/").content.decode())
    seen.append(api.get(f"/api/v1/monitors/{monitor.id}/baselines/").content.decode())
    alice.is_staff = alice.is_superuser = True
    alice.save()
    admin = client_for(alice)
    for sample in ShapeSample.objects.all():
        response = admin.get(f"/admin/checks/shapesample/{sample.id}/change/")
        assert response.status_code == 200
        seen.append(response.content.decode())
    seen.append(admin.get("/admin/checks/shapesample/").content.decode())
    seen.append(admin.get(f"/admin/checks/driftevent/{DriftEvent.objects.get().id}/change/").content.decode())
    for text in seen:
        for secret in SECRETS:
            assert secret not in text
