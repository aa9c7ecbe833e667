"""Response headers for public pages, and a friendly answer when the database is down."""

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.shortcuts import render

logger = logging.getLogger(__name__)


class ContentSecurityPolicyMiddleware:
    """Add the site's Content-Security-Policy to every page outside the admin."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = settings.CONTENT_SECURITY_POLICY
        self.skip = ("/admin/", "/markdownx/")

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy and not request.path.startswith(self.skip):
            response.setdefault("Content-Security-Policy", self.policy)
        return response


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
