"""Guide search: every word must match somewhere; title beats tag beats description beats body.

This is the portable path (SQLite and PostgreSQL alike): case-insensitive substring matches,
scored per word by where it matched, so the order holds whatever the database.
"""

import re

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, Value, When

from .models import Guide, TaggedGuide

MAX_QUERY_CHARS = 200
MAX_TERMS = 8
WEIGHTS = {"title": 8, "tag": 4, "description": 2, "body": 1}


def search_terms(query: str) -> list[str]:
    """The words of a query worth searching for (junk and punctuation dropped)."""
    words = re.findall(r"\w[\w+#.'-]*", (query or "")[:MAX_QUERY_CHARS])
    terms = []
    for word in words:
        word = word.strip(".'-").casefold()
        if word and word not in terms:
            terms.append(word)
    return terms[:MAX_TERMS]


def search_guides(query: str):
    """Published guides matching every term, best first; none for an empty query."""
    terms = search_terms(query)
    if not terms:
        return Guide.objects.none()
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
