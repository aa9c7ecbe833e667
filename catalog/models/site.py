"""The site's own records: the content version, login throttles, sync runs and review links."""

import datetime

from django.conf import settings
from django.db import connection, models
from django.utils import timezone


class SiteState(models.Model):
    """One row whose version changes with every change to published content.

    Cached pages, ETags and Last-Modified headers derive from it. It lives in the database,
    bumped in the same transaction as the change, so every app server sees an edit or an
    import at once, whatever cache it uses.
    """

    version = models.PositiveBigIntegerField(default=1)
    changed_at = models.DateTimeField(default=timezone.now)
    # The next moment a scheduled guide becomes public: the first request after it publishes
    # (publish_due), so no cron job is needed.
    next_publish_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"content version {self.version}"

    @classmethod
    def current(cls):
        """The state, read with one plain query: every public request starts with it, and
        the ORM's own overhead would double its cost."""
        with connection.cursor() as cursor:
            cursor.execute(cls.state_sql(connection))
            row = cursor.fetchone()
        if row is None:
            return cls.objects.get_or_create(pk=1)[0]
        return cls.from_row(*row)

    @classmethod
    def state_sql(cls, conn):
        """The one query that reads the state (here and in catalog.write.versionwatch); its row
        is what :meth:`from_row` takes."""
        quote = conn.ops.quote_name
        columns = ", ".join(quote(name) for name in ("version", "changed_at", "next_publish_at"))
        return f"SELECT {columns} FROM {quote(cls._meta.db_table)} WHERE id = 1"

    @classmethod
    def from_row(cls, version, changed_at, next_publish_at):
        def moment(value):
            if isinstance(value, str):  # SQLite hands back text
                value = datetime.datetime.fromisoformat(value)
            if value is not None and timezone.is_naive(value):
                value = timezone.make_aware(value, datetime.UTC)
            return value

        return cls(
            pk=1,
            version=version,
            changed_at=moment(changed_at),
            next_publish_at=moment(next_publish_at),
        )

    @property
    def publish_is_due(self):
        return self.next_publish_at is not None and self.next_publish_at <= timezone.now()


class SuggestionWord(models.Model):
    """A word of a published guide's title, which the search may suggest for a typo ("did
    you mean"): kept by catalog.write.vocabulary on PostgreSQL, ranked there by a trigram
    index (migration 0034). Elsewhere the table stays empty."""

    word = models.CharField(max_length=300, primary_key=True)

    def __str__(self):
        return self.word


class LoginThrottle(models.Model):
    """Admin login attempts counted for one key (an address, or an address and a user name).

    Kept in the database, not the cache, so that every app server counts together whether or
    not Redis is configured, and no flood of page requests can evict a counter
    (catalog.admin.security).
    """

    key = models.CharField(max_length=100, unique=True)
    attempts = models.PositiveIntegerField(default=0)
    window_start = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.key}: {self.attempts} since {self.window_start:%Y-%m-%d %H:%M}"


class SyncRun(models.Model):
    """One ``sync_content`` run as a queued task: who or what asked for it (Sync now, the
    push webhook, the schedule, a retry after a crash), its progress as it goes and its
    result (catalog.repository.runs). Any server's page follows it here.

    ``waiting`` is True while the run is queued and has not started: one waiting run at most
    (a unique constraint), so a burst of requests queues one run, not one each.
    """

    SOURCES = [
        ("admin", "Sync now"),
        ("webhook", "a push"),
        ("schedule", "the schedule"),
        ("retry", "a retry after a crash"),
        ("command", "a command"),
    ]

    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    source = models.CharField(max_length=10, choices=SOURCES, default="admin")
    queued_at = models.DateTimeField(default=timezone.now)
    waiting = models.BooleanField(null=True, default=True, unique=True)
    started_at = models.DateTimeField(null=True, blank=True)
    beat_at = models.DateTimeField(null=True, blank=True)  # the worker says it is alive
    finished_at = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(null=True)
    lines = models.JSONField(default=list, blank=True)
    host = models.CharField(max_length=255, blank=True)  # the worker's machine
    pid = models.PositiveIntegerField(null=True, blank=True)  # and process

    class Meta:
        ordering = ["-queued_at", "-id"]

    def __str__(self):
        return f"sync run {self.pk} queued at {self.queued_at:%Y-%m-%d %H:%M}"


class SyncLock(models.Model):
    """The one sync at a time, on databases without advisory locks (SQLite): a single row
    naming its holder, who keeps ``beat_at`` fresh while it holds it; a holder not heard
    from for a while died (catalog.infra.db.base.Backend.sync_lock)."""

    holder = models.CharField(max_length=300, blank=True)
    beat_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"sync lock held by {self.holder or 'no one'}"


class ReviewLink(models.Model):
    """A secret link that shows one guide, draft or not, to anyone holding it (a reviewer
    without an account), until it expires or is revoked (catalog.site.review).

    Only a hash of the secret is stored: the link is shown once, when it is made.
    """

    guide = models.ForeignKey(
        "catalog.Guide", on_delete=models.CASCADE, related_name="review_links"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"review link {self.pk} for {self.guide.slug}"

    @property
    def active(self):
        return self.revoked_at is None and self.expires_at > timezone.now()
