"""Settings for the test suite.

PostgreSQL and Redis at their default local addresses are used when they answer (or wherever
DATABASE_URL / REDIS_URL point); otherwise SQLite and no Redis, and tests that need them are
skipped with a notice. With REQUIRE_SERVICES=1 a missing service is an error instead.
"""

import os
import socket
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES", "") not in ("", "0", "false", "no")

if "DATABASE_URL" not in os.environ and _answers("127.0.0.1", 5432):
    os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/passerelle"
if "REDIS_URL" not in os.environ and _answers("127.0.0.1", 6379):
    # Database 15 keeps test queues apart from a developer's `make run`; tests/conftest.py
    # gives each xdist process a database of its own.
    os.environ["REDIS_URL"] = "redis://127.0.0.1:6379/15"
if os.environ.get("CELERY_BROKER_URL", "").startswith("filesystem"):
    del os.environ["CELERY_BROKER_URL"]

from .base import *  # noqa: E402, F403
from .base import DATABASES, REDIS_URL, REST_FRAMEWORK, VAR_DIR  # noqa: E402

USING_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
USING_REDIS = False
if REDIS_URL:
    _redis = urlparse(REDIS_URL)
    USING_REDIS = _answers(_redis.hostname or "127.0.0.1", _redis.port or 6379)

if REQUIRE_SERVICES:
    missing = [
        name for name, ok in (("PostgreSQL", USING_POSTGRES), ("Redis", USING_REDIS)) if not ok
    ]
    if missing:
        raise ImproperlyConfigured(
            f"REQUIRE_SERVICES=1 but {' and '.join(missing)} did not answer "
            "(DATABASE_URL / REDIS_URL, or 127.0.0.1:5432 and 127.0.0.1:6379)."
        )

DEBUG = False
# django-axes needs the request on every authenticate(); the test client's login() and
# force_login() do not pass one. Tests of sign-in throttling turn it on.
AXES_ENABLED = False
# django-axes is the sign-in lock (tested as such). allauth's own rate limits count in the cache,
# which tests share within a process: failures from one test would throttle the next.
ACCOUNT_RATE_LIMITS = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
# Rate limits count in the (per-process) cache; tests of the Redis windows set this to REDIS_URL.
RATE_LIMIT_REDIS_URL = ""
# One folder per xdist worker: each test's files are removed after it, and a shared folder would
# lose another worker's files mid-test.
DISTRIBUTION_ROOT = VAR_DIR / f"test-distributions-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
ATTACHMENT_ROOT = VAR_DIR / f"test-attachments-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "distributions": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DISTRIBUTION_ROOT), "base_url": None},
    },
    "attachments": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(ATTACHMENT_ROOT), "base_url": None},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Files by URL: the tests' servers listen on 127.0.0.1 (tests of the refusal turn this off).
FETCH_ALLOW_PRIVATE_ADDRESSES = True
FETCH_RETRY_BASE_SECONDS = 0.2
# Harvest tests serve their fixture catalogues from a thread on 127.0.0.1.
HARVEST_ALLOW_PRIVATE_ADDRESSES = True
# Webhook tests run their receivers on 127.0.0.1, and retry in fractions of a second.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
WEBHOOK_RETRY_SCHEDULE = [0.2, 0.2, 0.2]
WEBHOOK_DEADLINE_SECONDS = 2.0
WEBHOOK_CONNECT_TIMEOUT = 1.0
WEBHOOK_CATALOGUE_GAP_SECONDS = 1.0
# Status lists are rebuilt on every request (tests revoke and look again at once); the tests of
# the cache turn it on.
STATUS_LIST_CACHE_SECONDS = 0
