"""PostgreSQL: binary COPY, ids from the sequence, bulk-write settings, full-text search,
and the content version pushed to every process.

Each process keeps the content version in memory, and a thread of its own keeps it current:
it holds a connection that ``LISTEN``\\s on :data:`CHANNEL`, and every bump of the version
sends a ``NOTIFY`` in the bump's transaction, which PostgreSQL delivers when that transaction
commits; the thread then reads the new version. An edit reaches every process within a
notification's latency; the process that made the edit takes it at commit. The thread also
re-reads the version every :data:`REREAD_SECONDS`, so even a change made without a
notification (a restored backup) is picked up. While the thread has no working connection
the version is None and callers read it from the database: nothing is ever served from a
version the thread could not confirm.
"""

import contextlib
import logging
import os
import threading
import time

import psycopg
from django.db import connection, transaction

from catalog.infra.db import base

logger = logging.getLogger(__name__)

CHANNEL = "guides_content_version"
# The advisory lock of the one sync at a time (any constant this database's users agree on).
SYNC_LOCK_KEY = 0x6775696465730001
APPLICATION_NAME = "guides-version-watch"
REREAD_SECONDS = 10.0
RETRY_SECONDS = 1.0
# Connection parameters of Django's that a plain psycopg connection does not take.
_DJANGO_ONLY = (
    "cursor_factory",
    "context",
    "prepare_threshold",
    "server_side_binding",
    "application_name",
)


class SearchDocumentDumper(psycopg.adapt.Dumper):
    """A search document as PostgreSQL sent it (tsvector's binary form, which psycopg has no
    adapter for), back into a binary ``COPY``."""

    format = psycopg.pq.Format.BINARY
    oid = psycopg.postgres.types["tsvector"].oid

    def dump(self, obj):
        return obj


class _Watcher:
    def __init__(self):
        self.state = None
        self.pid = None
        self.generation = 0  # a watch thread ends when this moves on (stop())
        self.lock = threading.Lock()

    def current(self, state_type):
        if self.pid != os.getpid():  # first use in this process, or a fork of one that watched
            self._start(state_type)
        return self.state

    def stop(self):
        """End this process's watch (its thread leaves at its next wake-up); the next
        current() starts a new one."""
        with self.lock:
            self.generation += 1
            self.pid, self.state = None, None

    def _start(self, state_type):
        with self.lock:
            if self.pid == os.getpid():
                return
            self.pid, self.state = os.getpid(), None
            params = connection.get_connection_params()
            threading.Thread(
                target=self._watch,
                args=(params, state_type, self.generation),
                name="guides-version-watch",
                daemon=True,
            ).start()

    def _watch(self, params, state_type, generation):
        params = {k: v for k, v in params.items() if k not in _DJANGO_ONLY}
        query = state_type.state_sql(connection)
        while self.generation == generation:
            try:
                with psycopg.connect(
                    **params, autocommit=True, application_name=APPLICATION_NAME
                ) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")

                    def read():
                        row = conn.execute(query).fetchone()
                        if self.generation == generation:
                            self.state = None if row is None else state_type.from_row(*row)

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


class Backend(base.Backend):
    vendor = "postgresql"
    full_text_search = True

    def __init__(self):
        self._watcher = _Watcher()

    def watched_version(self, state_type, fresh):
        return None if fresh else self._watcher.current(state_type)

    def announce_version(self, state_type, watching):
        with connection.cursor() as cursor:
            cursor.execute(f"NOTIFY {CHANNEL}")
        if watching:
            transaction.on_commit(lambda: self._take_committed(state_type))

    def _take_committed(self, state_type):
        if self._watcher.pid == os.getpid():
            self._watcher.state = state_type.current()

    def forget_version(self):
        self._watcher.stop()

    @contextlib.contextmanager
    def sync_lock(self, lock_type, holder, *, stale, gone, waiting, poll=1.0):
        """A session advisory lock on a connection of its own, held for the whole run: the
        server releases it when that connection ends, so a killed holder never keeps it, and
        nothing needs a beat."""
        db = transaction.get_connection()
        helper = type(db)(dict(db.settings_dict))
        try:
            with helper.cursor() as cursor:
                while True:
                    cursor.execute("SELECT pg_try_advisory_lock(%s)", [SYNC_LOCK_KEY])
                    if cursor.fetchone()[0]:
                        break
                    waiting()
                    time.sleep(poll)
                yield lambda: None
        finally:
            helper.close()

    def analyse(self, models):
        """One statement for all the tables: one round trip."""
        db = transaction.get_connection()
        with db.cursor() as cursor:
            names = ", ".join(db.ops.quote_name(model._meta.db_table) for model in models)
            cursor.execute(f"ANALYZE {names}")

    def insert_rows(self, model, rows):
        """Binary ``COPY``, consumed as ``rows`` yields them, so the server stores one batch
        while Python prepares the next; binary, so the server parses no text (search
        documents above all). Logged like any other query."""
        db = transaction.get_connection()
        prepared = base.Rows(model, rows, db)
        if not prepared:
            return
        sql = f"COPY {prepared.table} ({prepared.names}) FROM STDIN (FORMAT BINARY)"
        started = time.monotonic()
        with db.cursor() as cursor, db.wrap_database_errors:
            raw = cursor.cursor
            raw.execute(f"SELECT {prepared.names} FROM {prepared.table} WHERE false")
            types = [column.type_code for column in raw.description]
            # On this cursor: a cursor copies its connection's adapters when it is made.
            raw.adapters.register_dumper(None, SearchDocumentDumper)
            with raw.copy(sql) as copy:
                copy.set_types(types)
                for row in prepared:
                    copy.write_row(row)
        if db.queries_logged:
            db.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})

    def add_keys(self, model, keys):
        """Rows of ``model`` for those of ``keys`` (its primary key's values) it has not: one
        statement, the keys as one array (no query grows with their number)."""
        meta = model._meta
        table, column = connection.ops.quote_name(meta.db_table), meta.pk.column
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({connection.ops.quote_name(column)}) "
                f"SELECT unnest(%s::{meta.pk.db_type(connection)}[]) ON CONFLICT DO NOTHING",
                [list(keys)],
            )

    def set_keys(self, model, keys):
        """Rows of ``model`` for exactly ``keys`` (its primary key's values): the others
        deleted (one anti-join against the keys as one array), the missing added."""
        meta = model._meta
        table, column = connection.ops.quote_name(meta.db_table), meta.pk.column
        keys = list(keys)
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} AS t WHERE NOT EXISTS (SELECT 1 FROM "
                f"unnest(%s::{meta.pk.db_type(connection)}[]) AS k(key) "
                f"WHERE k.key = t.{connection.ops.quote_name(column)})",
                [keys],
            )
        self.add_keys(model, keys)

    def new_ids(self, model, count):
        """From the table's own sequence: rows written with them need no lookup after."""
        meta = model._meta
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [connection.ops.quote_name(meta.db_table), meta.pk.column, count],
            )
            return [pk for (pk,) in cursor.fetchall()]

    def bulk_write_settings(self):
        """Compress long text with lz4 (several times faster than the default pglz) and
        commit without waiting for the WAL flush; sort in memory and compile no query to
        machine code (JIT pays off only for queries that run far longer than an import's).
        An import is all or nothing either way; a database crash in the moment after it
        could lose it whole, and re-running it from the files brings it back."""
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute(
                "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' "
                "AND 'lz4' = ANY(enumvals)"
            )
            if cursor.fetchone():
                cursor.execute("SET LOCAL default_toast_compression = lz4")

    def function_source(self, db, name):
        with db.cursor() as cursor:
            cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = %s", [name])
            row = cursor.fetchone()
        return row[0] if row else None

    @contextlib.contextmanager
    def transaction_flag(self, db, name):
        with db.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'on', true)", [name])
        yield
        with db.cursor() as cursor:  # not after a failure: the transaction is rolled back
            cursor.execute("SELECT set_config(%s, 'off', true)", [name])

    def binary_cursor(self, db):
        """A cursor of Django connection ``db`` that binds parameters on the server and hands
        results back in binary (search documents as the COPY takes them)."""
        return psycopg.Cursor(db.connection)

    def search_documents(self, cursor, sql, columns):
        """The search documents ``sql`` computes from ``columns`` (parallel text arrays), in
        their binary form, on a :meth:`binary_cursor`."""
        cursor.execute(sql, columns, binary=True)
        if cursor.description[0].type_code != SearchDocumentDumper.oid:
            raise TypeError(f"search documents came as {cursor.description[0]}, not tsvector")
        return [document for (document,) in cursor.fetchall()]
