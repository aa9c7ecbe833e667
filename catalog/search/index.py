"""The site's search through an index kept in each process (PostgreSQL), so a search costs
the same however many guides match.

The database ranks every match of a query to find the best twenty (``ts_rank`` over each
matching document, then a count), a cost that grows with the matches. Tantivy (a search
library: an inverted index ranking by BM25, in Rust) gives the best twenty and the count
whatever the matches. Each process keeps one index in memory.

It indexes the database's own search documents (``Guide.search_document``: the words as the
``english`` configuration stems them, in the order they stand, in the part they are in:
title, tags, description, body), and a query's words are stemmed by the
database too (:func:`_query_words`); so a search finds exactly the guides the database
would, "caching" finds "cache", stop words are dropped, "rate-limiting" is a phrase, and "or"
between words makes either enough. Only the order differs: BM25 (each part weighted by
``catalog.search.WEIGHTS``) in place of ``ts_rank``, then newest and slug as before.

Never stale: the index answers only at the content version it was brought to (the version
every published change bumps, :class:`catalog.models.SiteState`); otherwise the database
answers as it always did, and the index is brought up to date: it reads, in one snapshot,
the version and each published guide's row version (``xmin`` and ``ctid``, which every write
of a row changes), and indexes again only the guides whose row changed, dropping those no
longer published. A few changes (an edit, a publish) are taken inside the request that
notices them; more (a process's first search, an import) by a thread of its own while the
database answers. Inside a transaction (a test's, or a request that has written) only the
database knows what it has seen: it answers. A scheduled guide's moment bumps the version
(the first request after it publishes it), which brings the guide in.

Each process pays for its index in memory and for building it once (bench/RESULTS.md has the
figures). ``GUIDES_SEARCH_INDEX=0`` turns it off.
"""

import logging
import os
import threading
from dataclasses import dataclass

import tantivy
from django.conf import settings
from django.db import connection, transaction
from django.db.models.expressions import RawSQL

from catalog.infra.db import backend
from catalog.models import Guide, SiteState
from catalog.search.documents import SEARCH_CONFIG, WEIGHT_LETTERS, WEIGHTS

logger = logging.getLogger(__name__)

LEXEMES = "lexemes"  # the parts' analyzer: the database's lexemes, split at spaces
# Changed guides taken inside a request; more are indexed by a thread while the database
# answers.
INLINE_CHANGES = 200
WRITER_HEAP = 50_000_000
READ_CHUNK = 1000
# A row's version: every write of a row changes it (``xmin``, the writing transaction, and
# ``ctid``, where the row now lies: two writes in one transaction differ in the second).
ROW_VERSION = RawSQL("xmin::text || ctid::text", [])


def enabled():
    return getattr(settings, "GUIDES_SEARCH_INDEX", True) and backend().full_text_search


def _schema():
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("pk", indexed=True, fast=True)
    for name in WEIGHT_LETTERS:
        builder.add_text_field(name, tokenizer_name=LEXEMES)
    return builder.build()


def _parts_sql(connection):
    """Each guide's key, creation day and slug (its place among equal scores), and its
    search document as four texts, one per part (``WEIGHT_LETTERS``): its lexemes in the
    order they stand, joined by spaces (stop words leave no gap: they are never searched
    for, and the words of one query word still stand together)."""
    quote = connection.ops.quote_name
    parts = ", ".join(
        f"string_agg(u.lexeme, ' ' ORDER BY p.position) FILTER (WHERE p.weight = '{letter}')"
        for letter in WEIGHT_LETTERS.values()
    )
    return (
        f"SELECT g.{quote('id')}, g.{quote('created_on')}, g.{quote('slug')}, {parts} "
        f"FROM {quote(Guide._meta.db_table)} g "
        f"LEFT JOIN LATERAL unnest(g.{quote('search_document')}) u ON true "
        "LEFT JOIN LATERAL unnest(u.positions, u.weights) AS p(position, weight) ON true "
        f"WHERE g.{quote('id')} = ANY(%s) GROUP BY g.{quote('id')}"
    )


def _document(pk, parts):
    document = tantivy.Document(pk=pk)
    for name, text in zip(WEIGHT_LETTERS, parts, strict=True):
        document.add_text(name, text or "")
    return document


@dataclass(frozen=True)
class _Snapshot:
    """What the index answers at one content version: a searcher, and each guide's place
    among equal scores (days since its creation, negated; slug)."""

    key: tuple
    searcher: object
    order: dict


class _Index:
    def __init__(self):
        self.lock = threading.Lock()
        self.pid = None
        self.snapshot = None
        self.builder = None

    def forked(self):
        """In a forked child: start again, keeping what the parent built out of reach of the
        garbage collector (dropping its writer would wait for threads this process does not
        have), with a new lock (one of the parent's threads may have held it)."""
        self.inherited = dict(vars(self))
        self.__init__()

    def _reset(self):
        self.pid = os.getpid()
        self.schema = _schema()
        self.index = tantivy.Index(self.schema)
        self.index.register_tokenizer(
            LEXEMES, tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()
        )
        self.writer = self.index.writer(WRITER_HEAP, 1)
        self.rows = {}  # pk: the row version indexed
        self.snapshot = None
        self.builder = None

    def _own(self):
        if self.pid != os.getpid():  # first use in this process
            with self.lock:
                if self.pid != os.getpid():
                    self._reset()

    def snapshot_at(self, key):
        """The snapshot at content version ``key`` (or newer), brought there if that can be
        done now; else None, and the database answers."""
        self._own()
        snapshot = self.snapshot
        if snapshot is not None and snapshot.key == key:
            return snapshot
        if not self.lock.acquire(blocking=False):  # being built
            return None
        try:
            if self.builder is None and self._update(INLINE_CHANGES):
                return self.snapshot
        except Exception:  # noqa: BLE001 - the database answers; the next search tries again
            logger.warning("search index could not be brought up to date", exc_info=True)
            return None
        finally:
            self.lock.release()
        self._build_aside()
        return None

    def _build_aside(self):
        with self.lock:
            if self.builder is None:
                self.builder = threading.Thread(
                    target=self._build, args=(self.pid,), name="guides-search-index", daemon=True
                )
                self.builder.start()

    def _build(self, pid):
        try:
            with self.lock:
                if self.pid == pid:
                    self._update(None)
        except Exception:  # noqa: BLE001 - the database answers; the next search tries again
            logger.warning("search index could not be built", exc_info=True)
        finally:
            self.builder = None
            connection.close()

    def update(self):
        self._own()
        with self.lock:
            self._update(None)

    def _update(self, most):
        """Index what changed since the last update, as one snapshot of the database has
        it; False, with nothing done, if more than ``most`` guides did."""
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                state = SiteState.current()
                rows = dict(Guide.objects.published().order_by("pk").values_list("pk", ROW_VERSION))
                changed = [pk for pk, row in rows.items() if self.rows.get(pk) != row]
                if most is not None and len(changed) > most:
                    return False
                order = dict(self.snapshot.order) if self.snapshot else {}
                for pk in [*changed, *(pk for pk in self.rows if pk not in rows)]:
                    self.writer.delete_documents_by_term("pk", pk)
                    order.pop(pk, None)
                sql = _parts_sql(connection)
                for start in range(0, len(changed), READ_CHUNK):
                    with connection.cursor() as cursor:
                        cursor.execute(sql, [changed[start : start + READ_CHUNK]])
                        for pk, created, slug, *parts in cursor.fetchall():
                            self.writer.add_document(_document(pk, parts))
                            order[pk] = (-created.toordinal(), slug)
            self.writer.commit()
        except BaseException:
            self.writer.rollback()
            raise
        self.index.reload()
        self.rows = rows
        self.snapshot = _Snapshot(_key(state), self.index.searcher(), order)
        return True

    def query(self, words):
        """The query for :func:`_query_words`' groups: every word of a group in one of the
        parts, the group's words weighted by their part; any group enough."""
        groups = []
        for group in words:
            musts = [(tantivy.Occur.Must, self._word(lexemes)) for lexemes in group]
            groups.append(tantivy.Query.boolean_query(musts))
        if len(groups) == 1:
            return groups[0]
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in groups])

    def _word(self, lexemes):
        """A query word's lexemes: one is a term, several a phrase."""
        parts = []
        for name, weight in WEIGHTS.items():
            if len(lexemes) == 1:
                found = tantivy.Query.term_query(self.schema, name, lexemes[0])
            else:
                found = tantivy.Query.phrase_query(self.schema, name, lexemes)
            parts.append((tantivy.Occur.Should, tantivy.Query.boost_query(found, float(weight))))
        return tantivy.Query.boolean_query(parts)


def _key(state):
    return (state.version, state.changed_at)


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
        elif lexemes := _stems(term):
            group.append(lexemes)
    return groups


_stemmed = {}
STEMMED_WORDS = 10_000  # remembered; a word's stems depend on the configuration alone


def _stems(term):
    """A word's lexemes in the order they stand, as the database's search configuration
    makes them: "rate-limiting" is ["rate-limit", "rate", "limit"], "the" []."""
    if term not in _stemmed:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT u.lexeme FROM unnest(to_tsvector(%s::regconfig, %s)) u, "
                "unnest(u.positions) AS p(position) ORDER BY p.position, u.lexeme",
                [SEARCH_CONFIG, term],
            )
            lexemes = [lexeme for (lexeme,) in cursor.fetchall()]
        if len(_stemmed) >= STEMMED_WORDS:
            _stemmed.clear()
        _stemmed[term] = lexemes
    return _stemmed[term]


def _find(snapshot, query, offset, limit):
    """(how many guides match, the keys of ``limit`` of them from ``offset``), best first,
    then newest, then by slug. Equal scores (copies of one text) are all read before the
    order is cut, so that a page never depends on how the index happened to store them."""
    searcher, want = snapshot.searcher, offset + limit
    # Never more than the index holds: the collector makes room for as many as asked for
    # (a page number in the billions would ask for terabytes).
    most = max(searcher.num_docs, 1)
    fetch = min(want + 1, most)
    result = searcher.search(query, limit=fetch, count=True)
    hits = result.hits
    while len(hits) == fetch < most and hits[want - 1][0] == hits[-1][0]:
        fetch = min(fetch * 8, most)
        hits = searcher.search(query, limit=fetch, count=False).hits
    keys = searcher.fast_field_values("pk", [address for _, address in hits])
    scores = {pk: score for pk, (score, _) in zip(keys, hits, strict=True)}
    ranked = sorted(keys, key=lambda pk: (-scores[pk], snapshot.order[pk]))
    return result.count, ranked[offset:want]


_index = _Index()
os.register_at_fork(after_in_child=lambda: _index.forked())


def find(terms, offset, limit, state=None):
    """``(count, keys)`` of the published guides matching ``terms`` (catalog.search's
    words) at content version ``state`` (the page's; None: the database's now), or None:
    ask the database (off, not PostgreSQL, inside a transaction, or the index not at that
    version yet). Never the version announced to the process, which may lag a commit: a
    page stored under the new version would keep the old results."""
    if not enabled() or connection.in_atomic_block:
        return None
    snapshot = _index.snapshot_at(_key(state or SiteState.current()))
    if snapshot is None:
        return None
    words = _query_words(terms)
    if not words:  # stop words only: the database finds nothing either
        return 0, []
    return _find(snapshot, _index.query(words), offset, limit)


def update():
    """Bring this process's index to the current content version now, however much changed
    (a benchmark's warm-up); searches otherwise keep it up to date themselves."""
    if enabled():
        _index.update()
