"""Settings of the integration tests' child processes and Celery worker.

The test suite's settings, pointed at the test database the test process uses (pytest-django's
``test_<PGDATABASE>``) and at the test's Workfront emulator, as the test's provider sees it, all
named by environment variables that the test process sets (``tests/integration/helpers.py``,
``conftest.py``).
"""

from __future__ import annotations

import os

from tests.settings import *  # noqa: F403
from tests.settings import DATABASES

if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise RuntimeError("the integration tests' child processes need WORKFRONT_TEST_POSTGRES")

DATABASES["default"]["NAME"] = os.environ["WORKFRONT_IT_DATABASE"]

# The test's provider and the emulator's side that serves it (``provider_settings`` in
# ``conftest.py``); IMS_HOST is the emulator for either provider, so nothing reaches Adobe.
WORKFRONT_OAUTH_PROVIDER = os.environ["WORKFRONT_IT_PROVIDER"]
WORKFRONT_OAUTH_HOST = os.environ["WORKFRONT_IT_HOST"]
WORKFRONT_OAUTH_IMS_HOST = os.environ["WORKFRONT_IT_IMS_HOST"]
WORKFRONT_OAUTH_IMS_ORG_ID = os.environ["WORKFRONT_IT_IMS_ORG_ID"]
WORKFRONT_OAUTH_CLIENT_ID = os.environ["WORKFRONT_IT_CLIENT_ID"]
WORKFRONT_OAUTH_CLIENT_SECRET = os.environ["WORKFRONT_IT_CLIENT_SECRET"]
WORKFRONT_OAUTH_DOMAIN = os.environ["WORKFRONT_IT_DOMAIN"]  # blank for adobe_ims
WORKFRONT_OAUTH_LANE = os.environ["WORKFRONT_IT_LANE"]

# The cache the test process shares with its site processes (database instances' generation).
if os.environ.get("WORKFRONT_IT_CACHE_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["WORKFRONT_IT_CACHE_URL"],
            "KEY_PREFIX": os.environ.get("WORKFRONT_IT_CACHE_PREFIX", ""),
        }
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"django_workfront_oauth": {"handlers": ["stderr"], "level": "INFO"}},
}
