"""The content version, kept in each process instead of read per request.

A cached page costs one cache read and one read of the content version; on PostgreSQL the
version read is a network round trip that took about half the time of a cached page. So each
process keeps the version in memory, and a thread of its own keeps it current: it holds a
connection that ``LISTEN``\\s on :data:`CHANNEL`, and every bump of the version
(:meth:`catalog.models.SiteState.bump`) sends a ``NOTIFY`` in the bump's transaction, which
PostgreSQL delivers when that transaction commits. The thread then reads the new version.

Freshness: an edit reaches every process within a notification's latency (milliseconds); the
process that made the edit takes it at commit. The thread also re-reads the version every
:data:`REREAD_SECONDS`, so even a change made without a notification (a restored backup) is
picked up. While the thread has no working connection, :func:`current` answers None and
callers read the version from the database as before: nothing is ever served from a version
the thread could not confirm.

On SQLite there is no server to announce anything; instead each thread keeps the state it
read last on its connection, with that connection's ``PRAGMA data_version``, which moves
whenever another connection (another process or thread) commits to the database file. While
it stands still the kept state is the file's: the pragma costs ~2 µs, where reading the
state through Django's cursor and decoding it cost ~30 µs, a sixth of a cached page (170
against 140 µs in process). The connection's own commits do not move it, so a bump made on
it forgets the kept state at commit (:func:`announce`).

Both are off when ``GUIDES_VERSION_WATCH`` is false (the test suite, whose transactions the
watch's own connection cannot see, and which flushes the database between tests).
"""

import logging
import os
import sqlite3
import threading

from django.conf import settings
from django.db import DatabaseError, connection, transaction

logger = logging.getLogger(__name__)

CHANNEL = "guides_content_version"
APPLICATION_NAME = "guides-version-watch"
REREAD_SECONDS = 10.0
RETRY_SECONDS = 1.0


def enabled():
    return getattr(settings, "GUIDES_VERSION_WATCH", True) and connection.vendor in (
        "postgresql",
        "sqlite",
    )


class _Watcher:
    def __init__(self):
        self.state = None
        self.pid = None
        self.generation = 0  # a watch thread ends when this moves on (stop())
        self.lock = threading.Lock()

    def current(self):
        if self.pid != os.getpid():  # first use in this process, or a fork of one that watched
            self._start()
        return self.state

    def take(self, state):
        self.state = state

    def stop(self):
        """End this process's watch (its thread leaves at its next wake-up); the next
        current() starts a new one."""
        with self.lock:
            self.generation += 1
            self.pid, self.state = None, None

    def _start(self):
        with self.lock:
            if self.pid == os.getpid():
                return
            self.pid, self.state = os.getpid(), None
            from catalog.models import SiteState

            params = connection.get_connection_params()
            query = SiteState.state_sql(connection)
            threading.Thread(
                target=self._watch,
                args=(params, query, self.generation),
                name="guides-version-watch",
                daemon=True,
            ).start()

    def _watch(self, params, query, generation):
        import psycopg

        from catalog.models import SiteState

        params = {
            k: v
            for k, v in params.items()
            if k
            not in (
                "cursor_factory",
                "context",
                "prepare_threshold",
                "server_side_binding",
                "application_name",
            )
        }
        while self.generation == generation:
            try:
                with psycopg.connect(
                    **params, autocommit=True, application_name=APPLICATION_NAME
                ) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")

                    def read():
                        row = conn.execute(query).fetchone()
                        if self.generation == generation:
                            self.state = None if row is None else SiteState.from_row(*row)

                    read()
                    while self.generation == generation:
                        for _ in conn.notifies(timeout=REREAD_SECONDS, stop_after=1):
                            pass
                        read()
            except Exception:  # noqa: BLE001 - any failure: stop trusting, reconnect
                if self.generation != generation:
                    return
                self.state = None
                logger.warning("content version watch lost its connection; retrying", exc_info=True)
                threading.Event().wait(RETRY_SECONDS)


class _FileVersion(threading.local):
    """SQLite: the state this thread read last, and the connection and ``data_version`` it
    was read at."""

    read_at = None
    state = None

    def current(self):
        from catalog.models import SiteState

        try:
            connection.ensure_connection()
            raw = connection.connection
            (version,) = raw.execute("PRAGMA data_version").fetchone()
            if self.read_at != (raw, version):  # read after the pragma: never older than it
                self.state, self.read_at = SiteState.current(), (raw, version)
        except (DatabaseError, sqlite3.Error):
            self.forget()
            return None
        return self.state

    def forget(self):
        self.read_at, self.state = None, None


_watcher = _Watcher()
_file_version = _FileVersion()


def current(fresh=False):
    """The content version as last announced, or None: read it from the database.

    ``fresh``: only a version that is the database's at this moment, as a page about to be
    rendered and stored needs: SQLite's (its pragma has just said that nothing was committed
    since it was read), never PostgreSQL's, which may lag a commit by a notification."""
    if not enabled() or connection.in_atomic_block:
        return None  # inside a transaction, only the database knows what it has seen
    if connection.vendor == "sqlite":
        return _file_version.current()
    return None if fresh else _watcher.current()


def announce():
    """Called by a bump, in its transaction: tell every process once it commits (whether or
    not this one watches: the servers may, a command or a shell does not)."""
    if connection.vendor == "sqlite":
        transaction.on_commit(_file_version.forget)
        return
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"NOTIFY {CHANNEL}")
    if enabled():
        transaction.on_commit(_take_committed)


def _take_committed():
    from catalog.models import SiteState

    if _watcher.pid == os.getpid():
        _watcher.take(SiteState.current())
