"""Django settings of the benchmark (its own process and its Celery worker).

Everything comes from environment variables that ``bench.py`` sets: the private PostgreSQL
(``PGHOST``/``PGPORT``/``PGUSER``, database ``BENCH_DATABASE``) and the emulator
(``BENCH_WORKFRONT_*``).
"""

from __future__ import annotations

import os

SECRET_KEY = "benchmark-only-not-a-secret"
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django_workfront_oauth",
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("BENCH_DATABASE", "workfront_oauth_bench"),
        "USER": os.environ.get("PGUSER", "postgres"),
        "PASSWORD": os.environ.get("PGPASSWORD", ""),
        "HOST": os.environ.get("PGHOST", "127.0.0.1"),
        "PORT": os.environ.get("PGPORT", "5432"),
        # Django's default: a connection per request (per task in a Celery worker).
        "CONN_MAX_AGE": int(os.environ.get("BENCH_CONN_MAX_AGE", "0")),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A fixed, obviously fake key (Fernet format).
FIELD_ENCRYPTION_KEY = "YmVuY2htYXJrLW9ubHktZmFrZS1mZXJuZXQta2V5ISE="

WORKFRONT_OAUTH_HOST = os.environ.get("BENCH_WORKFRONT_HOST", "http://127.0.0.1:9")
WORKFRONT_OAUTH_CLIENT_ID = os.environ.get("BENCH_WORKFRONT_CLIENT_ID", "")
WORKFRONT_OAUTH_CLIENT_SECRET = os.environ.get("BENCH_WORKFRONT_CLIENT_SECRET", "")
WORKFRONT_OAUTH_DOMAIN = "acme"
WORKFRONT_OAUTH_LANE = "my"
