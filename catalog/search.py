"""Guide search: every word must match; title beats tag beats description beats body.

On PostgreSQL, full-text search: a weighted ``SearchVector`` (title A, tags B, description
C, body D) backed by a GIN index over the very same expression (migration 0007),
``SearchRank`` for the order and ``SearchHeadline`` for the snippet. Elsewhere (SQLite), a
portable path: case-insensitive substring matches scored by where each word matched, which
gives the same order for title, tag, description and body matches.
"""

import re

from django.db import connection
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, Value, When
from django.utils.html import escape
from django.utils.safestring import mark_safe

from .models import Guide, TaggedGuide

MAX_QUERY_CHARS = 200
MAX_TERMS = 8
WEIGHTS = {"title": 8, "tag": 4, "description": 2, "body": 1}
SEARCH_CONFIG = "english"
SNIPPET_CHARS = 220
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

    return (
        SearchVector("title", weight="A", config=SEARCH_CONFIG)
        + SearchVector("tag_text", weight="B", config=SEARCH_CONFIG)
        + SearchVector("description", weight="C", config=SEARCH_CONFIG)
        + SearchVector("body", weight="D", config=SEARCH_CONFIG)
    )


def search_guides(query: str):
    """Published guides matching every term, best first, with a ``snippet`` where known."""
    terms = search_terms(query)
    if not terms:
        return Guide.objects.none()
    if full_text():
        return _full_text(" ".join(terms))
    return _portable(terms)


def _full_text(text):
    from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank

    query = SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")
    return (
        Guide.objects.published()
        .annotate(document=search_vector())
        .filter(document=query)
        .annotate(
            rank=SearchRank(F("document"), query),
            headline=SearchHeadline(
                "body",
                query,
                config=SEARCH_CONFIG,
                start_sel=_START,
                stop_sel=_STOP,
                max_words=30,
                min_words=12,
            ),
        )
        .order_by("-rank", "-created_on", "slug")
    )


def _portable(terms):
    guides = Guide.objects.published()
    score = Value(0)
    for term in terms:
        tag_match = Exists(
            TaggedGuide.objects.filter(content_object=OuterRef("pk"), tag__name__icontains=term)
        )
        guides = guides.filter(
            Q(title__icontains=term)
            | Q(description__icontains=term)
            | Q(body__icontains=term)
            | tag_match
        )
        score = score + Case(
            When(title__icontains=term, then=Value(WEIGHTS["title"])),
            When(tag_match, then=Value(WEIGHTS["tag"])),
            When(description__icontains=term, then=Value(WEIGHTS["description"])),
            default=Value(WEIGHTS["body"]),
            output_field=IntegerField(),
        )
    return guides.annotate(score=score).order_by("-score", "-created_on", "slug")


def snippet(guide, query) -> str:
    """A short, escaped excerpt of the body around the first match, terms in ``<mark>``."""
    headline = getattr(guide, "headline", None)
    if headline is None:
        headline = _portable_headline(guide.body, search_terms(query))
    if _START not in headline:
        return ""
    text = escape(headline)
    return mark_safe(text.replace(_START, "<mark>").replace(_STOP, "</mark>"))


def _portable_headline(body, terms):
    if not terms or not body:
        return ""
    pattern = re.compile(
        "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE
    )
    first = pattern.search(body)
    if first is None:
        return ""
    start = max(0, first.start() - SNIPPET_CHARS // 3)
    excerpt = " ".join(body[start : start + SNIPPET_CHARS].split())
    return pattern.sub(lambda m: f"{_START}{m.group(0)}{_STOP}", excerpt)
