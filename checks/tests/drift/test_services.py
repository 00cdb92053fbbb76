"""checks.drift services through real checks (check_execute against a local server), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.models import AuditEvent
from accounts.services import Actor
from checks.drift import (
    NUDGE_TASK,
    baseline_pin_json_schema,
    baseline_pin_openapi,
    baseline_relearn,
    drift_accept,
    drift_event_claim,
    is_json_content_type,
    nudge_drift_consumer,
)
from checks.models import CheckResult, ContractBaseline, DriftEvent, ShapeSample
from checks.tests.drift.helpers import respond, tracked_monitor
from checks.tests.factories import make_monitor
from conftest import organization_of

pytestmark = pytest.mark.django_db

ORDER = {"id": 1, "status": "paid", "total": 12.5, "owner": {"email": "a@example.com", "note": None}, "items": []}


def order(**changes):
    body = {**ORDER, "owner": dict(ORDER["owner"])}
    for key, value in changes.items():
        if value is ...:
            body.pop(key)
        else:
            body[key] = value
    return body


@pytest.fixture
def monitor(alice, http_target):
    return tracked_monitor(organization_of(alice), http_target)


def learned(monitor, http_target):
    respond(monitor, http_target, order(), times=1)
    respond(monitor, http_target, order(owner={"email": None, "note": "vip"}, items=[{"sku": "a", "qty": 1}]))
    respond(monitor, http_target, order(id=2, status="new"))
    return ContractBaseline.objects.get(monitor=monitor, status="active")


def test_baseline_learned_from_the_first_n_successful_responses(monitor, http_target):
    respond(monitor, http_target, order(), times=2)
    learning = ContractBaseline.objects.get(monitor=monitor)
    assert (learning.version, learning.status, learning.samples_seen) == (1, "learning", 2)
    respond(monitor, http_target, order(owner={"email": None, "note": "vip"}))
    baseline = ContractBaseline.objects.get(monitor=monitor)
    assert (baseline.status, baseline.samples_seen, baseline.source) == ("active", 3, "learned")
    assert baseline.activated_at is not None and baseline.shape_hash
    # email was seen null and non-null: nullable, so a null email later is no drift.
    assert baseline.shape["properties"]["owner"]["properties"]["email"].get("nullable") is True
    assert not DriftEvent.objects.exists()


def test_failed_checks_are_never_learned_from(monitor, http_target):
    results = respond(monitor, http_target, {"error": "down"}, status=500, times=3)
    assert not any(r.ok for r in results)
    assert not ContractBaseline.objects.exists() and not ShapeSample.objects.exists()


def test_value_only_changes_are_never_drift(monitor, http_target):
    baseline = learned(monitor, http_target)
    respond(monitor, http_target, order(id=99, status="refunded", total=0, items=[{"sku": "b", "qty": 7}] * 5))
    respond(monitor, http_target, order(owner={"email": None, "note": None}, items=[]), times=3)
    assert not DriftEvent.objects.exists()
    baseline.refresh_from_db()
    assert (baseline.pending_count, baseline.version) == (0, 1)


def test_a_change_needs_m_consecutive_responses_and_is_reported_once(monitor, http_target):
    learned(monitor, http_target)
    first = respond(monitor, http_target, order(status=...))
    assert not DriftEvent.objects.exists()
    baseline = ContractBaseline.objects.get(monitor=monitor, status="active")
    assert baseline.pending_count == 1
    respond(monitor, http_target, order(status=...))
    event = DriftEvent.objects.get()
    assert event.severity == "breaking"
    assert {"path": "$.status", "change": "removed", "before": "string", "after": None} in [
        {k: c[k] for k in ("path", "change", "before", "after")} for c in event.changes
    ]
    assert event.processed_at is None and event.baseline_id == baseline.id
    assert event.result_id is not None and event.result_id != first[0].id
    respond(monitor, http_target, order(status=...), times=3)
    assert DriftEvent.objects.count() == 1


def test_a_matching_response_resets_the_confirmation(monitor, http_target):
    learned(monitor, http_target)
    respond(monitor, http_target, order(total="12.50"))
    respond(monitor, http_target, order())
    respond(monitor, http_target, order(total="12.50"))
    assert not DriftEvent.objects.exists()
    respond(monitor, http_target, order(total="12.50"))
    event = DriftEvent.objects.get()
    assert [(c["path"], c["change"], c["before"], c["after"]) for c in event.changes] == [
        ("$.total", "type_changed", "number", "string")
    ]


def test_additive_change_is_recorded_as_additive(monitor, http_target):
    learned(monitor, http_target)
    respond(monitor, http_target, order(currency="EUR"), times=2)
    event = DriftEvent.objects.get()
    assert event.severity == "additive"
    assert event.changes[0]["path"] == "$.currency" and event.changes[0]["change"] == "added"
    assert event.processed_at is None  # the alerts app decides (contract_alert_additive, rules)


def test_ignored_paths_are_never_drift(alice, http_target):
    monitor = tracked_monitor(organization_of(alice), http_target, contract_ignore_paths=["$.owner", "$.debug"])
    learned(monitor, http_target)
    respond(monitor, http_target, order(owner={"email": 5}, debug={"trace": "x"}), times=3)
    assert not DriftEvent.objects.exists()


def test_body_no_longer_json_is_a_breaking_drift(monitor, http_target):
    learned(monitor, http_target)
    respond(monitor, http_target, b"<html>maintenance</html>", content_type="text/html; charset=utf-8", times=2)
    event = DriftEvent.objects.get()
    assert event.severity == "breaking"
    assert [(c["change"], c["after"]) for c in event.changes] == [
        ("content_type_changed", "text/html"),
        ("not_json", None),
    ]
    assert event.shape == {}


def test_json_relabelled_as_text_is_content_type_changed(monitor, http_target):
    learned(monitor, http_target)
    respond(monitor, http_target, order(), content_type="text/plain", times=2)
    event = DriftEvent.objects.get()
    assert [(c["path"], c["change"], c["before"], c["after"]) for c in event.changes] == [
        ("$", "content_type_changed", "json", "text/plain")
    ]


def test_accepted_content_type_change_is_not_reported_again(monitor, http_target, alice):
    learned(monitor, http_target)
    respond(monitor, http_target, order(), content_type="text/plain", times=2)
    drift_accept(event=DriftEvent.objects.get(), actor=Actor(user=alice))
    respond(monitor, http_target, order(), content_type="text/plain", times=3)
    assert DriftEvent.objects.count() == 1


def test_api_that_always_sent_json_as_text_is_not_drifting(alice, http_target):
    monitor = tracked_monitor(organization_of(alice), http_target)
    respond(monitor, http_target, order(), content_type="text/plain", times=5)
    assert ContractBaseline.objects.get(monitor=monitor).status == "active"
    assert not DriftEvent.objects.exists()


def test_truncated_body_is_never_compared(alice, http_target, settings):
    settings.CHECKS_MAX_BODY_BYTES = 64  # IN-06
    monitor = tracked_monitor(organization_of(alice), http_target, contract_baseline_samples=1)
    results = respond(monitor, http_target, {"data": "x" * 500}, times=3)
    assert all(r.body_truncated and r.ok for r in results)
    assert all(CheckResult.objects.get(id=r.id).shape_hash == "" for r in results)
    assert not ContractBaseline.objects.exists() and not ShapeSample.objects.exists()


def test_bounded_shape_is_recorded_but_never_learned_or_alerted(alice, http_target):
    monitor = tracked_monitor(organization_of(alice), http_target, contract_baseline_samples=1)
    respond(monitor, http_target, {"rows": list(range(30_000))}, times=3)  # past shapes' 20,000 values
    result = CheckResult.objects.filter(monitor=monitor).first()
    assert result.shape_hash  # recorded
    baseline = ContractBaseline.objects.get(monitor=monitor)
    assert (baseline.status, baseline.samples_seen) == ("learning", 0)
    assert not DriftEvent.objects.exists()


def test_shape_hash_on_results_and_one_redacted_sample_per_shape(monitor, http_target):
    secret = {"token": "tok_live_SECRET1", "password": "hunter2-SECRET", "apiKey": "SECRET-KEY"}
    results = respond(monitor, http_target, order(**secret), times=2)
    respond(monitor, http_target, order(), times=1)
    hashes = {CheckResult.objects.get(id=r.id).shape_hash for r in results}
    assert len(hashes) == 1 and "" not in hashes
    assert ShapeSample.objects.filter(monitor=monitor).count() == 2
    sample = ShapeSample.objects.get(monitor=monitor, shape_hash=hashes.pop())
    assert "SECRET" not in sample.body and "hunter2" not in sample.body
    assert '"status":"paid"' in sample.body.replace(" ", "")
    assert sample.content_type == "application/json"


def test_monitor_not_tracking_its_contract_learns_nothing(alice, http_target):
    monitor = make_monitor(organization=organization_of(alice), url=http_target.url)
    respond(monitor, http_target, order(), times=3)
    assert not ContractBaseline.objects.exists() and not ShapeSample.objects.exists()
    assert set(CheckResult.objects.filter(monitor=monitor).values_list("shape_hash", flat=True)) == {""}


def test_accept_makes_the_next_version_and_is_audited(monitor, http_target, alice):
    v1 = learned(monitor, http_target)
    respond(monitor, http_target, order(status=..., currency="EUR"), times=2)
    event = DriftEvent.objects.get()
    v2 = drift_accept(event=event, actor=Actor(user=alice))
    v1.refresh_from_db()
    event.refresh_from_db()
    assert (v1.status, v2.version, v2.status, v2.source) == ("superseded", 2, "active", "accepted")
    assert v2.created_by == alice and v2.activated_at is not None
    assert event.accepted_at is not None and event.accepted_by == alice
    audit = AuditEvent.objects.get(action="drift.accepted")
    assert audit.actor == alice and audit.data["version"] == 2 and audit.data["drift_event"] == event.id
    # The accepted shape is the contract now: the new responses are no drift, nor the old ones.
    respond(monitor, http_target, order(status=..., currency="EUR"), times=3)
    respond(monitor, http_target, order(), times=3)
    assert DriftEvent.objects.count() == 1
    # Accepting again changes nothing.
    assert drift_accept(event=event, actor=Actor(user=alice)).id == v2.id
    assert ContractBaseline.objects.filter(monitor=monitor).count() == 2


def test_accepting_a_not_json_event_learns_again(monitor, http_target, alice):
    learned(monitor, http_target)
    respond(monitor, http_target, b"oops", content_type="text/plain", times=2)
    baseline = drift_accept(event=DriftEvent.objects.get(), actor=Actor(user=alice))
    assert (baseline.version, baseline.status, baseline.source) == (2, "learning", "learned")


SCHEMA = {
    "type": "object",
    "required": ["id", "status"],
    "properties": {"id": {"type": "integer"}, "status": {"type": "string"}, "note": {"type": ["string", "null"]}},
}


def test_pin_json_schema_and_compare_with_it(monitor, http_target, alice):
    learned(monitor, http_target)
    pinned = baseline_pin_json_schema(monitor=monitor, schema=SCHEMA, actor=Actor(user=alice))
    assert (pinned.version, pinned.status, pinned.source, pinned.schema_document) == (
        2,
        "active",
        "json_schema",
        SCHEMA,
    )
    assert AuditEvent.objects.filter(action="contract.pinned", actor=alice).exists()
    respond(monitor, http_target, {"id": 3, "status": "ok"}, times=3)
    respond(monitor, http_target, {"id": 3, "status": "ok", "note": None}, times=3)
    assert not DriftEvent.objects.exists()
    respond(monitor, http_target, {"id": "3", "status": "ok"}, times=2)
    event = DriftEvent.objects.get()
    assert event.baseline_id == pinned.id
    assert [(c["path"], c["change"]) for c in event.changes] == [("$.id", "type_changed")]


OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "orders", "version": "1"},
    "paths": {
        "/orders": {
            "get": {
                "responses": {
                    "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}}}
                }
            }
        }
    },
    "components": {"schemas": {"Order": SCHEMA}},
}


def test_pin_openapi_operation(monitor, alice):
    pinned = baseline_pin_openapi(
        monitor=monitor, document=OPENAPI, path="/orders", method="GET", status="200", actor=Actor(user=alice)
    )
    assert (pinned.version, pinned.source, pinned.operation) == (1, "openapi", "GET /orders 200")
    assert pinned.shape["properties"]["id"]["type"] == "integer"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"path": "/missing", "method": "get", "status": "200"}, "openapi"),
        ({"path": "/orders", "method": "post", "status": "200"}, "openapi"),
        ({"path": "/orders", "method": "get", "status": "404"}, "openapi"),
        ({"path": "orders", "method": "get", "status": "200"}, "path"),
        ({"path": "/orders", "method": "fetch", "status": "200"}, "method"),
        ({"path": "/orders", "method": "get", "status": "2xx!"}, "status"),
    ],
)
def test_pin_openapi_bad_operation_is_a_field_error(monitor, alice, kwargs, field):
    with pytest.raises(ValidationError) as caught:
        baseline_pin_openapi(monitor=monitor, document=OPENAPI, actor=Actor(user=alice), **kwargs)
    assert field in caught.value.message_dict
    assert not ContractBaseline.objects.exists()


@pytest.mark.parametrize("schema", [{}, {"type": "frobnicate"}, {"$ref": "#/$defs/missing"}])
def test_pin_json_schema_bad_schema_is_a_field_error(monitor, alice, schema):
    with pytest.raises(ValidationError) as caught:
        baseline_pin_json_schema(monitor=monitor, schema=schema, actor=Actor(user=alice))
    assert "json_schema" in caught.value.message_dict


def test_pin_refused_for_a_monitor_that_is_not_http(alice):
    monitor = make_monitor(organization=organization_of(alice), url="", kind="tcp", host="db.example.com", port=5432)
    with pytest.raises(ValidationError):
        baseline_pin_json_schema(monitor=monitor, schema=SCHEMA, actor=None)


def test_relearn_starts_a_learning_version(monitor, http_target, alice):
    learned(monitor, http_target)
    baseline = baseline_relearn(monitor=monitor, actor=Actor(user=alice))
    assert (baseline.version, baseline.status) == (2, "learning")
    respond(monitor, http_target, order(status=...), times=3)
    assert ContractBaseline.objects.get(monitor=monitor, version=2).status == "active"
    assert not DriftEvent.objects.exists()


def test_drift_event_claim_is_won_once(monitor, http_target):
    learned(monitor, http_target)
    respond(monitor, http_target, order(status=...), times=2)
    event = DriftEvent.objects.get()
    from django.utils import timezone  # noqa: PLC0415

    assert drift_event_claim(drift_event_id=event.id, now=timezone.now()) is True
    assert drift_event_claim(drift_event_id=event.id, now=timezone.now()) is False


def test_new_event_nudges_the_consumer_on_commit(monitor, http_target, django_capture_on_commit_callbacks):
    learned(monitor, http_target)
    respond(monitor, http_target, order(status=...))
    with django_capture_on_commit_callbacks() as callbacks:
        respond(monitor, http_target, order(status=...))
    assert nudge_drift_consumer in callbacks
    assert NUDGE_TASK == "alerts.process_drift_events"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("application/json", True),
        ("application/json; charset=utf-8", True),
        ("application/problem+json", True),
        ("Application/JSON", True),
        ("text/plain", False),
        ("text/html; charset=utf-8", False),
        ("", False),
    ],
)
def test_is_json_content_type(value, expected):
    assert is_json_content_type(value) is expected


def test_samples_per_monitor_are_capped(monitor, http_target, monkeypatch):
    from checks.drift import observe  # noqa: PLC0415

    monkeypatch.setattr(observe, "MAX_SAMPLES_PER_MONITOR", 2)
    for n in range(4):
        respond(monitor, http_target, {f"field_{n}": n})
    assert ShapeSample.objects.filter(monitor=monitor).count() == 2
    assert CheckResult.objects.filter(monitor=monitor).exclude(shape_hash="").count() == 4
