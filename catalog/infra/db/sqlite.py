"""SQLite: the defaults of catalog.infra.db.base, and the content version kept per thread
while the file's ``data_version`` stands still.

There is no server to announce anything; instead each thread keeps the state it read last on
its connection, with that connection's ``PRAGMA data_version``, which moves whenever another
connection (another process or thread) commits to the database file. While it stands still
the kept state is the file's, and the pragma costs far less than reading the state. The
connection's own commits do not move it, so a bump made on it forgets the kept state at
commit.
"""

import sqlite3
import threading

from django.db import DatabaseError, connection, transaction

from catalog.infra.db import base


class _FileVersion(threading.local):
    """The state this thread read last, and the connection and ``data_version`` it was read
    at."""

    read_at = None
    state = None

    def current(self, state_type):
        try:
            connection.ensure_connection()
            raw = connection.connection
            (version,) = raw.execute("PRAGMA data_version").fetchone()
            if self.read_at != (raw, version):  # read after the pragma: never older than it
                self.state, self.read_at = state_type.current(), (raw, version)
        except (DatabaseError, sqlite3.Error):
            self.forget()
            return None
        return self.state

    def forget(self):
        self.read_at, self.state = None, None


# Rows of each index that ANALYZE reads (SQLite's recommended range is 100 to 1000).
ANALYSIS_LIMIT = 1000


class Backend(base.Backend):
    vendor = "sqlite"

    def __init__(self):
        self._file_version = _FileVersion()

    def watched_version(self, state_type, fresh):
        return self._file_version.current(state_type)

    def announce_version(self, state_type, watching):
        transaction.on_commit(self._file_version.forget)

    def forget_version(self):
        self._file_version.forget()

    def analyse(self, models):
        """SQLite reads at most ANALYSIS_LIMIT rows of each index (its own advice for large
        databases: the statistics come from a sample, in milliseconds)."""
        with transaction.get_connection().cursor() as cursor:
            cursor.execute(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
        super().analyse(models)
