"""The real system-design-101 collection, read from ../shared (never copied into the repo)."""

from io import StringIO

import pytest
from django.core.management import call_command

from catalog.fileformat import read_folder
from catalog.models import Category, Guide, Tag
from catalog.pipeline.readme import toc_lines, toc_sections

pytestmark = [pytest.mark.django_db, pytest.mark.corpus]


@pytest.fixture
def imported(corpus_dir):
    out = StringIO()
    call_command("import_guides", "--data-dir", str(corpus_dir), stdout=out)
    return out.getvalue()


def test_the_whole_corpus_validates_without_a_problem(corpus_dir):
    folder = read_folder(corpus_dir)
    assert folder.problems == []
    assert (len(folder.categories), len(folder.guides)) == (15, 400)


def test_corpus_imports_and_reimport_reports_400_unchanged(corpus_dir, imported):
    assert "categories: 15 created" in imported
    assert "guides: 400 created" in imported
    assert (Category.objects.count(), Guide.objects.count()) == (15, 400)
    out = StringIO()
    call_command("import_guides", "--data-dir", str(corpus_dir), stdout=out)
    assert "guides: 0 created, 0 updated, 400 unchanged, 0 deleted" in out.getvalue()
    assert "categories: 0 created, 0 updated, 15 unchanged, 0 deleted" in out.getvalue()


def test_mixed_case_tags_become_one_tag(imported):
    names = {name.casefold() for name in Tag.objects.values_list("name", flat=True)}
    assert len(names) == Tag.objects.count()
    assert Tag.objects.filter(name__iexact="system design").count() == 1


def test_prose_in_angle_brackets_and_raw_img_survive_rendering(imported):
    payment = Guide.objects.get(slug="how-to-avoid-double-payment").html
    assert "&lt;idempotency-key: key_value&gt;" in payment
    history = Guide.objects.get(slug="a-brief-history-og-programming-languages").html
    assert 'src="https://assets.bytebytego.com/diagrams/0305-programming-languages.png"' in (
        history
    )


def test_toc_lists_every_published_guide_under_each_of_its_categories(imported):
    lines = toc_lines(toc_sections(), "https://bytebytego.com/guides")
    links = sum(
        len(g.category_links.all()) for g in Guide.objects.prefetch_related("category_links")
    )
    assert len(lines) == 15 + links
    assert (
        lines[0] == "* [API and Web Development](https://bytebytego.com/guides/api-web-development)"
    )


def test_every_category_and_guide_page_answers(client, imported):
    for slug in Category.objects.values_list("slug", flat=True):
        assert client.get(f"/guides/{slug}").status_code == 200, slug
    for slug in Guide.objects.values_list("slug", flat=True):
        assert client.get(f"/guides/{slug}").status_code == 200, slug


def test_search_documents_of_the_whole_corpus_are_the_triggers(imported):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the stored search document is PostgreSQL's")
    from tests.search.test_search_document import stale_documents

    assert Guide.objects.filter(search_document__isnull=True).count() == 0
    assert stale_documents() == []
