"""Search documents of new guides, computed by PostgreSQL on a second connection while an
import is still reading the files (see :class:`SearchDocuments`)."""

from __future__ import annotations

import collections
import logging
import threading

from django.db import transaction

from catalog.fileformat import tag_text
from catalog.fileformat.bodies import digest
from catalog.infra.db import backend
from catalog.models import Guide
from catalog.search import DOCUMENT_COLUMNS, document_sql

# Most guides per query on the second connection.
DOCUMENTS_BATCH = 200
# Guides read before the second connection takes them (each wake costs the reading thread a
# switch, each query a round trip).
DOCUMENTS_WAKE = 20
# The most documents computed ahead (about 1.5 KB each): the rest of a larger import's new
# guides get theirs from the trigger as they are written, so its memory does not grow with
# the collection.
DOCUMENTS_KEPT = 5000

logger = logging.getLogger(__name__)


class SearchDocuments:
    """Search documents of new guides, computed by PostgreSQL on a second connection while
    the files are still being read.

    Reading and validating the files is Python work on one core, and the search document of
    a new guide (the text-search parser over its body) is most of what the database spends
    on storing it. Given to ``read_folder(each=documents.add)``, this hands each guide read
    that is not stored yet to a second connection (opened when the first comes), which
    computes their documents on another core from the trigger's own compiled expression
    (``search.document_sql``), in batches of what has been read meanwhile;
    ``apply_plan(plan, documents)`` writes them with the new rows, and the trigger keeps
    them (``search.documents_given``).

    At most ``DOCUMENTS_KEPT`` are computed ahead; each is kept with a digest of its texts.
    A document is used only for a row with exactly the text it was computed from, so a
    guide that is not what was read, or one whose document is missing (the second
    connection failed, or the slug was stored by then), gets the trigger's document as
    usual. The second connection reads no table and writes nothing, so it is outside the
    import's transaction without harm. Elsewhere than PostgreSQL, or not ``enabled`` (a dry
    run), it does nothing.
    """

    def __init__(self, enabled=True):
        self.db = transaction.get_connection()
        self.active = enabled and backend().full_text_search
        self._stored = set()
        self._read = collections.deque()
        self._wake = threading.Event()
        self._finished = False  # nothing more will be read
        self._abandoned = False
        self._computed = {}  # slug: (the texts' digest, their document)
        self._taken = 0
        self._worker = None

    def __enter__(self):
        if self.active:
            self._stored = set(Guide.objects.order_by().values_list("slug", flat=True))
        return self

    def __exit__(self, kind, exc, traceback):
        self._abandoned = kind is not None
        self.finish()

    def add(self, kind, item):
        """``read_folder``'s ``each``: take every new guide read (the second connection
        opens with the first)."""
        if kind != "guides" or not self.active or item.slug in self._stored:
            return
        if self._taken >= DOCUMENTS_KEPT:
            return
        self._taken += 1
        self._read.append(item)
        if self._worker is None:
            self._worker = threading.Thread(
                target=self._compute, name="search-documents", daemon=True
            )
            self._worker.start()
        if len(self._read) >= DOCUMENTS_WAKE:
            self._wake.set()

    def finish(self):
        """Nothing more will be read: wait until what was read has its document."""
        self._finished = True
        self._wake.set()
        if self._worker:
            self._worker.join()

    def given(self, row):
        """The document computed for ``row`` (a new guide's field values) if it was computed
        from exactly the row's text; else None, and the trigger computes it."""
        self.finish()
        texts, doc = self._computed.get(row["slug"], (None, None))
        if texts is None:
            return None
        return doc if texts == _digest(row[column] for column in DOCUMENT_COLUMNS) else None

    def _compute(self):
        helper = type(self.db)(dict(self.db.settings_dict))
        try:
            with helper.cursor():  # connected; documents come in binary, for a binary COPY
                cursor = backend().binary_cursor(helper)
                sql = document_sql(helper)
                finished = False
                while not (finished or self._abandoned):
                    self._wake.wait()
                    self._wake.clear()
                    finished = self._finished  # read before taking what was read
                    for batch in self._take_read():
                        self._compute_batch(cursor, sql, batch)
        except Exception:  # noqa: BLE001 - the trigger computes what is missing
            logger.warning("search documents: the second connection failed", exc_info=True)
        finally:
            helper.close()

    def _take_read(self):
        """What was read since last taken, as ``(slug, texts)`` in batches of at most
        ``DOCUMENTS_BATCH``; none once the import is abandoned."""
        taken = []
        while self._read:
            guide = self._read.popleft()
            taken.append((guide.slug, _document_texts(guide)))
        for start in range(0, len(taken), DOCUMENTS_BATCH):
            if self._abandoned:
                return
            yield taken[start : start + DOCUMENTS_BATCH]

    def _compute_batch(self, cursor, sql, batch):
        columns = [[texts[n] for _, texts in batch] for n in range(len(DOCUMENT_COLUMNS))]
        documents = backend().search_documents(cursor, sql, columns)
        for (slug, texts), doc in zip(batch, documents, strict=True):
            self._computed[slug] = (_digest(texts), doc)


def _digest(texts):
    """The texts a document is made of, as one digest (the texts themselves are the
    guide's, which the import need not hold)."""
    return digest("\0".join(texts))


def _document_texts(guide):
    """The text a guide's search document is made of, in ``DOCUMENT_COLUMNS`` order."""
    values = {
        "title": guide.title,
        "tag_text": tag_text(guide.tags),
        "description": guide.description,
        "body": guide.body,
    }
    return tuple(values[column] for column in DOCUMENT_COLUMNS)
