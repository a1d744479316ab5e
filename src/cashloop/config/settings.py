"""Django settings: the one wiring point for the database, apps, languages and side effects."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from cashloop.config.database import data_dir, database_settings

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def _secret_key() -> str:
    if key := os.environ.get("CASHLOOP_SECRET_KEY"):
        return key
    path = data_dir() / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("CASHLOOP_DEBUG", "") == "1"
ALLOWED_HOSTS = [h for h in os.environ.get("CASHLOOP_ALLOWED_HOSTS", "*").split(",") if h]
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("CASHLOOP_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "cashloop.ledger",
    "cashloop.accounts",
    "cashloop.audit",
    "cashloop.imports",
    "cashloop.reports",
    "cashloop.jobs",
    "cashloop.web",
]

if os.environ.get("CASHLOOP_LEAN_APPS") == "1":  # CLI commands that serve no pages
    INSTALLED_APPS = [
        "django.contrib.admin.apps.SimpleAdminConfig" if app == "django.contrib.admin" else app
        for app in INSTALLED_APPS
        if app != "ninja"
    ]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "cashloop.config.urls"
WSGI_APPLICATION = "cashloop.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cashloop.web.context_processors.navigation",
            ],
        },
    }
]

DATABASES = {"default": database_settings()}


def _caches(url: str) -> dict[str, dict[str, object]]:
    """CACHES from CASHLOOP_CACHE_URL: locmem:// (default: this process's memory), dummy://
    (no caching), file:///dir (shared by processes on one machine) or redis://host:port/db (shared
    by a team's servers; needs the `redis` package). Report results are cached under the ledger
    version (reports.cache), so a shared cache never serves figures older than the ledger."""
    if url.startswith("redis://") or url.startswith("rediss://"):
        return {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                            "LOCATION": url, "TIMEOUT": 3600}}
    if url.startswith("file://"):
        return {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                            "LOCATION": url.removeprefix("file://"), "TIMEOUT": 3600,
                            "OPTIONS": {"MAX_ENTRIES": 200}}}
    if url.startswith("dummy://"):
        return {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    # A few dozen report results (an aging by customer of 100,000 rows is ~20 MB): bounded.
    return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                        "LOCATION": "cashloop", "TIMEOUT": 3600, "OPTIONS": {"MAX_ENTRIES": 32}}}


CACHES = _caches(os.environ.get("CASHLOOP_CACHE_URL", "locmem://"))
# Background jobs (web imports): thread:// runs them in the web server's process (the embedded
# default); redis://host:6379/N sends them through Redis to `cashloop worker` (Celery).
CASHLOOP_QUEUE_URL = os.environ.get("CASHLOOP_QUEUE_URL", "") or "thread://"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS: list[dict[str, str]] = []
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = os.environ.get("CASHLOOP_LANGUAGE", "zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("CASHLOOP_TIME_ZONE", "Asia/Shanghai")

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("CASHLOOP_STATIC_ROOT") or data_dir() / "static")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve straight from the installed packages too, so a fresh install needs no collectstatic.
WHITENOISE_USE_FINDERS = True
DATA_UPLOAD_MAX_MEMORY_SIZE = 200 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# Side-effect providers, swapped by tests here and nowhere else.
# CASHLOOP_TODAY fixes "today" (YYYY-MM-DD) for demos and tests; otherwise the local date.
CASHLOOP_TODAY = os.environ.get("CASHLOOP_TODAY", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CASHLOOP_LOG_LEVEL", "WARNING")},
}


def _plotly_js_dir() -> Path:
    """Plotly's own JS bundle from the installed package: charts work with no internet."""
    import importlib.util

    spec = importlib.util.find_spec("plotly")
    locations = spec.submodule_search_locations if spec else None
    return Path(list(locations)[0]) / "package_data" if locations else PACKAGE_DIR


STATICFILES_DIRS = [("vendor/plotly", _plotly_js_dir())]
