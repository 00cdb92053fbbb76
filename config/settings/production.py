"""Production: secrets have no defaults, so a missing one fails at boot."""

from __future__ import annotations

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = env("SECRET_KEY")
API_KEY_PEPPER = env("API_KEY_PEPPER")
DEBUG = False

# Production is served over https (behind a TLS-terminating proxy that sets X-Forwarded-Proto):
# cookies are Secure whatever SITE_URL says, and plain http is redirected.
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# Orchestrator probes call these over plain http inside the host or cluster.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# Staff reach the admin only with an authenticator app.
ACCOUNTS_STAFF_REQUIRE_MFA = env.bool("ACCOUNTS_STAFF_REQUIRE_MFA", default=True)
