"""Production: secrets have no defaults, so a missing one fails at boot."""

from __future__ import annotations

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = env("SECRET_KEY")
API_KEY_PEPPER = env("API_KEY_PEPPER")
DEBUG = False
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
