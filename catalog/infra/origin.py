"""Absolute URLs come from the configured site origin, never from the request.

Pages are cached and shared between visitors, so nothing in them may depend on the ``Host``
header of the request that happened to render them: one request with a forged (but allowed)
host would otherwise put links to that host into every later visitor's page. Canonical links,
``og:image``, JSON-LD, feeds, sitemaps and ``robots.txt`` all build absolute URLs here, from
``GUIDES_SITE_ORIGIN`` (by default the scheme and host of ``GUIDES_BASE_URL``).
"""

from functools import wraps
from urllib.parse import urljoin, urlsplit

from django.conf import settings


def absolute_url(location: str) -> str:
    """``location`` (a path, or already a URL) on the site's origin."""
    return urljoin(settings.GUIDES_SITE_ORIGIN + "/", location)


class _OnSiteOrigin:
    """A request as Django's own URL-building code sees it, with the configured origin.

    Django's feed and sitemap views ask the request for its host (``get_current_site``) and
    scheme; this stand-in answers with the site's origin and passes everything else through.
    """

    def __init__(self, request):
        parts = urlsplit(settings.GUIDES_SITE_ORIGIN)
        self._request, self.scheme, self._host = request, parts.scheme, parts.netloc

    def __getattr__(self, name):
        return getattr(self._request, name)

    def get_host(self):
        return self._host

    def is_secure(self):
        return self.scheme == "https"

    def build_absolute_uri(self, location=None):
        return absolute_url(self._request.get_full_path() if location is None else location)


def on_site_origin(view):
    """Wrap a view (such as a Feed or Django's sitemap views) to build URLs on the origin."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        return view(_OnSiteOrigin(request), *args, **kwargs)

    return wrapper
