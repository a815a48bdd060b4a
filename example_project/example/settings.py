"""Settings of the example site, all from the environment (or ``example_project/.env``).

Every variable is declared once, here, with its type and default; ``.env.example`` lists them.
The defaults run the site against the local Workfront emulator that ``make demo`` starts.
"""

from pathlib import Path

import django
import environ

BASE_DIR = Path(__file__).resolve().parent.parent  # example_project/
VAR_DIR = BASE_DIR / "var"

env = environ.Env(
    DEBUG=(bool, False),
    SECRET_KEY=str,  # required: `make demo` writes a fresh one into .env
    ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost"]),
    TIME_ZONE=(str, "UTC"),
    DATABASE_URL=(str, f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
    # A cache the site and the Celery worker share: files under var/ (a real site: Redis).
    CACHE_URL=(str, f"filecache://{BASE_DIR / 'var' / 'cache'}"),
    FIELD_ENCRYPTION_KEY=str,  # required: a Fernet key; `make demo` writes a fresh one
    CELERY_BROKER_URL=(str, "filesystem://"),
    CELERY_REFRESH_SCHEDULE=(float, 60.0),
    # Adobe IMS first: no legacy Workfront OAuth2 app can be created since 2026-11-01.
    WORKFRONT_OAUTH_PROVIDER=(str, "adobe_ims"),
    WORKFRONT_OAUTH_HOST=(str, "http://127.0.0.1:8001"),
    WORKFRONT_OAUTH_IMS_HOST=(str, "http://127.0.0.1:8001"),
    WORKFRONT_OAUTH_IMS_ORG_ID=(str, "0123456789ABCDEF01234567@AdobeOrg"),
    WORKFRONT_OAUTH_SCOPES=(
        list,
        [
            "openid",
            "AdobeID",
            "offline_access",
            "read_organizations",
            "additional_info.projectedProductContext",
            "workfront_api",
        ],
    ),
    WORKFRONT_OAUTH_DOMAIN=(str, "acme"),
    WORKFRONT_OAUTH_LANE=(str, "my"),
    WORKFRONT_OAUTH_CLIENT_ID=(str, "example-client-id"),
    WORKFRONT_OAUTH_CLIENT_SECRET=(str, "example-client-secret-not-a-secret"),
    WORKFRONT_OAUTH_REDIRECT_URI=(str, ""),
    WORKFRONT_OAUTH_TOKEN_AUTH_METHOD=(str, "client_secret_basic"),
    # Empty: the provider's default (on for adobe_ims, off for workfront); or true / false.
    WORKFRONT_OAUTH_USE_PKCE=(str, ""),
    WORKFRONT_OAUTH_ACCESS_TOKEN_LIFETIME=(int, 180),
    WORKFRONT_OAUTH_REFRESH_MARGIN=(int, 60),
    # The development server's log: every request, static files too (false: the pages only).
    LOG_ALL_REQUESTS=(bool, False),
)
environ.Env.read_env(BASE_DIR / ".env")  # the process environment wins over the file

DEBUG = env("DEBUG")
SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env("ALLOWED_HOSTS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_workfront_oauth",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "example.urls"
WSGI_APPLICATION = "example.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Before the app's own templates, so that templates/django_workfront_oauth/base.html
        # puts the app's pages inside this site's layout.
        "DIRS": [BASE_DIR / "example" / "templates"],
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

DATABASES = {"default": env.db("DATABASE_URL")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The site and the Celery worker write to the same file: wait for each other's locks
    # instead of failing, and take the write lock when a transaction begins.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("timeout", 20)
    if django.VERSION >= (5, 1):
        DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Shared by every process, so that a Workfront instance a site admin adds or edits in the admin
# is in force at once in the worker too (WORKFRONT_OAUTH_INSTANCE_CACHE, "default").
CACHES = {"default": env.cache("CACHE_URL")}

USE_TZ = True
TIME_ZONE = env("TIME_ZONE")
STATIC_URL = "static/"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"

# The key that encrypts the stored Workfront tokens (a list of keys rotates them).
FIELD_ENCRYPTION_KEY = env("FIELD_ENCRYPTION_KEY")

# django-workfront-oauth: the defaults point at the local emulator (python -m
# django_workfront_oauth.testing), with short token lifetimes so refreshes show within minutes.
# PROVIDER picks the authorization server: "adobe_ims" (Adobe Developer Console's OAuth Web App,
# what a site set up today uses) or "workfront" (the legacy OAuth2 app, until 2027-02-01); the
# emulator is both, so IMS_HOST and HOST are the same address here.
WORKFRONT_OAUTH_PROVIDER = env("WORKFRONT_OAUTH_PROVIDER")
WORKFRONT_OAUTH_HOST = env("WORKFRONT_OAUTH_HOST")
WORKFRONT_OAUTH_IMS_HOST = env("WORKFRONT_OAUTH_IMS_HOST")
WORKFRONT_OAUTH_IMS_ORG_ID = env("WORKFRONT_OAUTH_IMS_ORG_ID")
WORKFRONT_OAUTH_SCOPES = env("WORKFRONT_OAUTH_SCOPES")
WORKFRONT_OAUTH_DOMAIN = env("WORKFRONT_OAUTH_DOMAIN")
WORKFRONT_OAUTH_LANE = env("WORKFRONT_OAUTH_LANE")
WORKFRONT_OAUTH_CLIENT_ID = env("WORKFRONT_OAUTH_CLIENT_ID")
WORKFRONT_OAUTH_CLIENT_SECRET = env("WORKFRONT_OAUTH_CLIENT_SECRET")
WORKFRONT_OAUTH_REDIRECT_URI = env("WORKFRONT_OAUTH_REDIRECT_URI")
WORKFRONT_OAUTH_TOKEN_AUTH_METHOD = env("WORKFRONT_OAUTH_TOKEN_AUTH_METHOD")
WORKFRONT_OAUTH_USE_PKCE = (
    None if not env("WORKFRONT_OAUTH_USE_PKCE") else env.bool("WORKFRONT_OAUTH_USE_PKCE")
)
WORKFRONT_OAUTH_ACCESS_TOKEN_LIFETIME = env("WORKFRONT_OAUTH_ACCESS_TOKEN_LIFETIME")
WORKFRONT_OAUTH_REFRESH_MARGIN = env("WORKFRONT_OAUTH_REFRESH_MARGIN")
WORKFRONT_OAUTH_SUCCESS_URL = "/dashboard/"

# Celery. The default broker is kombu's filesystem transport: messages are files under var/,
# so the demo needs no server. Set CELERY_BROKER_URL=redis://127.0.0.1:6379/0 for Redis.
CELERY_BROKER_URL = env("CELERY_BROKER_URL")
VAR_DIR.mkdir(exist_ok=True)  # beat's schedule file lives there
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue = VAR_DIR / "celery" / "queue"
    _processed = VAR_DIR / "celery" / "processed"
    _control = VAR_DIR / "celery" / "control"
    # kombu does not create these folders itself.
    for _folder in (_queue, _processed, _control):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # One folder for both directions: whoever sends and whoever reads share one queue.
        "data_folder_in": str(_queue),
        "data_folder_out": str(_queue),
        "processed_folder": str(_processed),
        "control_folder": str(_control),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "workfront-oauth-refresh": {
        "task": "django_workfront_oauth.tasks.refresh_due_connections",
        "schedule": env("CELERY_REFRESH_SCHEDULE"),
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        # No static files (unless LOG_ALL_REQUESTS), and never the callback's code and state.
        "quiet_requests": {
            "()": "example.log_filters.QuietRequests",
            "static_url": STATIC_URL,
            "all_requests": env("LOG_ALL_REQUESTS"),
        }
    },
    "formatters": {
        # Connections made, refreshed and in trouble: one marked line each, easy to spot.
        "workfront": {
            "format": "%(asctime)s ** workfront-oauth %(levelname)s: %(message)s",
            "datefmt": "%H:%M:%S",
        },
        "server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "workfront": {"class": "logging.StreamHandler", "formatter": "workfront"},
        "server": {"class": "logging.StreamHandler", "formatter": "server"},
    },
    "loggers": {
        "django_workfront_oauth": {"handlers": ["workfront"], "level": "INFO", "propagate": False},
        "django.server": {
            "handlers": ["server"],
            "filters": ["quiet_requests"],
            "level": "INFO",
            "propagate": False,
        },
    },
}
