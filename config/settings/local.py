"""Embedded default and development: everything works with no environment set."""

from __future__ import annotations

from .base import *  # noqa: F403
from .base import INSTALLED_APPS
from .devtools import DEVTOOLS_APPS, MIGRATION_LINTER_OPTIONS  # noqa: F401 - read by lintmigrations

INSTALLED_APPS = [*INSTALLED_APPS, *DEVTOOLS_APPS]
