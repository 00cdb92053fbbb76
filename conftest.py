"""Shared fixtures: tenants alice (owner), bob (member of alice's org), mallory (another org)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from allauth.account.models import EmailAddress
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import Membership, User
from accounts.services import user_create
from tests.servers import HttpTarget, SmtpSink


def make_user(*, email: str, password: str = "correct horse battery", organization_name: str = "") -> User:
    user = user_create(email=email, password=password, organization_name=organization_name)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def organization_of(user: User):  # noqa: ANN201 - the user's first organisation
    return user.memberships.select_related("organization").first().organization


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Each test starts with an empty cache (Redis when REDIS_URL is set, so also across runs)."""
    from django.core.cache import cache  # noqa: PLC0415

    cache.clear()
    yield


@pytest.fixture
def alice(db) -> User:
    return make_user(email="alice@example.com", organization_name="Alice Inc")


@pytest.fixture
def bob(db, alice: User) -> User:
    user = make_user(email="bob@example.com", organization_name="Bob's own")
    Membership.objects.filter(user=user).delete()
    Membership.objects.create(user=user, organization=organization_of(alice), role=Membership.Role.MEMBER)
    return user


@pytest.fixture
def mallory(db) -> User:
    return make_user(email="mallory@example.com", organization_name="Mallory Ltd")


@pytest.fixture
def api_client_for() -> Callable[[User], APIClient]:
    """An API client authenticated with a real access JWT for the user."""

    def make(user: User) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
        return client

    return make


@pytest.fixture
def http_target() -> Iterator[HttpTarget]:
    target = HttpTarget().start()
    yield target
    target.stop()


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests of PostgreSQL-only behaviour are skipped, with a reason, on the SQLite default."""
    from django.conf import settings  # noqa: PLC0415

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL (make test does on CI)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remove this run's SQLite test database file (see config/settings/test.py)."""
    from pathlib import Path  # noqa: PLC0415

    from django.conf import settings  # noqa: PLC0415

    name = settings.DATABASES["default"].get("TEST", {}).get("NAME")
    if name and settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{name}{suffix}").unlink(missing_ok=True)
