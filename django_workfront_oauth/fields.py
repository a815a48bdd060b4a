"""Encrypted model fields that fail loudly.

Tokens are stored in the format of django-encrypted-model-fields (Fernet, keys from
``FIELD_ENCRYPTION_KEY``, a list of keys for rotation: the first encrypts, all decrypt), so a
site can read them with that package too. Two things differ from its fields, on purpose:

* A value that cannot be decrypted raises :class:`TokenDecryptionError`. The upstream field
  returns the ciphertext instead, which would then be sent to Workfront as a token and encrypted
  a second time on the next save, losing the real token for good.
* The keys are read when first needed, not when the module is imported, so a missing or bad key
  is reported by a system check instead of crashing ``django.setup()``.

An empty value is stored as an empty string, unencrypted, so that "is a token set?" is a query
that needs no key.
"""

from __future__ import annotations

from typing import Any

from cryptography.fernet import InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

from .exceptions import UNREADABLE_MARK, TokenDecryptionError
from .redact import scrubbed_traceback

__all__ = ["EncryptedTokenField", "get_crypter"]

_crypter_cache: dict[str, MultiFernet] = {}


@scrubbed_traceback
def get_crypter() -> MultiFernet:
    """The ``MultiFernet`` for the current ``FIELD_ENCRYPTION_KEY`` (rebuilt when it changes)."""
    configured = getattr(settings, "FIELD_ENCRYPTION_KEY", None)
    cache_key = repr(configured)
    crypter = _crypter_cache.get(cache_key)
    if crypter is None:
        try:
            # Imported here: the module builds a crypter from the settings at import time.
            from encrypted_model_fields.fields import get_crypter as upstream_get_crypter

            # Inside the try too: once the module is imported, a key that changed to a bad
            # value is reported here, and must get the same message as at import.
            crypter = upstream_get_crypter()
        except (ImproperlyConfigured, TypeError, ValueError):
            # Not chained: the upstream frames hold the configured keys.
            raise ImproperlyConfigured(
                "FIELD_ENCRYPTION_KEY is missing or invalid; set it to a Fernet key "
                "(cryptography.fernet.Fernet.generate_key()) or a list of them."
            ) from None
        _crypter_cache.clear()
        _crypter_cache[cache_key] = crypter
    return crypter


class EncryptedTokenField(models.TextField):  # type: ignore[type-arg]
    """A text column encrypted at rest; reading a value the keys cannot decrypt raises."""

    description = "Text encrypted with FIELD_ENCRYPTION_KEY (Fernet)"

    @scrubbed_traceback
    def from_db_value(self, value: Any, expression: Any, connection: BaseDatabaseWrapper) -> Any:
        if value is None or value == "":
            return value
        if isinstance(value, bytes):
            value = value.decode("utf-8")
        try:
            return get_crypter().decrypt(value.encode("utf-8")).decode("utf-8")
        except (InvalidToken, UnicodeError, ValueError) as err:
            model = self.model._meta.label if hasattr(self, "model") else "?"
            raise TokenDecryptionError(
                f"{model}.{self.name} {UNREADABLE_MARK} with the configured "
                "FIELD_ENCRYPTION_KEY; add the key it was written with to the key list."
            ) from err

    @scrubbed_traceback
    def get_db_prep_save(self, value: Any, connection: BaseDatabaseWrapper) -> Any:
        value = super().get_db_prep_save(value, connection)
        if value is None or value == "":
            return value
        return get_crypter().encrypt(str(value).encode("utf-8")).decode("utf-8")
