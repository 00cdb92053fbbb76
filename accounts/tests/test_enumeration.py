"""AUTH-03: login, token, signup and reset answer alike for existing, unknown and inactive addresses."""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from conftest import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
WRONG = "not the password at all"
EXISTING, UNKNOWN, INACTIVE = "alice@example.com", "nobody@example.com", "gone@example.com"


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2 with small costs: a hash still dominates a request (~10 ms) and 50 tries stay quick."""

    time_cost = 1
    memory_cost = 16 * 1024
    parallelism = 1


@pytest.fixture
def accounts(alice) -> dict[str, str]:
    inactive = make_user(email=INACTIVE)
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    return {"existing": EXISTING, "unknown": UNKNOWN, "inactive": INACTIVE}


def normalized(html: bytes) -> str:
    """The page without what differs on every request (CSRF tokens, CSP nonces)."""
    text = html.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value=""', text)
    return re.sub(r'nonce="[^"]+"', 'nonce=""', text)


def web_login(email: str, password: str = WRONG):  # noqa: ANN201
    return Client().post("/accounts/login/", {"login": email, "password": password})


def api_login(email: str, password: str = WRONG):  # noqa: ANN201
    return APIClient().post("/api/v1/auth/token/", {"email": email, "password": password}, format="json")


def reset(email: str):  # noqa: ANN201
    return Client().post("/accounts/password/reset/", {"email": email})


def signup(email: str):  # noqa: ANN201
    return Client().post("/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD})


# --- identical answers -----------------------------------------------------------------------


def test_auth_03_session_login_same_status_and_page(accounts) -> None:
    responses = {kind: web_login(email) for kind, email in accounts.items()}

    assert {r.status_code for r in responses.values()} == {200}
    # The form echoes the address typed: that is the caller's own input, not an answer.
    pages = {kind: normalized(r.content).replace(accounts[kind], "EMAIL") for kind, r in responses.items()}
    assert pages["existing"] == pages["unknown"] == pages["inactive"]


def test_auth_03_token_same_status_and_body(accounts) -> None:
    responses = {kind: api_login(email) for kind, email in accounts.items()}

    assert {r.status_code for r in responses.values()} == {401}
    assert len({r.content for r in responses.values()}) == 1


def test_auth_03_password_reset_same_answer_and_one_email_each(accounts) -> None:
    responses = {kind: reset(email) for kind, email in accounts.items()}

    assert {r.status_code for r in responses.values()} == {302}
    assert len({r["Location"] for r in responses.values()}) == 1
    assert sorted(m.to[0] for m in mail.outbox) == sorted(accounts.values())  # nothing is skipped


def test_auth_03_signup_same_answer_and_existing_address_gets_an_account_exists_email(accounts) -> None:
    responses = {kind: signup(email) for kind, email in accounts.items()}

    assert {r.status_code for r in responses.values()} == {302}
    assert len({r["Location"] for r in responses.values()}) == 1
    assert User.objects.filter(email=UNKNOWN).exists()  # the unknown address got its account
    assert User.objects.filter(email=EXISTING).count() == 1
    to_existing = [m for m in mail.outbox if m.to == [EXISTING]]
    (message,) = to_existing
    assert "already" in (message.subject + message.body).lower()  # "account already exists"
    assert "password/reset" in message.body  # it points to a reset, not to a new account


def test_auth_03_signup_existing_address_shows_no_error(accounts) -> None:
    response = Client().post(
        "/accounts/signup/", {"email": EXISTING, "password1": PASSWORD, "password2": PASSWORD}, follow=True
    )
    body = response.content.decode().lower()
    assert "already" not in body
    assert "exists" not in body


# --- equal timing ----------------------------------------------------------------------------------


def medians_ms(calls: dict[str, Callable[[], object]], tries: int = 50) -> dict[str, float]:
    """Median duration of each call; the calls take turns, so a load spike hits them all alike."""
    samples: dict[str, list[float]] = {kind: [] for kind in calls}
    for _ in range(tries):
        for kind, call in calls.items():
            start = time.perf_counter()
            call()
            samples[kind].append((time.perf_counter() - start) * 1000)
    return {kind: statistics.median(values) for kind, values in samples.items()}


@pytest.fixture
def argon2(settings, accounts) -> None:
    """Argon2 (the production algorithm, cheaper costs) for every stored password, as in production."""
    settings.PASSWORD_HASHERS = ["accounts.tests.test_enumeration.FastArgon2PasswordHasher"]
    for user in User.objects.all():
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])


@pytest.mark.parametrize("login", [web_login, api_login], ids=["session", "token"])
def test_auth_03_login_median_times_differ_by_less_than_20_percent(argon2, accounts, login) -> None:
    login(EXISTING)  # warm up templates and connections
    medians = medians_ms({kind: (lambda email=email: login(email)) for kind, email in accounts.items()})

    fastest, slowest = min(medians.values()), max(medians.values())
    assert slowest < fastest * 1.2, medians


def test_auth_03_reset_median_times_differ_by_less_than_20_percent(accounts) -> None:
    reset(EXISTING)
    medians = medians_ms({kind: (lambda email=email: reset(email)) for kind, email in accounts.items()}, tries=30)

    fastest, slowest = min(medians.values()), max(medians.values())
    assert slowest < fastest * 1.2, medians


def test_auth_03_signup_median_times_differ_by_less_than_20_percent(settings, accounts) -> None:
    # Django's own Argon2 costs, as in production: a new account costs a hash plus a few inserts,
    # a taken address a throwaway hash (accounts.adapter), so the hash must dominate both.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    fresh = (f"new{number}@example.com" for number in range(1000))
    signup(EXISTING)
    medians = medians_ms(
        {
            "existing": lambda: signup(EXISTING),
            "unknown": lambda: signup(next(fresh)),
            "inactive": lambda: signup(INACTIVE),
        }
    )

    fastest, slowest = min(medians.values()), max(medians.values())
    assert slowest < fastest * 1.2, medians
