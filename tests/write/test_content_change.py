"""One way to change a guide (catalog.write.changes): every path writes the row once, bumps the
content version once, keeps the search document current and records one revision, mapped
from the file form."""

import importlib
import re

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.fileformat import serialise_guide
from catalog.models import Guide, GuideRevision, SiteState
from catalog.write.changes import revision_file, revision_text, snapshot
from catalog.write.records import file_form
from tests.admin.test_admin import editors_site, guide_form, with_categories
from tests.factories import editor_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(content):
    return editors_site(content)


def _writes(queries, table):
    pattern = re.compile(rf"^(UPDATE|INSERT INTO|COPY) \"?{table}\"? ", re.IGNORECASE)
    return [q["sql"] for q in queries if pattern.match(q["sql"])]


def _stale_search_documents():
    if connection.vendor != "postgresql":
        return []
    from tests.search.test_search_document import stale_documents

    return stale_documents()


def _one_step(action, *, guides=1):
    """Run ``action``; check it wrote each guide row once, bumped the version once and left
    the search documents current; return the revisions it recorded."""
    before = SiteState.current().version
    newest = GuideRevision.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with CaptureQueriesContext(connection) as queries:
        action()
    assert len(_writes(queries, "catalog_guide")) == guides, _writes(queries, "catalog_guide")
    assert SiteState.current().version == before + 1
    assert _stale_search_documents() == []
    return list(GuideRevision.objects.filter(id__gt=newest).select_related("author"))


def test_admin_add_change_publish_restore_each_are_one_content_change(site):
    client = editor_client("ed")
    data = with_categories(guide_form(tag_labels="Hashing, hashing, Rings"), "net", "sec")
    [added] = _one_step(lambda: client.post("/admin/catalog/guide/add/", data))
    guide = Guide.objects.with_page().get(slug="consistent-hashing")
    assert (added.source, added.author.username) == ("admin", "ed")
    assert revision_file(added) == file_form(guide)
    assert guide.tag_text == "Hashing, Rings"
    assert [link.category.slug for link in guide.category_links.all()] == ["net", "sec"]

    url = f"/admin/catalog/guide/{guide.pk}/change/"
    data = with_categories(
        guide_form(title="Rings", body="Changed.\n", tag_labels="Rings"), guide=guide
    )
    [changed] = _one_step(lambda: client.post(url, data))
    guide = Guide.objects.with_page().get(pk=guide.pk)
    assert (guide.title, guide.tag_text) == ("Rings", "Rings")
    assert revision_file(changed) == file_form(guide)

    action = {"action": "publish", "_selected_action": [guide.pk, Guide.objects.get(slug="tls").pk]}
    published = _one_step(lambda: client.post("/admin/catalog/guide/", action), guides=1)
    assert {(r.guide.slug, r.source, r.author.username) for r in published} == {
        ("consistent-hashing", "publish", "ed"),
        ("tls", "publish", "ed"),
    }

    restore = f"/admin/catalog/guide/{guide.pk}/revisions/{added.pk}/"
    [restored] = _one_step(lambda: client.post(restore))
    guide = Guide.objects.with_page().get(pk=guide.pk)
    assert (restored.source, restored.author.username) == ("restore", "ed")
    assert file_form(guide) == revision_file(added)  # including the draft state it had


def test_import_records_one_revision_per_changed_guide_and_one_bump(site):
    site.guide("tcp", title="TCP, imported", categories=("net",), tags=("Networking",))
    revisions = _one_step(lambda: site.import_())
    assert [(r.guide.slug, r.source, r.author) for r in revisions] == [("tcp", "import", None)]
    guide = Guide.objects.with_page().get(slug="tcp")
    assert revision_file(revisions[0]) == file_form(guide)


def test_a_revision_is_the_file_form_with_the_upload_kept_apart(site, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    guide = Guide.objects.with_page().get(slug="tcp")
    guide.extra = [["author", "Ann"], ["weights", [1, 2]]]
    guide.diagram.name = "diagrams/x.png"
    revision = snapshot(guide, source="test")
    assert revision.frontmatter["diagram"] == "diagrams/x.png"
    assert revision_file(revision) == file_form(guide, uploads_as_urls=False)
    assert revision_text(revision).startswith(
        serialise_guide(file_form(guide, uploads_as_urls=False))
    )
    assert "(uploaded diagram: diagrams/x.png)" in revision_text(revision)


def test_revisions_from_before_the_file_form_mapping_are_migrated(site):
    guide = Guide.objects.get(slug="tcp")
    old = GuideRevision.objects.create(
        guide=guide,
        title="Old",
        body="b",
        frontmatter={
            "description": "d",
            "image": "",
            "diagram": "",
            "createdAt": "2020-01-02",
            "draft": False,
            "categories": ["net"],
            "tags": ["A"],
            "extra": [],
        },
    )
    migration = importlib.import_module("catalog.migrations.0014_revision_file_form")
    migration.forwards(apps, None)
    old.refresh_from_db()
    item = revision_file(old)
    assert (item.created.isoformat(), item.title, item.tags) == ("2020-01-02", "Old", ("A",))
