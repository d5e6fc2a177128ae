"""AutoForge settings: one module, every value from the environment.

Values come from the process environment or from a ``.env`` file in the
project folder (the environment wins). The defaults let a bare checkout run
on SQLite against a local broker. A missing or malformed setting stops
start-up with one line naming it (``SettingError`` below) instead of a
traceback. Every variable is listed, with a comment, in ``.env.example``.
"""

from __future__ import annotations

import os
import re
import sys
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF

from autoforge.config import EnvReader, SettingError, check_writable_file

BASE_DIR = Path(__file__).resolve().parent.parent

environ.Env.read_env(BASE_DIR / ".env")  # never overrides the real environment
env = EnvReader()

try:
    DEBUG = env.bool("DJANGO_DEBUG", False)
    SECRET_KEY = env.str("DJANGO_SECRET_KEY")
    if not SECRET_KEY:
        if not DEBUG:
            raise SettingError("DJANGO_SECRET_KEY", "is required when DJANGO_DEBUG is off")
        SECRET_KEY = "insecure-development-key-do-not-use-in-production"
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
    CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS")
    # Served over HTTPS through a reverse proxy that terminates TLS (deploy/).
    HTTPS = env.bool("DJANGO_HTTPS", False)
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", 0, minimum=0)

    # Set by autoforge/asgi.py before the settings load.
    SERVED_BY_ASGI = os.environ.get("AUTOFORGE_SERVED_BY_ASGI") == "1"
    _database = env.database("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
    # Seconds a web worker keeps its database connection between requests
    # (0: a new one per request, ~4 ms on PostgreSQL; issue 9). Checked before
    # reuse (CONN_HEALTH_CHECKS), so a restarted database costs no failed request.
    DATABASE_CONN_MAX_AGE = env.int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
    # Connections per web worker process in the PostgreSQL pool used under ASGI (below).
    DATABASE_POOL_MAX_SIZE = env.int("DATABASE_POOL_MAX_SIZE", 10, minimum=1)

    LOG_LEVEL = env.log_level("LOG_LEVEL", "INFO")
    LOG_FILE = env.str("LOG_FILE", "autoforge.log")
    if LOG_FILE:
        check_writable_file("LOG_FILE", BASE_DIR / LOG_FILE)  # an absolute one stays as it is

    # MQTT (CONTRACT §2, §4)
    MQTT_BROKER = env.str("MQTT_BROKER", "localhost") or "localhost"
    MQTT_PORT = env.int("MQTT_PORT", 1883, minimum=1, maximum=65535)
    MQTT_USERNAME = env.str("MQTT_USERNAME")
    MQTT_PASSWORD = env.str("MQTT_PASSWORD")
    MQTT_TLS_CA = env.str("MQTT_TLS_CA")
    # The broker account that manages device accounts over $CONTROL/dynamic-security/v1.
    MQTT_ADMIN_USERNAME = env.str("MQTT_ADMIN_USERNAME")
    MQTT_ADMIN_PASSWORD = env.str("MQTT_ADMIN_PASSWORD")
    if MQTT_ADMIN_USERNAME and not MQTT_ADMIN_PASSWORD:
        raise SettingError("MQTT_ADMIN_PASSWORD", "must be set when MQTT_ADMIN_USERNAME is")
    if MQTT_TLS_CA and not Path(MQTT_TLS_CA).is_file():
        raise SettingError("MQTT_TLS_CA", f"is not a readable file ({MQTT_TLS_CA!r})")
    MQTT_CLIENT_ID = env.str("MQTT_CLIENT_ID", "autoforge-ingest") or "autoforge-ingest"
    MQTT_SHARED_GROUP = env.shared_group("MQTT_SHARED_GROUP")
    MQTT_PROTOCOL = env.choice("MQTT_PROTOCOL", "5", ("5", "3.1.1"))
    MQTT_KEEPALIVE_SECONDS = env.int("MQTT_KEEPALIVE_SECONDS", 30, minimum=5)
    # Long enough to ride out a restart or an upgrade of the consumer.
    MQTT_SESSION_EXPIRY_SECONDS = env.int("MQTT_SESSION_EXPIRY_SECONDS", 7 * 24 * 3600, minimum=60)
    MQTT_RECONNECT_MIN_SECONDS = env.int("MQTT_RECONNECT_MIN_SECONDS", 5, minimum=1)
    MQTT_RECONNECT_MAX_SECONDS = env.int("MQTT_RECONNECT_MAX_SECONDS", 120, minimum=1)
    SENSOR_TOPIC = env.topic_filter("SENSOR_TOPIC", "sensors/+/data")
    CONTROL_TOPIC = env.topic_filter("CONTROL_TOPIC", "control/+/command")

    # Validation (CONTRACT §2)
    MAX_CLOCK_SKEW_SECONDS = env.int("MAX_CLOCK_SKEW_SECONDS", 86400, minimum=0)

    # Ingest batching and bookkeeping
    INGEST_BATCH_SIZE = env.int("INGEST_BATCH_SIZE", 1000, minimum=1, maximum=100_000)
    INGEST_BATCH_MAX_AGE_MS = env.int("INGEST_BATCH_MAX_AGE_MS", 100, minimum=1)
    INGEST_MAX_PENDING = env.int("INGEST_MAX_PENDING", 20_000, minimum=1)
    INGEST_HEARTBEAT_SECONDS = env.int("INGEST_HEARTBEAT_SECONDS", 5, minimum=1)
    DEAD_LETTER_MAX_ROWS = env.int("DEAD_LETTER_MAX_ROWS", 10_000, minimum=1)
    # Where the ingest serves its Prometheus metrics (/metrics); empty: off.
    # Each ingest worker on a host needs an address of its own.
    INGEST_METRICS_ADDRESS = env.listen_address("INGEST_METRICS_ADDRESS", "127.0.0.1:9108")

    # Device registry (CONTRACT §3 v2): online while a reading came this recently.
    DEVICE_OFFLINE_AFTER_SECONDS = env.int("DEVICE_OFFLINE_AFTER_SECONDS", 600, minimum=1)

    # Live stream (/api/sensors/stream): how often a web worker looks for new
    # readings while a stream is open, and the longest silence before a comment line.
    STREAM_POLL_SECONDS = env.float("STREAM_POLL_SECONDS", 0.25, minimum=0.01)
    STREAM_KEEPALIVE_SECONDS = env.float("STREAM_KEEPALIVE_SECONDS", 15.0, minimum=0.1)
    if STREAM_KEEPALIVE_SECONDS > 15:
        raise SettingError(
            "STREAM_KEEPALIVE_SECONDS", "must be at most 15 (CONTRACT §3: a comment every 15 s)"
        )

    # Retention (CONTRACT §4 v2): manage.py prune_readings deletes raw readings
    # older than this many days; 0 keeps them forever.
    READINGS_RETENTION_DAYS = env.int("READINGS_RETENTION_DAYS", 0, minimum=0)

    # Alarms (CONTRACT §3 v2): each raise and clear is POSTed to this URL when
    # set, signed with HMAC-SHA256 under the secret; retried with exponential
    # backoff (at most ALARM_WEBHOOK_MAX_BACKOFF_SECONDS apart) until delivered
    # or ALARM_WEBHOOK_GIVE_UP_SECONDS after the alarm changed.
    ALARM_WEBHOOK_URL = env.str("ALARM_WEBHOOK_URL", "")
    ALARM_WEBHOOK_SECRET = env.str("ALARM_WEBHOOK_SECRET", "")
    if ALARM_WEBHOOK_URL and not re.match(r"https?://[^/\s]+", ALARM_WEBHOOK_URL):
        raise SettingError("ALARM_WEBHOOK_URL", "must be an http:// or https:// URL")
    if ALARM_WEBHOOK_URL and not ALARM_WEBHOOK_SECRET:
        raise SettingError("ALARM_WEBHOOK_SECRET", "must be set when ALARM_WEBHOOK_URL is")
    ALARM_WEBHOOK_TIMEOUT_SECONDS = env.float("ALARM_WEBHOOK_TIMEOUT_SECONDS", 10.0, minimum=0.1)
    ALARM_WEBHOOK_MAX_BACKOFF_SECONDS = env.int("ALARM_WEBHOOK_MAX_BACKOFF_SECONDS", 600, minimum=1)
    ALARM_WEBHOOK_GIVE_UP_SECONDS = env.int("ALARM_WEBHOOK_GIVE_UP_SECONDS", 86400, minimum=3600)
    ALARM_TOPIC_PREFIX = "alarms"

    # Device control (CONTRACT §2)
    COMMAND_TTL_SECONDS = env.int("COMMAND_TTL_SECONDS", 300, minimum=1)

    # API
    API_READS_REQUIRE_AUTH = env.bool("API_READS_REQUIRE_AUTH", False)
    API_THROTTLE_ANON = env.str("API_THROTTLE_ANON", "600/min")
    API_THROTTLE_USER = env.str("API_THROTTLE_USER", "")
    # Bearer token that GET /metrics requires; empty: /metrics is public.
    METRICS_TOKEN = env.token("METRICS_TOKEN")
    # Reverse proxies in front that append to X-Forwarded-For; 0: the header is ignored.
    API_TRUSTED_PROXIES = env.int("API_TRUSTED_PROXIES", 0, minimum=0)
    for _name, _rate in (
        ("API_THROTTLE_ANON", API_THROTTLE_ANON),
        ("API_THROTTLE_USER", API_THROTTLE_USER),
    ):
        if _rate and not re.fullmatch(r"\d+/[smhd][a-z]*", _rate):
            raise SettingError(
                _name, f"must look like 100/min (N per s, min, hour or day; got {_rate!r})"
            )
except SettingError as error:
    sys.stderr.write(f"autoforge: configuration error: {error}\n")
    raise SystemExit(2) from None


# --- Django -----------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # runserver leaves the static files to ServeStaticMiddleware (hashed names), as in production.
    "servestatic.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "corsheaders",
    "csp",
    "axes",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from here (no CDN)
    "autoforge",  # its templates and static files (/api/docs)
    "devices",
    "sensors",
    "control",
    "alarms",  # threshold and offline alarms, evaluated by the ingest
    "dashboard",  # the page at / (HTML; it reads the API from the browser)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files with hashed names and far-future caching, before anything else.
    "servestatic.middleware.ServeStaticMiddleware",
    # Counts and times every request past the static files (GET /metrics).
    "autoforge.http_metrics.HttpMetricsMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its 429.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out login before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

if HTTPS:
    # Off by default so that plain-http development keeps its session and CSRF
    # cookies. The proxy must set X-Forwarded-Proto itself, replacing any
    # header the client sent.
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # The proxy redirects http to https; here it would also redirect the
    # monitors that poll /api/health on 127.0.0.1 over plain http.
    SILENCED_SYSTEM_CHECKS = ["security.W008"]

ROOT_URLCONF = "autoforge.urls"
WSGI_APPLICATION = "autoforge.wsgi.application"
APPEND_SLASH = False  # the contract's paths have no trailing slash

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


def _database_settings(config: dict) -> dict:
    """Engine-specific options on top of the parsed ``DATABASE_URL``."""
    engine = config["ENGINE"]
    options = config.setdefault("OPTIONS", {})
    # Persistent connections: a thread keeps its connection. Under WSGI
    # (runserver, the tests, the management commands) and, under ASGI, for
    # every request autoforge/asgi.py runs on the worker's one thread for
    # synchronous code; the requests it gives Django's ASGI handler (stream,
    # export) run on a thread of their own and close their connections when
    # they end (autoforge/asgi.py). mqtt_ingest sets its own (None). Under
    # ASGI, PostgreSQL takes its connections from a pool instead (psycopg_pool,
    # in Django since 5.1), which persistent connections cannot be combined with.
    if SERVED_BY_ASGI and engine == "django.db.backends.postgresql":
        config["CONN_MAX_AGE"] = 0
        # With CONN_HEALTH_CHECKS, Django has the pool check a connection
        # before lending it: one the database dropped never reaches a request.
        options.setdefault("pool", {"min_size": 1, "max_size": DATABASE_POOL_MAX_SIZE})
    config.setdefault("CONN_MAX_AGE", DATABASE_CONN_MAX_AGE)
    config.setdefault("CONN_HEALTH_CHECKS", True)
    if engine == "django.db.backends.sqlite3":
        # WAL lets the API read while the ingest writes; IMMEDIATE takes the
        # write lock at BEGIN, so a busy database waits (up to ``timeout``)
        # instead of failing half-way through a transaction.
        options.setdefault("timeout", 20)
        options.setdefault("transaction_mode", "IMMEDIATE")
        options.setdefault(
            "init_command",
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        )
        name = str(config.get("NAME") or "")
        if name and name != ":memory:":
            # A file, not memory, so that processes started by the tests
            # (the ingest) can open the test database too.
            config.setdefault("TEST", {}).setdefault(
                "NAME", str(Path(name).with_name(f"test_{Path(name).name}"))
            )
    elif engine == "django.db.backends.mysql":
        import pymysql

        pymysql.install_as_MySQLdb()
        options.setdefault("charset", "utf8mb4")
        options.setdefault("init_command", "SET sql_mode='STRICT_TRANS_TABLES'")
        options.setdefault("isolation_level", "read committed")
        config.setdefault("TEST", {}).setdefault("CHARSET", "utf8mb4")
        # Device ids are case-sensitive ("Press-1" is not "press-1"): the
        # database's collation must be binary (README, "Databases").
        config["TEST"].setdefault("COLLATION", "utf8mb4_bin")
    elif engine == "django.db.backends.postgresql":
        # No JIT: it compiles for a query the planner thinks expensive, which
        # for this API is a stats/aggregate scan of milliseconds. Measured on
        # 10M readings (PostgreSQL 15, EXPLAIN ANALYZE, median of 5): stats
        # of the last hours 23.7 ms with JIT, 4.3 ms of it compiling, 19.2 ms
        # without; all-time stats gain nothing (987 vs 1032 ms, noise); the
        # ml-data, history and export queries never reach jit_above_cost.
        options.setdefault("options", "-c jit=off")
    return config


DATABASES = {"default": _database_settings(_database)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# manage.py collectstatic writes every file under a content-hashed name (and
# gzip/brotli copies); ServeStaticMiddleware serves them, cached for a year.
# {% static %} needs that manifest: bin/run and bin/test run collectstatic.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "servestatic.storage.CompressedManifestStaticFilesStorage"},
}

# The dashboard's login (Django's auth views, dashboard/urls.py).
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "dashboard"

# --- Login lockout (django-axes) ----------------------------------------------
# A username is locked out from one address after 10 failed logins, each
# within 15 minutes of the last, until 15 minutes pass without another
# (README: Admin, "Login lockout"). The address is the one the rate limits
# use: X-Forwarded-For only as far as API_TRUSTED_PROXIES says.
AXES_FAILURE_LIMIT = 10
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "autoforge.client_address.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no start-up banner in every manage.py process; lockouts are still logged

# --- Content-Security-Policy (django-csp) -------------------------------------
# Every page (the admin) loads only what this server serves; no inline script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}

# --- REST framework -----------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["autoforge.permissions.ReadsRequireAuthSetting"],
    # DRF's, replacing lone surrogates a stored JSON value may hold (a 500 otherwise).
    "DEFAULT_RENDERER_CLASSES": ["autoforge.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_CLASSES": [
        # Read API_THROTTLE_ANON / API_THROTTLE_USER at request time.
        "autoforge.throttling.AnonRateThrottle",
        "autoforge.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": API_THROTTLE_ANON or None,
        "user": API_THROTTLE_USER or None,
    },
    "EXCEPTION_HANDLER": "autoforge.api_errors.exception_handler",
    # Unset, DRF would take any client's X-Forwarded-For as its address.
    "NUM_PROXIES": API_TRUSTED_PROXIES,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_SCHEMA_CLASS": "autoforge.openapi.AutoSchema",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append(
        "rest_framework.renderers.BrowsableAPIRenderer"
    )

# --- OpenAPI (drf-spectacular): /api/schema and /api/docs -------------------------
SPECTACULAR_SETTINGS = {
    "TITLE": "AutoForge IoT Backend",
    "DESCRIPTION": (
        "Sensor readings stored from MQTT, device registry and commands to devices. "
        "Reads are public unless API_READS_REQUIRE_AUTH is on; authenticate with "
        "`Authorization: Token <key>` or the admin session."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Request and response components apart, so read-only fields are not asked for.
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI's and ReDoc's files from drf-spectacular-sidecar, served by this
    # server: the docs work on a plant network with no internet, and no font
    # or script is fetched from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No validator badge: it is an image from validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "ENUM_NAME_OVERRIDES": {
        "CommandStatusEnum": "control.models.Command.Status",
        "HealthStatusEnum": "sensors.openapi.HEALTH_STATUSES",
        "DatabaseStatusEnum": "sensors.openapi.DATABASE_STATUSES",
    },
}

# --- Logging ------------------------------------------------------------------

_handlers: dict = {
    "console": {
        "class": "logging.StreamHandler",
        "formatter": "colour",
    },
}
if LOG_FILE:
    _handlers["file"] = {
        "class": "logging.handlers.RotatingFileHandler",
        "filename": str(BASE_DIR / LOG_FILE),  # an absolute LOG_FILE stays as it is
        "maxBytes": 10 * 1024 * 1024,
        "backupCount": 5,
        "formatter": "plain",
        "encoding": "utf-8",
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "colour": {
            "()": "colorlog.ColoredFormatter",
            # Colours on a terminal only: not in journald, files or pipes.
            "stream": "ext://sys.stderr",
            "format": "%(log_color)s%(asctime)s %(levelname)-8s%(reset)s %(name)s: %(message)s",
        },
        "plain": {"format": "%(asctime)s %(levelname)-8s %(name)s: %(message)s"},
    },
    "handlers": _handlers,
    "root": {"handlers": list(_handlers), "level": LOG_LEVEL},
    "loggers": {
        "django": {"level": "INFO" if LOG_LEVEL == "DEBUG" else LOG_LEVEL},
    },
}
