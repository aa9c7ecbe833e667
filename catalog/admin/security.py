"""Slowing down password guessing on the admin login.

After ``LOGIN_FAILURE_LIMIT`` failed logins for one user name from one client address (or
five times that many from one address, whatever the names) within ``LOGIN_FAILURE_WINDOW``
seconds, further attempts are refused with a clear message until the window has passed, even
with the right password. What makes it hold:

- **Behind a proxy** the client address is read from ``TRUSTED_PROXY_HEADER`` (such as
  ``X-Forwarded-For``), taking the entry that the ``TRUSTED_PROXY_COUNT``-th proxy from us
  added, so a client cannot choose its own address by sending the header itself. Without the
  setting, ``REMOTE_ADDR`` is the address.
- **Across workers and servers, with or without Redis**, counters are rows in the database
  (:class:`~catalog.models.LoginThrottle`), which no cache eviction touches.
- **Under parallel attempts** an attempt is counted *before* the password is checked, in a
  transaction that locks the counters, and given back if the login succeeds: at most
  ``LOGIN_FAILURE_LIMIT`` guesses are ever checked in a window, however many arrive at once.
- **For names that normalise alike** the counter is keyed by the name as Django's login form
  reads it (Unicode NFKC), case-folded: ``ｅｄｉｔｏｒ`` and ``Editor`` count as ``editor``.
"""

import datetime
import hashlib
import unicodedata

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from catalog.models import LoginThrottle


def client_address(request):
    """The client's address: from the trusted proxy's header when one is configured."""
    meta = request.META if request else {}
    header = settings.TRUSTED_PROXY_HEADER
    if header:
        hops = [hop.strip() for hop in meta.get(header, "").split(",") if hop.strip()]
        if len(hops) >= settings.TRUSTED_PROXY_COUNT:
            return hops[-settings.TRUSTED_PROXY_COUNT]
    return meta.get("REMOTE_ADDR", "")


def normalise_username(username):
    return unicodedata.normalize("NFKC", username or "").strip().casefold()


def _limits(request, username):
    """``{key: limit}`` for this attempt: its name from its address, and its address."""
    address = client_address(request)
    name = hashlib.sha256(normalise_username(username).encode()).hexdigest()[:16]
    limit = settings.LOGIN_FAILURE_LIMIT
    return {f"name:{address}:{name}": limit, f"address:{address}": limit * 5}


def claim_attempt(limits):
    """Count one attempt against every key; False (and nothing counted) if any is at its limit."""
    now = timezone.now()
    window_start = now - datetime.timedelta(seconds=settings.LOGIN_FAILURE_WINDOW)
    with transaction.atomic():
        LoginThrottle.objects.filter(window_start__lt=window_start).exclude(
            key__in=list(limits)
        ).delete()
        LoginThrottle.objects.bulk_create(
            [LoginThrottle(key=key, window_start=now) for key in limits], ignore_conflicts=True
        )
        rows = list(
            LoginThrottle.objects.select_for_update().filter(key__in=list(limits)).order_by("key")
        )
        for row in rows:
            if row.window_start < window_start:
                row.attempts, row.window_start = 0, now
        allowed = all(row.attempts < limits[row.key] for row in rows)
        if allowed:
            for row in rows:
                row.attempts += 1
        LoginThrottle.objects.bulk_update(rows, ["attempts", "window_start"])
    return allowed


def give_back_attempt(limits):
    """A successful login: its attempt was no guess."""
    LoginThrottle.objects.filter(key__in=list(limits), attempts__gt=0).update(
        attempts=F("attempts") - 1
    )


class ThrottledLoginForm(AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "throttled": "Too many failed attempts. Try again in %(minutes)s minutes.",
    }

    def clean(self):
        limits = _limits(self.request, self.cleaned_data.get("username"))
        if not claim_attempt(limits):
            raise ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"minutes": max(1, settings.LOGIN_FAILURE_WINDOW // 60)},
            )
        cleaned = super().clean()
        give_back_attempt(limits)
        return cleaned
