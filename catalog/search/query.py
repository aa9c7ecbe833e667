"""Search queries: the words of a query, the guides that match them in order, a page of
them at a time, the editor's and the revisions' search boxes, and a suggestion when nothing
matches."""

import difflib
from functools import cached_property

from django.core.paginator import Paginator
from django.db import connection, transaction
from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    ForeignKey,
    IntegerField,
    OuterRef,
    Q,
    Value,
    When,
)
from django.db.models.lookups import IContains, Lookup

from catalog.infra.db import backend
from catalog.models import Guide, GuideRevision, SiteState, TaggedGuide, TagStats
from catalog.search import index
from catalog.search.documents import SEARCH_CONFIG, WEIGHTS
from catalog.write.vocabulary import WORD_RE, words

MAX_QUERY_CHARS = 200


MAX_TERMS = 8


# The order of results (PostgreSQL): best rank first, then newest.
RESULT_ORDER = ("-rank", "-created_on", "slug")


def search_terms(query: str) -> list[str]:
    """The words of a query worth searching for (junk and punctuation dropped)."""
    terms = []
    for word in WORD_RE.findall((query or "")[:MAX_QUERY_CHARS]):
        word = word.strip(".'-").casefold()
        if word and word not in terms:
            terms.append(word)
    return terms[:MAX_TERMS]


def full_text():
    return backend().full_text_search


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


# How deep a search goes: its best MAX_RESULTS matches, a page at a time. A page further on
# reads every match before it (the index hands back its offset's worth of hits, the
# database sorts them): at 100,000 guides the last page of "cache"'s 17,250 matches took
# 37 ms and of "system design"'s 53, against 10-17 for any of the first fifty, which cost
# what the first does. A reader narrows the search long before; a crawler following "next"
# stops there.
MAX_RESULTS = 1000


class SearchPaginator(Paginator):
    """Search results a page at a time, on PostgreSQL counted and ranked in one pass.

    Django's Paginator counts the matches (a pass over every match's row) and then ranks
    them for the page (a second pass). Here one query ranks the matches once into a work
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
        if not 1 <= number <= self._deepest:  # not a page: Paginator.get_page picks one
            number = 1
        total, self._keys[number] = self._scan(number)
        return total

    @property
    def _deepest(self):
        """The last page of the best ``MAX_RESULTS`` matches."""
        return max(1, MAX_RESULTS // self.per_page)

    @cached_property
    def num_pages(self):
        """The pages of the best ``MAX_RESULTS`` matches."""
        return min(super().num_pages, self._deepest)

    @property
    def listed(self):
        """How many of the matches the pages list."""
        return min(self.count, self.num_pages * self.per_page)

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
        found = index.find(self._terms, (number - 1) * self.per_page, self.per_page, self._state)
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


class _AnyOf(Lookup):
    """A key among ``values``, given as one array constant (PostgreSQL): the planner takes
    it as one value and looks keys up in a hash of it, where an ``IN`` list is a node a
    value to plan (its planning grows with the keys) and ``= ANY(ARRAY(subquery))`` is compared
    value by value for every row."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        array = f"{self.lhs.output_field.cast_db_type(connection)}[]"
        return f"{lhs} = ANY(%s::{array})", [*params, [int(key) for key in self.rhs]]


ForeignKey.register_lookup(_AnyOf)


def _contains(field, term):
    """Part of ``field`` is ``term``, whatever the case."""
    lookup = "ilike_contains" if full_text() else "icontains"
    return Q(**{f"{field}__{lookup}": term})


def editor_matches(guides, text):
    """The admin's search: ``guides`` (drafts and all) that match every word of ``text``:
    as part of the title, as the beginning of the slug, or where the site's search finds a
    word: on PostgreSQL the search document (stemmed: "caching" finds "cache"), elsewhere
    part of the description, body or a tag's name.

    Django's own admin search compares every guide's body, and matches tags through a join
    that makes every result row distinct over whole guide rows. Here every condition is one
    an index serves on PostgreSQL (pg_trgm's on the title, migration 0016; the slug's pattern
    index; the document's GIN), and no row is repeated. Slugs get no trigram index: it would
    slow every import for a search the pattern index already serves.
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
    beginning of its guide's slug.

    On PostgreSQL each word is one condition on the revision's own columns: its title (the
    trigram index, migration 0031) or its guide among the keys of the guides whose slug
    begins so, read first and given as one array (``any_of``). The planner then reads a
    rare word's revisions by the two indexes and walks a common word's newest first until
    the page is full. A union of the title's matches and those guides' revisions reads
    every match (for a word most titles or slugs hold, "how" or "a", every revision); it is
    kept elsewhere (SQLite: small collections, and no arrays).
    """
    for term in search_terms(text):
        guides = Guide.objects.filter(slug__startswith=term).order_by().values("pk")
        if full_text():
            keys = list(guides.values_list("pk", flat=True))
            revisions = revisions.filter(_contains("title", term) | Q(guide__any_of=keys))
            continue
        of_term = GuideRevision.objects.order_by().values("pk")
        by_title = of_term.filter(_contains("title", term))
        revisions = revisions.filter(
            pk__in=by_title.union(of_term.filter(guide__in=guides), all=True)
        )
    return revisions


SUGGESTION_CUTOFF = 0.6  # difflib's ratio: "kafak" → "kafka" is 0.8, "cash" → "cache" 0.67

# The nearest candidates a suggestion tries for one word, nearest first: the words table
# keeps words no published title holds any more until a change of anything takes them out
# (catalog.write.vocabulary), which find nothing, and the nearest may be one of them.
SUGGESTION_TRIES = 3


def suggestion(query: str) -> str:
    """The query with each word that matches nothing replaced by the nearest word of a
    published guide's title or a tag that finds guides, when the whole query then finds
    guides; else "".

    Candidates on PostgreSQL come from the trigram indexes (a few tags and words of published
    titles near each word, so the cost grows with the language, not the collection);
    elsewhere (SQLite: the small collections) they are every word of the published titles
    and tags, read once per content version. The nearest are difflib's.
    """
    terms = search_terms(query)
    if not terms:
        return ""
    near = _near_words if full_text() and _trigrams() else _vocabulary
    options = []  # each word's: (whether it finds guides itself, itself or its nearest)
    for term in terms:
        if search_guides(term).exists():
            options.append((True, [term]))
            continue
        nearest = difflib.get_close_matches(
            term, near(term), n=SUGGESTION_TRIES, cutoff=SUGGESTION_CUTOFF
        )
        if not nearest:
            return ""
        options.append((False, nearest))
    if all(finds for finds, _ in options):
        return ""  # every word finds guides: nothing to suggest
    first = " ".join(candidates[0] for _, candidates in options)
    if search_guides(first).exists():
        return first
    # The nearest make nothing: one may be a word no title holds any more. Each word's first
    # candidate that finds guides, then the whole again.
    chosen = []
    for finds, candidates in options:
        found = next((w for w in candidates if finds or search_guides(w).exists()), None)
        if found is None:
            return ""
        chosen.append(found)
    suggested = " ".join(chosen)
    if suggested == first:
        return ""
    return suggested if len(chosen) == 1 or search_guides(suggested).exists() else ""


def _near_words(term):
    return words(_near_texts(term))


_vocabularies = {}


def _vocabulary(term):
    """Every word of a published guide's title or of a tag with published guides, kept per
    database and content version (one per process; the moment of the change too, should a
    database be emptied and its versions counted again)."""
    state = SiteState.current()
    key = (connection.settings_dict["NAME"], state.version, state.changed_at)
    found = _vocabularies.get(key)
    if found is None:
        titles = Guide.objects.published().values_list("title", flat=True)
        tags = TagStats.objects.filter(published_guides__gt=0).values_list("tag__name", flat=True)
        found = frozenset(words([*titles, *tags]))
        _vocabularies.clear()
        _vocabularies[key] = found
    return found


WORD_SIMILARITY = 0.3  # pg_trgm's default (0.6) misses one-letter swaps in short words


def _near_texts(term):
    """The tags and the words of published titles (catalog.write.vocabulary) nearest
    ``term`` by their trigrams."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL pg_trgm.word_similarity_threshold = {WORD_SIMILARITY}")
        cursor.execute(
            "(SELECT name FROM taggit_tag WHERE %(t)s <%% name "
            " ORDER BY word_similarity(%(t)s, name) DESC LIMIT 5) "
            "UNION ALL (SELECT word FROM catalog_suggestionword WHERE %(t)s <%% word "
            " ORDER BY word_similarity(%(t)s, word) DESC LIMIT 20)",
            {"t": term},
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
