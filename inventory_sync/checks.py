"""Deploy checks of the project's own settings (run by `manage.py check --deploy`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def check_field_encryption_key(app_configs: Any, **kwargs: Any) -> list[Error]:
    if settings.FIELD_ENCRYPTION_KEY_FROM_ENV:
        return []
    return [
        Error(
            "FIELD_ENCRYPTION_KEY is not set: secrets at rest are encrypted with a key derived from "
            "SECRET_KEY, which only suits the embedded demo.",
            hint="Set FIELD_ENCRYPTION_KEY to a Fernet key (see .env.example).",
            id="inventory_sync.E001",
        )
    ]


@register(Tags.database, deploy=True)
def check_production_services(app_configs: Any, **kwargs: Any) -> list[Error]:
    errors = []
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        errors.append(
            Error(
                "DATABASE_URL is not PostgreSQL: the embedded SQLite default serialises every write "
                "and cannot be shared by workers on several machines.",
                hint="Set DATABASE_URL=postgres://...",
                id="inventory_sync.E002",
            )
        )
    if not settings.REDIS_URL:
        errors.append(
            Error(
                "REDIS_URL is not set: background jobs would run in the web process's in-memory queue.",
                hint="Set REDIS_URL=redis://... and run `manage.py rqworker` processes.",
                id="inventory_sync.E003",
            )
        )
    return errors
