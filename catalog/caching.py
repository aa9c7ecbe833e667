"""Caching of public pages, keyed by the content version.

Anonymous GET and HEAD requests to a page wrapped in :func:`public_page` are answered from the
cache when possible and always carry an ``ETag`` and ``Last-Modified`` derived from
:class:`~catalog.models.SiteState`, so a browser or CDN revalidating gets ``304 Not Modified``
without the page being rendered. Any change to content bumps the version in the same database
transaction (signals for ORM saves, the importer for its bulk writes), which invalidates every
cached page on every server at once: old entries are never read again and expire by timeout.

Rendered pages live in the shared cache (Redis when configured) and, in front of it, in a
small per-process memory cache. Logged-in users (staff may see drafts) are never served from
or written to either.
"""

import hashlib
from functools import wraps

from django.conf import settings
from django.core.cache import cache, caches
from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date

from .models import SiteState

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


def public_page(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD") or request.user.is_authenticated:
            response = view(request, *args, **kwargs)
            if request.user.is_authenticated:
                patch_cache_control(response, private=True, no_cache=True, max_age=0)
            return response

        state = SiteState.current()
        stamp = f"{state.version}.{state.changed_at.timestamp():.6f}"
        path = request.get_full_path()
        etag = f'"{_digest(stamp + path)}"'
        last_modified = int(state.changed_at.timestamp())
        not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified)
        if not_modified is not None:
            return _public_headers(not_modified, etag, last_modified)

        key = f"guides:page:{_digest(stamp)}:{_digest(path)}"
        cached = _local.get(key)
        if cached is None:
            cached = cache.get(key)
            if cached is not None:
                _local.set(key, cached, settings.GUIDES_PAGE_CACHE_SECONDS)
        if cached is not None:
            content, content_type = cached
            response = HttpResponse(content, content_type=content_type)
        else:
            response = view(request, *args, **kwargs)
            if hasattr(response, "render"):
                response = response.render()
            if response.status_code != 200 or response.streaming:
                return response
            cached = (response.content, response["Content-Type"])
            cache.set(key, cached, settings.GUIDES_PAGE_CACHE_SECONDS)
            _local.set(key, cached, settings.GUIDES_PAGE_CACHE_SECONDS)
        return _public_headers(response, etag, last_modified)

    return wrapper
