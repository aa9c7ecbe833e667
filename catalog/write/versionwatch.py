"""The content version, kept in each process instead of read per request.

A cached page costs one cache read and one read of the content version; on PostgreSQL that
read is a network round trip, a large share of a cached page. So each process
keeps the version in memory, kept current as its database allows: pushed by the server on
PostgreSQL (``LISTEN``/``NOTIFY``), kept per thread while the file's ``data_version`` stands
still on SQLite. How is the database seam's (catalog.infra.db); this is the one place the
rest of the site asks.

Off when ``GUIDES_VERSION_WATCH`` is false (the test suite, whose transactions the watch's
own connection cannot see, and which flushes the database between tests).
"""

from django.conf import settings
from django.db import connection

from catalog.infra.db import backend
from catalog.models import SiteState


def enabled():
    return getattr(settings, "GUIDES_VERSION_WATCH", True)


def current(fresh=False):
    """The content version as last announced, or None: read it from the database.

    ``fresh``: only a version that is the database's at this moment, as a page about to be
    rendered and stored needs: SQLite's (its pragma has just said that nothing was committed
    since it was read), never PostgreSQL's, which may lag a commit by a notification."""
    if not enabled() or connection.in_atomic_block:
        return None  # inside a transaction, only the database knows what it has seen
    return backend().watched_version(SiteState, fresh)


def announce():
    """Called by a bump, in its transaction: tell every process once it commits (whether or
    not this one watches: the servers may, a command or a shell does not)."""
    backend().announce_version(SiteState, watching=enabled())


def restart():
    """Forget the version this process keeps; the next read starts afresh."""
    backend().forget_version()
