"""Django settings of the benchmark (its own process and its Celery worker).

Everything comes from environment variables that ``bench.py`` sets: the private PostgreSQL
(``PGHOST``/``PGPORT``/``PGUSER``, database ``BENCH_DATABASE``) and the emulator
(``BENCH_WORKFRONT_*``, and ``BENCH_S2S_*`` for its Server-to-Server credential).
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
# The user connections measured are the legacy Workfront OAuth2 app's (SessionID, rotating
# refresh tokens), as in every earlier table; named, since the app's default is Adobe IMS.
WORKFRONT_OAUTH_PROVIDER = "workfront"
# The site's own Server-to-Server instance on the emulator's credential (BENCH_S2S_*).
WORKFRONT_OAUTH_INSTANCES = (
    {
        "service": {
            "PROVIDER": "adobe_ims_s2s",
            "HOST": WORKFRONT_OAUTH_HOST,
            "IMS_HOST": WORKFRONT_OAUTH_HOST,
            "IMS_ORG_ID": os.environ.get("BENCH_S2S_ORG_ID", ""),
            "CLIENT_ID": os.environ["BENCH_S2S_CLIENT_ID"],
            "CLIENT_SECRET": os.environ.get("BENCH_S2S_CLIENT_SECRET", ""),
        }
    }
    if os.environ.get("BENCH_S2S_CLIENT_ID")
    else {}
)

# Database instances find their changes through a cache every process shares: the Redis that
# bench.py starts (a per-process cache would make each lookup read the row).
if os.environ.get("BENCH_REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["BENCH_REDIS_URL"],
            "KEY_PREFIX": "bench",
        }
    }
