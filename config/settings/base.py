"""Settings shared by every environment. Only config/settings/*.py reads the environment."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
env.read_env(str(BASE_DIR / ".env"))  # optional file; the environment wins

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="dev-insecure-not-for-production-set-SECRET_KEY")
# Old keys still accepted for signatures (sessions, reset links) while SECRET_KEY rotates.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = [SITE_URL]

# --- apps -------------------------------------------------------------------
DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]
THIRD_PARTY_APPS = [
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
]
LOCAL_APPS = ["core", "accounts", "monitors", "checks", "alerts"]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.MfaRequiredMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.organization",
            ],
        },
    },
]

# --- database ---------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; the init command
    # runs on every new connection.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache and broker -------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")  # empty: the embedded broker and a local cache
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- auth -------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# Argon2 first (AUTH-02); the others only verify old hashes, which are upgraded at the next login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

SIGNUP_OPEN = env.bool("SIGNUP_OPEN", default=True)
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 1
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Driftwatch] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https://") else "http"
# One address per user; a change is a pending address that replaces the old one only once its
# link is confirmed, after the password was asked again (AUTH-07). The old address is told.
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
# Links are signed (HMAC of the address id, max age EXPIRE_DAYS): they work only while the
# address is unverified, so once, and stop when a newer change replaces the pending address.
ACCOUNT_EMAIL_CONFIRMATION_HMAC = True
# Invitation links to join an organisation stop working after this many days (single use).
ACCOUNTS_INVITATION_TTL_DAYS = env.int("ACCOUNTS_INVITATION_TTL_DAYS", default=7)
# A deleted account can be restored this long; then it is deleted for good (accounts.services.account_deletion).
ACCOUNTS_DELETION_GRACE_DAYS = env.int("ACCOUNTS_DELETION_GRACE_DAYS", default=14)
# Staff reach /admin/ only with an authenticator app (production turns this on).
ACCOUNTS_STAFF_REQUIRE_MFA = env.bool("ACCOUNTS_STAFF_REQUIRE_MFA", default=False)

# --- email ------------------------------------------------------------------
EMAIL_URL = env("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(env.email_url("EMAIL_URL"))
else:
    # No mail server configured: print every email (verification links
    # included) to the console of `make run`.
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
EMAIL_TIMEOUT = 10  # seconds; a hanging mail server must not hold a worker for long
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Driftwatch <driftwatch@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- security ---------------------------------------------------------------
# Cookies: never readable by scripts, not sent on cross-site subrequests. Over https (SITE_URL)
# they are Secure too; over plain http (make run on 127.0.0.1) they cannot be, or login breaks.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SILENCED_SYSTEM_CHECKS: list[str] = []
if SITE_URL.startswith("https://"):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    # Preloading commits the whole registrable domain to https in every browser, for months:
    # the operator's decision, not a default. Without it check --deploy says W021, which is
    # silenced only while preload is off on purpose.
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS.append("security.W021")
    # https ends at the reverse proxy, which says so in X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp): no inline scripts or styles anywhere, no framing,
# forms post only here. The QR code of the TOTP setup page is a data: URI image.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# --- i18n / static ------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- API --------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiKeyAuthentication",
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.permissions.ApiKeyScopePermission",
        "accounts.permissions.MfaSatisfied",
        "accounts.permissions.OrganizationPermission",
    ],
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "core.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Per user (JWT or session) and per API key, in the default cache; rates in the rate-limits
    # section below (accounts.throttles reads them at request time). 429 with Retry-After.
    "DEFAULT_THROTTLE_CLASSES": ["accounts.throttles.UserRateThrottle", "accounts.throttles.ApiKeyRateThrottle"],
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=5),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=1),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "LEEWAY": 10,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_AUTHENTICATION_RULE": "accounts.selectors.user_can_authenticate",
    # Tokens carry a hash of the password: changing or resetting it ends every token (JWT-03).
    "CHECK_REVOKE_TOKEN": True,
    # A token minted for another service (or another Driftwatch install) is refused (JWT-04).
    "ISSUER": SITE_URL,
    "AUDIENCE": "driftwatch-api",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Driftwatch API",
    "DESCRIPTION": "Uptime and API-contract monitoring.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
# Keys are stored as HMAC-SHA256(API_KEY_PEPPER, key): a pepper of its own, so rotating
# SECRET_KEY leaves every key valid (KEY-05). production.py requires it.
API_KEY_PEPPER = env("API_KEY_PEPPER", default="dev-insecure-api-key-pepper-set-API_KEY_PEPPER")

# --- multi-factor authentication (allauth.mfa) ----------------------------------
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Driftwatch"

# --- rate limits ----------------------------------------------------------------
# The client address behind trusted reverse proxies (core.client_ip); empty: REMOTE_ADDR only.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=True)
RATELIMIT_IP_META_KEY = "core.client_ip.client_ip"
RATELIMIT_USE_CACHE = "default"
# django-ratelimit is used as a library (accounts.ratelimits calls its get_usage), not installed
# as an app: its system check refuses the embedded default's FileBasedCache. With REDIS_URL the
# default cache is Redis, and every web process shares the buckets.
# Logins, signups and token requests, and failed API-key authentications, per client address;
# counted before any password check.
ACCOUNTS_AUTH_ATTEMPTS_PER_IP = env("ACCOUNTS_AUTH_ATTEMPTS_PER_IP", default="20/h")
# Failed logins (web or token API) per email address, from any address; the 6th in 15 min is a
# 429. Counted after the password check, so the right password still works (no lockout).
ACCOUNTS_LOGIN_FAILURES_PER_EMAIL = env("ACCOUNTS_LOGIN_FAILURES_PER_EMAIL", default="5/15m")
# Password-reset requests per email address (known or not) and per client address.
ACCOUNTS_PASSWORD_RESETS_PER_EMAIL = env("ACCOUNTS_PASSWORD_RESETS_PER_EMAIL", default="3/h")
ACCOUNTS_PASSWORD_RESETS_PER_IP = env("ACCOUNTS_PASSWORD_RESETS_PER_IP", default="20/h")
# allauth's own "login_failed" limit counts per address *before* the password check, which
# would lock the real user out during a brute force: the buckets above replace it.
# allauth's other limits (signup 20/m per IP, login 30/m per IP, ...) stay as a coarser net.
ACCOUNT_RATE_LIMITS = {"login_failed": None}
# The API, per user (JWT or session) and per API key: "<count>/<s|min|h|d>".
API_RATE_LIMIT_PER_USER = env("API_RATE_LIMIT_PER_USER", default="600/min")
API_RATE_LIMIT_PER_KEY = env("API_RATE_LIMIT_PER_KEY", default="600/min")

# --- Celery -----------------------------------------------------------------
# How long Redis keeps a delivered but unacknowledged task before it hands it to another worker.
# At least 5x the longest task time limit (checks.run_check, 100 s), so a task is redelivered
# only when its worker is surely gone; the same value everywhere Celery reads one, since the
# shortest wins (RELIABILITY CEL-01; tests/test_celery_config.py). No countdown/eta is longer.
CELERY_VISIBILITY_TIMEOUT_SECONDS = 600
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT_SECONDS}
    CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT_SECONDS}
else:
    # Embedded default: kombu's filesystem transport under var/, no server.
    _broker_dir = Path(env("BROKER_DIR", default=str(VAR_DIR / "broker")))
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        "control_folder": str(_broker_dir / "control"),
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
# Why these values: config/celery.py. Every task is idempotent, so a redelivery is harmless
# and a lost task is not: acknowledge after the run, requeue if the worker dies.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 45
CELERY_TASK_TIME_LIMIT = 60
# SIGTERM: running tasks get this long to finish, then are requeued (not lost, not waited on for ever).
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = 30.0
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Print emails of the console backend as they are, not as one log record per line.
CELERY_WORKER_REDIRECT_STDOUTS = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# CELERY_BEAT_SCHEDULE (every periodic task, one dispatcher for all monitors): config/settings/beat.py.

# --- Driftwatch ---------------------------------------------------------------
# The product's own settings (checks, heartbeats, retention, alerts): config/settings/driftwatch.py.
from .beat import *  # noqa: E402, F403
from .driftwatch import *  # noqa: E402, F403

# --- logging: JSON lines on stdout -----------------------------------------------
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "json"}},
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "celery": {"level": "INFO"},
        # One line per task received/succeeded, and per beat tick, is noise at one dispatch a
        # second; failures still log at WARNING and above.
        "celery.app.trace": {"level": "WARNING"},
        "celery.worker.strategy": {"level": "WARNING"},
        "celery.beat": {"level": "WARNING"},
    },
}
