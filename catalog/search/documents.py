"""The search document: what a guide's full-text document is made of and how it is
weighted, the one definition of it, compiled to SQL for the trigger that keeps it and for
documents computed beside an import."""

import contextlib

from django.db import connection

from catalog.infra.db import backend
from catalog.models import Guide

WEIGHTS = {"title": 8, "tag": 4, "description": 2, "body": 1}


# The weight letter each part has in the search document (PostgreSQL), heaviest first.
WEIGHT_LETTERS = {"title": "A", "tag": "B", "description": "C", "body": "D"}


SEARCH_CONFIG = "english"

# The characters of a body its search document is made of (the real guides have at most
# about 15,000). PostgreSQL refuses a document over 1 MB, which the words of a 1 MB body can
# make (a file of distinct words failed the whole import there, where SQLite took it); the
# words of this many characters, with the title, tags and description, stay well under it
# whatever the script (at most four bytes a character, a position and an entry per word).
MAX_SEARCHED_CHARS = 100_000


def search_vector():
    """The weighted document (migration 0033 installs its trigger as it is now)."""
    from django.contrib.postgres.search import SearchVector
    from django.db.models.functions import Left

    letter = WEIGHT_LETTERS
    body = Left("body", MAX_SEARCHED_CHARS)
    return (
        SearchVector("title", weight=letter["title"], config=SEARCH_CONFIG)
        + SearchVector("tag_text", weight=letter["tag"], config=SEARCH_CONFIG)
        + SearchVector("description", weight=letter["description"], config=SEARCH_CONFIG)
        + SearchVector(body, weight=letter["body"], config=SEARCH_CONFIG)
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
    if not given:
        yield
        return
    with backend().transaction_flag(connection, DOCUMENTS_GIVEN):
        yield


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


# The PL/pgSQL function that keeps the document (migrations 0010, 0021, 0024), and its body.
TRIGGER_FUNCTION = "catalog_guide_search_document"


def trigger_function_body(connection) -> str:
    """What the installed trigger function's source must be for today's document."""
    return f" BEGIN NEW.search_document := {trigger_expression(connection)}; RETURN NEW; END "


_stemmed = {}
STEMMED_WORDS = 10_000  # remembered; a word's stems depend on the configuration alone


def stems(term):
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


def remembered_stems(term):
    """:func:`stems` of ``term`` where this process has asked the database already, else
    None (asks nothing)."""
    return _stemmed.get(term)
