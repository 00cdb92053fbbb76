from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import Membership, User
from accounts.services import api_key_create
from checks.tests.drift.helpers import tracked_monitor
from conftest import organization_of


@pytest.fixture
def viewer(bob: User) -> User:
    Membership.objects.filter(user=bob).update(role=Membership.Role.VIEWER)
    return bob


@pytest.fixture
def key_client():
    def make(user: User, scope: str) -> APIClient:
        client = APIClient()
        issued = api_key_create(organization=organization_of(user), created_by=user, name=f"{scope} key", scope=scope)
        client.credentials(HTTP_X_API_KEY=issued.key)
        return client

    return make


@pytest.fixture
def monitor(alice, http_target):
    return tracked_monitor(organization_of(alice), http_target)
