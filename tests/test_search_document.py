"""PostgreSQL keeps each guide's search document itself, from the one definition."""

import pytest
from django.db import connection

from catalog.changes import save_guide
from catalog.models import Guide
from catalog.search import search_guides, search_vector

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
