"""The site's search through one index per host, on disk (PostgreSQL), so a search costs the
same however many guides match, and a web process holds none of it in its own memory.

The database ranks every match of a query to find the best twenty (``ts_rank`` over each
matching document, then a count), a cost that grows with the matches. Tantivy (a search
library: an inverted index ranking by BM25, in Rust) gives the best twenty and the count
whatever the matches.

It indexes the database's own search documents (``Guide.search_document``: the words as the
``english`` configuration stems them, in the order they stand, in the part they are in:
title, tags, description, body), and a query's words are stemmed by the
database too (:func:`_query_words`); so a search finds exactly the guides the database
would, "caching" finds "cache", stop words are dropped, "rate-limiting" is a phrase, and "or"
between words makes either enough. Only the order differs: BM25 (each part weighted by
``catalog.search.WEIGHTS``) in place of ``ts_rank``, then newest and slug as before.

One index per host and database (``GUIDES_SEARCH_INDEX_DIR``), written by one task at a time
(:func:`update`, the task ``catalog.search.tasks.update_index_task`` on the host's own queue,
``GUIDES_HOST_QUEUE``, which the host's task worker takes), read by every web process of the
host through memory-mapped files: the operating system's page cache holds it once for all of
them, and a new process answers its first search at once. The writer reads, in one snapshot,
the content version and each published guide's row version (``xmin`` and ``ctid``, which
every write of a row changes) and indexes again only the guides whose row changed, dropping
those no longer published; the version it reached is a document of the index (``pk`` 0), so
it commits with the guides it describes.

Never stale: a process answers from the index only when the index is at the content version
of the page asked for; otherwise the database answers as it always did, and the process asks
the host's worker to bring the index up (once per version). Every content change asks it
too, once committed. Inside a transaction (a test's, or a request that has written) only the
database knows what it has seen: it answers.

``GUIDES_SEARCH_INDEX=0`` turns it off (bench/RESULTS.md has what it costs and saves).
"""

import contextlib
import fcntl
import hashlib
import itertools
import json
import logging
import os
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import tantivy
from django.conf import settings
from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.dispatch import Signal

from catalog.infra.db import backend
from catalog.models import Guide, SiteState
from catalog.search.documents import WEIGHT_LETTERS, WEIGHTS, stems

logger = logging.getLogger(__name__)

# Sent when a search finds the host's index behind the content (once a version a process).
index_behind = Signal()
# What the index's files hold: a new format (other fields, another analyzer) makes the next
# update start again from an empty index.
FORMAT = 2
LEXEMES = "lexemes"  # the parts' analyzer: the database's lexemes, split at spaces
META = 0  # the ``pk`` of the document that says what the index holds (guides' pks are > 0)
WRITER_HEAP = 50_000_000
READ_CHUNK = 1000
# A row's version: every write of a row changes it (``xmin``, the writing transaction, and
# ``ctid``, where the row now lies: two writes in one transaction differ in the second).
ROW_VERSION = RawSQL("xmin::text || ctid::text", [])


def enabled():
    return getattr(settings, "GUIDES_SEARCH_INDEX", True) and backend().full_text_search


def folder(base=None):
    """This host's index of this database (in ``base``, default ``GUIDES_SEARCH_INDEX_DIR``):
    one folder per database (by name, host and port), so test databases, a benchmark's and
    the site's never share one."""
    db = connection.settings_dict
    name = f"{db['NAME']}@{db.get('HOST') or 'local'}:{db.get('PORT') or ''}"
    digest = hashlib.sha256(name.encode()).hexdigest()[:16]
    return Path(base or settings.GUIDES_SEARCH_INDEX_DIR) / digest


def _schema():
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("pk", indexed=True, fast=True)
    builder.add_integer_field("created", fast=True)  # days since year 1: newest first
    builder.add_text_field("meta", stored=True, index_option="basic")
    for name in WEIGHT_LETTERS:
        builder.add_text_field(name, tokenizer_name=LEXEMES)
    return builder.build()


def _analyzer():
    return tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()


def _parts_sql(connection):
    """Each guide's key and creation day (its place among equal scores), and its
    search document as four texts, one per part (``WEIGHT_LETTERS``): its lexemes in the
    order they stand, joined by spaces (stop words leave no gap: they are never searched
    for, and the words of one query word still stand together)."""
    quote = connection.ops.quote_name
    parts = ", ".join(
        f"string_agg(u.lexeme, ' ' ORDER BY p.position) FILTER (WHERE p.weight = '{letter}')"
        for letter in WEIGHT_LETTERS.values()
    )
    return (
        f"SELECT g.{quote('id')}, g.{quote('created_on')}, {parts} "
        f"FROM {quote(Guide._meta.db_table)} g "
        f"LEFT JOIN LATERAL unnest(g.{quote('search_document')}) u ON true "
        "LEFT JOIN LATERAL unnest(u.positions, u.weights) AS p(position, weight) ON true "
        f"WHERE g.{quote('id')} = ANY(%s) GROUP BY g.{quote('id')}"
    )


def _document(pk, created, parts):
    document = tantivy.Document(pk=pk, created=created.toordinal())
    for name, text in zip(WEIGHT_LETTERS, parts, strict=True):
        document.add_text(name, text or "")
    return document


def _database():
    """The database's identity: a database dropped and made again under the same name (a
    test run's) is another, whose rows' versions say nothing of the old one's."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT oid FROM pg_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def _meta(searcher, schema):
    """What the index holds (the meta document's fields), or None for an empty index."""
    hits = searcher.search(tantivy.Query.term_query(schema, "pk", META), 1).hits
    if not hits:
        return None
    return json.loads(searcher.doc(hits[0][1])["meta"][0])


@contextlib.contextmanager
def _exclusive(path):
    """One writer at a time on this host (two workers may take two queued updates)."""
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def update():
    """Bring this host's index to the database's current content: what the host's worker
    runs (catalog.search.tasks), and a benchmark's warm-up. Returns how many guides it
    indexed again (0: it was current)."""
    if not enabled():
        return 0
    path = folder()
    path.mkdir(parents=True, exist_ok=True)
    with _exclusive(path / "update.lock"):
        return _Writer(path).update()


def indexed_version(path=None):
    """The content version (its number) a host's index is at (``path``: its folder; this
    host's by default), or None: no index there yet."""
    path = Path(path) if path else folder()
    if not (path / "meta.json").exists():
        return None
    index = tantivy.Index.open(str(path))
    meta = _meta(index.searcher(), index.schema)
    return meta["key"][0] if meta else None


class _Writer:
    """The one writer of a host's index. Beside the index, ``rows.json`` keeps each indexed
    guide's row version; it is trusted only if written after the index's last commit (the
    same generation), else the index starts again, which a crash between the two costs."""

    def __init__(self, path):
        self.path = path
        self.index = tantivy.Index(_schema(), path=str(path), reuse=True)
        self.index.register_tokenizer(LEXEMES, _analyzer())
        self.schema = self.index.schema
        self.meta = _meta(self.index.searcher(), self.schema)

    def _rows(self, database):
        meta = self.meta
        if meta is None or meta["format"] != FORMAT or meta["database"] != database:
            return None
        try:
            saved = json.loads((self.path / "rows.json").read_text())
        except (OSError, ValueError):
            return None
        if saved.get("generation") != meta["generation"]:
            return None
        return {pk: row for pk, row in saved["rows"]}

    def update(self):
        writer = self.index.writer(WRITER_HEAP, 1)
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                database = _database()
                state = SiteState.current()
                indexed = self._rows(database)
                if indexed is not None and self.meta["key"] == list(_key(state)):
                    return 0
                if indexed is None:
                    writer.delete_all_documents()
                    indexed = {}
                rows = dict(Guide.objects.published().order_by("pk").values_list("pk", ROW_VERSION))
                changed = [pk for pk, row in rows.items() if indexed.get(pk) != row]
                for pk in [*changed, *(pk for pk in indexed if pk not in rows)]:
                    writer.delete_documents_by_term("pk", pk)
                sql = _parts_sql(connection)
                for start in range(0, len(changed), READ_CHUNK):
                    with connection.cursor() as cursor:
                        cursor.execute(sql, [changed[start : start + READ_CHUNK]])
                        for pk, created, *parts in cursor.fetchall():
                            writer.add_document(_document(pk, created, parts))
            generation = uuid.uuid4().hex
            meta = {
                "format": FORMAT,
                "database": database,
                "key": list(_key(state)),
                "generation": generation,
            }
            writer.delete_documents_by_term("pk", META)
            writer.add_document(tantivy.Document(pk=META, meta=json.dumps(meta)))
            writer.commit()
        except BaseException:
            writer.rollback()
            raise
        finally:
            writer.wait_merging_threads()
        saved = self.path / "rows.json.new"
        saved.write_text(json.dumps({"generation": generation, "rows": list(rows.items())}))
        os.replace(saved, self.path / "rows.json")
        return len(changed)


@dataclass(frozen=True)
class _Snapshot:
    """What the index answers at one content version."""

    key: tuple
    searcher: object
    schema: object


class _Reader:
    """A process's view of its host's index: opened at its first search, reloaded when the
    index's files say a new version was committed (one ``stat`` a search)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pid = None

    def forked(self):
        """In a forked child: start again with a new lock (one of the parent's threads may
        have held it), keeping the parent's reader out of reach of the garbage collector."""
        self.inherited = dict(vars(self))
        self.__init__()

    def _reset(self):
        self.pid = os.getpid()
        self.path = folder()
        self.index = None
        self.stamp = None
        self.snapshot = None
        self.asked = None

    def snapshot_at(self, key):
        """The snapshot at content version ``key``, or None: the database answers (and the
        host's worker is asked, once a version, to bring the index there)."""
        with self.lock:
            if self.pid != os.getpid():
                self._reset()
            snapshot = self.snapshot
            if snapshot is not None and snapshot.key == key:
                return snapshot
            try:
                self._reload()
            except (OSError, ValueError):
                logger.warning("the search index could not be read", exc_info=True)
                self.index = self.snapshot = None
            snapshot = self.snapshot
            if snapshot is not None and snapshot.key == key:
                return snapshot
            ask = self.asked != key
            self.asked = key
        if ask:
            index_behind.send(sender=_Reader)  # catalog.search.tasks queues an update
        return None

    def _reload(self):
        try:
            stat = os.stat(self.path / "meta.json")
        except FileNotFoundError:
            return  # no index on this host yet
        stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if stamp == self.stamp:
            return
        if self.index is None:
            self.index = tantivy.Index.open(str(self.path))
            self.index.config_reader("Manual", 0)
        else:
            self.index.reload()
        self.stamp = stamp
        searcher = self.index.searcher()
        meta = _meta(searcher, self.index.schema)
        if meta is None or meta["format"] != FORMAT:
            self.snapshot = None
            return
        self.snapshot = _Snapshot(tuple(meta["key"]), searcher, self.index.schema)

    def query(self, schema, words):
        """The query for :func:`_query_words`' groups: every word of a group in one of the
        parts, the group's words weighted by their part; any group enough."""
        groups = []
        for group in words:
            musts = [(tantivy.Occur.Must, self._word(schema, lexemes)) for lexemes in group]
            groups.append(tantivy.Query.boolean_query(musts))
        if len(groups) == 1:
            return groups[0]
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in groups])

    def _word(self, schema, lexemes):
        """A query word's lexemes: one is a term, several a phrase."""
        parts = []
        for name, weight in WEIGHTS.items():
            if len(lexemes) == 1:
                found = tantivy.Query.term_query(schema, name, lexemes[0])
            else:
                found = tantivy.Query.phrase_query(schema, name, lexemes)
            parts.append((tantivy.Occur.Should, tantivy.Query.boost_query(found, float(weight))))
        return tantivy.Query.boolean_query(parts)


def _key(state):
    """A content version as the index's meta document keeps it."""
    return (state.version, state.changed_at.isoformat() if state.changed_at else None)


def _query_words(terms):
    """``terms`` (catalog.search's words) as the database's ``websearch_to_tsquery`` reads
    them: groups split by "or", each a list of words that are all needed, each word its
    lexemes as the database stems it (stop words left out)."""
    groups, group = [], []
    for term in [*terms, "or"]:
        if term == "or":
            if group:
                groups.append(group)
            group = []
        elif lexemes := stems(term):
            group.append(lexemes)
    return groups


# How many hits the first search of a page asks for. A search scores every match whatever
# it keeps (a larger limit costs a little more heap, no more scoring), and copies of one text
# tie: asking for the page alone, then eight times more while the last hit still ties, scored
# every match three times for a page at 100,000 guides where copies tie in their hundreds.
TIED_HITS = 1024


def _find(snapshot, query, offset, limit):
    """(how many guides match, the keys of ``limit`` of them from ``offset``), best first,
    then newest, then by slug. Equal scores (copies of one text) are all read before the
    order is cut, so that a page never depends on how the index happened to store them."""
    searcher, want = snapshot.searcher, offset + limit
    # Never more than the index holds: the collector makes room for as many as asked for
    # (a page number in the billions would ask for terabytes).
    most = max(searcher.num_docs, 1)
    fetch = min(max(want + 1, TIED_HITS), most)
    result = searcher.search(query, limit=fetch, count=True)
    hits = result.hits
    while len(hits) == fetch < most and hits[want - 1][0] == hits[-1][0]:
        fetch = min(fetch * 8, most)
        hits = searcher.search(query, limit=fetch, count=False).hits
    # Hits score best first: those after the page's last score come after the page whatever
    # their day, so only the page's hits and the rest of its last score are ordered.
    if len(hits) > want:
        last, end = hits[want - 1][0], want
        while end < len(hits) and hits[end][0] == last:
            end += 1
        hits = hits[:end]
    addresses = [address for _, address in hits]
    keys = searcher.fast_field_values("pk", addresses)
    days = searcher.fast_field_values("created", addresses)
    # (-score, -day, pk): sorted as plain tuples (no key function per hit: thousands of
    # copies may tie); the pk only keeps the order total until slugs decide.
    ranked = sorted(zip((-score for score, _ in hits), (-day for day in days), keys, strict=True))
    return result.count, _page_by_slug_where_tied(ranked, offset, min(want, len(ranked)))


def _page_by_slug_where_tied(ranked, offset, end):
    """The keys of ``ranked[offset:end]``, where guides of equal score and day (only their
    slugs tell them apart) stand in slug order: the groups at the page's edges are taken
    whole, and their slugs read from the database, which the index does not keep."""
    if offset >= end:
        return []
    low, high = offset, end
    while low > 0 and ranked[low - 1][:2] == ranked[offset][:2]:
        low -= 1
    while high < len(ranked) and ranked[high][:2] == ranked[end - 1][:2]:
        high += 1
    window = ranked[low:high]
    if any(one[:2] == other[:2] for one, other in itertools.pairwise(window)):
        pks = [pk for _, _, pk in window]
        slugs = dict(Guide.objects.filter(pk__in=pks).values_list("pk", "slug"))
        window.sort(key=lambda found: (found[0], found[1], slugs.get(found[2], "")))
    return [pk for _, _, pk in window[offset - low : end - low]]


_reader = _Reader()
os.register_at_fork(after_in_child=lambda: _reader.forked())


def find(terms, offset, limit, state=None):
    """``(count, keys)`` of the published guides matching ``terms`` (catalog.search's
    words) at content version ``state`` (the page's; None: the database's now), or None:
    ask the database (off, not PostgreSQL, inside a transaction, or the host's index not at
    that version yet). Never the version announced to the process, which may lag a commit:
    a page stored under the new version would keep the old results."""
    if not enabled() or connection.in_atomic_block:
        return None
    snapshot = _reader.snapshot_at(_key(state or SiteState.current()))
    if snapshot is None:
        return None
    words = _query_words(terms)
    if not words:  # stop words only: the database finds nothing either
        return 0, []
    return _find(snapshot, _reader.query(snapshot.schema, words), offset, limit)
