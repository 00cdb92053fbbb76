"""The probes an orchestrator calls: /healthz (liveness) and /readyz (database and broker)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import current_app

pytestmark = pytest.mark.django_db

# Nothing listens on port 1 of the loopback interface: connections are refused at once.
CLOSED_PORT_BROKER = "redis://127.0.0.1:1/0"


@pytest.fixture
def celery_broker() -> Iterator[Callable[..., None]]:
    """Point the Celery app at another broker for one test, then restore its configuration."""
    conf = current_app.conf
    assert current_app.main == "driftwatch"
    saved = (conf.broker_url, conf.broker_transport_options)

    def point(url: str, transport_options: dict[str, Any] | None = None) -> None:
        conf.broker_url = url
        conf.broker_transport_options = transport_options or {}

    yield point
    conf.broker_url, conf.broker_transport_options = saved


def test_healthz_answers_ok(client) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_database_and_broker_ok(client) -> None:
    # The embedded broker's folders under var/broker are created when the settings load.
    response = client.get("/readyz")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["checks"]) == ("ok", {"database": "ok", "broker": "ok"})
    assert set(body) <= {"status", "checks", "regions", "degraded"}  # regions: checks' readiness detail
    assert "no-cache" in response["Cache-Control"]


def test_readyz_unreachable_broker_503_names_broker(client, celery_broker) -> None:
    celery_broker(CLOSED_PORT_BROKER)

    started = time.monotonic()
    response = client.get("/readyz")
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failed": ["broker"]}
    assert elapsed < 5, f"readyz took {elapsed:.1f}s"


def test_readyz_filesystem_broker_without_folders_503(client, celery_broker, tmp_path) -> None:
    missing = tmp_path / "broker"
    celery_broker(
        "filesystem://",
        {
            "data_folder_in": str(missing / "queue"),
            "data_folder_out": str(missing / "queue"),
            "processed_folder": str(missing / "processed"),
            "control_folder": str(missing / "control"),
        },
    )

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["failed"] == ["broker"]


def test_readyz_filesystem_broker_with_folders_ok(client, celery_broker, tmp_path) -> None:
    options = {
        "data_folder_in": str(tmp_path / "queue"),
        "data_folder_out": str(tmp_path / "queue"),
        "processed_folder": str(tmp_path / "processed"),
        "control_folder": str(tmp_path / "control"),
    }
    for folder in set(options.values()):
        Path(folder).mkdir()
    celery_broker("filesystem://", options)

    response = client.get("/readyz")

    assert response.status_code == 200, response.content


def test_readyz_refuses_post(client) -> None:
    assert client.post("/readyz").status_code == 405
