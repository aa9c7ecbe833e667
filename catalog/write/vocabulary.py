"""The words a search may suggest for a typo ("did you mean"): every word of a published
guide's title, kept in a table on PostgreSQL (``SuggestionWord``, with a trigram index).

A suggestion ranks the words near the typo (catalog.search.query). Ranking the titles near
it instead meant every title sharing enough of its trigrams, a number that grows with the
collection: at 100,000 guides the page for "cahce" took 114 ms against 17 at 400
(bench/RESULTS.md).
The words grow with the language, not with the guides.

Every content change adds the words of the titles it touched (catalog.write.versions.bump,
in the change's transaction). A change of "anything" (an import, a sync, a deletion in the
admin) reads every published title: the words none holds any more are taken out then. In
between, such a word finds nothing, and a suggestion passes over a candidate that finds
nothing to the next nearest (catalog.search.suggestion). Elsewhere
(SQLite) a suggestion reads the titles themselves and the table stays empty.
"""

import re

from catalog.infra.db import backend
from catalog.models import Guide, SuggestionWord

# A word, as a search takes one from a query (catalog.search.search_terms) and a suggestion
# from a title or a tag.
WORD_RE = re.compile(r"\w[\w+#.'-]*")


def words(texts):
    """The words of ``texts``, casefolded: the candidates of a suggestion."""
    return {word for text in texts for word in WORD_RE.findall(text.casefold())}


def kept_words(titles):
    """The words of ``titles`` the table keeps, sorted: all but those longer than its
    column, which casefolding can make of a title of the longest ("ß" is "ss")."""
    longest = SuggestionWord._meta.pk.max_length
    return sorted(word for word in words(titles) if len(word) <= longest)


def refresh(guides=None):
    """Add the words of the published titles of ``guides`` (ids) that are not kept yet; for
    None (every guide), keep exactly the words of the published titles."""
    if not backend().full_text_search or (guides is not None and not guides):
        return
    titles = Guide.objects.published()
    if guides is not None:
        titles = titles.filter(pk__in=list(guides))
    words = kept_words(titles.order_by().values_list("title", flat=True))
    if guides is None:
        backend().set_keys(SuggestionWord, words)
    else:
        backend().add_keys(SuggestionWord, words)
