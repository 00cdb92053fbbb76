"""The OpenAPI schema and its docs page (IN-02)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_openapi_schema_is_served():
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path in ("/api/v1/monitors/", "/api/v1/monitors/{monitor_id}/", "/api/v1/api-keys/", "/api/v1/auth/token/"):
        assert path in schema["paths"], path


def test_openapi_schema_validates_without_warnings(tmp_path: Path):
    target = tmp_path / "openapi.yaml"
    # --fail-on-warn raises on any warning drf-spectacular emitted while generating.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    assert {"jwtAuth", "apiKeyAuth"} <= set(schema["components"]["securitySchemes"])


def test_openapi_every_api_v1_operation_declares_authentication():
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    # The credential of these is in the body (password, refresh token).
    public = {
        ("/api/v1/auth/token/", "post"),
        ("/api/v1/auth/token/refresh/", "post"),
        ("/api/v1/auth/logout/", "post"),
    }
    for path, operations in schema["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in operations.items():
            if (path, method) in public:
                continue
            schemes = {name for requirement in operation.get("security", []) for name in requirement}
            assert schemes, f"{method.upper()} {path} declares no authentication"
            assert {} not in operation.get("security", []), f"{method.upper()} {path} allows anonymous access"


def test_openapi_docs_page_renders_without_a_cdn():
    response = APIClient().get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger" in html.lower()
    external = re.findall(r"""(?:src|href)\s*=\s*["'](?:https?:)?//[^"']+""", html)
    assert external == []
    for cdn in ("cdn.jsdelivr.net", "unpkg.com", "cdnjs.cloudflare.com"):
        assert cdn not in html
