"""Settings: every value comes from the environment, with a default that suits the embedded mode.

The embedded default (no variables set) is a SQLite file under var/, an in-process queue and
the sandbox platforms: good for trying the product. Production sets DATABASE_URL, REDIS_URL,
SECRET_KEY, FIELD_ENCRYPTION_KEY, ALLOWED_HOSTS and HTTPS=1; see .env.example.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


DEBUG = env_bool("DEBUG", False)
# The fallback key only exists so that a fresh checkout runs; `check --deploy` rejects it.
SECRET_KEY = os.environ.get("SECRET_KEY") or "django-insecure-embedded-default-change-me-in-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# Secrets at rest (OAuth tokens, API keys, webhook secrets) are encrypted with Fernet. Several
# comma-separated keys allow rotation: the first encrypts, all decrypt. Without the variable a
# key is derived from SECRET_KEY, which is fine for the embedded mode only (a deploy check says so).
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEY", "") or [
    base64.urlsafe_b64encode(hashlib.sha256(("field-encryption:" + SECRET_KEY).encode()).digest()).decode()
]
FIELD_ENCRYPTION_KEY_FROM_ENV = bool(os.environ.get("FIELD_ENCRYPTION_KEY"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_rq",
    "django_tables2",
    "django_filters",
    "django_htmx",
    "axes",
    "inventory_sync",
    "channels",
    "mapping",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "inventory_sync.tenancy.CurrentMerchantMiddleware",
    # Axes goes last so that it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "inventory_sync.urls"
WSGI_APPLICATION = "inventory_sync.wsgi.application"

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
                "inventory_sync.tenancy.merchant_context",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'inventory_sync.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")))
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dashboard read while a worker thread writes; IMMEDIATE takes the write lock
    # at BEGIN, so two writers queue instead of failing with "database is locked" mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "overview"
LOGOUT_REDIRECT_URL = "login"

# Lockout after repeated failed logins (django-axes): per user name and address together, so
# one attacker cannot lock a merchant out from everywhere.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("LOGIN_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# HTTPS hardening: on whenever the site is served over TLS (HTTPS=1), which production must be.
HTTPS = env_bool("HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", "31536000" if HTTPS else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_PROXY", HTTPS) else None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_HOURS", "12")) * 3600
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Background work. Without REDIS_URL the queue lives in this process (an in-memory Redis from
# fakeredis, drained by worker threads that `manage.py demo` starts), so nothing has to be
# installed; with it, any number of `manage.py rqworker` processes on any machines share it.
REDIS_URL = os.environ.get("REDIS_URL", "")
# Workers take jobs in this order: pushes first (a sale must reach the other channels within
# seconds), then webhook processing, then the rest.
QUEUE_NAMES = ["push", "webhooks", "sync", "postings", "imports", "default"]
RQ_QUEUES = {
    name: {"URL": REDIS_URL or "redis://embedded:6379/0", "DEFAULT_TIMEOUT": 600} for name in QUEUE_NAMES
}
RQ = {"COMMIT_MODE": "on_db_commit", "DEFAULT_RESULT_TTL": 300}

# The hub's own tuning knobs (documented in .env.example).
PUSH_DEBOUNCE_SECONDS = float(os.environ.get("PUSH_DEBOUNCE_SECONDS", "0.3"))
ORDER_CATCHUP_MINUTES = int(os.environ.get("ORDER_CATCHUP_MINUTES", "5"))
RECONCILE_MINUTES = int(os.environ.get("RECONCILE_MINUTES", "15"))
MASTER_CDC_MINUTES = int(os.environ.get("MASTER_CDC_MINUTES", "15"))
HTTP_TIMEOUT_SECONDS = float(os.environ.get("HTTP_TIMEOUT_SECONDS", "20"))
# How long a run's lease on its connection outlives a killed worker, and how old unprocessed
# work must be before the sweeper wakes it again.
LEASE_SECONDS = float(os.environ.get("LEASE_SECONDS", "30"))
SWEEP_AFTER_SECONDS = float(os.environ.get("SWEEP_AFTER_SECONDS", "30"))
QUICKBOOKS_MINOR_VERSION = int(os.environ.get("QUICKBOOKS_MINOR_VERSION", "75"))
QUICKBOOKS_CLIENT_ID = os.environ.get("QUICKBOOKS_CLIENT_ID", "")
QUICKBOOKS_CLIENT_SECRET = os.environ.get("QUICKBOOKS_CLIENT_SECRET", "")
# 'sandbox', 'production', or the URL of a discovery document (the local sandbox serves one).
QUICKBOOKS_ENVIRONMENT = os.environ.get("QUICKBOOKS_ENVIRONMENT", "sandbox")
QUICKBOOKS_WEBHOOK_VERIFIER = os.environ.get("QUICKBOOKS_WEBHOOK_VERIFIER", "")
SHOPIFY_API_VERSION = os.environ.get("SHOPIFY_API_VERSION", "2026-10")
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000")

LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "rq.worker": {"level": os.environ.get("RQ_LOG_LEVEL", "WARNING")},
        "rq.cron": {"level": os.environ.get("RQ_LOG_LEVEL", "WARNING")},
        "rq.scheduler": {"level": os.environ.get("RQ_LOG_LEVEL", "WARNING")},
        "axes": {"level": "WARNING"},
    },
}

DJANGO_TABLES2_TEMPLATE = "django_tables2/table.html"
