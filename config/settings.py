"""Yiyang settings: the one module that reads the environment.

Modes (``YIYANG_MODE``):
- ``production`` (the default): DEBUG off, SECRET_KEY required, secure cookies and HSTS.
- ``demo``: what ``make demo`` runs; DEBUG off (the platform's own error pages, never Django's
  debug page, which shows settings and environment), a secret key generated into ``var/``.
- ``test``: what the test suite runs; fast password hashing, a fixed key.

Secrets may also come from a file named by ``<NAME>_FILE`` (Docker/Kubernetes secrets).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("YIYANG_VAR_DIR", BASE_DIR / "var"))


def env(name: str, default: str | None = None) -> str | None:
    """Read ``NAME`` or the contents of the file named by ``NAME_FILE``."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use true or false).")


def env_int(name: str, default: int) -> int:
    value = env(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer.") from None


def env_float(name: str, default: float) -> float:
    value = env(name)
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a number.") from None
    if not number > 0:
        raise ImproperlyConfigured(f"{name}={value!r} must be above 0.")
    return number


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (env(name, default) or "").split(",") if item.strip()]


MODE = (env("YIYANG_MODE", "production") or "production").lower()
if MODE not in {"production", "demo", "test"}:
    raise ImproperlyConfigured(f"YIYANG_MODE={MODE!r}: use production, demo or test.")
IS_PRODUCTION = MODE == "production"

# DEBUG is off in every mode unless a developer sets DEBUG=1 on their own machine: the demo is
# shown on networks where anyone who makes it fail must not see settings and environment.
DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    key = env("SECRET_KEY")
    if key:
        return key
    if MODE == "test":
        return "test-only-secret-key-not-for-production-use-0123456789abcdef"
    if MODE == "demo":
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file = VAR_DIR / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(50), encoding="utf-8")
            key_file.chmod(0o600)
        return key_file.read_text(encoding="utf-8").strip()
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. Production needs a secret key: set SECRET_KEY (or SECRET_KEY_FILE "
        "naming a file that holds it), at least 50 random characters, e.g. from "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`. "
        "For a local demo run `make demo` (YIYANG_MODE=demo) instead."
    )


SECRET_KEY = _secret_key()


def _demo_secret(name: str, make: Callable[[], str]) -> str:
    """A secret generated once into var/ for the demo (never used in production)."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / name
    if not path.exists():
        path.write_text(make(), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


# Field-level encryption of personal data (yiyang/core/crypto.py). The first key encrypts,
# all decrypt; production must set them, and the crypto module refuses to work without.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS")
FIELD_HASH_KEY = env("FIELD_HASH_KEY") or ""
if MODE == "test":
    FIELD_ENCRYPTION_KEYS = FIELD_ENCRYPTION_KEYS or [
        "dGVzdC1vbmx5LWZpZWxkLWtleS0wMDAwMDAwMDAwMDA="
    ]
    FIELD_HASH_KEY = FIELD_HASH_KEY or "test-only-blind-index-key"
elif MODE == "demo":
    FIELD_ENCRYPTION_KEYS = FIELD_ENCRYPTION_KEYS or [
        _demo_secret("field_key", lambda: base64.urlsafe_b64encode(os.urandom(32)).decode())
    ]
    FIELD_HASH_KEY = FIELD_HASH_KEY or _demo_secret("hash_key", lambda: secrets.token_urlsafe(32))
elif not FIELD_ENCRYPTION_KEYS or not FIELD_HASH_KEY:
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEYS and FIELD_HASH_KEY must be set: the elder registry encrypts ID "
        "numbers, phones and health data. Make an encryption key with `python -c 'from "
        "cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'` and a hash "
        "key with `python -c 'import secrets; print(secrets.token_urlsafe(32))'` (or set "
        "FIELD_ENCRYPTION_KEYS_FILE / FIELD_HASH_KEY_FILE). See docs/operations.md."
    )

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", "" if IS_PRODUCTION else "127.0.0.1,localhost,testserver,[::1]"
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_tasks",
    "django_tasks_db",
    "yiyang.core",
    "yiyang.organisations",
    "yiyang.accounts",
    "yiyang.elders",
    "yiyang.assessments",
    "yiyang.services",
    "yiyang.visits",
    "yiyang.scheduling",
    "yiyang.devices",
    "yiyang.alerts",
    "yiyang.facilities",
    "yiyang.meals",
    "yiyang.workforce",
    "yiyang.supervision",
    "yiyang.indicators",
    "yiyang.settlement",
    "yiyang.dashboard",
    "yiyang.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "yiyang.core.security.SecurityHeadersMiddleware",
    "yiyang.core.context.RequestOriginMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "yiyang.core.i18n.ChineseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "yiyang.accounts.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "yiyang" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "yiyang.accounts.context_processors.navigation",
            ],
        },
    },
]

# Database: SQLite under var/ by default, PostgreSQL in production.
DATABASE_URL = env("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'yiyang.sqlite3'}"
if DATABASE_URL.startswith("sqlite"):
    VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
        ),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/0")
MQTT_URL = env("MQTT_URL", "mqtt://127.0.0.1:1883")

# Devices (issue 6). The gateway subscribes to yiyang/v1/devices/+/events with QoS 1 and a
# persistent session under this client id (one id per gateway process; EMQX shared
# subscriptions spread a cluster's load: set MQTT_TOPIC to $share/yiyang/yiyang/v1/...).
# Unset: yiyang-<host>-<deployment>-<slot>, unique per host, deployment (database) and
# process, and the same again after a restart (yiyang.alerts.gateway.default_client_id).
MQTT_CLIENT_ID = env("MQTT_CLIENT_ID") or ""
# At start-up the gateway probes whether the broker keeps a disconnected session's queued
# messages (MQTT_BROKER_PROBE_MESSAGES of them, more than Mosquitto's default limit of
# 1,000): "refuse" (production default) stops it when not, "warn" logs it, "off" skips.
MQTT_BROKER_CHECK = env("MQTT_BROKER_CHECK") or ("refuse" if IS_PRODUCTION else "warn")
MQTT_BROKER_PROBE_MESSAGES = env_int("MQTT_BROKER_PROBE_MESSAGES", 1200)
MQTT_PROBE_TOPIC = env("MQTT_PROBE_TOPIC") or "yiyang/v1/probe"
MQTT_TOPIC = env("MQTT_TOPIC", "yiyang/v1/devices/+/events") or "yiyang/v1/devices/+/events"
MQTT_USERNAME = env("MQTT_USERNAME") or ""
MQTT_PASSWORD = env("MQTT_PASSWORD") or ""
MQTT_PROTOCOL = env("MQTT_PROTOCOL", "5") or "5"  # "5" (MQTT 5) or "3.1.1"
MQTT_SESSION_EXPIRY_SECONDS = env_int("MQTT_SESSION_EXPIRY_SECONDS", 7 * 24 * 3600)
MQTT_TLS_CA_FILE = env("MQTT_TLS_CA_FILE") or ""  # TLS when set (or when MQTT_URL is mqtts://)
MQTT_TLS_CERT_FILE = env("MQTT_TLS_CERT_FILE") or ""  # client certificate, optional
MQTT_TLS_KEY_FILE = env("MQTT_TLS_KEY_FILE") or ""
# The gateway writes a batch when it holds this many messages or this many milliseconds pass.
DEVICE_BATCH_SIZE = env_int("DEVICE_BATCH_SIZE", 500)
DEVICE_BATCH_MILLISECONDS = env_int("DEVICE_BATCH_MILLISECONDS", 50)
DEVICE_MAX_PAYLOAD_BYTES = env_int("DEVICE_MAX_PAYLOAD_BYTES", 16 * 1024)
# Event timestamps: how far in the future (clock skew) and how old (offline buffering) a
# device's event may be.
DEVICE_MAX_CLOCK_SKEW_SECONDS = env_int("DEVICE_MAX_CLOCK_SKEW_SECONDS", 300)
DEVICE_MAX_EVENT_AGE_SECONDS = env_int("DEVICE_MAX_EVENT_AGE_SECONDS", 7 * 24 * 3600)
# A device sending more than this many messages a minute is flooding: the surplus (never a
# critical event) is rejected and counted.
DEVICE_MAX_MESSAGES_PER_MINUTE = env_int("DEVICE_MAX_MESSAGES_PER_MINUTE", 120)
# Rejections of one device within ten minutes that raise a technical alert.
DEVICE_REJECTIONS_ALERT_THRESHOLD = env_int("DEVICE_REJECTIONS_ALERT_THRESHOLD", 50)
# Each rejected message is kept with its raw bytes (at most this many, sealed) for this long.
DEVICE_REJECTED_RAW_BYTES = env_int("DEVICE_REJECTED_RAW_BYTES", 4096)
DEVICE_REJECTED_KEEP_DAYS = env_int("DEVICE_REJECTED_KEEP_DAYS", 14)
# HTTP callbacks of vendor clouds: "vendor:secret,vendor2:secret" (or DEVICE_VENDOR_SECRETS_FILE)
# and the replay window of their signed timestamps.
DEVICE_VENDOR_SECRETS = dict(
    item.split(":", 1) for item in env_list("DEVICE_VENDOR_SECRETS") if ":" in item
)
if MODE in {"test", "demo"} and not DEVICE_VENDOR_SECRETS:
    DEVICE_VENDOR_SECRETS = {"yiyang": "demo-vendor-secret", "anxin": "demo-anxin-secret"}
DEVICE_CALLBACK_WINDOW_SECONDS = env_int("DEVICE_CALLBACK_WINDOW_SECONDS", 300)
# The gateway's heartbeat: the console shows a banner when it is older than this.
GATEWAY_STALE_SECONDS = env_int("GATEWAY_STALE_SECONDS", 30)

# Maps (Leaflet, vendored under static/yiyang/vendor/leaflet-1.9.4). Tiles come from a tile
# server the city runs or licenses (XYZ template such as https://tiles.example/{z}/{x}/{y}.png);
# empty means no base layer: markers and routes on a plain grid, as in tests and offline demos.
MAP_TILE_URL = env("YIYANG_MAP_TILE_URL", "") or ""
MAP_TILE_ATTRIBUTION = env("YIYANG_MAP_TILE_ATTRIBUTION", "") or ""

# The optimiser in the platform (issue 7): seconds per run from the dispatch board, and per
# re-plan after a dropout; an iteration cap makes runs repeatable (tests, demos).
SCHEDULING_TIME_LIMIT = env_int("YIYANG_SCHEDULING_TIME_LIMIT", 20)
SCHEDULING_REPLAN_TIME_LIMIT = env_int("YIYANG_SCHEDULING_REPLAN_TIME_LIMIT", 10)
SCHEDULING_MAX_ITERATIONS = env_int("YIYANG_SCHEDULING_MAX_ITERATIONS", 0) or None
# Issue 22: searches run side by side on this many processes (1 or 2; the second is forked
# and exchanges its best plan with the first). The search's engine is chosen by the solver
# itself from YIYANG_SOLVER_ENGINE: "compiled" (Numba, the default) or "python" (reference).
SCHEDULING_SOLVER_WORKERS = env_int("YIYANG_SCHEDULING_SOLVER_WORKERS", 2)

# The 15-minute service circle (issue 13). GB 50180-2018 (城市居住区规划设计标准) sets the
# 15-minute life circle at a walking distance of 800-1,000 m: 1,000 m in 15 minutes is
# 4 km/h, the default; slower elders are a setting away. Without a walking network the
# straight line is lengthened by the detour factor; walks beyond REACH_MAX_MINUTES are
# recorded as "not within reach".
FACILITY_WALKING_SPEED_KMH = env_float("YIYANG_WALKING_SPEED_KMH", 4.0)
FACILITY_CIRCLE_MINUTES = env_float("YIYANG_CIRCLE_MINUTES", 15)
FACILITY_DETOUR_FACTOR = env_float("YIYANG_DETOUR_FACTOR", 1.3)
FACILITY_REACH_MAX_MINUTES = env_float("YIYANG_REACH_MAX_MINUTES", 60)

# Meal assistance (老年助餐, issue 15). Meal-times start at these local times (a booking's
# cutoff counts back from them); a monthly cap on an elder's meal subsidy in yuan (empty: no
# cap); offline counter records older than MEAL_OFFLINE_MAX_DAYS are refused.
MEAL_STARTS = {"breakfast": "07:00", "lunch": "11:30", "dinner": "17:00"}
MEAL_SUBSIDY_MONTHLY_CAP_YUAN = env("YIYANG_MEAL_SUBSIDY_MONTHLY_CAP_YUAN", "") or None
MEAL_OFFLINE_MAX_DAYS = env_int("YIYANG_MEAL_OFFLINE_MAX_DAYS", 7)
MEAL_LATE_DELIVERY_MINUTES = env_int("YIYANG_MEAL_LATE_DELIVERY_MINUTES", 60)
# The meal scheduler (`yiyang run-meal-scheduler`) has the background worker book the
# standing orders of the next MEAL_STANDING_DAYS_AHEAD days (tomorrow first).
MEAL_STANDING_DAYS_AHEAD = env_int("YIYANG_MEAL_STANDING_DAYS_AHEAD", 2)
# The covering model's time limit (seconds) and the smallest number of elders a hexagon
# shows to roles below the district (k-anonymity).
FACILITY_PLAN_TIME_LIMIT = env_float("YIYANG_PLAN_TIME_LIMIT", 60)
FACILITY_MIN_CELL_COUNT = env_int("YIYANG_MIN_CELL_COUNT", 5)

# Alerts (issue 6). Answer targets: TSA, 97.5% within 60 s and 99% within 180 s.
ALERT_ACK_TIMEOUT_SECONDS = env_int("ALERT_ACK_TIMEOUT_SECONDS", 60)
# Answer (acknowledge) time targets, shown on the supervisor's statistics.
ALERT_ANSWER_TARGET_SECONDS = env_int("ALERT_ANSWER_TARGET_SECONDS", 60)  # 97.5% within
ALERT_ANSWER_LIMIT_SECONDS = env_int("ALERT_ANSWER_LIMIT_SECONDS", 180)  # 99% within
ALERT_ESCALATION_TIERS = env_list(
    "ALERT_ESCALATION_TIERS", "operators,supervisors,backup_operators"
)
# Live console fan-out: "database" (polling, the embedded default) or "redis" (pub/sub on
# REDIS_URL, for several server processes). Redis is the default when REDIS_URL is set.
ALERT_EVENT_BUS = env("ALERT_EVENT_BUS") or ("redis" if os.environ.get("REDIS_URL") else "database")
ALERT_NOTIFICATION_CHANNELS = env_list("ALERT_NOTIFICATION_CHANNELS", "outbox")
# City defaults of the rules' thresholds; each may be overridden per city (by the city's
# four-digit code, JSON in ALERT_CITY_THRESHOLDS) and per elder (on the elder's alert settings).
ALERT_THRESHOLDS = {
    "heart_rate_low": env_int("ALERT_HEART_RATE_LOW", 45),
    "heart_rate_high": env_int("ALERT_HEART_RATE_HIGH", 130),
    "spo2_low": env_int("ALERT_SPO2_LOW", 90),
    "sustained_seconds": env_int("ALERT_VITALS_SUSTAINED_SECONDS", 300),
    "no_motion_hours": env_int("ALERT_NO_MOTION_HOURS", 4),
    "day_starts_hour": env_int("ALERT_DAY_STARTS_HOUR", 7),
    "day_ends_hour": env_int("ALERT_DAY_ENDS_HOUR", 21),
    "door_open_minutes": env_int("ALERT_DOOR_OPEN_MINUTES", 15),
    "safe_zone_metres": env_int("ALERT_SAFE_ZONE_METRES", 1000),
    "low_battery_percent": env_int("ALERT_LOW_BATTERY_PERCENT", 15),
    "missed_heartbeats": env_int("ALERT_MISSED_HEARTBEATS", 3),
}
# Trusted: the deployment's own environment.
ALERT_CITY_THRESHOLDS: dict[str, dict[str, int]] = json.loads(  # noqa: TID251
    env("ALERT_CITY_THRESHOLDS", "{}") or "{}"
)
for _city, _values in ALERT_CITY_THRESHOLDS.items():
    if (
        not isinstance(_values, dict)
        or not set(_values) <= set(ALERT_THRESHOLDS)
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in _values.values())
    ):
        raise ImproperlyConfigured(
            f"ALERT_CITY_THRESHOLDS[{_city!r}]: whole numbers for {', '.join(ALERT_THRESHOLDS)}."
        )
# A technical alert for a device sending bad data resolves itself after this long without a
# rejected message (and with accepted ones since).
DEVICE_BAD_STREAM_QUIET_SECONDS = env_int("DEVICE_BAD_STREAM_QUIET_SECONDS", 600)

# Notification channels (ALERT_NOTIFICATION_CHANNELS: outbox, log, email, sms).
# E-mail goes through Django's e-mail backend (SMTP unless EMAIL_BACKEND says otherwise).
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost") or "localhost"
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "") or ""
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "yiyang@localhost") or "yiyang@localhost"
# The SMS channel posts JSON to the operator's HTTP SMS gateway: URL, key (or SMS_GATEWAY_KEY_FILE),
# the approved message template and a timeout per attempt.
SMS_GATEWAY_URL = env("SMS_GATEWAY_URL", "") or ""
SMS_GATEWAY_KEY = env("SMS_GATEWAY_KEY", "") or ""
SMS_TEMPLATE_ID = env("SMS_TEMPLATE_ID", "") or ""
SMS_TIMEOUT_SECONDS = env_int("SMS_TIMEOUT_SECONDS", 5)
# Where escalation tiers are reached: "supervisors:a@b.cn,backup_operators:c@d.cn" and
# "supervisors:13800000000" (several addresses of one tier: repeat the tier).
ALERT_TIER_EMAILS: dict[str, list[str]] = {}
for _item in env_list("ALERT_TIER_EMAILS"):
    _tier, _sep, _address = _item.partition(":")
    ALERT_TIER_EMAILS.setdefault(_tier.strip(), []).append(_address.strip())
ALERT_TIER_PHONES: dict[str, list[str]] = {}
for _item in env_list("ALERT_TIER_PHONES"):
    _tier, _sep, _address = _item.partition(":")
    ALERT_TIER_PHONES.setdefault(_tier.strip(), []).append(_address.strip())
if "sms" in ALERT_NOTIFICATION_CHANNELS and not SMS_GATEWAY_URL:
    raise ImproperlyConfigured("The sms notification channel needs SMS_GATEWAY_URL.")
if "sms" in ALERT_NOTIFICATION_CHANNELS and IS_PRODUCTION and not SMS_GATEWAY_KEY:
    raise ImproperlyConfigured("The sms notification channel needs SMS_GATEWAY_KEY.")
if "email" in ALERT_NOTIFICATION_CHANNELS and IS_PRODUCTION and not env("EMAIL_HOST"):
    raise ImproperlyConfigured("The email notification channel needs EMAIL_HOST.")

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if MODE == "test":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Sessions expire after this many idle seconds (the cookie is renewed on each request).
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# The client's address: REMOTE_ADDR unless PROXY_COUNT trusted reverse proxies stand in front
# (then the address that many entries from the right of X-Forwarded-For). One function reads
# it (yiyang.core.clientip.client_ip) for the lockout, the throttles and the audit log. Never
# set it above the number of proxies you run: each extra one lets a client choose its address.
PROXY_COUNT = env_int("PROXY_COUNT", 0)
if PROXY_COUNT < 0:
    raise ImproperlyConfigured("PROXY_COUNT must be 0 (no proxy) or the number of proxies.")

# Failed-login lockout (django-axes), counted three ways within the cool-off time: per
# (username, address), per username from any address (one account guessed from many
# addresses) and per address over any usernames (one password sprayed over many accounts).
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_LIMIT_PER_USERNAME = env_int("LOGIN_FAILURE_LIMIT_PER_USERNAME", 10)
LOGIN_FAILURE_LIMIT_PER_ADDRESS = env_int("LOGIN_FAILURE_LIMIT_PER_ADDRESS", 20)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username", "ip_address"]
AXES_HANDLER = "yiyang.accounts.lockout.LayeredLockoutHandler"
AXES_CLIENT_IP_CALLABLE = "yiyang.core.clientip.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "yiyang.accounts.lockout.lockout_response"
AXES_VERBOSE = False

# Two-factor authentication (TOTP): None (the default) requires it for every role that can
# read city-wide personal data or unmasked ID numbers, phones or health data, derived from
# each role's scope and permissions (yiyang.accounts.choices.two_factor_roles), so a role
# that gains such a read needs it at once. A list set here replaces that rule (empty: none).
# Demo mode leaves it off so that every printed demo login works without an authenticator
# app; it says so when it starts.
YIYANG_2FA_REQUIRED_ROLES: list[str] | None = (
    env_list("YIYANG_2FA_REQUIRED_ROLES")
    if env("YIYANG_2FA_REQUIRED_ROLES") is not None
    else ([] if MODE == "demo" else None)
)
OTP_TOTP_ISSUER = "Yiyang"

# Internationalisation: Simplified Chinese first, English second.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "yiyang" / "locale"]
# Thousands separators in Chinese too (12,345): yiyang/formats overrides only the grouping.
FORMAT_MODULE_PATH = ["yiyang.formats"]
TIME_ZONE = env("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "yiyang" / "static"]
STATIC_ROOT = env("STATIC_ROOT") or (str(BASE_DIR / "staticfiles") if IS_PRODUCTION else None)
# Outside production, whitenoise serves straight from the apps' static folders.
WHITENOISE_USE_FINDERS = not IS_PRODUCTION
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if IS_PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Uploaded files (spreadsheets waiting to be imported; stored encrypted, deleted once read).
MEDIA_ROOT = env("MEDIA_ROOT") or str(VAR_DIR / "media")
MEDIA_URL = "/media-not-served/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Background work (django-tasks): the database queue, run by `yiyang db_worker` (the demo
# starts one). Tests run tasks at once, in the request.
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if MODE == "test"
            else "django_tasks_db.DatabaseBackend"
        )
    }
}

# Ability assessment (GB/T 42195-2022). The standard leaves two points open (shared
# REFERENCE.md section 1): whether the two level-raising change rules add up (+2) or raise one
# level if either applies (the default), and the wording of item B.1.7 option 3.
ASSESSMENT_RULES_STACK = env_bool("ASSESSMENT_RULES_STACK", False)
ASSESSMENT_B173_WORDING = env("ASSESSMENT_B173_WORDING", "每周<1次") or "每周<1次"
# Dependency bands for the Barthel Index: mzt039 (MZ/T 039-2013), shah1989 or wst431.
BARTHEL_BAND_SCHEME = env("BARTHEL_BAND_SCHEME", "mzt039") or "mzt039"
# A second assessor must take part in every assessment (many cities require two).
ASSESSMENT_TWO_ASSESSORS = env_bool("ASSESSMENT_TWO_ASSESSORS", False)
ASSESSMENT_VALID_MONTHS = env_int("ASSESSMENT_VALID_MONTHS", 12)
ASSESSMENT_DUE_WITHIN_DAYS = env_int("ASSESSMENT_DUE_WITHIN_DAYS", 30)

# Home-care visits (electronic visit verification). Location is taken only at check-in
# and check-out; a point farther than the radius is a flag with a reason, never a block.
VISIT_CHECK_IN_RADIUS_M = env_int("VISIT_CHECK_IN_RADIUS_M", 200)
VISIT_MAX_ACCURACY_M = env_int("VISIT_MAX_ACCURACY_M", 1000)
VISIT_LATE_AFTER_MINUTES = env_int("VISIT_LATE_AFTER_MINUTES", 15)
VISIT_MISSED_AFTER_MINUTES = env_int("VISIT_MISSED_AFTER_MINUTES", 60)
VISIT_TOO_SHORT_PERCENT = env_int("VISIT_TOO_SHORT_PERCENT", 50)
VISIT_MAX_SPEED_KMH = env_int("VISIT_MAX_SPEED_KMH", 60)
VISIT_MAX_CLOCK_SKEW_SECONDS = env_int("VISIT_MAX_CLOCK_SKEW_SECONDS", 300)
VISIT_OFFLINE_MAX_AGE_HOURS = env_int("VISIT_OFFLINE_MAX_AGE_HOURS", 72)
VISIT_PHOTO_MAX_BYTES = env_int("VISIT_PHOTO_MAX_BYTES", 5 * 1024 * 1024)
ELDER_PHOTO_MAX_BYTES = env_int("ELDER_PHOTO_MAX_BYTES", 5 * 1024 * 1024)
VISIT_CANCEL_NOTICE_HOURS = env_int("VISIT_CANCEL_NOTICE_HOURS", 24)
VISIT_PLAN_MAX_DAYS = env_int("VISIT_PLAN_MAX_DAYS", 366)
# Long-term-care insurance's part of a visit's price (the city's pilot; no national figure):
# its share in percent, for elders of these ability levels, on services of these categories.
LTC_SHARE_PERCENT = env_int("LTC_SHARE_PERCENT", 60)
LTC_ABILITY_LEVELS = env_list("LTC_ABILITY_LEVELS", "severe,complete")
LTC_SERVICE_CATEGORIES = env_list("LTC_SERVICE_CATEGORIES", "personal_care,bathing")

# Indicators (yiyang/core/indicators.py). The source texts divide by different bases, so the
# bases are settings: beds per 1,000 elders over residents aged 60+ (default) or 65+; the
# caregiver norm per 1,000 elders. A figure within INDICATOR_CLOSE_PERCENT of its target is
# "close", farther is "behind". Trends show INDICATOR_TREND_MONTHS months.
INDICATOR_ELDER_AGE = env_int("INDICATOR_ELDER_AGE", 60)
if INDICATOR_ELDER_AGE not in (60, 65):
    raise ImproperlyConfigured("INDICATOR_ELDER_AGE must be 60 or 65")
CAREGIVER_NORM_PER_1000 = env_int("CAREGIVER_NORM_PER_1000", 5)
# Training hours a caregiver must complete each year (the workforce roster shows who is short).
WORKFORCE_TRAINING_HOURS_MIN = env_int("WORKFORCE_TRAINING_HOURS_MIN", 40)
# A session can be checked into from this many minutes before it starts until it ends.
WORKFORCE_CHECKIN_EARLY_MINUTES = env_int("WORKFORCE_CHECKIN_EARLY_MINUTES", 30)
INDICATOR_CLOSE_PERCENT = env_int("INDICATOR_CLOSE_PERCENT", 10)
INDICATOR_TREND_MONTHS = env_int("INDICATOR_TREND_MONTHS", 24)
# Whether district officers may set targets for their own district.
INDICATOR_DISTRICT_TARGETS = env_bool("INDICATOR_DISTRICT_TARGETS", True)
# The hour (local time) of the nightly refresh of the running month's snapshots.
INDICATOR_SNAPSHOT_HOUR = env_int("INDICATOR_SNAPSHOT_HOUR", 2)

# Supervision (issue 16): star ratings, safety inspections, complaints. Deadlines count
# working days of the city's calendar (supervision.CalendarDay); days marked unconfirmed
# count only with SUPERVISION_UNCERTAIN_DAYS=apply ("ignore": treated as ordinary days).
SUPERVISION_RATING_VALID_YEARS = env_int("SUPERVISION_RATING_VALID_YEARS", 3)
SUPERVISION_INSPECTIONS_PER_KIND = env_int("SUPERVISION_INSPECTIONS_PER_KIND", 2)
SUPERVISION_INSPECTED_KINDS = env_list("SUPERVISION_INSPECTED_KINDS", "care_institution")
SUPERVISION_RECTIFICATION_WORKING_DAYS = env_int("SUPERVISION_RECTIFICATION_WORKING_DAYS", 10)
SUPERVISION_ACKNOWLEDGE_WORKING_DAYS = env_int("SUPERVISION_ACKNOWLEDGE_WORKING_DAYS", 1)
SUPERVISION_ANSWER_WORKING_DAYS = env_int("SUPERVISION_ANSWER_WORKING_DAYS", 15)
# Working days after the district was alerted before an overdue item goes to the city.
SUPERVISION_CITY_ESCALATION_WORKING_DAYS = env_int("SUPERVISION_CITY_ESCALATION_WORKING_DAYS", 5)
SUPERVISION_UNCERTAIN_DAYS = env("SUPERVISION_UNCERTAIN_DAYS", "ignore") or "ignore"
if SUPERVISION_UNCERTAIN_DAYS not in ("ignore", "apply"):
    raise ImproperlyConfigured("SUPERVISION_UNCERTAIN_DAYS must be ignore or apply")
SUPERVISION_HOTLINE = env("SUPERVISION_HOTLINE", "12345") or "12345"
# The district scorecard's weights (督导考核), the city's configuration: a JSON file like
# yiyang/supervision/schemes/scorecard.json; empty: that file.
SUPERVISION_SCORECARD_FILE = env("SUPERVISION_SCORECARD_FILE", "") or ""
# The public page (/public/) is cached this many seconds per query and language.
SUPERVISION_PUBLIC_CACHE_SECONDS = env_int("SUPERVISION_PUBLIC_CACHE_SECONDS", 60)
SUPERVISION_PUBLIC_RATE_PER_MINUTE = env_int("SUPERVISION_PUBLIC_RATE_PER_MINUTE", 120)

# Spreadsheet imports (yiyang.elders.tabular): checked before anything is decompressed, then
# bounded while reading, so a small file cannot unpack into gigabytes.
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 200_000)
IMPORT_MAX_CELLS = env_int("IMPORT_MAX_CELLS", 6_000_000)
IMPORT_MAX_UNCOMPRESSED_BYTES = env_int("IMPORT_MAX_UNCOMPRESSED_BYTES", 256 * 1024 * 1024)
IMPORT_MAX_COMPRESSION_RATIO = env_int("IMPORT_MAX_COMPRESSION_RATIO", 100)
IMPORT_REPORT_LIMIT = env_int("IMPORT_REPORT_LIMIT", 100_000)
# Run each import in a child process, so the worker returns the parse's memory when done.
IMPORT_IN_CHILD_PROCESS = env_bool("IMPORT_IN_CHILD_PROCESS", MODE != "test")
# Exports run in the background (core.exports); their files are kept this long, then deleted.
EXPORT_KEEP_HOURS = env_int("EXPORT_KEEP_HOURS", 24)

# Request bodies: refuse oversized ones with a 400 instead of reading them.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_REQUEST_BYTES", 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000

# Nesting depth allowed in any JSON read from outside (API, device callbacks, MQTT).
JSON_MAX_DEPTH = env_int("JSON_MAX_DEPTH", 32)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "yiyang.accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "yiyang.core.api.pagination.StandardPagination",
    "DEFAULT_SCHEMA_CLASS": "yiyang.core.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "yiyang.core.api.exceptions.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "yiyang.core.api.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    # DRF's own address reading (used by any throttle not ours) trusts X-Forwarded-For only
    # behind PROXY_COUNT proxies; our throttles read yiyang.core.clientip.client_ip.
    "NUM_PROXIES": PROXY_COUNT,
}
# Token requests per client address (the throttle reads this setting at each request).
TOKEN_THROTTLE_RATE = env("TOKEN_THROTTLE_RATE", "10000/min" if MODE == "test" else "20/min")

# Content-Security-Policy on every response (yiyang.core.security): scripts and styles from
# this site only, no inline code (a per-request nonce for the few places that need one).
# The map tile server, when set, is allowed as an image source.
CSP_EXTRA_IMG_SOURCES = env_list("CSP_EXTRA_IMG_SOURCES")
CSP_REPORT_URI = env("CSP_REPORT_URI", "") or ""

SPECTACULAR_SETTINGS = {
    "TITLE": "Yiyang API",
    "DESCRIPTION": "Home-and-community elderly care platform. Every call is scoped to the "
    "caller's role and jurisdiction.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "yiyang.core.api.schema.add_error_responses",
        "yiyang.core.api.schema.drop_database_integer_bounds",
    ],
    "ENUM_NAME_OVERRIDES": {
        "OrderKindEnum": "yiyang.visits.choices.OrderKind",
        "OrderStatusEnum": "yiyang.visits.choices.OrderStatus",
        "FundPurposeEnum": "yiyang.settlement.choices.FundPurpose",
        "ElderStatusEnum": "yiyang.elders.choices.ElderStatus",
        "ImportStatusEnum": "yiyang.elders.choices.ImportStatus",
        "OrganisationStatusEnum": "yiyang.organisations.choices.OrganisationStatus",
        "DuplicateStatusEnum": "yiyang.elders.choices.DuplicateStatus",
        "EconomicStatusEnum": "yiyang.elders.choices.EconomicStatus",
        "AuditActionEnum": "yiyang.core.choices.AuditAction",
        "AssessmentStatusEnum": "yiyang.assessments.choices.AssessmentStatus",
        "RequestedViaEnum": "yiyang.assessments.choices.RequestedVia",
        "RiskEventKindEnum": "yiyang.assessments.choices.RiskEventKind",
        "KindEnum": "yiyang.organisations.choices.OrganisationKind",
        "QualificationEnum": "yiyang.services.choices.Qualification",
        "AlertKindEnum": "yiyang.alerts.choices.AlertKind",
        "AlertOutcomeEnum": "yiyang.alerts.choices.Outcome",
        "VisitOutcomeEnum": "yiyang.visits.choices.VisitOutcome",
        "AlertStatusEnum": "yiyang.alerts.choices.AlertStatus",
        "DeviceKindEnum": "yiyang.devices.choices.DeviceKind",
        "FacilityKindEnum": "yiyang.facilities.choices.FacilityKind",
        "FacilityStatusEnum": "yiyang.facilities.choices.FacilityStatus",
        "MealBookingStatusEnum": "yiyang.meals.choices.BookingStatus",
        "MealEnum": "yiyang.meals.choices.Meal",
        "MealModeEnum": "yiyang.meals.choices.MealMode",
        "PlanRunStatusEnum": "yiyang.scheduling.choices.PlanRunStatus",
        "LeaveReasonEnum": "yiyang.workforce.choices.LeaveReason",
        "SkillLevelEnum": "yiyang.workforce.choices.SkillLevel",
        "SubsidyKindEnum": "yiyang.workforce.choices.SubsidyKind",
        "EnrolmentStatusEnum": "yiyang.workforce.choices.EnrolmentStatus",
        "EducationEnum": "yiyang.workforce.choices.Education",
        "OrganiserKindEnum": "yiyang.workforce.choices.OrganiserKind",
        "InspectionResultEnum": "yiyang.supervision.choices.InspectionResult",
        "ResultEnum": "yiyang.alerts.choices.ActionResult",
        "CategoryEnum": "yiyang.services.choices.ServiceCategory",
        "ComplaintCategoryEnum": "yiyang.supervision.choices.ComplaintCategory",
        "ComplaintChannelEnum": "yiyang.supervision.choices.ComplaintChannel",
        "FundSourceEnum": "yiyang.settlement.choices.FundSource",
        "HoldReasonEnum": "yiyang.settlement.choices.HoldReason",
        "ReasonEnum": "yiyang.assessments.choices.AssessmentReason",
        "SourceEnum": "yiyang.alerts.choices.AlertSource",
    },
}

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
}

# Production hardening; each may be relaxed through the environment behind a TLS proxy.
if IS_PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured(
            "SECRET_KEY must be at least 50 characters with 5 distinct ones."
        )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}, "django.request": {"level": "ERROR"}},
}
if MODE == "test":
    LOGGING["root"]["level"] = "WARNING"  # type: ignore[index]
    LOGGING["loggers"]["axes"] = {"level": "ERROR"}  # type: ignore[index]

# Government-purchased services (issue 14). A wearable's position farther than this from
# the elder's home during a visit holds the visit's line; days each workflow step has.
SETTLEMENT_AWAY_FROM_HOME_M = env_int("SETTLEMENT_AWAY_FROM_HOME_M", 300)
# Signed contract documents (PDF, PNG, JPEG), encrypted in the database: the largest accepted.
SETTLEMENT_DOCUMENT_MAX_BYTES = env_int("SETTLEMENT_DOCUMENT_MAX_BYTES", 10 * 1024 * 1024)
SETTLEMENT_DUE_DAYS = {"confirm": 5, "verify": 10, "approve": 15, "release": 20, "pay": 10}
