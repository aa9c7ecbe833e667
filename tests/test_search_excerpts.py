"""Search excerpts are the text a reader sees: no markdown syntax, no URLs, terms marked."""

import re

import pytest

pytestmark = pytest.mark.django_db

BODY = """![](https://assets.example.com/very/long/path/to/a/diagram-of-caching.png)

## DevOps and caching

**Cache-aside** keeps the cache beside the database: see
[the docs](https://example.org/a/very/long/url/about/caching) or
https://example.com/another/bare/url/on/caching for *more* on `cache` keys.
"""


@pytest.fixture
def site(content):
    content.category("c")
    content.guide("g", title="Patterns", categories=("c",), body=BODY)
    content.import_()


def _excerpt(client, query):
    page = client.get("/search", {"q": query}).content.decode()
    match = re.search(r'<p class="card-text snippet">(.*?)</p>', page, re.S)
    assert match, page[-3000:]
    return match.group(1)


@pytest.mark.parametrize("query", ["cache", "caching", "docs"])
def test_excerpts_show_rendered_text_without_markdown_or_urls(client, site, query):
    excerpt = _excerpt(client, query)
    assert "<mark>" in excerpt
    for syntax in ("**", "![", "](", "##", "`", "https://", "example.com", "assets."):
        assert syntax not in excerpt, (syntax, excerpt)
    text = re.sub(r"</?mark>", "", excerpt)
    assert "Cache-aside keeps the cache beside the database" in text or "the docs" in text


@pytest.fixture
def kafka(content):
    content.category("c")
    content.guide("k", title="Kafka in five minutes", categories=("c",), tags=("Message Queues",))
    content.guide("r", title="Redis streams", categories=("c",), tags=("Caching",))
    content.import_()


def test_a_typo_shows_what_the_nearest_words_find_on_postgresql(client, kafka):
    from django.db import connection

    from catalog.search import suggestion

    if connection.vendor != "postgresql":
        page = client.get("/search", {"q": "kafak"}).content.decode()
        assert "No guide matches" in page  # SQLite: no trigrams, no suggestion
        return
    assert suggestion("kafak") == "kafka"
    assert suggestion("kafak streams") == ""  # "kafka streams" would find no guide either
    assert suggestion("redis") == ""  # matches already: nothing to suggest
    assert suggestion("qqqzzzxx") == ""
    page = client.get("/search", {"q": "kafak"}).content.decode()
    assert "No guide matches “kafak”. Showing 1 guide for" in page
    assert '<a href="?q=kafka">kafka</a>' in page and "/guides/k" in page
    assert "<mark>Kafka</mark>" in page
    page = client.get("/search", {"q": "qqqzzzxx"}).content.decode()
    assert "No guide matches “qqqzzzxx”" in page and "Showing" not in page
    page = client.get("/search", {"q": "cachng"}).content.decode()
    assert "/guides/r" in page  # a tag's words are candidates too


def test_excerpts_quote_the_stored_text_once_bodies_are_rendered(client, site):
    from catalog.models import Guide, SiteState, render_stored_html
    from catalog.rendering import plain_text

    assert Guide.objects.get(slug="g").body_text == ""  # an import stores no rendering
    render_stored_html()
    guide = Guide.objects.get(slug="g")
    assert guide.body_text == plain_text(guide.body_html) != ""
    Guide.objects.filter(pk=guide.pk).update(body_text="Stored words on cache warming.")
    SiteState.bump()
    assert re.sub(r"</?mark>", "", _excerpt(client, "cache")) == "…Stored words on cache warming.…"


def test_a_saved_guide_stores_its_text_beside_its_html(site):
    from catalog.models import Guide

    guide = Guide.objects.get(slug="g")
    guide.body = "Plain **words** and [a link](https://example.com/x)."
    guide.save()
    guide.refresh_from_db()
    assert guide.body_text == "Plain words and a link."
    assert guide.text == guide.body_text


def test_a_page_of_rendered_and_unrendered_guides_quotes_each(client, content):
    from catalog.models import Guide

    content.category("c")
    content.guide("a", title="A", categories=("c",), body="Cache **warming** before a launch.\n")
    content.guide("b", title="B", categories=("c",), body="A cold *cache* misses often.\n")
    content.import_()
    Guide.objects.get(slug="a").save()  # rendered and stored; "b" is not
    page = client.get("/search", {"q": "cache"}).content.decode()
    excerpts = re.findall(r'<p class="card-text snippet">(.*?)</p>', page, re.S)
    texts = sorted(re.sub(r"</?mark>", "", excerpt).strip("…") for excerpt in excerpts)
    assert texts == ["A cold cache misses often.", "Cache warming before a launch."]
