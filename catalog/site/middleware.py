"""Response headers for public pages, and a friendly answer when the database is down."""

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.shortcuts import render
from django.views.defaults import page_not_found

logger = logging.getLogger(__name__)


class ContentSecurityPolicyMiddleware:
    """Add a Content-Security-Policy to every response that has none of its own.

    Public pages get ``CONTENT_SECURITY_POLICY``; the admin and the editor's endpoints get
    ``ADMIN_CONTENT_SECURITY_POLICY``, which Django's admin, markdownx and our editor script
    pass (no inline script), so the markdown sanitiser is not the preview's only guard.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = settings.CONTENT_SECURITY_POLICY
        self.admin_policy = settings.ADMIN_CONTENT_SECURITY_POLICY
        self.back_office = ("/admin/", "/markdownx/")

    def __call__(self, request):
        response = self.get_response(request)
        policy = self.admin_policy if request.path.startswith(self.back_office) else self.policy
        if policy:
            response.setdefault("Content-Security-Policy", policy)
        return response


def _is_invalid(text):
    return any(ord(ch) < 32 or ord(ch) == 127 or 0xD800 <= ord(ch) <= 0xDFFF for ch in text)


class InvalidUrlMiddleware:
    """A URL whose path holds NUL or another control character answers 404.

    No page's path has one; PostgreSQL refuses NUL in text, so such a path would otherwise
    reach a query and fail there. (Query values are the views' to read: search, for one,
    answers a junk query with a friendly page.)
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _is_invalid(request.path):
            return page_not_found(request, Http404("Invalid characters in the URL"))
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """A lost database connection is answered with a friendly 503, not a traceback.

    Django discards a broken connection at the end of the request, and persistent
    connections are health-checked before reuse, so the site recovers by itself as soon as
    the database is back.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, (OperationalError, InterfaceError)):
            logger.error("database unavailable: %s", exception)
            response = render(request, "503.html", status=503)
            response["Retry-After"] = "30"
            response["Cache-Control"] = "no-store"
            return response
        return None
