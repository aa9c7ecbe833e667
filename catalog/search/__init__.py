"""Guide search: every word must match; title beats tag beats description beats body.

On PostgreSQL, full-text search: a weighted ``SearchVector`` (title A, tags B, description C,
body D) stored in ``Guide.search_document`` by the database itself as a row is written (a
trigger compiled from :func:`search_vector`, migration 0010) and indexed with GIN,
``SearchRank`` over the stored vector for the order; once a process's search index is at the
current content version, it finds the same guides from those documents and orders them by
BM25 (catalog.search.index), whatever the matches. Elsewhere (SQLite), a portable path:
case-insensitive substring matches scored by where each word matched, which gives the same
order for title, tag, description and body matches. Either way, excerpts of the guides on the
page shown (never of every match) are built here (:func:`add_headlines`) from the words that
the search's own rule matches.
"""

import contextlib
import difflib
import re
from functools import cached_property

from django.core.paginator import Paginator
from django.db import connection, transaction
from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Value,
    When,
)
from django.db.models.lookups import IContains
from django.utils.html import escape
from django.utils.safestring import mark_safe

from catalog.models import Guide, TaggedGuide

MAX_QUERY_CHARS = 200
MAX_TERMS = 8
WEIGHTS = {"title": 8, "tag": 4, "description": 2, "body": 1}
# The weight letter each part has in the search document (PostgreSQL), heaviest first.
WEIGHT_LETTERS = {"title": "A", "tag": "B", "description": "C", "body": "D"}
SEARCH_CONFIG = "english"
SNIPPET_CHARS = 160
SNIPPET_LEAD = 40  # of them before the first word of the passage
# The order of results (PostgreSQL): best rank first, then newest.
RESULT_ORDER = ("-rank", "-created_on", "slug")
# What add_headlines reads of a guide (the body only when its stored text is stale).
EXCERPT_FIELDS = ("body", "body_text", "rendered_with")
_START, _STOP = "\x02", "\x03"


def search_terms(query: str) -> list[str]:
    """The words of a query worth searching for (junk and punctuation dropped)."""
    words = re.findall(r"\w[\w+#.'-]*", (query or "")[:MAX_QUERY_CHARS])
    terms = []
    for word in words:
        word = word.strip(".'-").casefold()
        if word and word not in terms:
            terms.append(word)
    return terms[:MAX_TERMS]


def full_text():
    return connection.vendor == "postgresql"


def search_vector():
    """The weighted document; migration 0007 indexes exactly this expression."""
    from django.contrib.postgres.search import SearchVector

    letter = WEIGHT_LETTERS
    return (
        SearchVector("title", weight=letter["title"], config=SEARCH_CONFIG)
        + SearchVector("tag_text", weight=letter["tag"], config=SEARCH_CONFIG)
        + SearchVector("description", weight=letter["description"], config=SEARCH_CONFIG)
        + SearchVector("body", weight=letter["body"], config=SEARCH_CONFIG)
    )


# The columns the search document is made of; the trigger recomputes it when one changes.
DOCUMENT_COLUMNS = ("title", "tag_text", "description", "body")
# Set (transaction-local) by a writer that supplies documents computed by document_sql().
DOCUMENTS_GIVEN = "catalog.search_documents_given"
# When an inserted row's document is computed by the trigger (migrations 0021, 0024): unless
# the writer supplied one and said so.
COMPUTES_DOCUMENT = (
    f"NEW.search_document IS NULL OR current_setting('{DOCUMENTS_GIVEN}', true) "
    "IS DISTINCT FROM 'on'"
)


@contextlib.contextmanager
def documents_given(connection, given=True):
    """While inside, the trigger keeps the search documents that inserted rows supply
    (computed by :func:`document_sql`); only for the current transaction, and only the
    statements inside: any other insert, whatever document it carries, gets the trigger's."""
    if not given or connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, 'on', true)", [DOCUMENTS_GIVEN])
    yield
    with connection.cursor() as cursor:  # not after a failure: the transaction is rolled back
        cursor.execute("SELECT set_config(%s, 'off', true)", [DOCUMENTS_GIVEN])


def document_expression(connection) -> str:
    """:func:`search_vector` as SQL over a row named ``catalog_guide`` (compiled, so the
    trigger, the index and precomputed documents cannot drift)."""
    query = Guide.objects.annotate(v=search_vector()).values("v").order_by().query
    sql, params = query.get_compiler(connection=connection).as_sql()
    select = connection.ops.compose_sql(sql, params)
    return select[len("SELECT ") : select.index(' AS "v" FROM')]


def trigger_expression(connection) -> str:
    """:func:`document_expression` over the trigger's ``NEW`` row (migrations 0010, 0021)."""
    return document_expression(connection).replace('"catalog_guide".', "NEW.")


def document_sql(connection) -> str:
    """A query giving the search document of each guide in four parallel text arrays
    (title, tag text, description, body), in the arrays' order. The arrays go in binary
    (``%b``, for a server-side binding psycopg cursor): as text, every body would be escaped
    element by element by the thread that also has to read the files."""
    columns = ", ".join(DOCUMENT_COLUMNS)
    arrays = ", ".join(["%b::text[]"] * len(DOCUMENT_COLUMNS))
    return (
        f"SELECT {document_expression(connection)} "
        f'FROM unnest({arrays}) WITH ORDINALITY AS "catalog_guide"({columns}, n) ORDER BY n'
    )


def search_guides(query: str):
    """Published guides matching every term, best first, with a ``snippet`` where known."""
    terms = search_terms(query)
    if not terms:
        return Guide.objects.none()
    if full_text():
        return _full_text(" ".join(terms))
    return _portable(terms)


def _search_query(text):
    from django.contrib.postgres.search import SearchQuery

    return SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")


def _full_text(text):
    from django.contrib.postgres.search import SearchRank

    query = _search_query(text)
    return (
        Guide.objects.published()
        .filter(search_document=query)
        .annotate(rank=SearchRank(F("search_document"), query))
        .order_by(*RESULT_ORDER)
    )


MAX_PAGE = 2**31  # its offset must fit the database's integers


class SearchPaginator(Paginator):
    """Search results a page at a time, on PostgreSQL counted and ranked in one pass.

    Django's Paginator counts the matches (a pass over every match's row) and then ranks
    them for the page (a second pass); a query matching a sixth of 20,000 guides spent most
    of its time in those two passes. Here one query ranks the matches once into a work
    table that gives both the count and the keys of the requested page (``number``: what
    the request asked for; another page costs one more such query), and the page's guides
    are then read from ``cards`` by key alone (with the search condition as well, the
    database would look every match up in the index again). That query still ranks every
    match; where the process's search index is at the current content version
    (catalog.search.index) as ``state`` (the content version the page is stored under; None:
    the database's now), it gives the count and the keys of ``terms`` (the query's words)
    instead, whatever the matches. Elsewhere (SQLite), Django's Paginator as it is.
    """

    def __init__(self, matches, per_page, number, cards, terms, state=None):
        super().__init__(matches, per_page)
        self._requested = number
        self._keys = {}
        self._cards = cards
        self._terms = terms
        self._state = state

    @cached_property
    def count(self):
        if not full_text():
            return super().count
        try:
            number = int(self._requested)
        except (TypeError, ValueError):
            number = 1
        if not 1 <= number <= MAX_PAGE:  # not a page: Paginator.get_page picks one
            number = 1
        total, self._keys[number] = self._scan(number)
        return total

    def page(self, number):
        number = self.validate_number(number)
        if not full_text():
            return super().page(number)
        keys = self._keys.get(number)
        if keys is None:
            keys = self._keys[number] = self._scan(number)[1]
        guides = {guide.pk: guide for guide in self._cards.filter(pk__in=keys)}
        return self._get_page([guides[pk] for pk in keys if pk in guides], number, self)

    def _scan(self, number):
        """(how many guides match, the keys of page ``number`` in result order)."""
        from catalog.search.index import find

        found = find(self._terms, (number - 1) * self.per_page, self.per_page, self._state)
        if found is not None:
            return found
        fields = [name.lstrip("-") for name in RESULT_ORDER]
        ranked = self.object_list.order_by().values("pk", *fields)
        sql, params = ranked.query.sql_with_params()
        order = ", ".join(
            f"m.{connection.ops.quote_name(name.lstrip('-'))} "
            f"{'DESC' if name.startswith('-') else 'ASC'}"
            for name in RESULT_ORDER
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH m AS MATERIALIZED ({sql}) SELECT (SELECT COUNT(*) FROM m), "
                f"ARRAY(SELECT m.pk FROM m ORDER BY {order} LIMIT %s OFFSET %s)",
                [*params, self.per_page, (number - 1) * self.per_page],
            )
            total, keys = cursor.fetchone()
        return total, keys


def add_headlines(guides, query):
    """Mark the query's words in what each guide shown says of itself: ``marked_title``,
    ``marked_description`` and ``headline``, an excerpt of its text around the match (the
    words between _START and _STOP; :func:`marked_html` makes them HTML).

    Excerpts come from the rendered body as a reader sees it (``Guide.text``, stored with
    the HTML: no markdown syntax, no URLs), never from the markdown. Which words are marked
    is the search's own rule: on PostgreSQL the search configuration's stems ("caching"
    marks "Cache"), elsewhere the terms as parts of words. Only words that begin as a query
    word does are stemmed, so an excerpt costs little however long the text
    (``ts_headline`` stemmed every word of every text shown: the guides that rank best,
    which fill the first page of a large collection, are the longest).
    """
    guides = list(guides)
    terms = search_terms(query)
    if not guides or not terms:
        return guides
    texts = {}
    for guide in guides:
        texts[guide.pk, "title"] = guide.title
        texts[guide.pk, "description"] = guide.description or ""
        texts[guide.pk, "text"] = guide.text
    if full_text():
        hits, needed = _full_text_hits(texts, terms)
    else:
        hits, needed = _portable_hits(texts, terms), len(terms)
    for guide in guides:
        guide.marked_title = _marked(texts[guide.pk, "title"], hits[guide.pk, "title"])
        guide.marked_description = _marked(
            texts[guide.pk, "description"], hits[guide.pk, "description"]
        )
        guide.headline = excerpt(texts[guide.pk, "text"], hits[guide.pk, "text"], needed)
    return guides


def excerpt(text, hits, needed):
    """About SNIPPET_CHARS of ``text`` around its best passage, each hit between _START and
    _STOP; "" without ``hits``: ``(start, end, query word)`` in text order.

    The passage, as ``ts_headline`` chose it: of the places where ``needed`` distinct
    query words occur (a cover: from one hit to where the last missing word first follows),
    the one with the most hits within SNIPPET_CHARS, then the shortest, then the first;
    where the text has fewer words than that, its beginning.
    """
    if not hits:
        return ""
    words = len({word for _, _, word in hits})
    first = _best_cover(hits, words, SNIPPET_CHARS) if words >= needed else 0
    start = max(0, first - SNIPPET_LEAD)
    if start:
        space = text.find(" ", start, first)
        start = space + 1 if space >= 0 else first
    stop = start + SNIPPET_CHARS
    if stop < len(text):
        space = text.rfind(" ", first, stop)
        stop = space if space > first else stop
    return _marked(text, hits, start, stop)


def _marked(text, hits, start=0, stop=None):
    """``text[start:stop]`` on one line, each of ``hits`` inside it between _START and
    _STOP (the text's own marker characters become spaces)."""
    stop = len(text) if stop is None else stop
    if _START in text or _STOP in text:
        text = text.replace(_START, " ").replace(_STOP, " ")
    parts, at = [], start
    for begin, end, _ in hits:
        if begin >= max(start, at) and end <= stop:
            parts += [text[at:begin], _START, text[begin:end], _STOP]
            at = end
    parts.append(text[at:stop])
    return " ".join("".join(parts).split())


def _best_cover(hits, wanted, span):
    """The offset where :func:`excerpt`'s passage starts: ``wanted``, how many distinct
    words ``hits`` has, all needed."""
    best, seen, end, near = None, {}, 0, 0
    for begin, (start, _, word) in enumerate(hits):
        while end < len(hits) and len(seen) < wanted:
            seen[hits[end][2]] = seen.get(hits[end][2], 0) + 1
            end += 1
        if len(seen) < wanted:
            break
        near = max(near, begin)
        while near < len(hits) and hits[near][0] < start + span:
            near += 1
        score = (near - begin, start - hits[end - 1][0])
        if best is None or score > best[0]:
            best = (score, start)
        seen[word] -= 1
        if not seen[word]:
            del seen[word]
    return best[1]


# The rest of a word, as the database's parser may see one or several ("cache-aside").
_WORD_REST = r"(?:[\w.+#'/-]*\w)?"


def _prefix(term):
    """The start that every word sharing ``term``'s stem has: Snowball keeps a word's first
    letters, but for a final "y" that may turn into "i" ("spy", "spies")."""
    if len(term) > 4:
        return term[:4]
    return term[: len(term) - 1] if len(term) > 2 else term


def _full_text_hits(texts, terms):
    """``({key: hits}, how many distinct stems a cover needs)`` for ``texts`` (``{key:
    text}``): the words of each text that the search configuration makes one of the
    query's stems. Words that begin as a term does are candidates; the database stems them
    and the query, in one query."""
    parts = {part for term in terms for part in re.findall(r"\w+", term)}
    if any(len(part) > 1 for part in parts):  # "api's": "api" ("s" is no word to look for)
        parts = {part for part in parts if len(part) > 1}
    prefixes = sorted({re.escape(_prefix(part)) for part in parts}, key=len, reverse=True)
    candidate = re.compile(rf"\b(?:{'|'.join(prefixes)}){_WORD_REST}", re.IGNORECASE)
    found = {
        key: [(m.start(), m.end(), m.group(0).casefold()) for m in candidate.finditer(text)]
        for key, text in texts.items()
    }
    words = sorted({word for hits in found.values() for _, _, word in hits})
    if not words:  # nothing to mark, whatever the query's stems
        return found, 0
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH q AS (SELECT tsvector_to_array(to_tsvector(%s::regconfig, %s)) AS stems) "
            "SELECT NULL, unnest(stems) FROM q UNION ALL "
            "SELECT w, s FROM unnest(%s::text[]) AS w, "
            "unnest(tsvector_to_array(to_tsvector(%s::regconfig, w))) AS s "
            "WHERE s IN (SELECT unnest(stems) FROM q)",
            [SEARCH_CONFIG, " ".join(terms), words, SEARCH_CONFIG],
        )
        rows = cursor.fetchall()
    stems = {}  # a word's stems ("rate-limiting": rate, limit)
    for word, stem in rows:
        if word is not None:
            stems.setdefault(word, []).append(stem)
    hits = {
        key: [(start, end, stem) for start, end, word in candidates for stem in stems.get(word, ())]
        for key, candidates in found.items()
    }
    # websearch_to_tsquery: "or" between words makes either one enough.
    needed = 1 if "or" in terms else sum(word is None for word, _ in rows)
    return hits, needed


def _portable_hits(texts, terms):
    """``{key: hits}``: where each text has a term as part of a word, whatever the case."""
    pattern = re.compile(
        "|".join(f"({re.escape(t)})" for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE
    )
    return {
        key: [(m.start(), m.end(), m.lastindex) for m in pattern.finditer(text)]
        for key, text in texts.items()
    }


def _tag_match(term):
    return Exists(
        TaggedGuide.objects.filter(content_object=OuterRef("pk"), tag__name__icontains=term)
    )


def _portable_match(term):
    """Where the portable search finds a word: part of the title, description, body or a
    tag's name."""
    return (
        Q(title__icontains=term)
        | Q(description__icontains=term)
        | Q(body__icontains=term)
        | _tag_match(term)
    )


def _portable(terms):
    guides = Guide.objects.published()
    score = Value(0)
    for term in terms:
        tag_match = _tag_match(term)
        guides = guides.filter(_portable_match(term))
        score = score + Case(
            When(title__icontains=term, then=Value(WEIGHTS["title"])),
            When(tag_match, then=Value(WEIGHTS["tag"])),
            When(description__icontains=term, then=Value(WEIGHTS["description"])),
            default=Value(WEIGHTS["body"]),
            output_field=IntegerField(),
        )
    return guides.annotate(score=score).order_by("-score", "-created_on", "slug")


class _ILikeContains(IContains):
    """``icontains`` written as ``ILIKE`` (PostgreSQL), which pg_trgm's indexes serve;
    Django's ``UPPER(…) LIKE UPPER(…)`` is served by none, so it reads every row."""

    lookup_name = "ilike_contains"

    def get_rhs_op(self, connection, rhs):
        return f"ILIKE {rhs}"


CharField.register_lookup(_ILikeContains)


def _contains(field, term):
    """Part of ``field`` is ``term``, whatever the case."""
    lookup = "ilike_contains" if full_text() else "icontains"
    return Q(**{f"{field}__{lookup}": term})


def editor_matches(guides, text):
    """The admin's search: ``guides`` (drafts and all) that match every word of ``text``:
    as part of the title, as the beginning of the slug, or where the site's search finds a
    word: on PostgreSQL the search document (stemmed: "caching" finds "cache"), elsewhere
    part of the description, body or a tag's name.

    Django's own admin search compared every guide's body, and matched tags through a join
    that made every result row distinct over whole guide rows: 2.5 s a page at 20,000 guides
    on PostgreSQL. Here every condition is one an index serves there (pg_trgm's on the title,
    migration 0016; the slug's pattern index; the document's GIN), and no row is repeated.
    A trigram index on slugs as well made an import of 20,000 guides a tenth slower.
    """
    for term in search_terms(text):
        if full_text():
            found = _contains("title", term) | Q(search_document=_search_query(term))
        else:
            found = _portable_match(term)  # the title's part among them
        guides = guides.filter(found | Q(slug__startswith=term))
    return guides


def revision_matches(revisions, text):
    """The admin's search of revisions: every word part of the revision's title or the
    beginning of its guide's slug (the guides found first, by the slug's index, instead of a
    join on every revision)."""
    for term in search_terms(text):
        guides = Guide.objects.filter(slug__startswith=term).values("pk")
        revisions = revisions.filter(_contains("title", term) | Q(guide__in=guides))
    return revisions


def marked_html(marked) -> str:
    """A string marked by :func:`add_headlines`, escaped, with the words in ``<mark>``."""
    text = escape(marked or "")
    return mark_safe(text.replace(_START, "<mark>").replace(_STOP, "</mark>"))


def snippet(guide) -> str:
    """The guide's excerpt (see add_headlines) as HTML; "" when no word of it is marked."""
    headline = getattr(guide, "headline", "") or ""
    return marked_html(headline) if _START in headline else ""


# --- "did you mean": the nearest title words and tags (PostgreSQL, pg_trgm) ------------------

SUGGESTION_CUTOFF = 0.6  # difflib's ratio: "kafak" → "kafka" is 0.8, "cash" → "cache" 0.67


def suggestion(query: str) -> str:
    """The query with each word that matches nothing replaced by the nearest word of a
    published guide's title or a tag, when that query finds guides; else "".

    Candidates come from the trigram indexes (a few titles and tags near each word, so the
    cost does not grow with the collection); the nearest word among them is difflib's.
    """
    terms = search_terms(query)
    if not terms or not full_text() or not _trigrams():
        return ""
    words, changed = [], False
    for term in terms:
        if search_guides(term).exists():
            words.append(term)
            continue
        candidates = {
            word
            for text in _near_texts(term)
            for word in re.findall(r"\w[\w+#.'-]*", text.casefold())
        }
        nearest = difflib.get_close_matches(term, candidates, n=1, cutoff=SUGGESTION_CUTOFF)
        if not nearest:
            return ""
        words.append(nearest[0])
        changed = True
    suggested = " ".join(words)
    return suggested if changed and search_guides(suggested).exists() else ""


WORD_SIMILARITY = 0.3  # pg_trgm's default (0.6) misses one-letter swaps in short words


def _near_texts(term):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL pg_trgm.word_similarity_threshold = {WORD_SIMILARITY}")
        cursor.execute(
            "(SELECT name FROM taggit_tag WHERE %s <%% name "
            " ORDER BY word_similarity(%s, name) DESC LIMIT 5) "
            "UNION ALL (SELECT title FROM catalog_guide WHERE NOT draft AND %s <%% title "
            " ORDER BY word_similarity(%s, title) DESC LIMIT 10)",
            [term, term, term, term],
        )
        return [text for (text,) in cursor.fetchall()]


_trigram_state = {}


def _trigrams():
    """Whether pg_trgm is installed (migration 0016 may not have had the right to)."""
    key = connection.settings_dict["NAME"]
    if key not in _trigram_state:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
            _trigram_state[key] = cursor.fetchone() is not None
    return _trigram_state[key]
