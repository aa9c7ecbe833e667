"""Pages stay fast: bounded queries, conditional GETs, a page cache that never serves stale."""

import pytest
from django.core.cache import cache, caches
from django.core.management import call_command

from catalog.models import Category, Guide, SiteState, Tag
from catalog.write import versions

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(content):
    content.category("c", title="Cat")
    content.guide("g", title="Original title", categories=("c",), tags=("T",))
    content.import_()
    return content


def test_anonymous_pages_carry_validators_and_public_cache_control(client, site):
    response = client.get("/guides/g")
    assert response["ETag"].startswith('"') and response["Last-Modified"]
    assert response["Cache-Control"] == "public, max-age=60"
    assert "Cookie" in response["Vary"]


def test_conditional_requests_get_304(client, site):
    first = client.get("/guides/g")
    again = client.get("/guides/g", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    since = client.get("/guides/g", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert since.status_code == 304


def test_an_orm_edit_invalidates_cached_pages_and_etags(client, site):
    first = client.get("/guides/c")
    assert b"Original title" in first.content
    guide = Guide.objects.get(slug="g")
    guide.title = "Edited title"
    guide.save()
    again = client.get("/guides/c", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200 and b"Edited title" in again.content
    assert again["ETag"] != first["ETag"]


def test_an_import_invalidates_cached_pages(client, site):
    assert b"Original title" in client.get("/").content
    site.guide("g", title="Imported title", categories=("c",), tags=("T",))
    site.import_()
    assert b"Imported title" in client.get("/").content


def test_publishing_a_draft_shows_it_at_once(client, site):
    site.guide("new", title="Fresh draft", categories=("c",), draft=True)
    site.import_()
    assert b"Fresh draft" not in client.get("/guides/c").content
    Guide.objects.filter(slug="new").update(draft=False)
    versions.bump()
    assert b"Fresh draft" in client.get("/guides/c").content


def test_cached_page_is_served_without_rendering(client, site, django_assert_num_queries):
    client.get("/guides/g")
    with django_assert_num_queries(1):
        assert b"Original title" in client.get("/guides/g").content


def test_every_model_change_bumps_the_version(site):
    before = SiteState.current().version
    Category.objects.get(slug="c").save()
    Tag.objects.get(name="T").delete()
    assert SiteState.current().version == before + 2


@pytest.fixture
def corpus(corpus_dir):
    call_command("import_guides", "--data-dir", str(corpus_dir), verbosity=0)
    return corpus_dir


@pytest.mark.corpus
@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/guides",
        "/guides/api-web-development",
        "/guides/api-web-development?page=2",
        "/guides/how-to-avoid-double-payment",
        "/guides/security",
        "/tags",
        "/tags/system-design",
        "/search?q=cache",
        "/search?q=kafka+queue&page=2",
        "/search?q=",
        "/feed.xml",
        "/guides/security/feed.xml",
        "/tags/system-design/feed.xml",
        "/sitemap.xml",
    ],
)
def test_every_page_type_runs_at_most_6_queries_on_the_real_corpus(
    client, corpus, url, django_assert_max_num_queries
):
    cache.clear()
    caches["pages-local"].clear()
    with django_assert_max_num_queries(6):
        response = client.get(url)
    assert response.status_code == 200


def test_collectstatic_makes_hashed_compressed_files(tmp_path, settings):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", verbosity=0)
    names = {p.name for p in (tmp_path / "static" / "css").iterdir()}
    hashed = [n for n in names if n.startswith("site.") and n.endswith(".css") and n != "site.css"]
    assert hashed and f"{hashed[0]}.gz" in names
