"""The HTTP probe hands the parsed body and its Content-Type to the drift service, only when it is needed."""

from __future__ import annotations

import pytest

from checks.probes.http import probe_http
from checks.tests.drift.helpers import tracked_monitor
from checks.tests.factories import make_monitor
from conftest import organization_of

pytestmark = pytest.mark.django_db


def test_tracking_monitor_gets_the_parsed_document(alice, http_target):
    monitor = tracked_monitor(organization_of(alice), http_target)
    http_target.set_reply(body=b'{"id": 1}', headers={"Content-Type": "application/json; charset=utf-8"})
    outcome = probe_http(monitor)
    assert outcome.ok and outcome.document is not None and outcome.document.ok
    assert outcome.document.value == {"id": 1}
    assert outcome.content_type == "application/json; charset=utf-8"
    assert "document" not in outcome.as_fields() and "content_type" not in outcome.as_fields()


def test_json_assertions_and_tracking_share_one_parse(alice, http_target):
    monitor = tracked_monitor(
        organization_of(alice), http_target, json_assertions=[{"path": "$.id", "op": "equals", "value": 1}]
    )
    http_target.set_reply(body=b'{"id": 1}')
    assert probe_http(monitor).document.value == {"id": 1}
    http_target.set_reply(body=b'{"id": 2}')
    failed = probe_http(monitor)
    assert not failed.ok and failed.error_kind and failed.document is None  # a failed check is never compared


def test_no_document_without_tracking_or_for_a_truncated_body(alice, http_target, settings):
    plain = make_monitor(organization=organization_of(alice), url=http_target.url)
    http_target.set_reply(body=b'{"id": 1}')
    assert probe_http(plain).document is None and probe_http(plain).content_type == ""
    settings.CHECKS_MAX_BODY_BYTES = 16
    tracked = tracked_monitor(organization_of(alice), http_target)
    http_target.set_reply(body=b'{"id": 1, "name": "a long enough body"}')
    outcome = probe_http(tracked)
    assert outcome.ok and outcome.body_truncated and outcome.document is None
