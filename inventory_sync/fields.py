"""Model fields that keep secrets encrypted at rest (OAuth tokens, API keys, webhook secrets).

Fernet (AES-128-CBC + HMAC-SHA256) from `cryptography`; MultiFernet so keys can rotate: the first
key of FIELD_ENCRYPTION_KEY encrypts, every key decrypts. A value read with an old key is
re-encrypted with the newest on the next save.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

PREFIX = "fernet:"


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must be one or more comma-separated Fernet keys "
            "(generate one with `python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'`)"
        ) from exc


def encrypt(plaintext: str) -> str:
    return PREFIX + _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS)).encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    if not ciphertext.startswith(PREFIX):
        raise ValueError("value is not an encrypted field value")
    try:
        return (
            _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))
            .decrypt(ciphertext[len(PREFIX) :].encode())
            .decode()
        )
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "An encrypted field could not be decrypted with any key in FIELD_ENCRYPTION_KEY; "
            "was the key changed without keeping the old one for rotation?"
        ) from exc


class EncryptedTextField(models.TextField):
    """A text column stored as a Fernet token; reads give back the plaintext."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))


class EncryptedJSONField(models.Field):
    """A JSON document (credentials) stored encrypted as a whole, in a text column."""

    def get_internal_type(self) -> str:
        return "TextField"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return {}
        return json.loads(decrypt(value))

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            return json.loads(value) if value else {}
        return value

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        return encrypt(json.dumps(value, sort_keys=True))

    def value_to_string(self, obj: models.Model) -> str:
        return json.dumps(self.value_from_object(obj))
