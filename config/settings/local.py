"""Embedded default and development: everything works with no environment set."""

from __future__ import annotations

from .base import *  # noqa: F403
