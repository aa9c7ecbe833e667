"""Caching of public pages, keyed by the content version.

Anonymous GET and HEAD requests to a page wrapped in :func:`public_page` are answered from the
cache when possible and always carry an ``ETag`` and ``Last-Modified`` derived from
:class:`~catalog.models.SiteState`, so a browser or CDN revalidating gets ``304 Not Modified``
without the page being rendered. Any change to content bumps the version in the same database
transaction (signals for ORM saves, the importer for its bulk writes), which invalidates every
cached page on every server at once: old entries are never read again and expire by timeout.

Rendered pages live in the shared cache (Redis when configured) and, in front of it, in a
small per-process memory cache. Those who may see drafts (catalog.infra.roles) are never served from
or written to either.
"""

import hashlib
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache, caches
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date

from catalog.infra.roles import may_see_drafts
from catalog.models import SiteState
from catalog.write import versions, versionwatch

# Each process also keeps the pages it served last in memory, in front of the shared cache:
# keys carry the content version, so a copy here is never stale, and hot pages skip the
# round trip to Redis.
_local = caches["pages-local"]


def _digest(text):
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def _public_headers(response, etag, last_modified):
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified)
    patch_cache_control(response, public=True, max_age=settings.GUIDES_PAGE_MAX_AGE)
    patch_vary_headers(response, ("Cookie",))
    return response


def _current_state():
    """The content version, read on a connection known to work.

    The version is the first query of every public request, so it doubles as the
    connection's health check: a reused connection that fails here (the database restarted
    since) is closed and the read retried once on a new one. That spares every request the
    separate ``SELECT 1`` of Django's CONN_HEALTH_CHECKS.
    """
    try:
        return SiteState.current()
    except (OperationalError, InterfaceError):
        if connection.in_atomic_block:
            raise
        connection.close()
        return SiteState.current()


# The only query parameters a public page reads (pagination, search, sitemap pages). Others,
# such as ``utm_source``, change nothing on the page, so they neither make a new cache entry
# nor a new ETag: a flood of ``?x=N`` requests cannot fill the cache.
PAGE_QUERY_PARAMETERS = ("page", "p", "q")


def page_identity(request):
    """The path and the query parameters that decide what a public page shows."""
    params = [(name, request.GET[name]) for name in PAGE_QUERY_PARAMETERS if name in request.GET]
    return request.path + ("?" + urlencode(params) if params else "")


class _Entry:
    """Where a public page lives for the current content version, and its validators.

    Constructing one validates the request's host first (a DisallowedHost answers 400), so a
    cached page is never served to a host the site does not answer for. The version is the
    one announced to this process (catalog.write.versionwatch) when there is one, else read from
    the database; ``fresh`` takes only the database's version at this moment, as before a
    page is rendered and stored.
    """

    def __init__(self, request, *, fresh=False):
        request.get_host()
        state = versionwatch.current(fresh=fresh)
        self.announced = state is not None
        if state is None:
            state = _current_state()
        if state.publish_is_due:  # a scheduled guide's moment has come: publish it first
            state, self.announced = versions.publish_due(), False
        self.state = state
        stamp = f"{state.version}.{state.changed_at.timestamp():.6f}"
        path = page_identity(request)
        self.etag = f'"{_digest(stamp + path)}"'
        self.last_modified = int(state.changed_at.timestamp())
        self.key = f"guides:page:{_digest(stamp)}:{_digest(path)}"

    def not_modified(self, request):
        response = get_conditional_response(
            request, etag=self.etag, last_modified=self.last_modified
        )
        return None if response is None else self.finish(response)

    def cached(self):
        entry = _local.get(self.key)
        if entry is None:
            entry = cache.get(self.key)
            if entry is not None:
                _local.set(self.key, entry, settings.GUIDES_PAGE_CACHE_SECONDS)
        if entry is None:
            return None
        content, content_type = entry
        return self.finish(HttpResponse(content, content_type=content_type))

    def store(self, response):
        entry = (response.content, response["Content-Type"])
        cache.set(self.key, entry, settings.GUIDES_PAGE_CACHE_SECONDS)
        _local.set(self.key, entry, settings.GUIDES_PAGE_CACHE_SECONDS)

    def finish(self, response):
        return _public_headers(response, self.etag, self.last_modified)


def public_page(view):
    """Serve, cache and validate a public page for anonymous GET and HEAD requests."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD") or may_see_drafts(request.user):
            if _current_state().publish_is_due:
                versions.publish_due()
            response = view(request, *args, **kwargs)
            if request.user.is_authenticated:
                patch_cache_control(response, private=True, no_cache=True, max_age=0)
            return response
        entry = getattr(request, "page_entry", None) or _Entry(request)
        response = entry.not_modified(request) or entry.cached()
        if response is not None:
            return response
        if entry.announced:  # render and store under the database's own version
            entry = _Entry(request, fresh=True)
        request.content_state = entry.state  # what the page shows is of this version
        response = view(request, *args, **kwargs)
        if hasattr(response, "render"):
            response = response.render()
        if response.status_code != 200 or response.streaming:
            return response
        entry.store(response)
        return entry.finish(response)

    return wrapper


class PageCacheMiddleware:
    """Answer a cached public page before sessions, auth, URL routing and the view run.

    Only for GET/HEAD requests without a session cookie (no session means no logged-in
    user, the contract ``Vary: Cookie`` states), and only for pages already cached, which
    :func:`public_page` stored. Everything else goes on down the stack unchanged.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.session_cookie = settings.SESSION_COOKIE_NAME

    def __call__(self, request):
        if request.method in ("GET", "HEAD") and self.session_cookie not in request.COOKIES:
            try:
                entry = _Entry(request)
            except DatabaseError:
                return self.get_response(request)
            cached = entry.cached()
            if cached is not None:
                return entry.not_modified(request) or cached
            request.page_entry = entry
        return self.get_response(request)
