"""Every web form of the walking skeleton answers bad input with a form error, never a 500.

Each case posts garbage through the Django test client (which re-raises any exception a
view lets escape, so a 500 fails loudly) and checks that the page comes back 200 with the
error next to the field (`id="id_<field>_error"`, Django's and our _field.html's id), the
typed values are kept (never a password), and no row was created.
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, timedelta
from html import unescape
from html.parser import HTMLParser
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone

from accounts.models import ApiKey, User
from alerts.models import Channel
from monitors.models import Monitor

pytestmark = pytest.mark.django_db

SIGNUP_URL = "/accounts/signup/"
LOGIN_URL = "/accounts/login/"
RESET_URL = "/accounts/password/reset/"
MONITOR_CREATE_URL = "/monitors/new/"
CHANNEL_CREATE_URL = "/channels/new/"
API_KEYS_URL = "/settings/api-keys/"

STRONG_PASSWORD = "violet-anchor-orbit-42"
WRONG_LOGIN = "The email address and/or password you specified are not correct."
KEY_PATTERN = re.compile(r"dw_r[ow]_[A-Za-z0-9_-]{20,}")


# --- helpers -------------------------------------------------------------------------


class _Inputs(HTMLParser):
    """name -> the value a form control shows: input value, textarea text, selected option."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str | None] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        name = attributes.get("name")
        if tag == "input" and name and attributes.get("type") not in ("hidden", "radio", "checkbox"):
            self.values[name] = attributes.get("value")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""
        elif tag == "select" and name:
            self._select = name
            self.values[name] = None
        elif tag == "option" and self._select and "selected" in attributes:
            self.values[self._select] = attributes.get("value")

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea] = (self.values[self._textarea] or "") + data


def shown_values(response: HttpResponse) -> dict[str, str]:
    """What each control shows; "" for no value (HTML drops a textarea's first line break)."""
    parser = _Inputs()
    parser.feed(response.content.decode())
    return {name: (value or "").removeprefix("\n") for name, value in parser.values.items()}


def field_errors(response: HttpResponse, field: str) -> str:
    """The text of the error block rendered for `field` (empty when there is none)."""
    match = re.search(
        rf'<(ul|div)[^>]*\bid="id_{re.escape(field)}_error"[^>]*>(.*?)</\1>', response.content.decode(), re.S
    )
    return unescape(re.sub(r"<[^>]+>", " ", match.group(2))) if match else ""


def page_text(response: HttpResponse) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))


def assert_form_error(response: HttpResponse, field: str, text: str) -> None:
    assert response.status_code == 200, f"expected the form again, got {response.status_code}"
    errors = field_errors(response, field)
    assert text in errors, f"no {text!r} next to {field}: {errors!r}"


def anonymous() -> Client:
    return Client(enforce_csrf_checks=False)


def client_for(user: User) -> Client:
    client = Client(enforce_csrf_checks=False)
    client.force_login(user)
    return client


# --- allauth: signup ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"email": "carol@example.com@"}, "email", "Enter a valid email address."),
        ({"password2": "violet-anchor-orbit-43"}, "password2", "You must type the same password each time."),
        ({"password1": "Xy7#q", "password2": "Xy7#q"}, "password1", "This password is too short."),
        ({"password1": "password123", "password2": "password123"}, "password1", "This password is too common."),
        ({"password1": "8405729163", "password2": "8405729163"}, "password1", "This password is entirely numeric."),
        ({"email": ""}, "email", "This field is required."),
        ({"email": "c" * 5000 + "@example.com"}, "email", "Enter a valid email address."),
        ({"email": "carol\x00@example.com"}, "email", "Null characters are not allowed."),
    ],
    ids=[
        "invalid-email",
        "two-ats",
        "mismatch",
        "too-short",
        "too-common",
        "numeric",
        "empty-email",
        "huge-email",
        "nul",
    ],
)
def test_signup_bad_input_shows_a_field_error_and_creates_no_user(data, field, error):
    typed = {"email": "carol@example.com", "password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD} | data

    response = anonymous().post(SIGNUP_URL, typed)

    assert_form_error(response, field, error)
    assert not User.objects.exists()
    assert not EmailAddress.objects.exists()
    values = shown_values(response)
    assert values.get("email") == typed["email"]
    assert not values.get("password1")
    assert not values.get("password2")
    assert typed["password1"] not in response.content.decode()
    assert mail.outbox == []


def test_signup_existing_email_looks_like_a_new_signup_and_creates_no_second_user(alice):
    new = anonymous().post(
        SIGNUP_URL, {"email": "carol@example.com", "password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD}
    )
    mail.outbox.clear()

    taken = anonymous().post(
        SIGNUP_URL, {"email": "ALICE@example.com", "password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD}
    )

    # No "already registered" on the page (that would enumerate accounts): the same
    # redirect to "check your inbox" as a real signup, and alice is told by email instead.
    assert taken.status_code == new.status_code == 302
    assert taken["Location"] == new["Location"]
    assert User.objects.filter(email__iexact="alice@example.com").count() == 1
    assert EmailAddress.objects.filter(email__iexact="alice@example.com").count() == 1
    assert User.objects.count() == 2  # alice and carol
    assert [message.to for message in mail.outbox] == [["alice@example.com"]]
    alice.refresh_from_db()
    assert alice.check_password("correct horse battery")  # the signup's password did not take over


# --- allauth: login ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("login", "password"),
    [
        ("alice@example.com", "wrong password"),
        ("nobody@example.com", "correct horse battery"),
        ("ALICE@example.com", "Correct horse battery"),
    ],
    ids=["wrong-password", "unknown-email", "wrong-case-password"],
)
def test_login_bad_credentials_get_one_generic_error(alice, login, password):
    client = anonymous()

    response = client.post(LOGIN_URL, {"login": login, "password": password})

    assert response.status_code == 200
    assert WRONG_LOGIN in page_text(response)
    assert "_auth_user_id" not in client.session
    values = shown_values(response)
    assert values.get("login") == login
    assert not values.get("password")
    assert password not in response.content.decode()


def test_login_unknown_email_answers_exactly_like_a_wrong_password(alice):
    wrong_password = anonymous().post(LOGIN_URL, {"login": "alice@example.com", "password": "wrong password"})
    unknown = anonymous().post(LOGIN_URL, {"login": "nobody@example.com", "password": "wrong password"})

    assert wrong_password.status_code == unknown.status_code == 200
    assert page_text(wrong_password).replace("alice@example.com", "X") == page_text(unknown).replace(
        "nobody@example.com", "X"
    )


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"login": "not-an-email", "password": "whatever"}, "login", "Enter a valid email address."),
        ({"login": "", "password": "whatever"}, "login", "This field is required."),
        ({"login": "alice@example.com", "password": ""}, "password", "This field is required."),
        ({"login": "alice\x00@example.com", "password": "whatever"}, "login", "Null characters are not allowed."),
        ({"login": "a" * 5000 + "@example.com", "password": "whatever"}, "login", "Enter a valid email address."),
    ],
    ids=["invalid-email", "empty-login", "empty-password", "nul", "huge-email"],
)
def test_login_malformed_input_shows_a_form_error(alice, data, field, error):
    client = anonymous()

    response = client.post(LOGIN_URL, data)

    assert_form_error(response, field, error)
    assert "_auth_user_id" not in client.session


# --- allauth: password reset -------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "error"),
    [
        ("not-an-email", "Enter a valid email address."),
        ("", "This field is required."),
        ("a@b@c", "Enter a valid email address."),
        ("a" * 5000 + "@example.com", "Enter a valid email address."),
        ("alice\x00@example.com", "Null characters are not allowed."),
    ],
    ids=["invalid", "empty", "two-ats", "huge", "nul"],
)
def test_password_reset_invalid_email_shows_a_field_error(alice, email, error):
    response = anonymous().post(RESET_URL, {"email": email})

    assert_form_error(response, "email", error)
    assert mail.outbox == []


def test_password_reset_unknown_email_answers_like_a_known_one(alice):
    known = anonymous().post(RESET_URL, {"email": "alice@example.com"})
    unknown = anonymous().post(RESET_URL, {"email": "nobody@example.com"})

    assert known.status_code == unknown.status_code
    assert known.status_code in (200, 302)
    assert known.get("Location") == unknown.get("Location")
    assert User.objects.count() == 1  # no account appears for the unknown address
    # Only alice's message carries a reset link.
    links = [message for message in mail.outbox if "/accounts/password/reset/key/" in message.body]
    assert [message.to for message in links] == [["alice@example.com"]]


# --- monitor create ----------------------------------------------------------------

MONITOR_POST = {
    "name": "Orders API",
    "url": "http://127.0.0.1:9/orders",
    "method": "GET",
    "headers": "",
    "body": "",
    "expected_status": "200",
    "interval_seconds": "60",
    "timeout_seconds": "10",
}


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"url": "http://127.0.0.1:9/" + "a" * (5000 - 19)}, "url", "at most 2048 characters"),
        ({"url": "ftp://x"}, "url", "Only http:// and https:// URLs are allowed."),
        ({"url": "javascript:alert(1)"}, "url", "Only http:// and https:// URLs are allowed."),
        ({"url": ""}, "url", "This field is required."),
        ({"url": "http://127.0.0.1:99999/"}, "url", "check the host and the port"),
        ({"url": "http://[::1/"}, "url", "check the host and the port"),
        ({"url": "http://user:pw@127.0.0.1/"}, "url", "user name or password are not allowed"),
        ({"interval_seconds": "sixty"}, "interval_seconds", "Enter a whole number."),
        ({"interval_seconds": "1e9"}, "interval_seconds", "Enter a whole number."),
        ({"interval_seconds": "99999999999999999999999"}, "interval_seconds", "at most 86400 seconds"),
        ({"interval_seconds": "5"}, "interval_seconds", "at least 30 seconds"),
        ({"timeout_seconds": "-5"}, "timeout_seconds", "between 1 and 60 seconds"),
        ({"timeout_seconds": "59", "interval_seconds": "30"}, "timeout_seconds", "shorter than the interval"),
        ({"method": "BREW"}, "method", "Select a valid choice."),
        ({"expected_status": "abc"}, "expected_status", "is not a number"),
        ({"expected_status": "99"}, "expected_status", "is not an HTTP status code"),
        ({"headers": "no colon here"}, "headers", "expected 'Name: value'"),
        ({"headers": "Bad Name: x"}, "headers", "Invalid header name"),
        ({"name": ""}, "name", "This field is required."),
        ({"name": "n" * 101}, "name", "at most 100 characters"),
        ({"name": "Orders\x00API"}, "name", "Null characters are not allowed."),
        ({"body": "{\x00}"}, "body", "Null characters are not allowed."),
    ],
    ids=[
        "url-5000-chars",
        "url-ftp",
        "url-javascript",
        "url-empty",
        "url-port-out-of-range",
        "url-unclosed-bracket",
        "url-credentials",
        "interval-not-a-number",
        "interval-float",
        "interval-huge",
        "interval-too-small",
        "timeout-negative",
        "timeout-over-interval",
        "method-not-a-choice",
        "status-not-a-number",
        "status-out-of-range",
        "header-no-colon",
        "header-bad-name",
        "name-empty",
        "name-too-long",
        "name-nul",
        "body-nul",
    ],
)
def test_monitor_create_bad_input_shows_a_field_error_and_creates_nothing(alice, data, field, error):
    typed = MONITOR_POST | data

    response = client_for(alice).post(MONITOR_CREATE_URL, typed)

    assert_form_error(response, field, error)
    assert "Please correct the fields marked below." in page_text(response)
    assert not Monitor.objects.exists()
    values = shown_values(response)
    for name in ("name", "url", "interval_seconds", "timeout_seconds", "expected_status", "headers"):
        assert values.get(name) == typed[name], f"{name} was not kept"


# --- channel create ----------------------------------------------------------------

CHANNEL_POST = {"kind": "webhook", "name": "Ops hook", "target": "http://127.0.0.1:9/hook", "secret": ""}


def _whsec(size: int) -> str:
    return "whsec_" + base64.b64encode(b"k" * size).decode()


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"kind": "sms"}, "kind", "Select a valid choice."),
        ({"kind": "email", "target": "not-an-email"}, "target", "Enter a valid email address."),
        ({"kind": "email", "target": "http://127.0.0.1:9/hook"}, "target", "Enter a valid email address."),
        ({"target": "ftp://x"}, "target", "Only http:// and https:// URLs are allowed."),
        ({"target": "not a url"}, "target", "spaces or control characters"),
        ({"target": ""}, "target", "This field is required."),
        ({"target": "http://127.0.0.1:99999/hook"}, "target", "check the host and the port"),
        ({"target": "http://127.0.0.1:9/" + "h" * 5000}, "target", "at most 2048 characters"),
        ({"secret": "whsec_not base64!!"}, "secret", "whsec_ followed by base64"),
        ({"secret": "sk_live_abcdef"}, "secret", "whsec_ followed by base64"),
        ({"secret": _whsec(8)}, "secret", "24 to 64 bytes, not 8"),
        ({"secret": "whsec_" + "A" * 200}, "secret", "at most 128 characters"),
        ({"kind": "email", "target": "ops@example.com", "secret": _whsec(32)}, "secret", "Only webhook channels"),
        ({"name": ""}, "name", "This field is required."),
        ({"name": "Ops\x00hook"}, "name", "Null characters are not allowed."),
    ],
    ids=[
        "kind-not-a-choice",
        "email-invalid",
        "email-is-a-url",
        "webhook-ftp",
        "webhook-not-a-url",
        "webhook-empty",
        "webhook-port-out-of-range",
        "webhook-5000-chars",
        "secret-not-base64",
        "secret-no-prefix",
        "secret-too-short",
        "secret-too-long",
        "secret-on-email",
        "name-empty",
        "name-nul",
    ],
)
def test_channel_create_bad_input_shows_a_field_error_and_creates_nothing(alice, data, field, error):
    typed = CHANNEL_POST | data
    before = list(Channel.objects.values_list("id", flat=True))  # alice's default email channel

    response = client_for(alice).post(CHANNEL_CREATE_URL, typed)

    assert_form_error(response, field, error)
    assert list(Channel.objects.values_list("id", flat=True)) == before
    values = shown_values(response)
    assert values.get("name") == typed["name"]
    assert values.get("target") == typed["target"]
    assert mail.outbox == []


# --- API key create ------------------------------------------------------------------


def _day(offset: int) -> str:
    return (timezone.now().astimezone(UTC).date() + timedelta(days=offset)).isoformat()


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"name": "k" * 101}, "name", "at most 100 characters"),
        ({"scope": "admin"}, "scope", "Select a valid choice."),
        ({"scope": ""}, "scope", "This field is required."),
        ({"expires_on": _day(-1)}, "expires_on", "Choose a day after today."),
        ({"expires_on": _day(0)}, "expires_on", "Choose a day after today."),
        ({"expires_on": "not-a-date"}, "expires_on", "Enter a valid date."),
        ({"expires_on": "2026-02-30"}, "expires_on", "Enter a valid date."),
        ({"name": "deploy\x00script"}, "name", "Null characters are not allowed."),
    ],
    ids=[
        "name-empty",
        "name-too-long",
        "scope-not-a-choice",
        "scope-empty",
        "expiry-yesterday",
        "expiry-today",
        "expiry-not-a-date",
        "expiry-impossible-day",
        "name-nul",
    ],
)
def test_api_key_create_bad_input_shows_a_field_error_and_creates_nothing(alice, data, field, error):
    typed: dict[str, Any] = {"name": "deploy script", "scope": "read", "expires_on": ""} | data

    response = client_for(alice).post(API_KEYS_URL, typed)

    assert_form_error(response, field, error)
    assert not ApiKey.objects.exists()
    assert not KEY_PATTERN.search(response.content.decode())
    assert shown_values(response).get("name") == typed["name"]
