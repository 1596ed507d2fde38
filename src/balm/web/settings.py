"""Django settings, read from environment variables (see ``balm.web.env``).

| variable | meaning | default |
|---|---|---|
| ``BALM_SECRET_KEY`` | signing key; required unless ``BALM_DEBUG`` or ``BALM_DEMO`` is on | none |
| ``BALM_DEBUG`` | Django debug pages | off |
| ``BALM_DEMO`` | demo mode: a fixed, public secret key is accepted | off |
| ``BALM_DATA_DIR`` | where the SQLite database lives | ``./var`` |
| ``DATABASE_URL`` | any dj-database-url URL (``postgres://...``) | SQLite in the data dir |
| ``BALM_ALLOWED_HOSTS`` | comma-separated host names | ``localhost,127.0.0.1`` |
| ``BALM_SITE_URL`` | absolute base URL used in e-mailed links | ``http://127.0.0.1:8000`` |
| ``BALM_EMAIL_HOST`` | SMTP server; unset means e-mail is printed to the console | unset |
| ``BALM_EMAIL_FILE_DIR`` | without SMTP: write each e-mail to a file in this folder | unset |
| ``BALM_EMAIL_PORT``, ``_USER``, ``_PASSWORD``, ``_USE_TLS`` | SMTP | 587, "", "", on |
| ``BALM_EMAIL_TIMEOUT`` | seconds before a silent SMTP server fails a send (below the retry) | 30 |
| ``BALM_FROM_EMAIL`` | sender address | ``balm@localhost`` |
| ``BALM_TASKS_BACKEND`` | ``database``, ``immediate`` or ``dummy`` (below) | database |
| ``BALM_REMINDER_INTERVAL`` | seconds between a worker's checks for due e-mails; 0: off | 900 |
| ``BALM_REMINDER_AFTER_DAYS`` | days from the "due" e-mail to its one reminder | 3 |
| ``BALM_REMINDER_RETRY_MINUTES`` | an e-mail unsent this long after its last try is retried | 30 |
| ``BALM_REMINDER_MAX_ATTEMPTS`` | tries per e-mail before the check gives up on it | 5 |
| ``BALM_TIME_ZONE`` | local time zone of the service | ``Europe/London`` |
| ``BALM_BEHIND_TLS_PROXY`` | trust the proxy's ``X-Forwarded-Proto: https`` | off |
| ``BALM_SSL_REDIRECT`` | redirect plain HTTP to HTTPS | off |
| ``BALM_HSTS_SECONDS`` | ``Strict-Transport-Security`` max-age; 0: not sent | 1 year on https |
| ``BALM_HSTS_INCLUDE_SUBDOMAINS``, ``_PRELOAD`` | HSTS for sub-domains; preload | off |
| ``BALM_STAFF_2FA`` | staff also give a code from an app (docs/security.md) | on (demo: off) |
| ``BALM_STAFF_IDLE_MINUTES`` | a staff session ends after this long without a request | 30 |
| ``BALM_SIGN_IN_FAILURES`` | failed sign-ins (per account and per address) before a lock | 5 |
| ``BALM_SIGN_IN_LOCK_MINUTES`` | how long a lock lasts unless an administrator lifts it | 30 |
| ``BALM_LINK_FAILURES_PER_HOUR`` | unknown personal links one address may open in an hour | 20 |
| ``BALM_API_TOKEN_DAYS`` | lifetime of an API token of someone with no site | 90 |

With an ``https://`` ``BALM_SITE_URL`` the session and CSRF cookies are sent over HTTPS only
and that address is a trusted origin for forms. ``balm manage check --deploy`` lists what is
left to set for a public server.

Background work (docs/adr/0001-task-queue.md): with ``database`` tasks are rows in the database,
run by ``balm worker`` (``balm manage db_worker`` still runs them too, but without the check for
due questionnaire e-mails); ``immediate`` runs them at once in-process (the tests, ``balm demo``);
``dummy`` never runs them. Each ``balm worker`` checks for due e-mails every
``BALM_REMINDER_INTERVAL`` seconds (its ``--reminder-interval`` defaults to this setting); a
questionnaire or safety-alert e-mail that could not be queued or sent is tried again by a later
check, up to ``BALM_REMINDER_MAX_ATTEMPTS`` times, and the error is kept on its
``ReminderLog`` row or its ``SafetyAlert``.
"""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path

import dj_database_url
from whitenoise.compress import Compressor

from balm.web.env import ConfigError, env_bool, env_int, env_list, env_str

PACKAGE_DIR = Path(__file__).resolve().parent


def _seconds(name: str, default: float) -> float:
    """A number of seconds, 0 or more (fractions allowed); anything else is an error."""
    raw = env_str(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise ConfigError(f"{name}={raw!r} is not a number of seconds (0 or more)")
    return value


DEBUG = env_bool("BALM_DEBUG", False)
DEMO = env_bool("BALM_DEMO", False)

_secret = env_str("BALM_SECRET_KEY", "")
if not _secret:
    if not (DEBUG or DEMO):
        raise ConfigError(
            "BALM_SECRET_KEY must be set (or BALM_DEMO=1 / BALM_DEBUG=1 for a local demo)"
        )
    _secret = "balm-demo-key-not-secret-never-use-in-production"
SECRET_KEY = _secret

DATA_DIR = Path(env_str("BALM_DATA_DIR", "var")).resolve()

ALLOWED_HOSTS = env_list("BALM_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
SITE_URL = env_str("BALM_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = [SITE_URL] if SITE_URL.startswith("https://") else []

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "balm.web.apps.BalmStaticFilesConfig",  # django.contrib.staticfiles without ReDoc
    "django_htmx",
    "ninja",  # serves the API docs' Swagger UI from our own static files, not a CDN
    "django_tasks",
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "balm.accounts",
    "balm.programmes",
    "balm.outcomes",
    "balm.audit",
    "balm.api",
    "balm.wording",
    "balm.qualitative",
    "balm.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "balm.web.sessions.SessionMiddleware",  # 503, not 400, when the database is down
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "balm.web.staff_session.staff_session",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "balm.web.csp_header.CSPMiddleware",  # django-csp's, the settings' policy built once
    "django_htmx.middleware.HtmxMiddleware",
    "balm.web.middleware.no_store",
    "balm.web.middleware.permission_lookups_once",
    "balm.web.middleware.permissions_policy",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# django-axes first: it refuses a locked-out account or address before the password is
# checked. ``AxesBackend`` (not the standalone one) also answers ``get_user``, which the test
# client's ``force_login`` needs; it still never signs anyone in by itself.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "balm.web.urls"
WSGI_APPLICATION = "balm.web.wsgi.application"
ASGI_APPLICATION = "balm.web.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "balm.web.context.balm",
            ],
        },
    },
]

_default_db = f"sqlite:///{DATA_DIR / 'balm.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", _default_db), conn_max_age=env_int("BALM_DB_CONN_MAX_AGE", 0)
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a lock instead of failing at once when the worker and the server both write.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("BALM_TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or DEMO
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Without collectstatic (demo, debug) whitenoise serves files straight from the apps.
WHITENOISE_USE_FINDERS = DEBUG or DEMO
# Pages link the hashed names only ({% static %} through the manifest), so collectstatic keeps
# and compresses only those; source maps (the Swagger UI's 1.9 MB) are fetched by a browser's
# developer tools alone and are not compressed. collectstatic: 44 s of CPU down to 8.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")

# E-mail: SMTP when BALM_EMAIL_HOST is set, otherwise printed to the console.
_email_host = env_str("BALM_EMAIL_HOST", "")
# Checked with the reminder settings below, whether or not an SMTP server is set yet.
_email_timeout = env_int("BALM_EMAIL_TIMEOUT", 30)
if _email_host:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _email_host
    EMAIL_PORT = env_int("BALM_EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("BALM_EMAIL_USER", "")
    EMAIL_HOST_PASSWORD = env_str("BALM_EMAIL_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("BALM_EMAIL_USE_TLS", True)
    # Without a timeout a server that accepts the connection and then says nothing would hold
    # the worker for ever; a timeout is a failed send, which the reminder check retries.
    EMAIL_TIMEOUT = _email_timeout
elif env_str("BALM_EMAIL_FILE_DIR", ""):
    # The demo: e-mails go to files, so the terminal keeps the log-ins and links in view.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = env_str("BALM_EMAIL_FILE_DIR", "")
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("BALM_FROM_EMAIL", "balm@localhost")

# Background work (alert e-mails, reminders): see docs/adr/0001-task-queue.md.
_tasks_backend = env_str("BALM_TASKS_BACKEND", "database")
_task_backends = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "dummy": "django_tasks.backends.dummy.DummyBackend",
}
if _tasks_backend not in _task_backends:
    raise ConfigError(
        f"BALM_TASKS_BACKEND={_tasks_backend!r}; use one of {', '.join(_task_backends)}"
    )
TASKS = {"default": {"BACKEND": _task_backends[_tasks_backend], "QUEUES": ["default"]}}

# Personal links for participants, and the questionnaire e-mails (balm.outcomes.reminders).
BALM_LINK_DAYS = env_int("BALM_LINK_DAYS", 28)
BALM_REMINDER_AFTER_DAYS = env_int("BALM_REMINDER_AFTER_DAYS", 3)
BALM_REMINDER_INTERVAL = _seconds("BALM_REMINDER_INTERVAL", 900)
BALM_REMINDER_RETRY_MINUTES = env_int("BALM_REMINDER_RETRY_MINUTES", 30)
BALM_REMINDER_MAX_ATTEMPTS = env_int("BALM_REMINDER_MAX_ATTEMPTS", 5)
if BALM_REMINDER_RETRY_MINUTES < 1:
    raise ConfigError(
        f"BALM_REMINDER_RETRY_MINUTES={BALM_REMINDER_RETRY_MINUTES}; it must be 1 or more"
    )
if BALM_REMINDER_MAX_ATTEMPTS < 1:
    raise ConfigError(
        f"BALM_REMINDER_MAX_ATTEMPTS={BALM_REMINDER_MAX_ATTEMPTS}; it must be 1 (no retries) "
        "or more"
    )
# A send must end before the check may queue its rows again (``balm.outcomes.tasks``). The
# timeout bounds each exchange with the server, not the whole send, so keep well below it.
if not 1 <= _email_timeout < BALM_REMINDER_RETRY_MINUTES * 60:
    raise ConfigError(
        f"BALM_EMAIL_TIMEOUT={_email_timeout} seconds; it must be 1 or more and less than "
        f"BALM_REMINDER_RETRY_MINUTES={BALM_REMINDER_RETRY_MINUTES} minutes "
        f"({BALM_REMINDER_RETRY_MINUTES * 60} seconds), so that a send ends before its "
        "e-mail can be retried"
    )

SESSION_COOKIE_HTTPONLY = True
SESSION_ENGINE = "balm.web.session_store"  # Django's database store, its read compiled once
SESSION_COOKIE_SECURE = SITE_URL.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if SESSION_COOKIE_SECURE:
    # Forms posted from the service's own address pass the CSRF origin check behind a proxy.
    CSRF_TRUSTED_ORIGINS = [SITE_URL]
if env_bool("BALM_BEHIND_TLS_PROXY", False):
    # Only behind a proxy that sets this header itself (and drops a client's own copy).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("BALM_SSL_REDIRECT", False)
# Sent only on HTTPS answers (Django's SecurityMiddleware), so a plain-http demo is unaffected.
SECURE_HSTS_SECONDS = env_int("BALM_HSTS_SECONDS", 31536000 if SESSION_COOKIE_SECURE else 0)
if SECURE_HSTS_SECONDS < 0:
    raise ConfigError(f"BALM_HSTS_SECONDS={SECURE_HSTS_SECONDS}; it must be 0 (off) or more")
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("BALM_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("BALM_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# What the pages may load: only balm's own files (no inline script or style, no other
# origin); figures and the two-factor QR code are data: images. django-csp 4 settings.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Browser features balm never uses, switched off for every page (balm.web.middleware).
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)

# --- staff sign-in (docs/security.md) ---------------------------------------------------
# Two-factor sign-in for staff (django-otp): administrators and researchers always, and
# facilitators at a site that asks (Site.facilitators_need_two_factor).
# On for every server; the demo (BALM_DEMO) leaves it off unless asked, so its printed
# log-ins work at once (BALM_STAFF_2FA=1 balm demo shows the set-up).
BALM_STAFF_2FA = env_bool("BALM_STAFF_2FA", not DEMO)
OTP_TOTP_ISSUER = "balm"
BALM_STAFF_IDLE_MINUTES = env_int("BALM_STAFF_IDLE_MINUTES", 30)
if BALM_STAFF_IDLE_MINUTES < 1:
    raise ConfigError(f"BALM_STAFF_IDLE_MINUTES={BALM_STAFF_IDLE_MINUTES}; it must be 1 or more")
# django-axes: a lock per account and, separately, per address after this many failures.
AXES_FAILURE_LIMIT = env_int("BALM_SIGN_IN_FAILURES", 5)
_lock_minutes = env_int("BALM_SIGN_IN_LOCK_MINUTES", 30)
if _lock_minutes < 1:
    raise ConfigError(f"BALM_SIGN_IN_LOCK_MINUTES={_lock_minutes}; it must be 1 or more")
AXES_COOLOFF_TIME = timedelta(minutes=_lock_minutes)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "balm/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "balm.web.client_ip.client_ip"
AXES_VERBOSE = False
if AXES_FAILURE_LIMIT < 1:
    raise ConfigError(f"BALM_SIGN_IN_FAILURES={AXES_FAILURE_LIMIT}; it must be 1 or more")
BALM_LINK_FAILURES_PER_HOUR = env_int("BALM_LINK_FAILURES_PER_HOUR", 20)
BALM_API_TOKEN_DAYS = env_int("BALM_API_TOKEN_DAYS", 90)

# Every log line passes through the redaction filter: a personal link's token in a logged
# address ("Not Found: /p/<token>/") is replaced before it is written (balm.web.log_redaction).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_links": {"()": "balm.web.log_redaction.RedactLinks"}},
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_links"]},
        "server": {
            "class": "logging.StreamHandler",
            "filters": ["redact_links"],
            "formatter": "django.server",
        },
    },
    "root": {"handlers": ["console"], "level": env_str("BALM_LOG_LEVEL", "INFO")},
    "loggers": {
        # runserver's request lines, as Django writes them, through the filter too.
        "django.server": {"handlers": ["server"], "level": "INFO", "propagate": False},
        # django-axes notes every sign-in at INFO; its warnings (locks) are what matters.
        "axes": {"level": "WARNING"},
    },
}
