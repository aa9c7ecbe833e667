"""Review links: a secret URL that shows a draft in the site's layout to someone without an
account, until it expires or is revoked.

The secret is 32 random bytes in the URL (``/review/<token>``); the database keeps only its
SHA-256, so a copy of the database gives no working links. A review page is marked
``noindex`` (meta and ``X-Robots-Tag``), is never cached (``private, no-store``) and never
enters the page cache; a link that is unknown, expired or revoked is a plain 404.
"""

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from catalog.models import ReviewLink


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def create_link(guide, user, *, days=None):
    """A new review link for ``guide``: ``(link, its URL path)``; the path is shown once."""
    days = days or settings.GUIDES_REVIEW_LINK_DAYS
    token = secrets.token_urlsafe(32)
    link = ReviewLink.objects.create(
        guide=guide,
        token_hash=_hash(token),
        created_by=user,
        expires_at=timezone.now() + dt.timedelta(days=days),
    )
    return link, reverse("catalog:review", args=[token])


def guide_for(token):
    """The guide a live link shows, or None."""
    if not token or len(token) > 100:
        return None
    link = (
        ReviewLink.objects.select_related("guide")
        .filter(token_hash=_hash(token), revoked_at=None, expires_at__gt=timezone.now())
        .first()
    )
    return link.guide if link else None


def revoke(link):
    ReviewLink.objects.filter(pk=link.pk, revoked_at=None).update(revoked_at=timezone.now())
