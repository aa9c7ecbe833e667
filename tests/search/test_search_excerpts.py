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
    match = re.search(r'<p class="snippet">(.*?)</p>', page, re.S)
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


def test_a_typo_shows_what_the_nearest_words_find(client, kafka):
    """On PostgreSQL from the trigram indexes, on SQLite from the titles' and tags' words."""
    from catalog.search import suggestion

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


def test_a_suggestion_follows_the_published_content(content, client, kafka):
    """A guide published after the first suggestion brings its words in; a draft's don't."""
    from catalog.search import suggestion

    assert suggestion("kafak") == "kafka"
    content.guide("z", title="Zookeeper elections", categories=("c",))
    content.guide("d", title="Draftwords only", categories=("c",), draft=True)
    content.import_()
    assert suggestion("zookeper") == "zookeeper"
    assert suggestion("draftword") == ""
    # Not only because no published guide would match: a draft's words are no candidates.
    from catalog.search import query

    near = query._near_words if query.full_text() else query._vocabulary
    assert "zookeeper" in near("zookeper") and "draftwords" not in near("draftword")


def test_a_typo_is_matched_against_the_words_of_published_titles(content, kafka):
    """On PostgreSQL the words of published titles are kept in a table with a trigram index
    (their number grows with the language, the titles' with the collection), brought up to
    date by every content change: an import, a save that publishes. A word no published
    title holds any more stays until a change of anything (an import, a sync, a deletion in
    the admin) reads every title, and is not suggested while it finds nothing."""
    from catalog.models import Guide, SuggestionWord
    from catalog.search import query, suggestion

    if not query.full_text():
        pytest.skip("needs the suite on PostgreSQL (DATABASE_URL=postgres://…)")
    kept = set(SuggestionWord.objects.values_list("word", flat=True))
    assert kept == {"kafka", "in", "five", "minutes", "redis", "streams"}
    content.guide("d", title="Zookeeper elections", categories=("c",), draft=True)
    content.import_()
    assert "zookeeper" not in set(SuggestionWord.objects.values_list("word", flat=True))
    assert suggestion("zookeper") == ""
    draft = Guide.objects.get(slug="d")
    draft.draft = False
    draft.save()  # an editor publishes it: one content change
    assert {"zookeeper", "elections"} <= set(SuggestionWord.objects.values_list("word", flat=True))
    assert suggestion("zookeper") == "zookeeper"
    Guide.objects.filter(slug="k").delete()  # a change of one guide: its words stay
    assert "kafka" in set(SuggestionWord.objects.values_list("word", flat=True))
    assert suggestion("kafak") == ""  # "kafka" finds no guide now
    from catalog.write import changes

    changes.delete_many(Guide.objects.filter(slug="r"))  # as the admin deletes: anything
    assert set(SuggestionWord.objects.values_list("word", flat=True)) == {"zookeeper", "elections"}


def test_a_word_no_title_holds_any_more_gives_way_to_the_next_nearest(content):
    """The words table keeps a deleted title's words (on PostgreSQL): the nearest word to a
    typo may be one that finds nothing, and the next nearest that finds guides is suggested
    instead of nothing."""
    from catalog.models import Guide
    from catalog.search import suggestion

    content.category("c")
    content.guide("db", title="Database replication", categories=("c",))
    content.guide("rr", title="Read replica basics", categories=("c",))
    content.import_()
    assert suggestion("replicaton") == "replication"
    Guide.objects.filter(slug="db").delete()
    assert suggestion("replicaton") == "replica"
    assert suggestion("replicaton databse") == ""  # "databse": only the deleted title's


def test_a_title_of_the_longest_keeps_its_words_within_the_column(content):
    """Casefolding can lengthen a word past a title's 300 characters ("ß" is "ss"): such a
    word is not kept (the column would refuse it, and with it the import or the save)."""
    from catalog.models import SuggestionWord
    from catalog.search import query
    from catalog.write.vocabulary import kept_words

    assert kept_words(["ß" * 300, "Kafka streams", "ﬃ" * 101]) == ["kafka", "streams"]
    content.category("c")
    content.guide("long", title="ß" * 294 + " kafka", categories=("c",))
    content.import_()
    if query.full_text():
        assert set(SuggestionWord.objects.values_list("word", flat=True)) == {"kafka"}


def test_excerpts_quote_the_stored_text_once_bodies_are_rendered(client, site):
    from catalog.fileformat.rendering import plain_text
    from catalog.models import Guide
    from catalog.write import versions
    from catalog.write.rendered import render_stored_html

    assert Guide.objects.get(slug="g").body_text != ""  # an import stores the rendering
    render_stored_html()
    guide = Guide.objects.get(slug="g")
    assert guide.body_text == plain_text(guide.body_html) != ""
    Guide.objects.filter(pk=guide.pk).update(body_text="Stored words on cache warming.")
    versions.bump()
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
    excerpts = re.findall(r'<p class="snippet">(.*?)</p>', page, re.S)
    texts = sorted(re.sub(r"</?mark>", "", excerpt).strip("…") for excerpt in excerpts)
    assert texts == ["A cold cache misses often.", "Cache warming before a launch."]


FILLER = "Unrelated words about queues and logs fill this paragraph of the guide. " * 40


@pytest.fixture
def long_guide(content):
    content.category("c")
    first = "The cache is mentioned here once, alone. "
    best = "Cache eviction decides what a full cache drops: the eviction policy. "
    body = first + FILLER + best + FILLER
    content.guide("long", title="Eviction", categories=("c",), body=body + "\n")
    content.import_()


def test_the_excerpt_is_the_passage_with_every_word_however_long_the_text(client, long_guide):
    text = re.sub(r"</?mark>", "", _excerpt(client, "cache eviction"))
    assert "Cache eviction decides what a full cache drops" in text
    assert len(text) < 300  # a passage, not the text
    assert "mentioned here once" not in text


def test_the_excerpt_of_one_word_is_where_it_occurs_most(client, long_guide):
    excerpt = _excerpt(client, "cache")
    assert "<mark>Cache</mark> eviction decides what a full <mark>cache</mark>" in excerpt


def test_without_every_word_in_its_text_a_guide_is_quoted_from_the_beginning(client, content):
    content.category("c")
    body = "Sharding splits a table. " + FILLER + "A cache in front of it. " + FILLER
    content.guide("s", title="Sharding and cache", categories=("c",), body=body + "\n")
    content.import_()
    page = client.get("/search", {"q": "sharding cache"}).content.decode()
    assert "/guides/s" in page
    excerpt = _excerpt(client, "sharding cache")
    assert excerpt.startswith("…<mark>Sharding</mark> splits a table.")


def test_every_word_of_a_joined_word_is_marked(client, content):
    from django.db import connection

    content.category("c")
    body = FILLER + "Gateways apply rate-limiting rules per client. " + FILLER
    content.guide("r", title="Gateways", categories=("c",), body=body + "\n")
    content.import_()
    excerpt = _excerpt(client, "rate limiting")
    assert "rules per client" in excerpt
    if connection.vendor == "postgresql":  # the search configuration's stems
        assert "<mark>rate-limiting</mark>" in excerpt
        assert "<mark>rate-limiting</mark>" in _excerpt(client, "limits rates")
    else:
        assert "<mark>rate</mark>-<mark>limiting</mark>" in excerpt


@pytest.mark.parametrize(
    ("hits", "needed", "expected"),
    [
        ([], 1, ""),
        ([(4, 9, "a")], 1, "one \x02match\x03 here"),
    ],
)
def test_an_excerpt_marks_its_hits(hits, needed, expected):
    from catalog.search import excerpt

    assert excerpt("one match here", hits, needed) == expected


def test_an_excerpt_without_every_needed_word_is_the_beginning():
    from catalog.search import excerpt

    text = "start " + "word " * 100 + "match"
    at = text.index("match")
    assert excerpt(text, [(at, at + 5, "a")], 1).endswith("\x02match\x03")
    assert excerpt(text, [(at, at + 5, "a")], 2).startswith("start word")  # no cover


def test_an_excerpt_starts_a_little_before_its_passage_at_a_space():
    from catalog.search import SNIPPET_CHARS, SNIPPET_LEAD, excerpt

    text = "word " * 100 + "needle " + "word " * 100
    at = text.index("needle")
    result = excerpt(text, [(at, at + 6, "n")], 1)
    assert result.startswith("word ") and "\x02needle\x03" in result
    assert result.index("\x02") <= SNIPPET_LEAD
    assert len(result) <= SNIPPET_CHARS + 2


def test_a_texts_own_control_characters_cannot_open_a_mark():
    from types import SimpleNamespace

    from catalog.search import excerpt, snippet

    text = "a \x02stray\x03 byte then the cache"
    at = text.index("cache")
    shown = SimpleNamespace(headline=excerpt(text, [(at, at + 5, "c")], 1))
    assert str(snippet(shown)) == "a stray byte then the <mark>cache</mark>"


def test_a_query_word_with_punctuation_marks_its_word_on_postgresql(client, content):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("stems: the full-text search's; SQLite matches the word as typed")
    content.category("c")
    body = FILLER + "An API gateway routes each call. Native code in C++ is fast. " + FILLER
    content.guide("g", title="Edges", categories=("c",), body=body + "\n")
    content.import_()
    assert "An API <mark>gateway</mark> routes" in _excerpt(client, "gateway's")
    assert "in <mark>C</mark>++ is fast" in _excerpt(client, "c++")


def test_titles_and_descriptions_are_marked_by_the_searchs_own_rule(client, content):
    from django.db import connection

    content.category("c")
    content.guide(
        "t",
        title="Cache <b>layers</b> & caching",
        categories=("c",),
        description="Where a cached page lives.",
        body="Text.\n",
    )
    content.import_()
    page = client.get("/search", {"q": "caching"}).content.decode()
    title = re.search(r'<h2 class="result-title"><a [^>]*>(.*?)</a></h2>', page, re.S)[1]
    if connection.vendor == "postgresql":  # stems: every form of the word
        assert title == "<mark>Cache</mark> &lt;b&gt;layers&lt;/b&gt; &amp; <mark>caching</mark>"
        assert "Where a <mark>cached</mark> page lives." in page
    else:  # the term as part of a word
        assert title == "Cache &lt;b&gt;layers&lt;/b&gt; &amp; <mark>caching</mark>"
        assert "Where a cached page lives." in page


def test_a_guide_of_thousands_of_words_that_begin_as_the_query_bounds_its_excerpt(client, content):
    """Excerpts are chosen from a text's first EXCERPT_TEXT_CHARS characters and at most
    MAX_MARKED_WORDS distinct words of each are stemmed, the shortest first: one guide of
    75,000 distinct words that begin "cache" made every search for "cache" stem them all
    (0.3-1 s a search), and it cannot keep another result's words from being marked."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from catalog.search.excerpts import EXCERPT_TEXT_CHARS, MAX_MARKED_WORDS

    letters = "bcdfghjklmnpqrstvwxz"
    words = [
        "cache" + "".join(letters[n // len(letters) ** k % len(letters)] for k in range(4))
        for n in range(30_000)
    ]
    content.category("c")
    content.guide("hostile", title="Caches", categories=("c",), body=" ".join(words))
    content.guide("plain", title="Plain", categories=("c",), body="A cache keeps hot data.")
    content.import_()
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/search", {"q": "cache"}).content.decode()
    assert "A <mark>cache</mark> keeps hot data." in page  # not crowded out
    assert 'href="/guides/hostile"' in page
    longest = max((len(q["sql"]) for q in queries.captured_queries), default=0)
    assert longest < 2 * MAX_MARKED_WORDS * 20 + EXCERPT_TEXT_CHARS


@pytest.mark.parametrize(
    ("query", "text", "marked"),
    [
        ("spies", "One spy, two spies, a spying drone.", ["spy", "spies", "spying"]),
        ("spy", "One spy, two spies.", ["spy", "spies"]),
        (
            "consistent",
            "Consistently consistent; a constant consistency.",
            ["Consistently", "consistent", "consistency"],
        ),
        (
            "caches",
            "İstanbul caches: a cache, caching, cached pages.",
            ["caches", "cache", "caching", "cached"],
        ),
        ("the cache", "The cache is theirs.", ["cache"]),
    ],
)
@pytest.mark.parametrize("remembered", [False, True])
def test_every_form_of_the_query_words_stem_is_marked_and_nothing_else(
    client, content, monkeypatch, query, text, marked, remembered
):
    """On PostgreSQL a word is marked where the search configuration makes it one of the
    query's stems, whatever its spelling ("spy", "spies"), its case, or a letter before it
    whose lower case is longer ("İ"); words that only begin alike ("constant": another
    stem) and stop words ("the") are not. The same whether the process knows the query
    words' stems (the search index asked for them) or not (the database answered)."""
    from django.db import connection

    from catalog.search import documents

    if connection.vendor != "postgresql":
        pytest.skip("stems: the full-text search's; SQLite matches the word as typed")
    if query == "spies" and not remembered:
        pytest.skip("the first letters of spies are spie: spy takes the database's stem")
    monkeypatch.setattr(documents, "_stemmed", {})
    if remembered:
        for word in query.split():
            documents.stems(word)
    content.category("c")
    content.guide("g", title="Edges", categories=("c",), body=text + "\n")
    content.import_()
    assert re.findall(r"<mark>(.*?)</mark>", _excerpt(client, query)) == marked
    assert bool(documents._stemmed) == remembered  # an excerpt asks for no stem itself
