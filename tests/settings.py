"""Only what the app needs to run its tests."""

from __future__ import annotations

import os

SECRET_KEY = "tests-only-not-a-secret"
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django_workfront_oauth",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "tests.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

# PostgreSQL when the environment names one (CI, the locking tests); SQLite otherwise.
if os.environ.get("WORKFRONT_TEST_POSTGRES"):
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ.get("PGDATABASE", "workfront_oauth"),
            "USER": os.environ.get("PGUSER", "postgres"),
            "PASSWORD": os.environ.get("PGPASSWORD", ""),
            "HOST": os.environ.get("PGHOST", "127.0.0.1"),
            "PORT": os.environ.get("PGPORT", "5432"),
        }
    }
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "/accounts/login/"
STATIC_URL = "/static/"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# A fixed, obviously fake test key (Fernet format).
FIELD_ENCRYPTION_KEY = "dGVzdHMtb25seS1maWVsZC1lbmNyeXB0aW9uLWtleSE="

WORKFRONT_OAUTH_HOST = "https://acme.my.workfront.com"
WORKFRONT_OAUTH_CLIENT_ID = "test-client-id"
WORKFRONT_OAUTH_CLIENT_SECRET = "test-client-secret"
# Named explicitly: the default is Adobe IMS, and the ``provider`` fixture runs the tests that
# matter on both; the rest predate IMS and test the legacy provider's own behaviour.
WORKFRONT_OAUTH_PROVIDER = "workfront"
