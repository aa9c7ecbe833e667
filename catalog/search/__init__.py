"""Guide search: every word must match; title beats tag beats description beats body.

With full text in the database (PostgreSQL, catalog.infra.db), a weighted document stored in
``Guide.search_document`` by the database itself as a row is written (``documents``),
indexed with GIN and ranked; once a process's search index is at the current content
version, it finds the same guides from those documents and orders them by BM25 (``index``).
Elsewhere (SQLite), a portable path: case-insensitive substring matches scored by where each
word matched, which gives the same order. Either way, excerpts of the guides on the page
shown (never of every match) are built from the words the search's own rule matches
(``excerpts``)."""

from catalog.search.documents import (  # noqa: F401
    COMPUTES_DOCUMENT,
    DOCUMENT_COLUMNS,
    DOCUMENTS_GIVEN,
    SEARCH_CONFIG,
    WEIGHT_LETTERS,
    WEIGHTS,
    document_expression,
    document_sql,
    documents_given,
    search_vector,
    trigger_expression,
)
from catalog.search.excerpts import (  # noqa: F401
    EXCERPT_FIELDS,
    SNIPPET_CHARS,
    SNIPPET_LEAD,
    add_headlines,
    excerpt,
    marked_html,
    snippet,
)
from catalog.search.query import (  # noqa: F401
    MAX_QUERY_CHARS,
    MAX_RESULTS,
    MAX_TERMS,
    RESULT_ORDER,
    SUGGESTION_CUTOFF,
    WORD_SIMILARITY,
    CharField,
    SearchPaginator,
    editor_matches,
    full_text,
    revision_matches,
    search_guides,
    search_terms,
    suggestion,
)
