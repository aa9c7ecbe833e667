"""A large folder's import holds its guides' bodies on disk, not in memory
(catalog.fileformat.bodies): read again, checked, as each row is written, with the same
records, renderings, revisions and sync bases as an import that held them; a file changed
between the two reads stops the import with nothing written. Here "large" is made small
(``BODIES_IN_MEMORY`` lowered); bench/RESULTS.md has the memory it saves at 100,000 guides."""

import pytest
from django.core.management import CommandError

from catalog.fileformat import read_folder
from catalog.fileformat.bodies import FileBody, resolved
from catalog.fileformat.merge import to_data
from catalog.models import Guide, GuideRevision
from catalog.pipeline import steps

pytestmark = pytest.mark.django_db(transaction=True)

BODIES = {
    "alpha": "## Steps\n\n1. One\n   - nested\n2. Two\n\n```python\nprint('a')\n```\n",
    "beta": "A *plain* body.\n",
    "gamma": "| a | b |\n|---|---|\n| 1 | 2 |\n",
    "delta": "Line with ünïcode and a [link](https://example.org).\n",
}


@pytest.fixture
def large(content, monkeypatch):
    monkeypatch.setattr(steps, "BODIES_IN_MEMORY", 2)
    content.category("cat")
    for slug, body in BODIES.items():
        content.guide(slug, body=body)
    return content


def test_a_large_folder_keeps_its_bodies_on_disk_and_compares_them_as_text(large):
    folder = read_folder(large.root, bodies_in_memory=2)
    body = folder.guides["alpha"].body
    assert isinstance(body, FileBody)
    assert body == BODIES["alpha"].rstrip("\n") and body != "something else"
    assert BODIES["alpha"].rstrip("\n") == body  # either way round
    assert resolved(folder.guides["alpha"]) == read_folder(large.root).guides["alpha"]
    assert not isinstance(read_folder(large.root).guides["alpha"].body, FileBody)


def test_it_imports_what_an_import_holding_the_bodies_imports(large, settings):
    large.import_()
    lean = _records()
    Guide.objects.all().delete()
    GuideRevision.objects.all().delete()
    steps.BODIES_IN_MEMORY = 10_000
    large.import_()
    assert _records() == lean
    assert Guide.objects.get(slug="alpha").body == BODIES["alpha"].rstrip("\n")
    assert "<pre" in Guide.objects.get(slug="alpha").body_html


def _records():
    return {
        g.slug: (g.body, g.body_html, g.body_text, g.synced, g.synced_body, g.title)
        for g in Guide.objects.all()
    } | {
        f"revision of {r.guide.slug}": (r.body, r.frontmatter)
        for r in GuideRevision.objects.select_related("guide")
    }


def test_an_unchanged_large_folder_writes_nothing_and_a_change_is_taken(large):
    large.import_()
    before = Guide.objects.get(slug="beta").synced_at
    large.import_()
    assert Guide.objects.get(slug="beta").synced_at == before  # nothing written
    large.guide("beta", body="A changed body.\n")
    large.import_()
    assert Guide.objects.get(slug="beta").body == "A changed body."


def test_a_file_renamed_in_git_is_still_recognised(large):
    large.import_()
    pk = Guide.objects.get(slug="gamma").pk
    (large.root / "guides" / "gamma.md").rename(large.root / "guides" / "gamma-renamed.md")
    large.import_()
    assert Guide.objects.get(slug="gamma-renamed").pk == pk  # the same record, renamed
    assert not Guide.objects.filter(slug="gamma").exists()


def test_a_file_changed_after_it_was_read_stops_the_import_with_nothing_written(large, monkeypatch):
    apply = steps.apply_plan

    def meanwhile(plan, documents=None):
        large.guide("delta", body="Edited while the import ran.\n")
        return apply(plan, documents)

    monkeypatch.setattr(steps, "apply_plan", meanwhile)
    with pytest.raises(CommandError, match="changed during the import; nothing was imported"):
        large.import_()
    assert not Guide.objects.exists() and not GuideRevision.objects.exists()


def test_a_sync_base_written_from_a_body_on_disk_is_the_files_content(large):
    large.import_()
    folder = read_folder(large.root)
    for slug, item in folder.guides.items():
        guide = Guide.objects.get(slug=slug)
        assert {**guide.synced, "body": guide.synced_body} == to_data(item)
