"""What every database does the same way, and the defaults a vendor's backend overrides."""

import contextlib
import functools
import itertools
import time

from django.db import models, transaction

# Built-in field types whose preparation gives back a value of this Python type as it is, but
# for a wrapper naming its SQL type to the driver (psycopg's Int8), which COPY and executemany
# do not need. Exact types only: a subclass may prepare its values in its own way.
_AS_THEY_ARE = {
    models.AutoField: int,
    models.BigAutoField: int,
    models.BigIntegerField: int,
    models.BooleanField: bool,
    models.CharField: str,
    models.IntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.SlugField: str,
    models.TextField: str,
}


def _preparer(field, db):
    """``field.get_db_prep_save`` for ``db``, but for None and a value whose preparation is
    known to give it back (``_AS_THEY_ARE``): for link rows, two foreign keys, a number and
    a label, preparing every value costs as much as the database's work."""
    prepare = functools.partial(field.get_db_prep_save, connection=db)
    if isinstance(field, models.DateField):
        return _again_for_the_same(prepare)
    kind = _AS_THEY_ARE.get(type(field.target_field if type(field) is models.ForeignKey else field))
    if kind is None:
        return prepare
    return lambda value: value if value is None or type(value) is kind else prepare(value)


def _again_for_the_same(prepare):
    """``prepare`` that gives the last preparation again for the very same value: the rows of
    one write share their moment (``now``: added, synced, a revision's time), and a date's
    preparation (time zone checks, and on SQLite its text) costs several microseconds a
    value, for every row. Dates and times never change in place, so the same object always
    prepares alike."""
    last = [object(), None]

    def prepared(value):
        if value is not last[0]:
            last[:] = value, prepare(value)
        return last[1]

    return prepared


class Rows:
    """Rows to insert into ``model``'s table (dicts of field values, all with the same keys,
    in any iterable), prepared for ``db``: the fields a row does not name get their
    defaults, as on a new instance. Values are prepared by their fields (JSON, dates), but
    no model instance is built and no SQL is composed per row."""

    def __init__(self, model, rows, db):
        rows = iter(rows)
        self.first = next(rows, None)
        self.rest = rows
        if self.first is None:
            return
        meta = model._meta
        named = [meta.get_field(name) for name in self.first]
        blank = model()
        defaults = [
            (field, field.get_db_prep_save(field.pre_save(blank, True), db))
            for field in meta.concrete_fields
            if field not in named and not field.primary_key
        ]
        self.columns = [field.column for field in named] + [field.column for field, _ in defaults]
        self.fixed = [value for _, value in defaults]
        self.preps = [_preparer(field, db) for field in named]
        quote = db.ops.quote_name
        self.table = quote(meta.db_table)
        self.names = ", ".join(quote(column) for column in self.columns)

    def __bool__(self):
        return self.first is not None

    def __iter__(self):
        for row in itertools.chain([self.first], self.rest):
            values = zip(self.preps, row.values(), strict=True)
            yield [prep(value) for prep, value in values] + self.fixed


class Backend:
    """The defaults: what any database Django supports does."""

    vendor = ""
    # Whether search runs in the database as weighted full text (catalog.search), or on the
    # portable path; and whether each process keeps a search index beside it.
    full_text_search = False

    def insert_rows(self, model, rows):
        """Insert ``rows`` (see :class:`Rows`) into ``model``'s table: one ``executemany``."""
        db = transaction.get_connection()
        prepared = Rows(model, rows, db)
        if not prepared:
            return
        marks = ", ".join(["%s"] * len(prepared.columns))
        sql = f"INSERT INTO {prepared.table} ({prepared.names}) VALUES ({marks})"
        with db.cursor() as cursor:
            cursor.executemany(sql, iter(prepared))

    def new_ids(self, model, count):
        """Ids for ``count`` new rows of ``model`` known before they are written, or None:
        the writer looks them up after."""
        return None

    def bulk_write_settings(self):
        """Settings for the current transaction when it writes many rows at once."""

    def analyse(self, models):
        """Refresh the query planner's statistics of ``models``' tables. After a bulk change
        the planner would otherwise plan for the tables' old sizes until the server's own
        analysis comes round (autovacuum on PostgreSQL; never, on SQLite)."""
        db = transaction.get_connection()
        with db.cursor() as cursor:
            for model in models:
                cursor.execute(f"ANALYZE {db.ops.quote_name(model._meta.db_table)}")

    def function_source(self, db, name):
        """The source of the stored function ``name``, or None where there is none (no
        stored functions here, or not installed yet)."""
        return None

    @contextlib.contextmanager
    def transaction_flag(self, db, name):
        """While inside, the setting ``name`` is on for the current transaction only (a
        trigger reads it); where no trigger reads one, nothing."""
        yield

    # The content version kept in each process (catalog.write.versionwatch). ``state_type``
    # is the model that holds it (SiteState: ``current()``, ``state_sql(connection)``,
    # ``from_row(*row)``), handed in because this layer knows no model.

    def watched_version(self, state_type, fresh):
        """The content version as this process last heard it, or None: read it from the
        database. ``fresh``: only one that is the database's at this moment."""
        return None

    def announce_version(self, state_type, watching):
        """Called in a bump's transaction: tell every process once it commits (``watching``:
        whether this process keeps the version)."""

    def forget_version(self):
        """Drop the version this process keeps; the next read starts afresh."""

    # One sync at a time across every server (catalog.repository.runs). ``lock_type`` is the
    # model of the lock row (SyncLock), handed in because this layer knows no model.

    @contextlib.contextmanager
    def sync_lock(self, lock_type, holder, *, stale, gone, waiting, poll=1.0):
        """Hold the one sync lock while inside, waiting for it (``waiting()`` is called
        each time it is found taken); yields a ``beat()`` the holder calls at least every
        ``stale`` / 3 to say it is alive.

        Here a row: taken when free, or held by a holder not heard from for ``stale``, or
        one that ``gone(holder)`` says died (a process of this machine that is not
        there); released on leaving. Each step is one short transaction, so the lock never
        holds the database's own write lock (SQLite's) for the run.
        """
        from django.db.models import Q
        from django.utils import timezone

        lock_type.objects.get_or_create(pk=1)
        rows = lock_type.objects.filter(pk=1)
        while True:
            now = timezone.now()
            row = rows.values("holder", "beat_at").first()
            free = Q(holder="") | Q(beat_at__lt=now - stale)
            if row["holder"] and gone(row["holder"]):
                free |= Q(holder=row["holder"])
            if rows.filter(free).update(holder=holder, beat_at=now):
                break
            waiting()
            time.sleep(poll)
        try:
            yield lambda: rows.filter(holder=holder).update(beat_at=timezone.now())
        finally:
            rows.filter(holder=holder).update(holder="", beat_at=None)
