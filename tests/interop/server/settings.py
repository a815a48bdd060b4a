"""Settings of the interop server: django-oauth-toolkit, strict, on Adobe IMS's paths.

``run.py`` sets ``INTEROP_BASE_URL`` (the address it is bound to) and ``INTEROP_DB_PATH``
before Django reads this module.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.interop.server import SCOPES

BASE_URL = os.environ["INTEROP_BASE_URL"]

SECRET_KEY = "interop-server-only-not-a-secret"
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oauth2_provider",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "tests.interop.server.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [Path(__file__).resolve().parent / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]
# A file, not :memory:: the server's threads each open their own connection.
DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["INTEROP_DB_PATH"]}
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "/login/"


def _signing_key() -> str:
    """A fresh RS256 key for every run: nothing on the client side may depend on it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    # The id_token's ``iss`` must equal what the client is configured with as IMS_HOST.
    "OIDC_ISS_ENDPOINT": BASE_URL,
    "OIDC_RSA_PRIVATE_KEY": _signing_key(),
    "OAUTH2_VALIDATOR_CLASS": "tests.interop.server.validator.IMSLikeValidator",
    "SCOPES": SCOPES,
    "DEFAULT_SCOPES": ["openid"],
    # IMS's own figures: a 24 h access token.
    "ACCESS_TOKEN_EXPIRE_SECONDS": 86399,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"],
    # As strict as DOT can be: PKCE (S256 only), rotation with reuse detection, no grace.
    "PKCE_REQUIRED": True,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    # DOT says at DEBUG why it refused a request: the log is kept for a failing test's message.
    "loggers": {
        "oauth2_provider": {"handlers": ["stderr"], "level": "DEBUG"},
        "oauthlib": {"handlers": ["stderr"], "level": "DEBUG"},
    },
}
