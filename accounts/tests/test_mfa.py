"""MFA: TOTP set-up with a QR code and recovery codes, login in two stages, enforcement per
organisation (pages and API) and for staff on the admin, and the audit rows."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value, yield_hotp_counters_from_time
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import AuditEvent, Membership, Organization, User
from accounts.services import api_key_create
from conftest import make_user, organization_of

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
ACTIVATE = "/accounts/2fa/totp/activate/"


def totp_code(secret: str, step: int = 0) -> str:
    counter = list(yield_hotp_counters_from_time())[len(list(yield_hotp_counters_from_time())) // 2]
    return format_hotp_value(hotp_value(secret, counter + step))


def login(client: Client, email: str, password: str = PASSWORD) -> str:
    """Log in through allauth's form; returns where it sent the browser next."""
    response = client.post("/accounts/login/", {"login": email, "password": password})
    assert response.status_code == 302, response.content[:500]
    return response["Location"]


def reauthenticate(client: Client, password: str = PASSWORD) -> None:
    """Enter the password again (ACCOUNT_REAUTHENTICATION_REQUIRED: a fresh login is not enough)."""
    response = client.post("/accounts/reauthenticate/", {"password": password})
    assert response.status_code == 302, response.content[:500]


def activate_totp(client: Client) -> str:
    """Set up an authenticator app through the pages; returns the secret."""
    if client.get(ACTIVATE).status_code == 302:
        reauthenticate(client)
    page = client.get(ACTIVATE)
    assert page.status_code == 200
    secret = client.session["mfa.totp.secret"]
    response = client.post(ACTIVATE, {"code": totp_code(secret)})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_view_recovery_codes")
    return secret


def give_totp(user: User) -> Authenticator:
    return TOTP.activate(user, "JBSWY3DPEHPK3PXP").instance


@pytest.fixture(autouse=True)
def _one_step_tolerance(settings) -> None:
    # A code of the next 30-second step also passes, so a test that signs in right after the
    # set-up does not reuse the same code (allauth refuses a code twice).
    settings.MFA_TOTP_TOLERANCE = 1


# allauth sends authenticator_added on commit (with the notification email, which needs the
# request): these tests commit for real.
@pytest.mark.django_db(transaction=True)
def test_totp_activation_shows_a_qr_code_in_our_layout_and_recovery_codes(alice, mailoutbox) -> None:
    client = Client()
    login(client, alice.email)
    # Setting up MFA asks for the password again, even right after login.
    asked = client.get(ACTIVATE)
    assert asked.status_code == 302
    assert asked["Location"].startswith("/accounts/reauthenticate/")
    reauthenticate(client)

    page = client.get(ACTIVATE)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'src="data:image/svg+xml;base64,' in html  # the QR code (CSP img-src data:)
    assert 'class="site-header"' in html  # rendered inside the site's layout
    assert "default-src 'self'" in page["Content-Security-Policy"]

    activate_totp(client)
    assert Authenticator.objects.filter(user=alice, type=Authenticator.Type.TOTP).exists()
    codes_page = client.get(reverse("mfa_view_recovery_codes"))
    assert codes_page.status_code == 200
    recovery = Authenticator.objects.get(user=alice, type=Authenticator.Type.RECOVERY_CODES)
    unused = RecoveryCodes(recovery).get_unused_codes()
    assert len(unused) >= 10
    assert unused[0] in codes_page.content.decode()

    event = AuditEvent.objects.get(organization=organization_of(alice), action="mfa.activated")
    assert event.actor == alice
    assert event.data == {"type": "totp"}
    assert any(alice.email in message.to for message in mailoutbox)  # allauth tells the user


def test_login_with_totp_is_a_second_stage(alice) -> None:
    secret = TOTP.activate(alice, "JBSWY3DPEHPK3PXP").instance
    assert secret  # alice has an authenticator app
    client = Client()

    next_url = login(client, alice.email)
    assert next_url == reverse("mfa_authenticate")
    # The password alone is not a login.
    assert client.get("/").status_code == 302
    assert "_auth_user_id" not in client.session

    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200
    assert "_auth_user_id" not in client.session

    right = client.post(reverse("mfa_authenticate"), {"code": totp_code("JBSWY3DPEHPK3PXP", step=1)})
    assert right.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)
    assert client.get("/").status_code == 200


def test_login_with_a_recovery_code_works_once(alice) -> None:
    give_totp(alice)
    rc = RecoveryCodes.activate(alice)
    code = rc.get_unused_codes()[0]

    client = Client()
    assert login(client, alice.email) == reverse("mfa_authenticate")
    assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)

    again = Client()
    login(again, alice.email)
    assert again.post(reverse("mfa_authenticate"), {"code": code}).status_code == 200
    assert "_auth_user_id" not in again.session


@pytest.mark.django_db(transaction=True)
def test_deactivating_totp_is_audited_in_every_organisation_of_the_user(alice, bob) -> None:
    # bob belongs to alice's organisation; give him a second one of his own.
    other = Organization.objects.create(name="Bob's side project")
    Membership.objects.create(user=bob, organization=other, role=Membership.Role.OWNER)
    client = Client()
    login(client, bob.email)
    secret = activate_totp(client)
    assert secret
    assert AuditEvent.objects.filter(action="mfa.activated", actor=bob).count() == 2

    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=bob, type=Authenticator.Type.TOTP).exists()
    organizations = set(
        AuditEvent.objects.filter(action="mfa.deactivated", actor=bob).values_list("organization", flat=True)
    )
    assert organizations == {organization_of(alice).id, other.id}


# --- enforcement per organisation -------------------------------------------------------


@pytest.fixture
def strict_org(alice) -> Organization:
    organization = organization_of(alice)
    organization.require_mfa = True
    organization.save(update_fields=["require_mfa"])
    return organization


def test_org_requiring_mfa_sends_a_member_without_totp_to_the_setup_page(bob, strict_org) -> None:
    client = Client()
    client.force_login(bob)

    for path in ("/", "/monitors/new/", "/channels/", "/settings/api-keys/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == ACTIVATE, path
    # What stays reachable: the set-up itself, the account page, logout, static and probes.
    assert client.get("/settings/account/").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get(reverse("mfa_index")).status_code == 200

    give_totp(bob)
    assert client.get("/").status_code == 200


def test_org_requiring_mfa_refuses_the_api_to_jwt_and_session_users_without_totp(
    bob, strict_org, api_client_for
) -> None:
    response = api_client_for(bob).get("/api/v1/monitors/")
    assert response.status_code == 403
    assert "MFA required" in response.json()["detail"]

    session = APIClient()
    session.force_login(bob)
    assert session.get("/api/v1/monitors/").status_code == 403

    give_totp(bob)
    assert api_client_for(bob).get("/api/v1/monitors/").status_code == 200
    assert session.get("/api/v1/monitors/").status_code == 200


def test_org_requiring_mfa_still_accepts_api_keys(bob, strict_org) -> None:
    issued = api_key_create(organization=strict_org, created_by=bob, name="ci", scope="read")
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=issued.key)

    assert client.get("/api/v1/monitors/").status_code == 200


def test_org_without_mfa_requirement_lets_members_in_without_totp(bob, api_client_for) -> None:
    client = Client()
    client.force_login(bob)
    assert client.get("/").status_code == 200
    assert api_client_for(bob).get("/api/v1/monitors/").status_code == 200


def test_mfa_requirement_follows_the_chosen_organisation(bob, strict_org) -> None:
    # bob's own organisation does not require MFA: acting for it, he gets in.
    own = Organization.objects.create(name="Bob's own again")
    Membership.objects.create(user=bob, organization=own, role=Membership.Role.OWNER)
    client = Client()
    client.force_login(bob)
    session = client.session
    session["organization_id"] = own.id
    session.save()
    assert client.get("/").status_code == 200


def test_member_held_by_an_mfa_org_can_switch_to_one_without_the_rule(bob, strict_org) -> None:
    own = Organization.objects.create(name="Bob's own again")
    Membership.objects.create(user=bob, organization=own, role=Membership.Role.OWNER)
    client = Client()
    client.force_login(bob)
    session = client.session
    session["organization_id"] = strict_org.id
    session.save()
    assert client.get("/")["Location"] == ACTIVATE

    response = client.post("/organizations/switch/", {"organization": own.id})

    assert response.status_code == 302
    assert client.session["organization_id"] == own.id
    assert client.get("/").status_code == 200
    # Switching back puts the rule back.
    client.post("/organizations/switch/", {"organization": strict_org.id})
    assert client.get("/")["Location"] == ACTIVATE


# --- staff and the admin -------------------------------------------------------------


@pytest.fixture
def staff(db) -> User:
    user = make_user(email="ops@example.com")
    user.is_staff = True
    user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    return user


def test_staff_without_totp_are_sent_to_mfa_setup_when_required(settings, staff) -> None:
    settings.ACCOUNTS_STAFF_REQUIRE_MFA = True
    client = Client()
    client.force_login(staff)

    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == ACTIVATE
    assert client.get("/admin/accounts/user/").status_code == 302

    give_totp(staff)
    assert client.get("/admin/").status_code == 200


def test_staff_mfa_is_not_required_when_the_setting_is_off(settings, staff) -> None:
    settings.ACCOUNTS_STAFF_REQUIRE_MFA = False
    client = Client()
    client.force_login(staff)
    assert client.get("/admin/").status_code == 200


def test_production_settings_require_staff_mfa() -> None:
    source = open("config/settings/production.py").read()  # noqa: PTH123, SIM115
    assert re.search(r'ACCOUNTS_STAFF_REQUIRE_MFA = env\.bool\("ACCOUNTS_STAFF_REQUIRE_MFA", default=True\)', source)


def test_admin_login_form_redirects_to_the_site_login(staff) -> None:
    client = Client()

    page = client.get("/admin/login/?next=/admin/accounts/user/")
    assert page.status_code == 302
    assert page["Location"] == "/accounts/login/?next=%2Fadmin%2Faccounts%2Fuser%2F"

    # Posting credentials to the admin's login does not log anyone in (no MFA bypass).
    post = client.post("/admin/login/", {"username": staff.email, "password": PASSWORD, "next": "/admin/"})
    assert post.status_code == 302
    assert post["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session


def test_admin_login_sends_signed_in_staff_on_and_refuses_others(staff, alice) -> None:
    client = Client()
    client.force_login(staff)
    response = client.get("/admin/login/?next=/admin/accounts/user/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/accounts/user/"
    assert client.get("/admin/login/?next=https://evil.example.com/")["Location"] == "/admin/"

    other = Client()
    other.force_login(alice)
    assert other.get("/admin/login/").status_code == 403


def test_staff_with_totp_log_in_to_the_admin_through_both_stages(settings, staff) -> None:
    settings.ACCOUNTS_STAFF_REQUIRE_MFA = True
    give_totp(staff)
    client = Client()

    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    assert login(client, staff.email) == reverse("mfa_authenticate")
    assert client.get("/admin/").status_code == 302  # password alone: still not in
    client.post(reverse("mfa_authenticate"), {"code": totp_code("JBSWY3DPEHPK3PXP", step=1)})
    assert client.get("/admin/").status_code == 200
