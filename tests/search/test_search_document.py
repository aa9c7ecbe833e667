"""PostgreSQL keeps each guide's search document itself, from the one definition."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from catalog.fileformat import read_folder
from catalog.models import Guide
from catalog.pipeline import importer, searchdocs
from catalog.search import DOCUMENTS_GIVEN, search_guides, search_vector
from catalog.search.documents import MAX_SEARCHED_CHARS
from catalog.write.changes import save_guide

pytestmark = pytest.mark.django_db


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("the stored search document is PostgreSQL's")


def stale_documents():
    rows = Guide.objects.annotate(fresh=search_vector()).values_list(
        "slug", "search_document", "fresh"
    )
    return [slug for slug, stored, fresh in rows if stored != fresh]


def test_import_edit_and_retag_keep_the_document_current(postgres, content):
    content.category("c")
    content.guide("g", title="Consistent hashing", categories=("c",), tags=("Hashing",))
    content.import_()
    assert stale_documents() == []
    guide = Guide.objects.get(slug="g")
    guide.body = "Zebras run a ring of replicas."
    save_guide(guide, tags=["Sharding"])
    assert stale_documents() == []
    assert [g.slug for g in search_guides("zebras sharding")] == ["g"]
    content.guide("g", title="Rendezvous", categories=("c",), tags=("Hashing",))
    content.import_()
    assert stale_documents() == []
    assert [g.slug for g in search_guides("rendezvous")] == ["g"]


@pytest.fixture
def small_batches(monkeypatch):
    """The second connection takes guides two at a time, three per query (so that an import
    of a few guides runs several queries and batches, as a large one does)."""
    monkeypatch.setattr(searchdocs, "DOCUMENTS_WAKE", 2)
    monkeypatch.setattr(searchdocs, "DOCUMENTS_BATCH", 3)


def _given_setting():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s, true)", [DOCUMENTS_GIVEN])
        return cursor.fetchone()[0]


def _marking(connection):
    """document_sql() that gives every guide the document 'marked', to tell the second
    connection's documents from the trigger's."""
    return (
        "SELECT 'marked'::tsvector FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[]) "
        "WITH ORDINALITY AS d(a, b, c, e, n) ORDER BY n"
    )


def test_documents_computed_while_reading_are_the_triggers(postgres, small_batches, content):
    content.category("c")
    for n in range(8):
        content.guide(
            f"g{n}",
            title=f"Guide {n} zebra{n}: Zürich, naïve café ✓",
            categories=("c",),
            tags=(f"Tag{n}", "Shared", "Größe"),
        )
    with CaptureQueriesContext(connection) as queries:
        content.import_()
    assert any(q["sql"].startswith('COPY "catalog_guide"') for q in queries)
    assert Guide.objects.filter(search_document__isnull=True).count() == 0
    assert stale_documents() == []
    assert [g.slug for g in search_guides("zebra5")] == ["g5"]
    assert [g.slug for g in search_guides("tag7")] == ["g7"]
    assert [g.slug for g in search_guides("zürich zebra3")] == ["g3"]


def test_an_import_stores_the_documents_of_the_second_connection(
    postgres, small_batches, content, monkeypatch
):
    monkeypatch.setattr(searchdocs, "document_sql", _marking)
    content.category("c")
    for n in range(5):
        content.guide(f"g{n}", categories=("c",))
    content.import_()
    assert set(Guide.objects.values_list("search_document", flat=True)) == {"'marked'"}


def test_only_guides_not_stored_yet_are_sent(postgres, small_batches, content, monkeypatch):
    content.category("c")
    content.guide("old", title="Old", categories=("c",))
    content.import_()
    monkeypatch.setattr(searchdocs, "document_sql", _marking)
    with searchdocs.SearchDocuments() as documents:
        read_folder(content.root, each=documents.add)
        assert documents._worker is None  # nothing new: no second connection either
    content.guide("new", title="New", categories=("c",))
    with searchdocs.SearchDocuments() as documents:
        read_folder(content.root, each=documents.add)
        documents.finish()
        assert set(documents._computed) == {"new"}


def test_updates_beside_new_guides_get_the_triggers_documents(
    postgres, small_batches, content, monkeypatch
):
    content.category("c")
    content.guide("old", title="Old", categories=("c",), body="Alpha.\n")
    content.import_()
    monkeypatch.setattr(searchdocs, "document_sql", _marking)
    content.guide("old", title="Old", categories=("c",), body="Omega.\n")
    for n in range(4):
        content.guide(f"g{n}", categories=("c",))
    content.import_()
    assert Guide.objects.get(slug="g0").search_document == "'marked'"
    assert [g.slug for g in search_guides("omega")] == ["old"]
    assert "old" not in stale_documents()


def test_a_document_of_other_text_than_the_row_is_not_used(postgres, small_batches, content):
    content.category("c")
    for n in range(3):
        content.guide(f"g{n}", categories=("c",), body="Written first.\n")
    with searchdocs.SearchDocuments() as documents:
        read_folder(content.root, each=documents.add)
        content.guide("g1", categories=("c",), body="Quokkas, written later.\n")
        importer.apply_plan(importer.build_plan(read_folder(content.root)), documents)
    assert stale_documents() == []
    assert [g.slug for g in search_guides("quokkas")] == ["g1"]


def test_the_trigger_computes_documents_again_once_the_import_is_done(
    postgres, small_batches, content
):
    content.category("c")
    content.guide("g", title="Consistent hashing", categories=("c",))
    with transaction.atomic():
        content.import_()
        assert _given_setting() in ("off", "", None)
        Guide.objects.filter(slug="g").update(title="Rendezvous", search_document="stale")
        assert stale_documents() == []


def test_an_import_whose_second_connection_fails_lets_the_trigger_compute(
    postgres, small_batches, content, monkeypatch
):
    monkeypatch.setattr(searchdocs, "document_sql", lambda connection: "SELECT no_such_function()")
    content.category("c")
    for n in range(5):
        content.guide(f"g{n}", title=f"Guide {n} okapi{n}", categories=("c",))
    content.import_()
    assert stale_documents() == []
    assert [g.slug for g in search_guides("okapi3")] == ["g3"]


def test_a_second_connection_giving_other_than_documents_lets_the_trigger_compute(
    postgres, small_batches, content, monkeypatch
):
    monkeypatch.setattr(
        searchdocs,
        "document_sql",
        lambda connection: (
            "SELECT 'okapi' FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[])"
        ),
    )
    content.category("c")
    for n in range(3):
        content.guide(f"g{n}", title=f"Guide {n} okapi{n}", categories=("c",))
    content.import_()
    assert stale_documents() == []


def test_an_import_failing_while_documents_are_given_writes_nothing(
    postgres, small_batches, content, monkeypatch
):
    content.category("c")
    content.guide("kept", title="Kept", categories=("c",))
    content.import_()
    for n in range(5):
        content.guide(f"g{n}", title=f"Guide {n}", categories=("c",))
    given = searchdocs.SearchDocuments.given

    def unreadable_fourth(self, row):  # a document the database cannot read, mid-COPY
        return b"\xff\xff\xff\xff" if row["slug"] == "g3" else given(self, row)

    monkeypatch.setattr(searchdocs.SearchDocuments, "given", unreadable_fourth)
    with pytest.raises(DatabaseError, match="tsvector"):
        content.import_()
    assert list(Guide.objects.values_list("slug", flat=True)) == ["kept"]
    assert _given_setting() in ("off", "", None)


def test_a_dry_run_and_other_databases_compute_nothing_beside(content, monkeypatch):
    asked = []
    monkeypatch.setattr(searchdocs, "document_sql", lambda connection: asked.append(1))
    content.category("c")
    content.guide("g", categories=("c",))
    with searchdocs.SearchDocuments(enabled=False) as documents:
        read_folder(content.root, each=documents.add)
    assert documents._worker is None
    content.import_("--dry-run")
    assert not Guide.objects.exists()
    assert asked == []  # no second connection was asked for a document


def _distinct_words(count, seed):
    """``count`` made-up words, none twice (letters only: the parser keeps each whole)."""
    letters = "bcdfghjklmnpqrstvwxz"
    words, n = [], seed
    for _ in range(count):
        word, k = [], n
        for _ in range(9):
            word.append(letters[k % len(letters)])
            k //= len(letters)
        words.append("".join(word) + "o")
        n += 7919
    return words


def test_a_megabyte_of_distinct_words_imports_and_its_start_is_searched(content):
    """A document over 1 MB is refused by PostgreSQL: a valid file of distinct words failed
    the whole import there (SQLite took it). A body's first MAX_SEARCHED_CHARS characters
    make its document, on both databases' import alike."""
    words = _distinct_words(85_000, seed=1)
    body = " ".join(words)
    assert 900_000 < len(body.encode()) < 1_000_000
    content.category("c")
    content.guide("huge", title="Huge", categories=("c",), body=body)
    content.guide("small", title="Small", categories=("c",), body="A zebra.")
    content.import_()
    assert Guide.objects.get(slug="huge").body == body
    assert [g.slug for g in search_guides(words[10])] == ["huge"]
    if connection.vendor == "postgresql":
        assert stale_documents() == []
        far = words[-1]
        assert body.index(far) > MAX_SEARCHED_CHARS
        assert list(search_guides(far)) == []
