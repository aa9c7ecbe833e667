"""The content version: one row (``SiteState``) whose version moves with every change to
published content, in the change's own transaction.

Cached pages, ETags and Last-Modified headers derive from it, so every app server sees an
edit or an import at once, whatever cache it uses. :func:`bump` is the one way it moves: it
also brings the listings' ranks and counts up to date (catalog.write.listings) and the
words a search may suggest (catalog.write.vocabulary), tells the
other processes (catalog.write.versionwatch) and, once committed, sends ``content_changed``
(the search index's update listens: catalog.search.tasks). Scheduled guides become public through
:func:`publish_due`, which the first request after their moment calls.
"""

import threading
from contextlib import contextmanager

from django.db import models, transaction
from django.dispatch import Signal
from django.utils import timezone

from catalog.models import Guide, SiteState
from catalog.write import listings, versionwatch, vocabulary

_batch = threading.local()
# Sent once a change of published content has committed.
content_changed = Signal()


@contextmanager
def batch_of_changes():
    """ORM saves and deletes inside do not bump the content version one by one.

    Deleting 10,000 guides through a queryset sends 10,000 post_delete signals; a bump each
    (a new version and a listings refresh) would make the deletion quadratic. Inside a batch
    the caller bumps once, in the same transaction, when the batch is done.
    """
    _batch.depth = getattr(_batch, "depth", 0) + 1
    try:
        yield
    finally:
        _batch.depth -= 1


def in_batch_of_changes():
    return getattr(_batch, "depth", 0) > 0


def bump(guides=None):
    """Content changed: a new version, and the listings' ranks and counts and the words a
    search may suggest brought up to date in the same transaction (the version's row lock
    orders concurrent writers).

    ``guides``: the ids of the guides the change touched, when the caller knows them
    (catalog.write.listings.refresh then re-ranks only their lists); None for "anything".
    """
    now = timezone.now()
    upcoming = Guide.objects.scheduled().aggregate(next=models.Min("publish_at"))["next"]
    if not SiteState.objects.filter(pk=1).update(
        version=models.F("version") + 1, changed_at=now, next_publish_at=upcoming
    ):
        SiteState.objects.get_or_create(
            pk=1, defaults={"changed_at": now, "next_publish_at": upcoming}
        )
    listings.refresh(guides)
    vocabulary.refresh(guides)
    versionwatch.announce()
    transaction.on_commit(lambda: content_changed.send(sender=SiteState))


def publish_due():
    """Publish the scheduled guides whose moment has come: one content change (listings,
    version), made by the first request after that moment; others wait on the row lock and
    find nothing left to do. Returns the state after it."""
    with transaction.atomic():
        state = SiteState.objects.select_for_update().filter(pk=1).first()
        if state is not None and state.publish_is_due:
            due = Guide.objects.published().filter(publish_at__gt=state.changed_at)
            bump(list(due.values_list("pk", flat=True)))
    return SiteState.current()
