"""The public paths of guides, categories and tags: what ``reverse`` gives, made cheaply.

A card links its guide and each of its tags, so a page of cards calls ``reverse`` for every
link, and Django's resolver walks the namespace and checks each candidate against its pattern
every time: a large share of a card's cost and of a sitemap page's. A route that takes one slug
through a ``str`` converter is reversed once per script prefix and URLconf with a marker for the
slug; a path is then that reversal with the slug quoted as ``reverse`` quotes it. A slug no such
route accepts (empty, or holding "/") is handed to ``reverse``, which refuses it.
"""

import re
from functools import lru_cache
from urllib.parse import quote

from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.http import RFC3986_SUBDELIMS

_MARKER = "slug-marker"
_SAFE = RFC3986_SUBDELIMS + "/~:@"  # what reverse leaves unquoted
_PLAIN = re.compile(r"[A-Za-z0-9_.~-]+")  # what quote leaves as it is, whatever ``safe``


@lru_cache(maxsize=64)
def _around(route, prefix, urlconf):
    head, _, tail = reverse(route, args=[_MARKER]).partition(_MARKER)
    return head, tail


def slug_paths(route):
    """:func:`slug_path` for ``route``, the route's reversal looked up once: for a page of
    many (the script prefix and URLconf are thread-local lookups)."""
    head, tail = _around(route, get_script_prefix(), get_urlconf())

    def path(slug):
        if not slug or "/" in slug:
            return reverse(route, args=[slug])
        plain = _PLAIN.fullmatch(slug) is not None  # nothing to quote: most slugs
        return f"{head}{slug if plain else quote(slug, safe=_SAFE)}{tail}"

    return path


def slug_path(route, slug):
    """``reverse(route, args=[slug])`` for a route whose one argument is a ``str`` slug."""
    return slug_paths(route)(slug)
