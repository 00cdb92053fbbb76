"""The Django admin: every registered model's pages work for a superuser, and only for staff.

The pages are found by walking admin.site._registry, so a model registered later is covered
without touching this file; a model of our own apps also needs a row in `admin_rows` below.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.core import checks
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import ApiKey, Membership, User
from accounts.services import Actor, api_key_create, audit_record
from checks.models import (
    CheckResult,
    ContractBaseline,
    DriftEvent,
    HeartbeatPing,
    MonitorRegionState,
    RegionStatus,
    Rollup,
    RollupProgress,
    ShapeSample,
    StatusChange,
)
from conftest import organization_of
from monitors.models import MaintenanceWindow, Monitor
from monitors.services import monitor_create

pytestmark = pytest.mark.django_db

OUR_APPS = {"core", "accounts", "monitors", "checks", "alerts"}


def registered_models() -> list[type[models.Model]]:
    return sorted(admin.site._registry, key=lambda model: model._meta.label)


def admin_url(model: type[models.Model], view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def superuser_client(db) -> Client:
    root = User.objects.create_superuser(email="root@example.com", password="correct horse battery")
    client = Client()
    client.force_login(root)
    return client


@pytest.fixture
def admin_rows(alice, bob, mallory) -> dict[str, Any]:
    """At least one row for every model of our apps, plus some for the third-party ones."""
    now = timezone.now()
    organization = organization_of(alice)
    api_key = api_key_create(organization=organization, created_by=alice, name="deploy", scope="write").api_key
    api_key_create(organization=organization_of(mallory), created_by=mallory, name="grafana", scope="read")
    monitor = monitor_create(organization=organization, name="Orders API", url="https://api.example.com/orders")
    result = CheckResult.objects.create(
        monitor=monitor,
        region="local",
        due_at=now,
        started_at=now,
        ok=False,
        status_code=500,
        latency_ms=42,
        error_kind="status",
        error="HTTP 500",
    )
    CheckResult.objects.create(
        monitor=monitor, region="local", due_at=now - timedelta(minutes=1), started_at=now, ok=True, status_code=200
    )
    change = StatusChange.objects.create(
        monitor=monitor, result=result, old_state="up", new_state="down", cause="HTTP 500"
    )
    incident_model = apps.get_model("alerts", "Incident")
    notification_model = apps.get_model("alerts", "Notification")
    channel = apps.get_model("alerts", "Channel").objects.filter(organization=organization).first()
    incident = incident_model.objects.create(monitor=monitor, opened_at=now, cause="HTTP 500", opened_by=change)
    notification_model.objects.create(status_change=change, channel=channel, incident=incident, event="monitor.down")
    apps.get_model("alerts", "IncidentEvent").objects.create(incident=incident, kind="opened", message="HTTP 500")
    rule = apps.get_model("alerts", "AlertRule").objects.create(
        organization=organization, condition="latency", threshold_ms=500
    )
    apps.get_model("alerts", "RuleFiring").objects.create(rule=rule, monitor=monitor, fired_at=now, incident=incident)
    apps.get_model("alerts", "MonitorAlertState").objects.create(monitor=monitor, flapping_since=now)
    apps.get_model("alerts", "EmailOptOut").objects.create(organization=organization, email="alice@example.com")
    audit_record(
        organization=organization, actor=Actor(user=alice, ip="127.0.0.1"), action="monitor.created", target=monitor
    )
    apps.get_model("accounts", "Invitation").objects.create(
        organization=organization, email="carol@example.com", invited_by=alice, token_hash="0" * 64, expires_at=now
    )
    HeartbeatPing.objects.create(monitor=monitor, kind="start", remote_addr="127.0.0.1")
    RegionStatus.objects.create(region="local", probe_sent_at=now, consumed_at=now, lag_ms=12)
    MonitorRegionState.objects.create(monitor=monitor, region="local", state="up", last_result_at=now)
    hour = now.replace(minute=0, second=0, microsecond=0)
    Rollup.objects.create(
        monitor=monitor, region="local", period="hour", bucket_start=hour, checks=2, ups=1, histogram={"42": 1}
    )
    RollupProgress.objects.create(period="hour", built_until=hour)
    baseline = ContractBaseline.objects.create(monitor=monitor, version=1, status="active", shape={"type": "object"})
    sample = ShapeSample.objects.create(monitor=monitor, shape_hash="a" * 64, content_type="text/json", body="{}")
    DriftEvent.objects.create(
        monitor=monitor, baseline=baseline, severity="breaking", changes=[], shape_hash="b" * 64, sample=sample
    )
    MaintenanceWindow.objects.create(
        organization=organization, monitor=monitor, name="DB upgrade", starts_at=now, ends_at=now
    )
    # Third-party models get rows too, so their pages render lists, not only empty states.
    Group.objects.create(name="support")
    every_minute = IntervalSchedule.objects.create(every=60, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name="example", task="checks.dispatch_due_checks", interval=every_minute)
    RefreshToken.for_user(alice).blacklist()
    return {"api_key": api_key, "monitor": monitor}


def test_admin_registers_every_model_of_our_apps() -> None:
    """R33: register every model. Fails when a new model of ours has no admin."""
    ours = [model for model in apps.get_models() if model._meta.app_label in OUR_APPS]

    missing = [model._meta.label for model in ours if model not in admin.site._registry]

    assert ours
    assert missing == []


def test_admin_configuration_passes_system_checks() -> None:
    errors = checks.run_checks(tags=[checks.Tags.admin])

    assert errors == []


@pytest.mark.parametrize("model", registered_models(), ids=lambda model: model._meta.label)
def test_admin_pages_answer_200(superuser_client, admin_rows, model) -> None:
    model_admin = admin.site._registry[model]
    rows = model._default_manager.all()
    if model._meta.app_label in OUR_APPS:
        assert rows.exists(), f"add a {model._meta.label} row to the admin_rows fixture"

    changelist = superuser_client.get(admin_url(model, "changelist"))
    assert changelist.status_code == 200
    if rows.exists():
        assert changelist.context["cl"].result_count >= 1
        first = rows.first()
        assert admin_url(model, "change", first.pk) in changelist.content.decode()
        assert superuser_client.get(admin_url(model, "change", first.pk)).status_code == 200

    # Every filter choice and the search box run their queries.
    for spec in changelist.context["cl"].filter_specs:
        for choice in spec.choices(changelist.context["cl"]):
            response = superuser_client.get(admin_url(model, "changelist") + choice["query_string"])
            assert response.status_code == 200, (spec.title, choice["query_string"])
    if model_admin.search_fields:
        assert superuser_client.get(admin_url(model, "changelist"), {"q": "example"}).status_code == 200

    add = superuser_client.get(admin_url(model, "add"))
    request = changelist.wsgi_request
    if model_admin.has_add_permission(request):
        assert add.status_code == 200
    else:
        assert add.status_code == 403


def test_admin_apikey_pages_never_show_the_hash(superuser_client, admin_rows) -> None:
    api_key: ApiKey = admin_rows["api_key"]

    change = superuser_client.get(admin_url(ApiKey, "change", api_key.pk))
    changelist = superuser_client.get(admin_url(ApiKey, "changelist"))

    assert change.status_code == 200
    assert api_key.prefix in change.content.decode()
    assert api_key.hashed_key not in change.content.decode()
    assert api_key.hashed_key not in changelist.content.decode()
    assert "hashed_key" not in change.content.decode()


def test_admin_apikey_revoke_action_revokes(superuser_client, admin_rows) -> None:
    api_key: ApiKey = admin_rows["api_key"]

    response = superuser_client.post(
        admin_url(ApiKey, "changelist"), {"action": "revoke", admin.helpers.ACTION_CHECKBOX_NAME: [api_key.pk]}
    )

    assert response.status_code == 302
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None


def test_admin_apikey_change_form_saves_name_only(superuser_client, admin_rows) -> None:
    api_key: ApiKey = admin_rows["api_key"]
    url = admin_url(ApiKey, "change", api_key.pk)
    data = post_data(superuser_client.get(url)) | {"name": "renamed"}

    response = superuser_client.post(url, data)

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    before = (api_key.hashed_key, api_key.prefix, api_key.scope)
    api_key.refresh_from_db()
    assert api_key.name == "renamed"
    assert (api_key.hashed_key, api_key.prefix, api_key.scope) == before


def test_admin_user_add_form_creates_user_with_organization(superuser_client) -> None:
    response = superuser_client.post(
        admin_url(User, "add"),
        {
            "email": "Carol@Example.com",
            "usable_password": "true",
            "password1": "a long enough passphrase",
            "password2": "a long enough passphrase",
        },
    )

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    user = User.objects.get(email="carol@example.com")
    assert response["Location"] == admin_url(User, "change", user.pk)
    assert user.check_password("a long enough passphrase")
    assert not user.is_staff
    membership = Membership.objects.get(user=user)
    assert membership.role == Membership.Role.OWNER
    assert apps.get_model("alerts", "Channel").objects.filter(organization=membership.organization).exists()


def test_admin_user_add_form_without_password(superuser_client) -> None:
    response = superuser_client.post(admin_url(User, "add"), {"email": "dave@example.com", "usable_password": "false"})

    assert response.status_code == 302
    assert not User.objects.get(email="dave@example.com").has_usable_password()


def test_admin_user_add_form_rejects_existing_email_any_case(superuser_client, alice) -> None:
    response = superuser_client.post(
        admin_url(User, "add"),
        {
            "email": "ALICE@example.com",
            "usable_password": "true",
            "password1": "a long enough passphrase",
            "password2": "a long enough passphrase",
        },
    )

    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors
    assert User.objects.filter(email__iexact="alice@example.com").count() == 1


def test_admin_user_change_form_saves(superuser_client, alice) -> None:
    url = admin_url(User, "change", alice.pk)
    page = superuser_client.get(url)
    assert "alice@example.com" in page.content.decode()
    assert "username" not in page.context["adminform"].form.fields

    response = superuser_client.post(url, post_data(page) | {"first_name": "Alice", "is_staff": "on"})

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    alice.refresh_from_db()
    assert (alice.first_name, alice.is_staff, alice.email) == ("Alice", True, "alice@example.com")
    assert alice.check_password("correct horse battery")
    assert Membership.objects.filter(user=alice).count() == 1


def test_admin_monitor_change_form_pauses_through_the_service(superuser_client, admin_rows) -> None:
    monitor: Monitor = admin_rows["monitor"]
    url = admin_url(Monitor, "change", monitor.pk)

    response = superuser_client.post(url, post_data(superuser_client.get(url)) | {"paused": "on", "name": "Orders"})

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    monitor.refresh_from_db()
    assert (monitor.name, monitor.paused, monitor.state) == ("Orders", True, Monitor.State.PAUSED)


def test_admin_monitor_change_form_applies_monitor_rules(superuser_client, admin_rows) -> None:
    monitor: Monitor = admin_rows["monitor"]
    url = admin_url(Monitor, "change", monitor.pk)

    response = superuser_client.post(url, post_data(superuser_client.get(url)) | {"interval_seconds": "1"})

    assert response.status_code == 200
    assert "interval_seconds" in response.context["adminform"].form.errors
    monitor.refresh_from_db()
    assert monitor.interval_seconds == 60


def test_admin_monitor_pause_and_resume_actions(superuser_client, admin_rows) -> None:
    monitor: Monitor = admin_rows["monitor"]
    changelist = admin_url(Monitor, "changelist")
    selected = {admin.helpers.ACTION_CHECKBOX_NAME: [monitor.pk]}

    superuser_client.post(changelist, {"action": "pause"} | selected)
    monitor.refresh_from_db()
    assert (monitor.paused, monitor.state) == (True, Monitor.State.PAUSED)

    superuser_client.post(changelist, {"action": "resume"} | selected)
    monitor.refresh_from_db()
    assert (monitor.paused, monitor.state) == (False, Monitor.State.PENDING)


def test_admin_check_results_are_read_only(superuser_client, admin_rows) -> None:
    result = CheckResult.objects.first()

    page = superuser_client.get(admin_url(CheckResult, "change", result.pk))
    response = superuser_client.post(admin_url(CheckResult, "change", result.pk), {"ok": "on"})

    assert page.status_code == 200
    assert response.status_code == 403
    assert admin.site._registry[CheckResult].show_full_result_count is False


def test_ten_06_admin_non_staff_redirected_to_login(alice) -> None:
    client = Client()
    client.force_login(alice)

    for url in ("/admin/", admin_url(ApiKey, "changelist"), admin_url(User, "add")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"{reverse('admin:login')}?next="), url


def test_ten_06_admin_anonymous_redirected_to_login(client) -> None:
    response = client.get(admin_url(Monitor, "changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_ten_06_admin_staff_without_model_permissions_403(alice) -> None:
    alice.is_staff = True
    alice.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(alice)

    assert client.get("/admin/").status_code == 200
    assert client.get(admin_url(ApiKey, "changelist")).status_code == 403
    assert client.get(admin_url(User, "change", alice.pk)).status_code == 403

    alice.user_permissions.add(Permission.objects.get(codename="view_apikey"))
    assert client.get(admin_url(ApiKey, "changelist")).status_code == 200
    assert client.get(admin_url(Monitor, "changelist")).status_code == 403


def test_admin_is_mounted_at_admin() -> None:
    assert reverse("admin:index") == "/admin/"
    assert "django.contrib.admin" in settings.INSTALLED_APPS


# --- helpers ----------------------------------------------------------------------------


def post_data(page: Any) -> dict[str, Any]:
    """The values an admin change page would submit unchanged: main form and inline formsets."""
    assert page.status_code == 200
    forms = [page.context["adminform"].form]
    data: dict[str, Any] = {}
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update({f"{formset.prefix}-{key}": value for key, value in formset.management_form.initial.items()})
        forms.extend(formset.forms)
    for form in forms:
        for name, field in form.fields.items():
            value = form[name].value()
            if field.disabled or value is None:
                continue
            key = form.add_prefix(name)
            if isinstance(value, bool):
                if value:
                    data[key] = "on"
            elif isinstance(value, list | tuple):
                data[key] = [str(item) for item in value]
            else:
                formatted = field.widget.format_value(value)
                data[key] = "" if formatted is None else formatted
    return data


def test_admin_check_results_narrow_to_one_monitor_by_url(superuser_client, admin_rows) -> None:
    monitor: Monitor = admin_rows["monitor"]

    response = superuser_client.get(admin_url(CheckResult, "changelist"), {"monitor__id__exact": monitor.pk})

    assert response.status_code == 200
    assert response.context["cl"].result_count == 2
