"""Tags: one display name per tag, a merge that moves every guide, label and search text,
near-duplicate spellings reported by --check, and related guides for every guide."""

import re
import time
from io import StringIO

import pytest
from django.core.management import call_command

from catalog.fileformat import near_duplicate_tags, parse_guide, read_folder, tag_family
from catalog.models import Guide, GuideRevision, SiteState, Tag
from catalog.write.links import unique_tag_slugs
from tests.factories import editor_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def tagged(content):
    content.category("c")
    content.guide("a", title="A", categories=("c",), tags=("system design", "APIs"))
    content.guide("b", title="B", categories=("c",), tags=("System Design", "API"))
    content.guide("d", title="D", categories=("c",), tags=("System Design", "api", "REST"))
    content.guide("e", title="E", categories=("c",), tags=("HTTPS",))
    content.guide("f", title="F", categories=("c",), tags=("HTTP",))
    content.import_()
    return content


def test_a_new_tag_is_named_by_its_most_used_spelling_and_pages_show_that_name(client, tagged):
    assert Tag.objects.get(name__iexact="system design").name == "System Design"
    page = client.get("/guides/a").content.decode()
    assert ">System Design</a>" in page and ">system design</a>" not in page
    guide = Guide.objects.with_page().get(slug="a")
    assert [i.label for i in guide.tagged_items.all()] == ["system design", "APIs"]  # the file's


def test_near_duplicates_are_warnings_of_check_with_file_and_line(tagged):
    assert tag_family("APIs") == tag_family("api") == tag_family("API")
    assert tag_family("Databases") == tag_family("database")
    assert tag_family("system-design") == tag_family("System Design")
    assert tag_family("Caches") == tag_family("cache") and tag_family("boxes") == tag_family("box")
    assert tag_family("HTTPS") != tag_family("HTTP") and tag_family("DNS") == "dns"
    problems = near_duplicate_tags(read_folder(tagged.root))
    assert [(p.severity, p.field) for p in problems] == [("warning", "tags")]
    [problem] = problems
    assert problem.path.endswith("guides/a.md") and problem.line is not None
    assert "'APIs' (1 guide) looks like the tag 'API' (2 guides)" in problem.message
    err = StringIO()
    call_command("import_guides", "--check", "--data-dir", str(tagged.root), stderr=err)
    assert re.search(r"guides/a\.md:\d+: warning: tags: 'APIs' \(1 guide\)", err.getvalue())


def test_merging_tags_moves_every_guide_label_and_search_text(tagged):
    editor = editor_client("ed")
    ids = [str(t.pk) for t in Tag.objects.filter(name__in=["APIs", "API"])]
    version = SiteState.current().version
    response = editor.post(
        "/admin/taggit/tag/",
        {"action": "render_tag_form", "_selected_action": ids},
    )
    assert response.status_code == 302
    page = editor.get(response.url).content.decode()
    assert "Merge 2 tags" in page and 'value="API"' in page  # the most used is offered
    response = editor.post(response.url, {"new_tag_name": "API"})
    assert response.status_code == 302
    assert not Tag.objects.filter(name="APIs").exists()
    api = Tag.objects.get(name="API")
    assert set(api.catalog_taggedguide_items.values_list("content_object__slug", flat=True)) == {
        "a",
        "b",
        "d",
    }
    a = Guide.objects.with_page().get(slug="a")
    assert [i.label for i in a.tagged_items.all()] == ["system design", "API"]
    assert a.tag_text == "system design, API"
    assert SiteState.current().version == version + 1
    revision = GuideRevision.objects.filter(guide=a).first()
    assert (revision.source, revision.author.username) == ("merge", "ed")

    # The change is an admin change: the export writes it to the file.
    call_command("export_guides", "--data-dir", str(tagged.root), stdout=StringIO())
    path = tagged.root / "guides" / "a.md"
    assert parse_guide("a", path.read_bytes(), path).tags == ("system design", "API")


def test_a_merge_into_a_new_spelling_renames_the_kept_tag(tagged):
    from catalog.write.changes import merge_tags

    kept, changed = merge_tags(list(Tag.objects.filter(name__in=["HTTP", "HTTPS"])), "HTTP(S)")
    assert (kept.name, changed) == ("HTTP(S)", 2)
    assert Tag.objects.filter(name__in=["HTTP", "HTTPS"]).count() == 0


def test_every_guide_in_a_category_shows_related_guides(client, content):
    content.category("c")
    content.category("other")
    for n in range(8):
        content.guide(
            f"g{n}", title=f"G{n}", categories=("c",), created=f"2024-01-0{n + 1}", tags=()
        )
    content.guide("lonely", title="Lonely", categories=("c",), tags=("Unique",))
    content.guide("x", title="X", categories=("other",), tags=())
    content.import_()
    for slug in ("g0", "g4", "lonely"):
        page = client.get(f"/guides/{slug}").content.decode()
        section = re.search(r'<section class="related".*?</section>', page, re.S).group(0)
        links = re.findall(r'href="/guides/([^"]+)"', section)
        assert len(links) == 5 and slug not in links and "x" not in links, (slug, links)
    near = [g.slug for g in Guide.objects.related_to(Guide.objects.with_page().get(slug="g4"))]
    assert set(near[:2]) == {"g3", "g5"}  # the nearest in the category's list come first


def test_existing_tags_take_their_most_used_spelling_once(tagged):
    import importlib

    from django.apps import apps

    tag = Tag.objects.get(name__iexact="system design")
    tag.name = "system design"  # as a database from before display names had it
    tag.save()
    migration = importlib.import_module("catalog.migrations.0020_tag_display_names")
    migration.forwards(apps, None)
    assert Tag.objects.get(pk=tag.pk).name == "System Design"


def test_tags_that_slugify_alike_get_the_next_free_suffix_each():
    Tag.objects.create(name="A taken", slug="a-3")
    names = ["a", "a!", "a?", "A#", "a%"]
    assert unique_tag_slugs(names) == ["a", "a-2", "a-4", "a-5", "a-6"]


def test_forty_thousand_tags_that_slugify_alike_take_seconds_not_hours():
    """Each base goes on from its last suffix: trying every suffix from -2 again cost about
    800 million steps here (an import of 400 files with 100 such tags each ran for hours)."""
    names = [f"a{'!' * (n % 7)}{'?' * (n // 7 % 11)}{'#' * (n // 77)}" for n in range(40_000)]
    started = time.perf_counter()
    slugs = unique_tag_slugs(names)
    assert time.perf_counter() - started < 30
    assert slugs[:3] == ["a", "a-2", "a-3"] and len(set(slugs)) == 40_000
