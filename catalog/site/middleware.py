"""Response headers for public pages, and a friendly answer when the database is down."""

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import render
from django.views.defaults import page_not_found

logger = logging.getLogger(__name__)

# Where the editors' pages are: Django's admin and markdownx's endpoints.
BACK_OFFICE = ("/admin/", "/markdownx/")


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

    def __call__(self, request):
        response = self.get_response(request)
        policy = self.admin_policy if request.path.startswith(BACK_OFFICE) else self.policy
        if policy:
            response.setdefault("Content-Security-Policy", policy)
        return response


def _is_invalid(text):
    return any(ord(ch) < 32 or ord(ch) == 127 or 0xD800 <= ord(ch) <= 0xDFFF for ch in text)


class InvalidUrlMiddleware:
    """A URL whose path holds NUL or another control character answers 404, and a back-office
    URL with NUL in a query value, or an empty ``_to_field``, 400.

    No page's path has one; PostgreSQL refuses NUL in text, so such a path would otherwise
    reach a query and fail there. Public query values are the views' to read (search, for
    one, answers a junk query with a friendly page); the admin's views are Django's, whose
    list filters hand a value to the database as it is (``?source=%00`` failed there), and
    whose change pages look for a field named by ``_to_field`` when it is given, even empty
    (``?_to_field=`` failed on every change page: "Category has no field named ''").
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _is_invalid(request.path):
            return page_not_found(request, Http404("Invalid characters in the URL"))
        if request.path.startswith(BACK_OFFICE):
            if any("\x00" in value for _, values in request.GET.lists() for value in values):
                return HttpResponseBadRequest("NUL is not allowed in a query value.")
            if request.GET.get("_to_field", None) == "":
                return HttpResponseBadRequest("_to_field must name a field.")
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
