"""JWT-01, JWT-02, JWT-04 and MFA on POST /api/v1/auth/token/ (JWT-03 and JWT-05: test_jwt_rules, test_api)."""

from __future__ import annotations

import ast
import base64
import json
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path

import jwt
import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.conf import settings as django_settings
from django.core.management import call_command
from rest_framework.test import APIClient
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
TOKEN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"
LOGOUT = "/api/v1/auth/logout/"
MONITORS = "/api/v1/monitors/"
BASE_DIR = Path(django_settings.BASE_DIR)


def obtain(email: str = "alice@example.com", password: str = PASSWORD, **extra: str):  # noqa: ANN201
    return APIClient().post(TOKEN, {"email": email, "password": password, **extra}, format="json")


def get_with(access: str):  # noqa: ANN201
    return APIClient().get(MONITORS, HTTP_AUTHORIZATION=f"Bearer {access}")


def claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def signed(payload: dict, key: str | None = None) -> str:
    return jwt.encode(payload, key or django_settings.SECRET_KEY, algorithm="HS256")


# --- JWT-01: settings, and one place that mints tokens ------------------------------------------


def test_jwt_01_settings_are_short_lived_rotating_and_revocable() -> None:
    assert jwt_settings.ACCESS_TOKEN_LIFETIME <= timedelta(minutes=10)
    assert jwt_settings.REFRESH_TOKEN_LIFETIME <= timedelta(days=7)
    assert jwt_settings.ROTATE_REFRESH_TOKENS is True
    assert jwt_settings.BLACKLIST_AFTER_ROTATION is True
    assert jwt_settings.CHECK_REVOKE_TOKEN is True
    assert timedelta(seconds=jwt_settings.LEEWAY) <= timedelta(seconds=30)
    assert "rest_framework_simplejwt.token_blacklist" in django_settings.INSTALLED_APPS
    out = StringIO()
    call_command("makemigrations", "token_blacklist", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
    call_command("migrate", "token_blacklist", "--check", stdout=StringIO())  # exits 1 if one is unapplied


def _for_user_calls() -> list[tuple[Path, ast.FunctionDef | None, ast.Call]]:
    """Every `<anything>.for_user(...)` call in non-test code, with the function that holds it."""
    found = []
    for app in ("core", "accounts", "monitors", "checks", "alerts", "config"):
        for path in (BASE_DIR / app).rglob("*.py"):
            if "tests" in path.parts or "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text())
            functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "for_user":
                    holders = [f for f in functions if f.lineno <= node.lineno <= (f.end_lineno or f.lineno)]
                    holder = max(holders, key=lambda f: f.lineno) if holders else None
                    found.append((path.relative_to(BASE_DIR), holder, node))
    return found


def test_jwt_01_for_user_is_called_only_in_the_login_service_after_the_active_check() -> None:
    calls = _for_user_calls()

    assert [(str(path), function.name if function else None) for path, function, _ in calls] == [
        ("accounts/services/tokens.py", "token_pair_for_user")
    ]
    (_, function, call) = calls[0]
    checks = [
        node
        for node in ast.walk(function)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "user_can_authenticate"
    ]
    assert checks, "token_pair_for_user must check user_can_authenticate (is_active, verified email)"
    assert min(node.lineno for node in checks) < call.lineno


def test_jwt_01_inactive_user_gets_no_pair_from_the_service(alice) -> None:
    from accounts.services.tokens import TokenRefused, token_pair_for_user  # noqa: PLC0415

    alice.is_active = False
    alice.save(update_fields=["is_active"])
    with pytest.raises(TokenRefused):
        token_pair_for_user(user=alice)
    assert not OutstandingToken.objects.filter(user=alice).exists()


# --- JWT-02: rotation, logout, access tokens until exp ------------------------------------------


def test_jwt_02_logout_blacklists_the_refresh_token(alice) -> None:
    pair = obtain().json()

    response = APIClient().post(LOGOUT, {"refresh": pair["refresh"]}, format="json")

    assert response.status_code == 204
    jti = claims(pair["refresh"])["jti"]
    assert BlacklistedToken.objects.filter(token__jti=jti).exists()
    assert APIClient().post(REFRESH, {"refresh": pair["refresh"]}, format="json").status_code == 401
    assert APIClient().post(LOGOUT, {"refresh": pair["refresh"]}, format="json").status_code == 401


@pytest.mark.parametrize("body", [{}, {"refresh": ""}, {"refresh": "garbage"}, {"refresh": "a.b.c"}])
def test_jwt_02_logout_with_a_bad_token_is_400_or_401(body) -> None:
    assert APIClient().post(LOGOUT, body, format="json").status_code in (400, 401)


def test_jwt_02_logout_with_an_access_token_is_401(alice) -> None:
    pair = obtain().json()
    assert APIClient().post(LOGOUT, {"refresh": pair["access"]}, format="json").status_code == 401


def test_jwt_02_access_issued_before_logout_works_only_until_its_exp(alice) -> None:
    pair = obtain().json()
    access = claims(pair["access"])
    assert access["exp"] - access["iat"] <= 10 * 60  # the window a stolen access token stays usable

    assert APIClient().post(LOGOUT, {"refresh": pair["refresh"]}, format="json").status_code == 204

    assert get_with(pair["access"]).status_code == 200  # stateless: valid until exp
    # The same token once its lifetime (and the leeway) is over: refused.
    lifetime = access["exp"] - access["iat"]
    aged = access | {
        "iat": access["iat"] - lifetime - jwt_settings.LEEWAY - 1,
        "exp": access["exp"] - lifetime - jwt_settings.LEEWAY - 1,
    }
    assert get_with(signed(aged)).status_code == 401
    # Control: the re-signed token with its real times is accepted, so only exp made the difference.
    assert get_with(signed(access)).status_code == 200


def test_jwt_02_reusing_a_rotated_refresh_token_is_401(alice) -> None:
    pair = obtain().json()
    rotated = APIClient().post(REFRESH, {"refresh": pair["refresh"]}, format="json")
    assert rotated.status_code == 200
    assert APIClient().post(REFRESH, {"refresh": pair["refresh"]}, format="json").status_code == 401


# --- JWT-04: tampering is 401, never 500 ------------------------------------------------------------


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _tampered(kind: str, alice, bob) -> str:  # noqa: ANN001, C901
    pair = obtain().json()
    access = claims(pair["access"])
    now = int(time.time())
    if kind == "alg_none":
        return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(access)}."
    if kind == "wrong_key":
        return signed(access, key="not-the-secret-key-" + "x" * 32)
    if kind == "edited_user_id":
        header, _, signature = pair["access"].split(".")
        return f"{header}.{_b64(access | {'user_id': str(bob.id)})}.{signature}"
    if kind == "refresh_as_access":
        return pair["refresh"]
    if kind == "expired":
        return signed(access | {"iat": now - 3600, "exp": now - 60})
    if kind == "iat_in_future":
        return signed(access | {"iat": now + 3600, "exp": now + 3900})
    if kind == "wrong_audience":
        return signed(access | {"aud": "another-service"})
    if kind == "wrong_issuer":
        return signed(access | {"iss": "https://evil.example"})
    if kind == "no_audience":
        return signed({k: v for k, v in access.items() if k != "aud"})
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind",
    [
        "alg_none",
        "wrong_key",
        "edited_user_id",
        "refresh_as_access",
        "expired",
        "iat_in_future",
        "wrong_audience",
        "wrong_issuer",
        "no_audience",
    ],
)
def test_jwt_04_tampered_access_token_is_401(alice, bob, kind) -> None:
    token = _tampered(kind, alice, bob)

    response = get_with(token)

    assert response.status_code == 401, response.content
    assert b"Alice Inc" not in response.content


@pytest.mark.parametrize("token", ["", "a.b.c", "x" * 10_000, "e30.e30.", "\u00e9.\u00e9.\u00e9"])
def test_jwt_04_garbage_bearer_is_401_not_500(token) -> None:
    assert APIClient().get(MONITORS, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_jwt_04_tokens_carry_issuer_and_audience(alice) -> None:
    access = claims(obtain().json()["access"])
    assert access["iss"] == django_settings.SIMPLE_JWT["ISSUER"]
    assert access["aud"] == django_settings.SIMPLE_JWT["AUDIENCE"]


# --- MFA on the API -----------------------------------------------------------------------------------


def _current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, next(iter(yield_hotp_counters_from_time()))))


@pytest.fixture
def alice_totp(alice) -> str:
    secret = generate_totp_secret()
    TOTP.activate(alice, secret)
    return secret


def test_token_obtain_with_mfa_requires_otp(alice_totp) -> None:
    response = obtain()
    assert response.status_code == 401
    assert response.json()["code"] == "mfa_required"
    assert not OutstandingToken.objects.exists()


def test_token_obtain_with_mfa_wrong_otp_is_401_mfa_invalid(alice_totp) -> None:
    wrong = "000000" if _current_code(alice_totp) != "000000" else "111111"
    response = obtain(otp=wrong)
    assert response.status_code == 401
    assert response.json()["code"] == "mfa_invalid"
    assert not OutstandingToken.objects.exists()


def test_token_obtain_with_mfa_and_a_current_code_works_once(alice_totp) -> None:
    code = _current_code(alice_totp)

    response = obtain(otp=code)

    assert response.status_code == 200
    assert get_with(response.json()["access"]).status_code == 200
    replay = obtain(otp=code)  # a TOTP code is single-use
    assert replay.status_code == 401
    assert replay.json()["code"] == "mfa_invalid"


def test_token_obtain_with_mfa_accepts_an_unused_recovery_code_once(alice, alice_totp) -> None:
    recovery = RecoveryCodes.activate(alice)
    code = recovery.get_unused_codes()[0]

    assert obtain(otp=code).status_code == 200
    assert obtain(otp=code).json()["code"] == "mfa_invalid"


def test_token_obtain_with_mfa_wrong_password_says_nothing_about_mfa(alice_totp) -> None:
    without_mfa = obtain(email="nobody@example.com", password="wrong password").json()
    response = obtain(password="wrong password", otp=_current_code(alice_totp))
    assert response.status_code == 401
    assert response.json() == without_mfa
    assert response.json()["code"] == "no_active_account"
