"""Slowing down password guessing on the admin login.

After ``LOGIN_FAILURE_LIMIT`` failed logins for one user name from one address (or five
times that many from one address, whatever the names) within ``LOGIN_FAILURE_WINDOW``
seconds, further attempts are refused with a clear message until the window passes, even
with the right password. Counters live in the cache, which app servers share through Redis.
"""

import hashlib

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.cache import cache
from django.core.exceptions import ValidationError


def _keys(request, username):
    address = request.META.get("REMOTE_ADDR", "") if request else ""
    name = hashlib.sha256((username or "").strip().casefold().encode()).hexdigest()[:16]
    return f"guides:login:{address}:{name}", f"guides:login:{address}"


def _count(key):
    return cache.get(key, 0)


def _fail(key):
    window = settings.LOGIN_FAILURE_WINDOW
    if not cache.add(key, 1, window):
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, window)


class ThrottledLoginForm(AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "throttled": "Too many failed attempts. Try again in %(minutes)s minutes.",
    }

    def clean(self):
        by_name, by_address = _keys(self.request, self.data.get("username"))
        limit = settings.LOGIN_FAILURE_LIMIT
        if _count(by_name) >= limit or _count(by_address) >= limit * 5:
            raise ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"minutes": max(1, settings.LOGIN_FAILURE_WINDOW // 60)},
            )
        try:
            return super().clean()
        except ValidationError:
            _fail(by_name)
            _fail(by_address)
            raise
