"""Settings for the Guides site, read from environment variables.

One module serves development, tests and production: the environment decides. A new user
gets SQLite and the local-memory cache with no services; ``DATABASE_URL`` switches to
PostgreSQL. ``SECRET_KEY`` has a development default only while ``DEBUG`` is on.
"""

import hashlib
import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    value = value.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment, or set DEBUG=1 for development."
        )
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS is not set. Set it to the site's host names (comma-separated), "
        "or set DEBUG=1 for development."
    )
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Behind TLS (directly or through a proxy that sets X-Forwarded-Proto), production gets
# secure cookies; HSTS and the HTTPS redirect are switched on by environment variables.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# Admin logins: after this many failures for one name from one address within the window
# (seconds), further attempts are refused until it passes (catalog.admin.security). Behind a
# reverse proxy, TRUSTED_PROXY_HEADER names the header it puts the client's address in (such
# as X-Forwarded-For) and TRUSTED_PROXY_COUNT how many proxies append to it.
LOGIN_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
LOGIN_FAILURE_WINDOW = int(os.environ.get("LOGIN_FAILURE_WINDOW", "900"))
TRUSTED_PROXY_HEADER = (
    "HTTP_" + os.environ["TRUSTED_PROXY_HEADER"].strip().upper().replace("-", "_")
    if os.environ.get("TRUSTED_PROXY_HEADER", "").strip()
    else ""
)
TRUSTED_PROXY_COUNT = max(1, int(os.environ.get("TRUSTED_PROXY_COUNT", "1")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "catalog.apps.TagsConfig",  # django-taggit, named "Tags" in the admin
    "markdownx",
    "django_tasks",
    "django_tasks_db",
    "catalog",
]

# The header middleware stand first, so every response carries them, early 404s included.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "catalog.site.middleware.ContentSecurityPolicyMiddleware",
    "catalog.site.middleware.InvalidUrlMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "catalog.infra.publicfiles.PublicFilesMiddleware",
    "catalog.site.caching.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "catalog.site.middleware.DatabaseUnavailableMiddleware",
]

# Public pages allow no inline script and load nothing from other sites but images
# (diagrams are often hosted elsewhere).
CONTENT_SECURITY_POLICY = os.environ.get(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' https: data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
)

# The admin and the editor's endpoints: Django's admin and markdownx run no inline script
# either; previews may show images from anywhere, as pages do.
ADMIN_CONTENT_SECURITY_POLICY = os.environ.get(
    "ADMIN_CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' https: data: blob:; font-src 'self'; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
)

ROOT_URLCONF = "guides_site.urls"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
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

WSGI_APPLICATION = "guides_site.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        # Public pages check their connection with their first query and reconnect on
        # failure (catalog.site.caching); set DB_HEALTH_CHECKS=1 to have Django check every
        # reused connection first as well, at one more round trip per request.
        conn_health_checks=env_bool("DB_HEALTH_CHECKS", False),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL: readers never wait for an import that is writing, and the writer waits its turn
    # (IMMEDIATE) instead of failing halfway when another process holds the lock.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        transaction_mode="IMMEDIATE",
        timeout=20,
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploads go through Django's storage API: local disk (MEDIA_ROOT) by default, or any
# S3-compatible object storage when AWS_STORAGE_BUCKET_NAME is set (pip install '.[s3]';
# django-storages reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_S3_ENDPOINT_URL,
# AWS_S3_REGION_NAME and AWS_S3_CUSTOM_DOMAIN from the environment).
STORAGES = {
    "default": {
        "BACKEND": "storages.backends.s3.S3Storage"
        if os.environ.get("AWS_STORAGE_BUCKET_NAME")
        else "django.core.files.storage.FileSystemStorage"
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Serve uploads from Django when no web server or object storage does (off behind one).
GUIDES_SERVE_MEDIA = env_bool("GUIDES_SERVE_MEDIA", True)

# The content folder: DIR/categories/*.md and DIR/guides/*.md. Images under DIR/public/ are
# served at the site root (e.g. DIR/public/images/x.png at /images/x.png), so that local image
# paths in the frontmatter resolve the way they do in the content repository's own site; only
# verified images inside the folder are served (catalog.infra.publicfiles).
GUIDES_DATA_DIR = Path(os.environ.get("GUIDES_DATA_DIR") or BASE_DIR / "data").resolve()
GUIDES_BASE_URL = os.environ.get("GUIDES_BASE_URL", "http://127.0.0.1:8000/guides").rstrip("/")
# Every absolute URL the site writes (canonical links, og:image, feeds, sitemaps, robots.txt)
# starts with this origin, never with the Host header of a request (catalog.infra.origin).
GUIDES_SITE_ORIGIN = (
    os.environ.get("GUIDES_SITE_ORIGIN")
    or "{0.scheme}://{0.netloc}".format(urlsplit(GUIDES_BASE_URL))
).rstrip("/")
_origin = urlsplit(GUIDES_SITE_ORIGIN)
if _origin.scheme not in ("http", "https") or not _origin.hostname or _origin.path:
    raise ImproperlyConfigured(
        "GUIDES_SITE_ORIGIN (or GUIDES_BASE_URL) must be an http(s) URL with a host, "
        f"got {GUIDES_SITE_ORIGIN!r}"
    )

# sync_content (catalog.repository.sync): the clone of the content repository, and who commits.
# Credentials for the remote come from the environment only (an SSH key, a credential helper,
# or GUIDES_GIT_TOKEN sent as an HTTP authorization header), never from the database.
GUIDES_CONTENT_REPO = os.environ.get("GUIDES_CONTENT_REPO", "")
GUIDES_GIT_NAME = os.environ.get("GUIDES_GIT_NAME", "Guides site")
GUIDES_GIT_EMAIL = os.environ.get("GUIDES_GIT_EMAIL", "guides@localhost")
GUIDES_GIT_TOKEN = os.environ.get("GUIDES_GIT_TOKEN", "")
# The branch a sync merges and pushes, and the only one whose pushes the webhook acts on.
GUIDES_SYNC_BRANCH = os.environ.get("GUIDES_SYNC_BRANCH", "main")
# POST /hooks/git: GitHub's X-Hub-Signature-256 (an HMAC of the body with this secret) or
# GitLab's X-Gitlab-Token (this secret) queues a sync; without a secret the hook answers 403.
GUIDES_WEBHOOK_SECRET = os.environ.get("GUIDES_WEBHOOK_SECRET", "")
# Drafts made in the admin: "hold" keeps them out of the content repository until they are
# published (a public repository would show them), "push" writes them like any guide.
GUIDES_SYNC_DRAFTS = os.environ.get("GUIDES_SYNC_DRAFTS", "hold")
if GUIDES_SYNC_DRAFTS not in ("hold", "push"):
    raise ImproperlyConfigured(
        f"GUIDES_SYNC_DRAFTS must be hold or push, not {GUIDES_SYNC_DRAFTS!r}"
    )
# A scheduled sync every this many minutes (0: none), run by the task worker.
GUIDES_SYNC_EVERY_MINUTES = int(os.environ.get("GUIDES_SYNC_EVERY_MINUTES", "0"))

# Background work (the sync, scheduled publishing) runs as tasks of Django's tasks framework
# (the django-tasks backport) on its database backend: a queue in the site's own database, so
# it needs no new server on SQLite or PostgreSQL, and any number of workers on any machines
# take from it (`python manage.py run_worker`; catalog.repository.tasks). Each host also has
# a queue of its own, which only its workers take: work on the host's own files (its search
# index, catalog.search.tasks), queued by any host. So queue names are not listed (QUEUES
# empty: any). A host is named by GUIDES_HOST_NAME, else its hostname.
GUIDES_HOST_NAME = os.environ.get("GUIDES_HOST_NAME") or socket.gethostname()
GUIDES_HOST_QUEUE = "host-" + hashlib.sha256(GUIDES_HOST_NAME.encode()).hexdigest()[:16]
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": [],
    }
}

TAGGIT_CASE_INSENSITIVE = True

# Public pages: how long browsers and CDNs may reuse a page before revalidating it (they get
# a 304 while nothing changed), and how long the server keeps a rendered page. Any edit,
# publish or import invalidates server-cached pages at once (catalog.site.caching).
GUIDES_PAGE_MAX_AGE = int(os.environ.get("GUIDES_PAGE_MAX_AGE", "60"))
GUIDES_PAGE_CACHE_SECONDS = int(os.environ.get("GUIDES_PAGE_CACHE_SECONDS", "3600"))
# On PostgreSQL, each process learns the content version by LISTEN/NOTIFY instead of reading
# it per request (catalog.write.versionwatch).
# How long a draft's review link works (catalog.site.review).
GUIDES_REVIEW_LINK_DAYS = int(os.environ.get("GUIDES_REVIEW_LINK_DAYS", "7"))
GUIDES_VERSION_WATCH = os.environ.get("GUIDES_VERSION_WATCH", "1") != "0"
# PostgreSQL: searches are answered from one index per host, in this folder, which the host's
# task worker keeps current and every web process reads (catalog.search.index).
GUIDES_SEARCH_INDEX = os.environ.get("GUIDES_SEARCH_INDEX", "1") != "0"
GUIDES_SEARCH_INDEX_DIR = os.environ.get(
    "GUIDES_SEARCH_INDEX_DIR", str(BASE_DIR / "var" / "search")
)

# REDIS_URL gives every app server one shared cache; without it each process has its own
# (pages stay correct either way: the content version they are keyed by is in the database).
# Redis going away is not a site outage: the backend treats it as a cache that misses and
# retries it by itself (catalog.infra.cache_backends); short timeouts keep a hung Redis from
# holding requests.
CACHES = {
    "default": {
        "BACKEND": "catalog.infra.cache_backends.ResilientRedisCache",
        "LOCATION": os.environ["REDIS_URL"],
        "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "guides"),
        "OPTIONS": {
            "socket_connect_timeout": float(os.environ.get("REDIS_TIMEOUT", "0.5")),
            "socket_timeout": float(os.environ.get("REDIS_TIMEOUT", "0.5")),
        },
    }
    if os.environ.get("REDIS_URL")
    else {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": 5000},
    },
    "pages-local": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "pages-local",
        "OPTIONS": {"MAX_ENTRIES": 500},
    },
}

MARKDOWNX_MARKDOWNIFY_FUNCTION = "catalog.fileformat.rendering.render_markdown"
# The editor keeps a fixed height beside its preview (static/css/admin-guide.css).
MARKDOWNX_EDITOR_RESIZABLE = False

# Review-link tokens are redacted from every line (catalog.infra.logs), runserver's included.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"review_tokens": {"()": "catalog.infra.logs.RedactReviewTokens"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["review_tokens"]},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["review_tokens"],
        },
    },
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    # Django's own loggers, configured here so that no handler of Django's defaults (its
    # console handler under DEBUG) writes a line the filter has not seen.
    "loggers": {
        "django": {
            "handlers": ["console"],
            "level": os.environ.get("LOG_LEVEL", "INFO" if DEBUG else "WARNING"),
            "propagate": False,
        },
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
