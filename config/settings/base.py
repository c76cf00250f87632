"""Settings shared by every environment, read from the process environment (django-environ).

Local defaults need no servers: SQLite under ``var/`` and a file-system Celery broker, so that
``make run`` works on a fresh machine. ``DATABASE_URL`` and ``REDIS_URL`` switch to PostgreSQL and
Redis.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env.str("PASSERELLE_VAR_DIR", default=str(BASE_DIR / "var")))

SECRET_KEY = env.str("SECRET_KEY", default="insecure-local-development-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Public base URL used in links that leave the request context (e-mails, JWT issuer, DCAT).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "axes",
    "oauth2_provider",  # partner clients' client-credentials tokens (accounts.PartnerClient)
    "drf_spectacular_sidecar",  # Swagger UI and Redoc as static files: the docs need no CDN
    "core",
    "accounts",
    "catalogue",
    "access",
    "delivery",
    "interop",
    "workspace",
    "workers",
    "demo",
    # After our apps, so that accounts/templates overrides allauth's own templates.
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.mfa",
]

MIDDLEWARE = [
    "core.middleware.RequestIdMiddleware",
    "core.middleware.RejectNulMiddleware",
    # Writes RateLimit-* on every response a throttle counted (core/api/throttling.py).
    "core.api.throttling.RateLimitHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Staff without a second factor are sent to set one up before the admin (when required).
    "accounts.middleware.StaffMfaRequiredMiddleware",
    # Last: turns a sign-in that django-axes refused into the lockout page or JSON error.
    "axes.middleware.AxesMiddleware",
    # Really last: for a POST with an Idempotency-Key it runs the view itself, inside the key's
    # transaction (core/api/idempotency.py), so no other middleware's process_view may follow.
    "core.api.idempotency.IdempotencyMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First: refuses any sign-in (admin or API token) for a locked account or address.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Sign-in by e-mail address (allauth's forms); axes still runs first for every attempt.
    "allauth.account.auth_backends.AuthenticationBackend",
]

# Proxies in front of Passerelle that append to X-Forwarded-For (core/net.py): 0 when clients
# reach it directly, 1 behind the shipped nginx. Never more than there really are: the entries
# beyond them are whatever the client wrote.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)

# Sign-in throttling (django-axes): after AXES_FAILURE_LIMIT failures for an account, or from an
# address, sign-in is refused for AXES_COOLOFF_TIME. Administrators unlock in the admin.
AXES_FAILURE_LIMIT = env.int("SIGNIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("SIGNIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# Not reset by a successful sign-in: axes would then forget every failure from that address,
# so an attacker holding any account could sign in to it between guesses at another's password.
# Failures are forgotten when the cool-off has passed since the last one.
AXES_RESET_ON_SUCCESS = False
AXES_CLIENT_IP_CALLABLE = "core.net.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # every failed sign-in, for administrators to read
AXES_VERBOSE = False
# allauth signs in by e-mail address, the API by username: both count against one account.
AXES_USERNAME_CALLABLE = "accounts.lockout.signin_username"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'passerelle.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, the worker and beat share one SQLite file: WAL lets readers work while a
    # writer commits, and IMMEDIATE transactions queue writers instead of failing them.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    # Short catalogue queries pay more for JIT compilation (~15 ms) than they gain from it, and a
    # search materialises its matches once for all facets: give that room in memory.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "options", f"-c jit=off -c work_mem={env.str('PG_WORK_MEM', default='32MB')}"
    )

# A read replica for catalogue searches (scale-out): the search and the rows of its page are read
# there; every write, and every read inside a write, stays on "default". Replicas lag a little,
# so a dataset just saved may take a moment to appear in search results.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = {
        **DATABASES["default"],
        **env.db_url("DATABASE_REPLICA_URL"),
        "TEST": {"MIRROR": "default"},
    }
    DATABASES["replica"]["OPTIONS"] = dict(DATABASES["default"].get("OPTIONS", {}))
CATALOGUE_READ_DATABASE = "replica" if "replica" in DATABASES else "default"

# Search that stays fast however many datasets match (catalogue/selectors.py, docs/search.md):
# counts and facets are exact up to SEARCH_EXACT_COUNT_UP_TO matches; beyond, ``count`` is that
# lower bound (count_exact: false) and facets are estimated from a sample of about
# SEARCH_FACET_SAMPLE_ROWS rows (facets_exact: false). Relevance ranks the SEARCH_RANK_WINDOW
# most recently modified matches; the rest follow newest first. Past SEARCH_STATEMENT_TIMEOUT_MS
# a search is cancelled and answers 503 (error.code search_timeout).
SEARCH_EXACT_COUNT_UP_TO = env.int("SEARCH_EXACT_COUNT_UP_TO", default=10_000)
SEARCH_FACET_SAMPLE_ROWS = env.int("SEARCH_FACET_SAMPLE_ROWS", default=5_000)
SEARCH_RANK_WINDOW = env.int("SEARCH_RANK_WINDOW", default=1_000)
SEARCH_STATEMENT_TIMEOUT_MS = env.int("SEARCH_STATEMENT_TIMEOUT_MS", default=5_000)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))

# Distribution files are private: they are never under a public URL. Public datasets are served
# through the API, restricted ones only through grants.
DISTRIBUTION_ROOT = Path(env.str("DISTRIBUTION_ROOT", default=str(VAR_DIR / "distributions")))
# Documents researchers attach to their requests: private, served only through signed links.
ATTACHMENT_ROOT = Path(env.str("ATTACHMENT_ROOT", default=str(VAR_DIR / "attachments")))
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
# DISTRIBUTION_STORAGE=s3 keeps distribution files in S3-compatible object storage instead;
# grant downloads then redirect to a presigned URL that lives no longer than the link.
if env.str("DISTRIBUTION_STORAGE", default="local") == "s3":
    STORAGES["distributions"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("S3_BUCKET"),
            "endpoint_url": env.str("S3_ENDPOINT_URL", default=None),
            "region_name": env.str("S3_REGION", default=None),
            "access_key": env.str("S3_ACCESS_KEY_ID", default=None),
            "secret_key": env.str("S3_SECRET_ACCESS_KEY", default=None),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
# Uploads above this size are streamed to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Behind nginx, grant downloads are handed over with X-Accel-Redirect to this internal location
# (deploy/nginx.conf maps it onto DISTRIBUTION_ROOT); empty: Django streams the bytes itself.
DOWNLOAD_X_ACCEL_REDIRECT_PREFIX = env.str("DOWNLOAD_X_ACCEL_REDIRECT_PREFIX", default="")
MAX_DISTRIBUTION_UPLOAD_BYTES = env.int("MAX_DISTRIBUTION_UPLOAD_BYTES", default=5 * 1024**3)
# GA4GH DRS 1.4 at /ga4gh/drs/v1 (docs/drs.md). The host in drs://<host>/<id> URIs (a client
# resolves them at https://<host>/ga4gh/drs/v1/objects/<id>): SITE_URL's host by default.
DRS_HOSTNAME = env.str("DRS_HOSTNAME", default="") or urlsplit(SITE_URL).netloc
# How long an access URL (a signed link) handed out by /objects/{id}/access/{access_id} lives.
DRS_ACCESS_URL_TTL_SECONDS = env.int("DRS_ACCESS_URL_TTL_SECONDS", default=15 * 60)
# The most ids one bulk request may name (more: 413), as service-info announces it.
DRS_MAX_BULK_REQUEST_LENGTH = env.int("DRS_MAX_BULK_REQUEST_LENGTH", default=1000)
# Grant manifests (GET /api/v1/grants/{id}/manifest/): their links' lifetime by default, and
# the most a caller may ask for with link_ttl (a link never outlives its grant either).
MANIFEST_LINK_TTL_SECONDS = env.int("MANIFEST_LINK_TTL_SECONDS", default=6 * 3600)
MANIFEST_MAX_LINK_TTL_SECONDS = env.int("MANIFEST_MAX_LINK_TTL_SECONDS", default=24 * 3600)
# Catalogue sync (PUT /api/v1/datasets/by-identifier/..., POST /api/v1/datasets/bulk/).
SYNC_BULK_MAX_ITEMS = env.int("SYNC_BULK_MAX_ITEMS", default=1000)
SYNC_BULK_MAX_BYTES = env.int("SYNC_BULK_MAX_BYTES", default=32 * 1024**2)
# Files given by URL, fetched by a worker. Private, loopback, link-local and reserved addresses
# are refused unless this is on (closed networks; the test suite's local servers).
FETCH_ALLOW_PRIVATE_ADDRESSES = env.bool("FETCH_ALLOW_PRIVATE_ADDRESSES", default=False)
FETCH_CONNECT_TIMEOUT = env.float("FETCH_CONNECT_TIMEOUT", default=10.0)
FETCH_READ_TIMEOUT = env.float("FETCH_READ_TIMEOUT", default=60.0)
FETCH_DEADLINE_SECONDS = env.int("FETCH_DEADLINE_SECONDS", default=1800)
FETCH_MAX_REDIRECTS = env.int("FETCH_MAX_REDIRECTS", default=5)
FETCH_MAX_ATTEMPTS = env.int("FETCH_MAX_ATTEMPTS", default=4)
FETCH_RETRY_BASE_SECONDS = env.float("FETCH_RETRY_BASE_SECONDS", default=60.0)
FETCH_TEMP_DIR = env.str("FETCH_TEMP_DIR", default="") or None
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=20 * 1024**2)
# The kinds of attachment accepted, recognised from their first bytes and their extension (the
# client's Content-Type is not believed): a subset of access.services.attachments.KNOWN_TYPES.
ATTACHMENT_CONTENT_TYPES = env.list(
    "ATTACHMENT_CONTENT_TYPES",
    default=[
        "application/pdf",
        "image/png",
        "image/jpeg",
        "text/plain",
        "text/csv",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.oasis.opendocument.text",
    ],
)

# --- Redis, Celery and the cache -----------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://localhost//")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # The embedded broker: messages are files in var/broker, consumed by a separate worker
    # process exactly as from Redis, so `make run` needs no server.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    # A broker that does not answer must not hold a web request: connecting gives up within
    # seconds, and publishing is retried twice, then given up (the sweeps do the work later).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
    }
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# How long the task sent after a commit has before a sweep does its work (provisioning, e-mail).
SWEEP_GRACE_SECONDS = env.int("SWEEP_GRACE_SECONDS", default=30)
CELERY_BEAT_SCHEDULE = {
    "workers-heartbeat": {"task": "workers.heartbeat", "schedule": 30.0},
    "access-remind-reviews": {
        "task": "access.remind_reviews",
        "schedule": crontab(hour=7, minute=0),
    },
    "access-expire-requests": {"task": "access.expire_requests", "schedule": 60.0},
    "access-send-due-notifications": {"task": "access.send_due_notifications", "schedule": 60.0},
    "access-provision-missing-grants": {
        "task": "access.provision_missing_grants",
        "schedule": 60.0,
    },
    "catalogue-fetch-due-files": {"task": "catalogue.fetch_due_files", "schedule": 60.0},
    # Keeps the landing page's exact facet totals at one row per value (facet_totals_sql.py).
    "catalogue-compact-facet-totals": {
        "task": "catalogue.compact_facet_totals",
        "schedule": 60.0,
    },
    # Recounts them when rows were written with the triggers off (logged as an error).
    "catalogue-verify-facet-totals": {
        "task": "catalogue.verify_facet_totals",
        "schedule": crontab(hour=3, minute=40),
    },
    "access-warn-expiring-grants": {
        "task": "access.warn_expiring_grants",
        "schedule": crontab(hour=6, minute=30),
    },
    "core-purge-idempotency-records": {
        "task": "core.purge_idempotency_records",
        "schedule": crontab(minute=17),
    },
    # Enqueues the harvest sources whose interval has passed (a source is never run twice at once).
    "interop-harvest-due-sources": {"task": "interop.harvest_due_sources", "schedule": 300.0},
    # Turns new audit and catalogue events into webhook messages and sends those that are due.
    "delivery-dispatch-webhooks": {
        "task": "delivery.dispatch_webhooks",
        "schedule": env.float("WEBHOOK_DISPATCH_INTERVAL", default=5.0),
    },
    "delivery-purge-webhook-deliveries": {
        "task": "delivery.purge_webhook_deliveries",
        "schedule": crontab(minute=41),
    },
}

# --- Webhooks (delivery.services.webhooks; docs/webhooks.md) -------------------------------------
# Endpoint URLs on private, loopback or link-local addresses are refused unless this is on (tests,
# an on-premise receiver); the address a delivery connects to is checked too.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=False)
WEBHOOK_CONNECT_TIMEOUT = env.float("WEBHOOK_CONNECT_TIMEOUT", default=5.0)
# The whole exchange (connect, send, status line, headers, first KiB of the body) must fit here.
WEBHOOK_DEADLINE_SECONDS = env.float("WEBHOOK_DEADLINE_SECONDS", default=15.0)
# Seconds to wait before each retry after a failed attempt (each +-20% jitter): 5 s, 5 min,
# 30 min, 2 h, 5 h, 10 h, 10 h: 8 attempts over about 27.6 hours, then the message is given up.
WEBHOOK_RETRY_SCHEDULE = env.list(
    "WEBHOOK_RETRY_SCHEDULE", cast=float, default=[5, 300, 1800, 7200, 18000, 36000, 36000]
)
# An endpoint is disabled (and its owner told) after this many messages given up in a row.
WEBHOOK_DISABLE_AFTER_GIVEN_UP = env.int("WEBHOOK_DISABLE_AFTER_GIVEN_UP", default=1)
# A missing catalogue event id is waited for this long before the fan-out goes past it (a
# transaction still open, or rolled back); one that commits later is still delivered if it does
# so within WEBHOOK_LATE_EVENT_HOURS.
WEBHOOK_CATALOGUE_GAP_SECONDS = env.float("WEBHOOK_CATALOGUE_GAP_SECONDS", default=60.0)
WEBHOOK_LATE_EVENT_HOURS = env.int("WEBHOOK_LATE_EVENT_HOURS", default=24)
# After a secret rotation the old secret signs too (two signatures) for this long.
WEBHOOK_SECRET_OVERLAP_HOURS = env.int("WEBHOOK_SECRET_OVERLAP_HOURS", default=24)
# Most endpoints one partner client may register; most messages one replay may queue.
WEBHOOK_MAX_ENDPOINTS_PER_CLIENT = env.int("WEBHOOK_MAX_ENDPOINTS_PER_CLIENT", default=20)
WEBHOOK_REPLAY_MAX = env.int("WEBHOOK_REPLAY_MAX", default=1000)
# Delivered and given-up messages are kept (logged, replayable) this long; pending ones always.
WEBHOOK_LOG_RETENTION_DAYS = env.int("WEBHOOK_LOG_RETENTION_DAYS", default=30)

# Harvesting other catalogues (interop.harvest): every fetch is bounded in time, size and pages.
HARVEST_CONNECT_TIMEOUT = env.float("HARVEST_CONNECT_TIMEOUT", default=10.0)
HARVEST_READ_TIMEOUT = env.float("HARVEST_READ_TIMEOUT", default=60.0)
HARVEST_RUN_DEADLINE_SECONDS = env.int("HARVEST_RUN_DEADLINE_SECONDS", default=3600)
HARVEST_MAX_PAGES = env.int("HARVEST_MAX_PAGES", default=1000)
HARVEST_MAX_PAGE_BYTES = env.int("HARVEST_MAX_PAGE_BYTES", default=50 * 1024**2)
HARVEST_CKAN_ROWS = env.int("HARVEST_CKAN_ROWS", default=100)
# Sources on private, loopback or link-local addresses are refused (the server must not be
# turned against its own network); a deployment harvesting an intranet catalogue turns this on.
HARVEST_ALLOW_PRIVATE_ADDRESSES = env.bool("HARVEST_ALLOW_PRIVATE_ADDRESSES", default=False)
# JSON-LD contexts named by URL are read from these local copies, never fetched.
HARVEST_JSONLD_CONTEXTS = {
    "https://semiceu.github.io/DCAT-AP/releases/3.0.1/context/dcat-ap.jsonld": str(
        BASE_DIR / "interop" / "harvest" / "contexts" / "dcat-ap-3.0.1.jsonld"
    ),
}

if REDIS_URL:
    # The cache holds throttle counters and the worker heartbeat: nothing that must not be lost.
    # While Redis is down it fails open (reads miss, writes are dropped, one warning logged per
    # minute) rather than turn every request into a 500.
    CACHES = {
        "default": {
            # django-redis' RedisCache, whose add() also fails open (core/cache.py).
            "BACKEND": "core.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    DJANGO_REDIS_LOGGER = "passerelle.cache"
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- API -------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        # Authorization: Bearer <token from /o/token/>: a partner client (accounts.PartnerClient).
        "accounts.authentication.PartnerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticatedOrReadOnly",
        # A partner token reaches only the actions whose required_scopes it holds.
        "accounts.permissions.PartnerScopePermission",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "core.api.parsers.JSONParser",
        "core.api.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.BoundedPageNumberPagination",
    "PAGE_SIZE": 20,
    # drf-spectacular's, plus the error responses every view can give (core/api/schema.py).
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.errors.api_exception_handler",
    # One budget per caller: per OAuth2 client, per user, per address for anonymous callers.
    "DEFAULT_THROTTLE_CLASSES": ["core.api.throttling.CallerRateThrottle"],
    "NUM_PROXIES": NUM_PROXIES,
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="300/minute"),
        "user": env.str("THROTTLE_USER", default="1200/minute"),
        "client": env.str("THROTTLE_CLIENT", default="3000/minute"),
        "token": env.str("THROTTLE_TOKEN", default="10/minute"),
    },
    "DATETIME_FORMAT": "iso-8601",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # `format` is a search filter (distribution format), not a renderer override.
    "URL_FORMAT_OVERRIDE": None,
}
# Set to an empty string to turn throttling off (benchmarks do, for a single client).
if env.bool("THROTTLE_DISABLED", default=False):
    REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = []
# Where the rate-limit windows are counted (one round trip per request); empty: the Django cache.
# While it does not answer, requests pass (fail open), with a warning once a minute.
RATE_LIMIT_REDIS_URL = env.str("RATE_LIMIT_REDIS_URL", default=REDIS_URL)
# The rate of a caller (core.api.throttling.Caller: client, user or ip): a dotted path to a
# function answering "N/period" or None (unlimited), e.g. to give one partner client more room.
THROTTLE_RATE_FOR_CALLER = env.str(
    "THROTTLE_RATE_FOR_CALLER", default="core.api.throttling.rate_from_settings"
)

# Idempotency-Key on POST (core/api/idempotency.py): how long a key's first response is kept
# and replayed (at least 24 hours, as clients expect), and how long a retry waits for the first
# request with its key to finish before answering 409 with Retry-After.
IDEMPOTENCY_KEY_TTL = timedelta(hours=env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24))
IDEMPOTENCY_WAIT_SECONDS = env.float("IDEMPOTENCY_WAIT_SECONDS", default=10.0)

SPECTACULAR_SETTINGS = {
    "TITLE": "Passerelle API",
    "DESCRIPTION": "Catalogue and access broker for the Common European Data Spaces.",
    "VERSION": "1.0.0",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # /api/docs/ and /api/redoc/ load their scripts, styles and icon from our own static files,
    # never from a CDN, and Swagger UI does not send the schema's URL to validator.swagger.io.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

# What a 503 (database or another dependency down) tells clients to wait before trying again.
RETRY_AFTER_SECONDS = env.int("RETRY_AFTER_SECONDS", default=30)

API_TOKEN_TTL_DAYS = env.int("API_TOKEN_TTL_DAYS", default=365)

# --- Decision policies (access/policies.py, access/policy_conditions.py) ----------------------
# The condition kinds publishers' policies may use, as dotted paths to PolicyCondition
# subclasses; another package adds a kind by appending its class (docs/partners.md, "Policies").
ACCESS_POLICY_CONDITIONS = [
    "access.policy_conditions.EmailDomainCondition",
    "access.policy_conditions.AffiliationCondition",
    "access.policy_conditions.ResearchOrganisationCondition",
    "access.policy_conditions.SubmittingClientCondition",
    "access.policy_conditions.PurposeCategoryCondition",
    "access.policy_conditions.MaxDurationCondition",
    "access.policy_conditions.FormAnswerCondition",
    "access.policy_conditions.LicenceAcceptedCondition",
    "access.policy_conditions.AccessRightsCondition",
]
# Built-in policies, tried before every publisher's, in this order (BuiltinPolicy subclasses).
# Removing PublicDatasetPolicy sends requests for public datasets to the stewards.
ACCESS_POLICIES = ["access.policies.PublicDatasetPolicy"]

# --- Partner clients: OAuth2 client credentials (django-oauth-toolkit, accounts.PartnerClient) --
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
# Every scope a partner client can hold. Views name the ones each action needs
# (``required_scopes``); a later feature adds its own here (webhooks:manage...).
PARTNER_SCOPES = {
    "catalogue:write": "Register and edit the datasets and files of the client's publishers.",
    "access:request": "Submit access requests on behalf of researchers, and follow them.",
    "access:decide": "Approve, reject or return the requests for the client's publishers.",
    "grants:read": "Read the grants of the client's publishers and of the requests it made.",
    "webhooks:manage": "Register webhook endpoints that receive signed events about the "
    "client's publishers' datasets, requests and grants, and the requests it submitted.",
}
# Seconds a partner's access token lives; it then asks /o/token/ for a new one.
PARTNER_TOKEN_LIFETIME = env.int("PARTNER_TOKEN_LIFETIME", default=3600)
# --- grant tokens, visas, passports and status lists (docs/tokens.md) ---
# Seconds a grant token, visa or passport lives at most (never past its grant's end); the
# grantee or a partner asks POST /api/v1/grants/<id>/token/ for a fresh one.
GRANT_TOKEN_LIFETIME = env.int("GRANT_TOKEN_LIFETIME", default=3600)
if GRANT_TOKEN_LIFETIME < 1:
    raise ImproperlyConfigured("GRANT_TOKEN_LIFETIME must be a positive number of seconds.")
# Indexes per status list (one bit each: 2**16 entries are 8 KiB before compression).
STATUS_LIST_SIZE = env.int("STATUS_LIST_SIZE", default=2**16)
if STATUS_LIST_SIZE < 8 or STATUS_LIST_SIZE % 8:
    raise ImproperlyConfigured("STATUS_LIST_SIZE must be a positive multiple of 8.")
# Seconds a verifier may keep a status list: the list's ``ttl`` and its Cache-Control max-age.
STATUS_LIST_TTL = env.int("STATUS_LIST_TTL", default=60)
# Seconds until a status list token's ``exp``.
STATUS_LIST_VALIDITY = env.int("STATUS_LIST_VALIDITY", default=3600)
# Seconds the server keeps a built list in its cache before querying again.
STATUS_LIST_CACHE_SECONDS = env.int("STATUS_LIST_CACHE_SECONDS", default=5)
# How long a rotated secret keeps working beside the new one (manage.py rotate_partner_secret).
PARTNER_SECRET_OVERLAP_HOURS = env.int("PARTNER_SECRET_OVERLAP_HOURS", default=24)
OAUTH2_PROVIDER = {
    "ACCESS_TOKEN_EXPIRE_SECONDS": PARTNER_TOKEN_LIFETIME,
    "SCOPES": PARTNER_SCOPES,
    "DEFAULT_SCOPES": [],
    "SCOPES_BACKEND_CLASS": "accounts.oauth.PartnerScopes",
    "OAUTH2_VALIDATOR_CLASS": "accounts.oauth.PartnerOAuth2Validator",
    # Tokens are stored only as their SHA-256 (RFC 9700, 4.14): a database leak leaks none.
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    # Client credentials only: no other grant is offered (no /o/authorize/ route either). The
    # other RFC 9700 safeguards are on too, so that nothing weaker can be switched on by a client
    # row made by hand (and `check --deploy` has nothing to warn about).
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
}

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="passerelle@localhost")
# SMTP (EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend). A server that does not
# answer holds a worker no longer than EMAIL_TIMEOUT; the outbox retries (access notifications).
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# --- Accounts: sign-up, sign-in, e-mail verification, OpenID Connect, MFA (django-allauth) ---
LOGIN_URL = "/accounts/login/"
# The researcher workspace; staff go on to /admin/ with ?next=.
LOGIN_REDIRECT_URL = "/workspace/"
ACCOUNT_LOGOUT_REDIRECT_URL = "/accounts/login/"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_ALLOW_REGISTRATION = env.bool("ACCOUNT_ALLOW_REGISTRATION", default=True)
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Passerelle] "
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
# A provider's verified e-mail signs in to (and links) the account that has that address, never
# a second account; an unverified one does not.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_EMAIL_VERIFICATION = "mandatory"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_STORE_TOKENS = False
# OIDC_PROVIDERS: a JSON list of {"id", "name", "issuer", "client_id", "secret"}, one per
# OpenID Connect provider (MyAccessID, LS Login, ORCID, an institution's own...).
OIDC_PROVIDERS = env.json("OIDC_PROVIDERS", default=[])


def oidc_socialaccount_providers(providers: list[dict]) -> dict:
    """OIDC_PROVIDERS as allauth's SOCIALACCOUNT_PROVIDERS: one openid_connect app each."""
    return {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "SCOPE": ["openid", "profile", "email"],
            "APPS": [
                {
                    "provider_id": provider["id"],
                    "name": provider.get("name") or provider["id"],
                    "client_id": provider["client_id"],
                    "secret": provider.get("secret", ""),
                    "settings": {"server_url": provider["issuer"]},
                }
                for provider in providers
            ],
        }
    }


SOCIALACCOUNT_PROVIDERS = oidc_socialaccount_providers(OIDC_PROVIDERS)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = "Passerelle"
# WebAuthn needs HTTPS; a local http://127.0.0.1 site may allow it for trying out.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = env.bool("MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN", default=False)
# Staff and superusers without a second factor are sent to set one up before the admin.
MFA_REQUIRED_FOR_STAFF = env.bool("MFA_REQUIRED_FOR_STAFF", default=False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "core.middleware.RequestIdLogFilter"},
        "once_a_minute": {"()": "core.logs.OncePerInterval", "seconds": 60},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # An outage of the cache logs one line a minute, not a traceback per request.
        "passerelle.cache": {"level": "WARNING", "filters": ["once_a_minute"]},
        "passerelle.ratelimit": {"level": "WARNING", "filters": ["once_a_minute"]},
    },
}

if CELERY_BROKER_URL.startswith("filesystem://"):
    for folder in (BROKER_DIR / "queue", BROKER_DIR / "processed", BROKER_DIR / "control"):
        folder.mkdir(parents=True, exist_ok=True)
