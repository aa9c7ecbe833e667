"""PostgreSQL keeps each guide's search document itself, from the one definition."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from catalog import importer
from catalog.changes import save_guide
from catalog.models import Guide
from catalog.search import DOCUMENTS_GIVEN, search_guides, search_vector

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
def documents_beside(monkeypatch):
    """Imports compute new guides' documents on a second connection from the first guide,
    three guides per query (so several batches are taken in order)."""
    monkeypatch.setattr(importer, "DOCUMENTS_BESIDE_FROM", 1)
    monkeypatch.setattr(importer, "DOCUMENTS_BATCH", 3)


def _given_setting():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s, true)", [DOCUMENTS_GIVEN])
        return cursor.fetchone()[0]


def test_documents_computed_beside_an_import_are_the_triggers(postgres, documents_beside, content):
    content.category("c")
    for n in range(8):
        content.guide(
            f"g{n}", title=f"Guide {n} zebra{n}", categories=("c",), tags=(f"Tag{n}", "Shared")
        )
    with CaptureQueriesContext(connection) as queries:
        content.import_()
    assert any(q["sql"].startswith('COPY "catalog_guide"') for q in queries)
    assert Guide.objects.filter(search_document__isnull=True).count() == 0
    assert stale_documents() == []
    assert [g.slug for g in search_guides("zebra5")] == ["g5"]
    assert [g.slug for g in search_guides("tag7")] == ["g7"]


def test_the_trigger_computes_documents_again_once_the_import_is_done(
    postgres, documents_beside, content
):
    content.category("c")
    content.guide("g", title="Consistent hashing", categories=("c",))
    with transaction.atomic():
        content.import_()
        assert _given_setting() in ("off", "", None)
        Guide.objects.filter(slug="g").update(title="Rendezvous", search_document="stale")
        assert stale_documents() == []


def test_an_import_whose_second_connection_fails_lets_the_trigger_compute(
    postgres, documents_beside, content, monkeypatch
):
    monkeypatch.setattr(importer, "document_sql", lambda connection: "SELECT no_such_function()")
    content.category("c")
    for n in range(5):
        content.guide(f"g{n}", title=f"Guide {n} okapi{n}", categories=("c",))
    content.import_()
    assert stale_documents() == []
    assert [g.slug for g in search_guides("okapi3")] == ["g3"]


def test_an_import_failing_while_documents_are_given_writes_nothing(
    postgres, documents_beside, content, monkeypatch
):
    content.category("c")
    content.guide("kept", title="Kept", categories=("c",))
    content.import_()
    for n in range(5):
        content.guide(f"g{n}", title=f"Guide {n}", categories=("c",))
    unreadable = (  # the second connection hands over a document the database cannot read
        "SELECT '''unterminated' FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[])"
    )
    monkeypatch.setattr(importer, "document_sql", lambda connection: unreadable)
    with pytest.raises(DatabaseError, match="tsvector"):
        content.import_()
    assert list(Guide.objects.values_list("slug", flat=True)) == ["kept"]
    assert _given_setting() in ("off", "", None)
