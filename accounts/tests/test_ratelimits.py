"""AUTH-04: sign-in, signup and reset rate limits (web and API share buckets), API throttles, 429 + Retry-After."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import api_key_create
from conftest import organization_of

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
LOGIN = "/accounts/login/"
SIGNUP = "/accounts/signup/"
RESET = "/accounts/password/reset/"
TOKEN = "/api/v1/auth/token/"
MONITORS = "/api/v1/monitors/"
BASE_DIR = Path(django_settings.BASE_DIR)


@pytest.fixture(autouse=True)
def _limits_on(settings) -> None:
    settings.RATELIMIT_ENABLE = True


def web_login(email: str, password: str, ip: str, **extra: str):  # noqa: ANN201
    from django.test import Client  # noqa: PLC0415

    return Client().post(LOGIN, {"login": email, "password": password}, REMOTE_ADDR=ip, **extra)


def api_login(email: str, password: str, ip: str, **extra: str):  # noqa: ANN201
    return APIClient().post(TOKEN, {"email": email, "password": password}, format="json", REMOTE_ADDR=ip, **extra)


def assert_429(response) -> None:  # noqa: ANN001
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1


# --- per email: failures, from any address ---------------------------------------------------


@pytest.mark.parametrize("login", [web_login, api_login], ids=["web", "api"])
def test_auth_04_sixth_failed_login_for_one_email_is_429_even_when_the_ip_changes(alice, login) -> None:
    for n in range(5):
        response = login(alice.email, "wrong password", f"10.0.1.{n + 1}")
        assert response.status_code in (200, 401), n  # the form error, or the API's 401

    assert_429(login(alice.email, "wrong password", "10.0.1.6"))


def test_auth_04_web_and_token_failures_share_the_email_bucket(alice) -> None:
    for n in range(3):
        assert web_login(alice.email, "wrong password", f"10.0.4.{n}").status_code == 200
    for n in range(2):
        assert api_login(alice.email, "wrong password", f"10.0.5.{n}").status_code == 401

    assert_429(api_login(alice.email, "wrong password", "10.0.5.9"))
    assert_429(web_login(alice.email, "wrong password", "10.0.4.9"))


def test_auth_04_web_429_is_a_page_with_retry_after(alice) -> None:
    for n in range(5):
        web_login(alice.email, "wrong password", f"10.0.6.{n}")

    response = web_login(alice.email, "wrong password", "10.0.6.9")

    assert_429(response)
    assert "Too many attempts" in response.content.decode()
    assert f"Wait {response['Retry-After']} seconds" in response.content.decode()


def test_auth_04_unknown_email_is_limited_like_a_known_one(alice) -> None:
    for n in range(5):
        assert api_login("nobody@example.com", "wrong password", f"10.0.7.{n}").status_code == 401
    assert_429(api_login("nobody@example.com", "wrong password", "10.0.7.9"))


# --- per IP: every attempt, before the password check -------------------------------------------


def test_auth_04_twenty_first_login_or_signup_from_one_ip_is_429(alice) -> None:
    ip = "10.0.2.1"
    for n in range(10):
        # Distinct unknown addresses: no per-email bucket fills up.
        assert web_login(f"user{n}@example.com", "wrong password", ip).status_code == 200
    for n in range(5):
        assert api_login(f"api{n}@example.com", "wrong password", ip).status_code == 401
    for n in range(5):
        response = APIClient().post(
            SIGNUP,
            {"email": f"new{n}@example.com", "password1": PASSWORD + "!", "password2": PASSWORD + "!"},
            REMOTE_ADDR=ip,
        )
        assert response.status_code == 302, n

    assert_429(APIClient().post(SIGNUP, {"email": "new9@example.com"}, REMOTE_ADDR=ip))
    assert_429(web_login(alice.email, PASSWORD, ip))  # the right password too: the IP is over
    assert not User.objects.filter(email="new9@example.com").exists()
    assert web_login(alice.email, PASSWORD, "10.0.2.2").status_code == 302  # another address is fine


def test_auth_04_untrusted_x_forwarded_for_does_not_reset_the_ip_bucket(alice, settings) -> None:
    settings.TRUSTED_PROXIES = []
    for n in range(20):
        response = api_login(f"u{n}@example.com", "x", "10.0.3.1", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
        assert response.status_code == 401
    assert_429(api_login("u99@example.com", "x", "10.0.3.1", HTTP_X_FORWARDED_FOR="192.0.2.200"))


def test_auth_04_trusted_proxy_x_forwarded_for_names_the_client(alice, settings) -> None:
    settings.TRUSTED_PROXIES = ["10.0.3.0/24"]
    for n in range(25):
        # Each request comes through the proxy from another client: no single client is over.
        response = api_login(f"u{n}@example.com", "x", "10.0.3.1", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
        assert response.status_code == 401, n


def test_auth_04_api_key_failures_share_the_ip_bucket(alice) -> None:
    ip = "10.0.8.1"
    for _ in range(20):
        assert APIClient().get(MONITORS, HTTP_X_API_KEY="dw_rw_wrong", REMOTE_ADDR=ip).status_code == 401
    assert_429(APIClient().get(MONITORS, HTTP_X_API_KEY="dw_rw_wrong", REMOTE_ADDR=ip))
    assert_429(api_login(alice.email, PASSWORD, ip))


def test_auth_04_valid_api_keys_do_not_count(alice) -> None:
    issued = api_key_create(organization=organization_of(alice), created_by=alice, name="ci", scope="read")
    for _ in range(30):
        assert APIClient().get(MONITORS, HTTP_X_API_KEY=issued.key, REMOTE_ADDR="10.0.8.2").status_code == 200


# --- password reset: per address, known or not ------------------------------------------------


@pytest.mark.parametrize("email", ["alice@example.com", "nobody@example.com"])
def test_auth_04_fourth_reset_request_for_an_address_is_429(client, alice, email) -> None:
    for n in range(3):
        response = client.post(RESET, {"email": email}, REMOTE_ADDR=f"10.0.9.{n}")
        assert response.status_code == 302, n

    assert_429(client.post(RESET, {"email": email.upper()}, REMOTE_ADDR="10.0.9.9"))
    assert len(mail.outbox) == 3  # the 4th sent nothing


# --- the bar: a brute force is cut off, the real user still gets in -------------------------------


def test_auth_04_brute_force_of_50_from_one_ip_is_cut_off_and_the_real_user_still_logs_in(alice) -> None:
    statuses = []
    for n in range(50):
        login = web_login if n % 2 else api_login
        statuses.append(login(alice.email, f"guess {n}", "10.0.0.1").status_code)

    assert 500 not in statuses
    assert set(statuses) <= {200, 401, 429}
    assert statuses[-30:] == [429] * 30  # cut off: the per-IP limit is 20 attempts an hour
    assert web_login(alice.email, PASSWORD, "10.0.0.1").status_code == 429

    # From another address the right password works, on the web and for a token.
    web = web_login(alice.email, PASSWORD, "10.0.0.2")
    assert web.status_code == 302
    assert web.cookies["sessionid"].value
    token = api_login(alice.email, PASSWORD, "10.0.0.2")
    assert token.status_code == 200
    assert APIClient().get(MONITORS, HTTP_AUTHORIZATION=f"Bearer {token.json()['access']}").status_code == 200
    # ...while guesses from there are still refused: the email's failure bucket is over.
    assert_429(api_login(alice.email, "guess 51", "10.0.0.2"))


# --- API throttles per user and per key ------------------------------------------------------------


def test_api_throttle_per_user_answers_429_with_retry_after(api_client_for, alice, bob, settings) -> None:
    settings.API_RATE_LIMIT_PER_USER = "3/min"
    client = api_client_for(alice)
    for _ in range(3):
        assert client.get(MONITORS).status_code == 200

    response = client.get(MONITORS)

    assert_429(response)
    assert api_client_for(bob).get(MONITORS).status_code == 200  # bob has his own bucket


def test_api_throttle_per_key_is_separate_from_its_creator(api_client_for, alice, settings) -> None:
    settings.API_RATE_LIMIT_PER_KEY = "2/min"
    settings.API_RATE_LIMIT_PER_USER = "100/min"
    issued = api_key_create(organization=organization_of(alice), created_by=alice, name="ci", scope="read")
    key_client = APIClient()
    key_client.credentials(HTTP_X_API_KEY=issued.key)
    assert [key_client.get(MONITORS).status_code for _ in range(3)] == [200, 200, 429]
    assert api_client_for(alice).get(MONITORS).status_code == 200


def test_api_throttles_off_when_ratelimit_disabled(api_client_for, alice, settings) -> None:
    settings.RATELIMIT_ENABLE = False
    settings.API_RATE_LIMIT_PER_USER = "1/min"
    client = api_client_for(alice)
    assert {client.get(MONITORS).status_code for _ in range(5)} == {200}


# --- across processes -----------------------------------------------------------------------------


_OTHER_PROCESS = """
import django
django.setup()
from django.conf import settings
settings.RATELIMIT_ENABLE = True  # config.settings.test turns it off
from django.test import RequestFactory
from accounts.ratelimits import auth_attempt_from_ip
for _ in range(15):
    auth_attempt_from_ip(RequestFactory().post("/accounts/login/", REMOTE_ADDR="10.0.10.1"))
print("ok")
"""


@pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs a shared cache: set REDIS_URL (Redis)")
def test_auth_04_limits_hold_across_processes(alice) -> None:
    """Another Python process (another web worker) counts into the same Redis bucket."""
    env = os.environ | {"DJANGO_SETTINGS_MODULE": "config.settings.test"}
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", _OTHER_PROCESS], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip().endswith("ok"), done.stderr[-2000:]

    for n in range(5):
        assert api_login(f"x{n}@example.com", "x", "10.0.10.1").status_code == 401
    assert_429(api_login("x9@example.com", "x", "10.0.10.1"))
