from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_the_alerts_api_schema_generates_without_warnings(tmp_path: Path) -> None:
    out = tmp_path / "schema.yaml"
    call_command(
        "spectacular", "--urlconf", "alerts.tests.schema_urls", "--fail-on-warn", "--validate", "--file", str(out)
    )
    schema = yaml.safe_load(out.read_text())
    paths = schema["paths"]
    assert set(paths["/api/v1/channels/"]) == {"get", "post"}
    assert set(paths["/api/v1/channels/{channel_id}/"]) >= {"get", "patch", "delete"}
    assert "post" in paths["/api/v1/channels/{channel_id}/test/"]
    assert "get" in paths["/api/v1/incidents/"]
    listed = paths["/api/v1/channels/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert listed["$ref"].endswith("/PaginatedChannelList")
