"""Production security settings (AUTH-01, AUTH-05 cookies) and the Content-Security-Policy."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

BASE_DIR = Path(__file__).resolve().parent.parent


def production_env(**extra: str) -> dict[str, str]:
    """A production-like environment: long random secrets, https site, one allowed host."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "SECURE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(64),
        API_KEY_PEPPER=secrets.token_urlsafe(32),
        SITE_URL="https://monitor.example.com",
        ALLOWED_HOSTS="monitor.example.com",
        DEBUG="false",
    )
    env.update(extra)
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def production_settings(names: list[str], **extra: str) -> dict[str, object]:
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {names!r}}}, default=str))"
    )
    result = run(["-c", code], production_env(**extra))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_auth_01_check_deploy_reports_nothing_in_production() -> None:
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout + result.stderr
    assert "WARNING" not in result.stdout + result.stderr


def test_auth_01_production_refuses_to_start_without_its_secrets() -> None:
    env = production_env()
    del env["SECRET_KEY"]
    result = run(["manage.py", "check"], env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_auth_05_production_cookies_are_secure_httponly_and_samesite_lax() -> None:
    values = production_settings(
        [
            "SESSION_COOKIE_SECURE",
            "SESSION_COOKIE_HTTPONLY",
            "SESSION_COOKIE_SAMESITE",
            "CSRF_COOKIE_SECURE",
            "CSRF_COOKIE_SAMESITE",
            "SECURE_HSTS_SECONDS",
            "SECURE_SSL_REDIRECT",
            "SECURE_PROXY_SSL_HEADER",
            "DEBUG",
            "ACCOUNTS_STAFF_REQUIRE_MFA",
        ]
    )
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert values["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["DEBUG"] is False
    assert values["ACCOUNTS_STAFF_REQUIRE_MFA"] is True


def test_auth_05_the_session_cookie_set_at_login_carries_the_flags(settings, alice) -> None:
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    client = Client()
    client.post("/accounts/login/", {"login": alice.email, "password": "correct horse battery"}, secure=True)

    cookie = client.cookies["sessionid"]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_local_settings_over_plain_http_keep_cookies_usable(alice) -> None:
    """make run serves http://127.0.0.1: a Secure cookie would never come back and login would fail."""
    code = "import django; django.setup(); from django.conf import settings; print(settings.SESSION_COOKIE_SECURE)"
    result = run(
        ["-c", code],
        {**{k: v for k, v in os.environ.items() if k != "SITE_URL"}, "DJANGO_SETTINGS_MODULE": "config.settings.local"},
    )
    assert result.stdout.strip().splitlines()[-1] == "False"
    client = Client()
    client.post("/accounts/login/", {"login": alice.email, "password": "correct horse battery"})
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_healthz_is_not_redirected_to_https_in_production() -> None:
    values = production_settings(["SECURE_REDIRECT_EXEMPT"])
    assert any(re.match(pattern, "healthz") for pattern in values["SECURE_REDIRECT_EXEMPT"])
    assert any(re.match(pattern, "readyz") for pattern in values["SECURE_REDIRECT_EXEMPT"])


# --- Content-Security-Policy ---------------------------------------------------------------


def csp_directives(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.django_db
def test_pages_send_a_strict_content_security_policy(alice) -> None:
    client = Client()
    client.force_login(alice)

    for path in ("/", "/accounts/login/", "/settings/account/", "/monitors/new/"):
        directives = csp_directives(client.get(path)["Content-Security-Policy"])
        assert directives["default-src"] == ["'self'"], path
        assert directives["script-src"] == ["'self'"], path
        assert "'unsafe-inline'" not in directives["style-src"], path
        assert directives["img-src"] == ["'self'", "data:"], path
        assert directives["frame-ancestors"] == ["'none'"], path
        assert directives["form-action"] == ["'self'"], path
    assert Client().get("/accounts/login/")["Content-Security-Policy"]


def test_templates_have_no_inline_scripts_or_styles() -> None:
    """script-src and style-src are 'self': inline code or handlers would be blocked."""
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
    handler = re.compile(r"\son[a-z]+\s*=", re.I)
    style_attr = re.compile(r"\sstyle\s*=", re.I)
    for path in (BASE_DIR / "templates").rglob("*.html"):
        text = path.read_text()
        assert not inline_script.search(text), path
        assert not handler.search(text), path
        assert not style_attr.search(text), path
        assert "<style" not in text, path


@pytest.mark.django_db
def test_api_docs_work_under_the_policy_with_only_inline_styles_relaxed(alice) -> None:
    client = Client()
    client.force_login(alice)

    page = client.get("/api/docs/")

    assert page.status_code == 200
    directives = csp_directives(page["Content-Security-Policy"])
    assert directives["script-src"] == ["'self'"]
    assert "'unsafe-inline'" in directives["style-src"]
    html = page.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "every script is a file"
    script_url = re.search(r'<script src="([^"]*\?script[^"]*)"', html).group(1).replace("&amp;", "&")
    script = client.get(script_url)
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()
