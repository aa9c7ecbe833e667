"""The words a search may suggest for a typo ("did you mean"): every word of a published
guide's title, kept in a table on PostgreSQL (``SuggestionWord``, with a trigram index).

A suggestion ranks the words near the typo (catalog.search.query). Ranking the titles near
it instead meant every title sharing enough of its trigrams, a number that grows with the
collection: 100-150 ms a word at 100,000 guides, against 10-20 at 400 (bench/RESULTS.md).
The words grow with the language, not with the guides.

Every content change adds the words of the titles it touched (catalog.write.versions.bump,
in the change's transaction; an import: all published titles). Words are never taken out:
one that no published title holds any more is suggested only if the query it makes finds
published guides (catalog.search.suggestion checks), which it then does not. Elsewhere
(SQLite) a suggestion reads the titles themselves and the table stays empty.
"""

from catalog.infra.db import backend
from catalog.models import Guide, SuggestionWord


def refresh(guides=None):
    """Add the words of the published titles of ``guides`` (ids; None: every guide) that
    are not kept yet."""
    if not backend().full_text_search or (guides is not None and not guides):
        return
    from catalog.search.query import words  # the search's own rule of a word, loaded here

    titles = Guide.objects.published()
    if guides is not None:
        titles = titles.filter(pk__in=list(guides))
    longest = SuggestionWord._meta.pk.max_length  # a title's length: a word is never longer
    found = words(titles.order_by().values_list("title", flat=True))
    backend().add_keys(SuggestionWord, sorted(w for w in found if len(w) <= longest))
