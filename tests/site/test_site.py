"""The public site a visitor sees: every URL, ordering, pagination, search, feeds, sitemap."""

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.views.defaults import server_error

from catalog.fileformat.rendering import PAGE_IDS
from catalog.infra.roles import ensure_editors_group
from catalog.models import Guide, SitemapBlock, Tag

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture
def site(content):
    content.category("net", title="Networking", sort=1)
    content.category("sec", title="Security", sort=2)
    content.guide(
        "a-first",
        title="Alpha caching",
        created="2024-01-01",
        categories=("net",),
        tags=("Caching", "HTTP"),
        description="Fresh copies.",
    )
    content.guide(
        "b-second",
        title="Beta",
        created="2024-01-02",
        categories=("net", "sec"),
        tags=("Caching", "HTTP", "Security"),
        description="About caching headers.",
    )
    content.guide(
        "c-third",
        title="Gamma",
        created="2024-01-02",
        categories=("net",),
        tags=("caching",),
        body="Deep inside the body we say caching.\n",
    )
    content.guide(
        "d-fourth", title="Delta", created="2024-01-03", categories=("sec",), tags=("Security",)
    )
    content.guide(
        "e-draft",
        title="Zanzibar secret",
        created="2024-01-01",
        draft=True,
        categories=("net",),
        tags=("Zanzibartag", "Caching"),
        body="zanzibarword\n",
    )
    content.import_()
    return content


def html(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def order_of(text, *needles):
    return [text.index(n) for n in needles]


def test_category_list_page(client, site):
    page = html(client, "/guides")
    a, b = order_of(page, ">Networking<", ">Security<")
    assert a < b and "3 guides" in page and "2 guides" in page


def test_category_page_is_in_readme_order_with_feed_and_other_categories(client, site):
    page = html(client, "/guides/net")
    a, b, c = order_of(
        page, 'href="/guides/a-first"', 'href="/guides/b-second"', 'href="/guides/c-third"'
    )
    assert a < b < c
    assert 'href="/guides/net/feed.xml"' in page
    assert 'href="/guides/sec">Security</a>' in page
    assert '<link rel="canonical" href="http://127.0.0.1:8000/guides/net">' in page


def test_category_pagination_at_48(client, content):
    content.category("big")
    for n in range(50):
        content.guide(f"g-{n:02d}", categories=("big",), created=f"2024-01-{n % 28 + 1:02d}")
    content.import_()
    first = html(client, "/guides/big")
    second = html(client, "/guides/big?page=2")
    assert first.count('class="card"') == 48 and second.count('class="card"') == 2
    assert "Page 1 of 2" in first and 'rel="next" href="?page=2"' in first
    html(client, "/guides/big?page=3", 404)
    html(client, "/guides/big?page=x", 404)


def test_guide_page_has_everything_a_reader_needs(client, site):
    page = html(client, "/guides/b-second")
    assert '<link rel="canonical" href="http://127.0.0.1:8000/guides/b-second">' in page
    assert '<meta property="og:title" content="Beta">' in page
    assert 'name="twitter:card"' in page
    assert 'rel="prev" href="/guides/a-first">← Alpha caching</a>' in page
    assert 'rel="next" href="/guides/c-third">Gamma →</a>' in page
    assert "1 min read" in page and 'datetime="2024-01-02"' in page
    assert 'href="/tags/caching">Caching</a>' in page
    related = page[page.index('id="related-heading"') :]
    positions = order_of(related, "Alpha caching", "Delta", "Gamma")
    assert positions == sorted(positions)
    data = json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
    )
    assert data["@type"] == "Article" and data["headline"] == "Beta"


def test_json_ld_cannot_be_closed_by_a_title(client, content):
    content.category("c")
    content.guide("x", title="</script><script>alert(1)</script>", categories=("c",))
    content.import_()
    page = html(client, "/guides/x")
    script = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
    assert "<" not in script
    assert json.loads(script)["headline"] == "</script><script>alert(1)</script>"
    assert "<script>alert(1)" not in page


def test_related_guides_rank_by_shared_tags_and_stop_at_five(client, content):
    content.category("c")
    content.guide("main", categories=("c",), tags=("A", "B", "C"))
    content.guide("three", categories=("c",), tags=("A", "B", "C"))
    content.guide("two", categories=("c",), tags=("A", "B"))
    for n in range(5):
        content.guide(f"one-{n}", categories=("c",), tags=("A",))
    content.import_()
    main = Guide.objects.get(slug="main")
    related = [g.slug for g in Guide.objects.related_to(Guide.objects.with_page().get(pk=main.pk))]
    assert related[:2] == ["three", "two"] and len(related) == 5


def test_related_guides_sharing_as_many_tags_are_the_nearest_in_the_tags_lists(content):
    content.category("c")
    for day in range(1, 21):  # README order is date order: g01 ... g20
        content.guide(f"g{day:02}", categories=("c",), created=f"2024-01-{day:02}", tags=("T",))
    content.import_()
    guide = Guide.objects.with_page().get(slug="g10")
    related = [g.slug for g in Guide.objects.related_to(guide)]
    # one shared tag each: the nearest in the tag's list, newest first among those as near;
    # of g07 and g13, as near, the later one takes the last place. Never the five newest.
    assert related == ["g11", "g09", "g12", "g08", "g13"]


def test_tag_pages(client, site):
    tags = html(client, "/tags")
    assert 'href="/tags/caching">Caching</a> <span class="muted">3</span>' in tags
    assert "Zanzibartag" not in tags
    page = html(client, "/tags/caching")
    a, b, c = order_of(page, "/guides/a-first", "/guides/b-second", "/guides/c-third")
    assert a < b < c and "zanzibar" not in page.lower()
    html(client, "/tags/zanzibartag", 404)
    html(client, "/tags/nope", 404)


def test_search_ranks_title_then_tag_then_description_then_body(client, content):
    content.category("c")
    content.guide("in-body", title="One", categories=("c",), tags=("X",), body="kafka here\n")
    content.guide("in-desc", title="Two", categories=("c",), tags=("X",), description="about kafka")
    content.guide("in-tag", title="Three", categories=("c",), tags=("Kafka",))
    content.guide("in-title", title="Kafka basics", categories=("c",), tags=("X",))
    content.guide("nowhere", title="Four", categories=("c",), tags=("X",))
    content.import_()
    page = html(client, "/search?q=KAFKA")
    positions = order_of(
        page, "/guides/in-title", "/guides/in-tag", "/guides/in-desc", "/guides/in-body"
    )
    assert positions == sorted(positions)
    assert "/guides/nowhere" not in page
    assert "<mark>Kafka</mark> basics" in page and "4 guides match" in page


@pytest.mark.parametrize(
    "query",
    ["", "   ", "%%%", "'; DROP TABLE x; --", "<script>", "a" * 5000, "\x00", "ü🙂", "?q=&page=-1"],
)
def test_empty_or_junk_queries_get_a_friendly_page(client, site, query):
    page = html(client, "/search?" + __import__("urllib.parse").parse.urlencode({"q": query}))
    assert "<h1>Search</h1>" in page
    assert "<script>alert" not in page


def test_search_results_paginate_and_never_error_on_bad_pages(client, content):
    content.category("c")
    for n in range(25):
        content.guide(f"g-{n}", title=f"Widget {n}", categories=("c",))
    content.import_()
    assert html(client, "/search?q=widget").count('class="result"') == 20
    assert html(client, "/search?q=widget&page=2").count('class="result"') == 5
    assert html(client, "/search?q=widget&page=99").count('class="result"') == 5
    for junk in ("99999999999999999999999", "9223372036854775807", "-5", "0", "1e3", "nan"):
        assert html(client, f"/search?q=widget&page={junk}").count('class="result"') in (5, 20)
    assert 'href="?q=widget&amp;page=2"' in html(client, "/search?q=widget&page=junk")


def test_search_pages_hold_the_ranked_results_in_order_once_each(client, content):
    from catalog.search import search_guides

    content.category("c")
    for n in range(47):  # ranks that tie and ranks that differ, dates that tie
        where = {0: {"title": f"Widget {n}"}, 1: {"description": "a widget"}}.get(n % 3, {})
        body = "widget " * (1 + n % 4) + "\n"
        created = f"2024-01-{1 + n % 9:02d}"
        content.guide(f"g-{n:02d}", categories=("c",), created=created, body=body, **where)
    content.guide("draft", title="Widget draft", categories=("c",), draft=True)
    content.import_()
    ranked = search_guides("widget").values_list("slug", flat=True)
    expected = [f"/guides/{slug}" for slug in ranked]
    assert len(expected) == 47
    shown = []
    for number in (1, 2, 3):
        page = html(client, f"/search?q=widget&page={number}")
        assert "47 guides match" in page
        shown += re.findall(r'class="result-title"><a href="([^"]+)"', page)
    assert shown == expected
    last = re.findall(
        r'class="result-title"><a href="([^"]+)"', html(client, "/search?q=widget&page=9")
    )
    assert last == expected[40:]


def test_a_search_pages_through_its_best_matches_only(client, content, monkeypatch):
    """Pages reach the best MAX_RESULTS matches (1,000 on a site: a page further on reads
    every match before it); the count says how many match, the last page how many are
    listed, and a page further on shows the last that is listed."""
    from catalog.search import query

    monkeypatch.setattr(query, "MAX_RESULTS", 40)
    content.category("c")
    for n in range(47):
        content.guide(f"g-{n:02d}", title=f"Widget {n}", categories=("c",))
    content.import_()
    ranked = list(query.search_guides("widget").values_list("slug", flat=True))
    first = html(client, "/search?q=widget")
    assert "47 guides match" in first and "Page 1 of 2" in first and "are listed" not in first
    for number in ("2", "3", "99", "2147483648"):
        page = html(client, f"/search?q=widget&page={number}")
        assert "47 guides match" in page and "Page 2 of 2" in page
        assert "The best 40 are listed: add a word to narrow the search." in page
        shown = re.findall(r'class="result-title"><a href="([^"]+)"', page)
        assert shown == [f"/guides/{slug}" for slug in ranked[20:40]]
        assert 'rel="next"' not in page


def test_feeds_are_valid_atom_without_drafts(client, site):
    root = ET.fromstring(client.get("/feed.xml").content)
    titles = [e.find(f"{ATOM}title").text for e in root.iter(f"{ATOM}entry")]
    assert titles == ["Delta", "Gamma", "Beta", "Alpha caching"]
    root = ET.fromstring(client.get("/guides/sec/feed.xml").content)
    assert [e.find(f"{ATOM}title").text for e in root.iter(f"{ATOM}entry")] == ["Delta", "Beta"]
    assert client.get("/guides/nope/feed.xml").status_code == 404


def test_a_tag_has_a_feed_of_its_newest_guides_linked_from_its_page(client, site):
    root = ET.fromstring(client.get("/tags/caching/feed.xml").content)
    assert root.find(f"{ATOM}title").text == "Visual guides tagged Caching"
    assert root.find(f"{ATOM}link").get("href").endswith("/tags/caching")
    entries = [e.find(f"{ATOM}title").text for e in root.iter(f"{ATOM}entry")]
    assert entries == ["Gamma", "Beta", "Alpha caching"]  # newest first, the draft left out
    page = html(client, "/tags/caching")
    assert '<link rel="alternate" type="application/atom+xml" title="Tagged Caching" ' in page
    assert 'href="/tags/caching/feed.xml"' in page
    assert client.get("/tags/zanzibartag/feed.xml").status_code == 404  # only a draft has it
    assert client.get("/tags/nope/feed.xml").status_code == 404


def test_feeds_and_sitemaps_stay_well_formed_xml_whatever_a_title_holds(client, content):
    """Every character a file may hold is one XML can carry: U+FFFE and U+FFFF, which it
    cannot, are refused by the format (they made the feeds malformed for every reader)."""
    odd = 'A \\uFDD0 \\u200F \\U0001F680 <&> ]]> \\" title'
    content.category("c", title=odd)
    content.guide("g", title=odd, description=odd + "\\u2028", categories=("c",), tags=(odd,))
    content.import_()
    tag = Tag.objects.get().slug
    feeds = ("/feed.xml", "/guides/c/feed.xml", f"/tags/{tag}/feed.xml")
    for path in (*feeds, "/sitemap.xml", "/sitemap-guides.xml"):
        ET.fromstring(client.get(path).content)  # raises if not well-formed
    entry = ET.fromstring(client.get("/feed.xml").content).find(f"{ATOM}entry")
    assert entry.find(f"{ATOM}title").text == Guide.objects.get().title
    assert "\ufdd0" in Guide.objects.get().title and "]]>" in Guide.objects.get().title


def test_feed_holds_the_latest_50(client, content):
    content.category("c")
    for n in range(55):
        content.guide(f"g-{n:02d}", categories=("c",))
    content.import_()
    root = ET.fromstring(client.get("/feed.xml").content)
    assert len(list(root.iter(f"{ATOM}entry"))) == 50


def sitemap_urls(client):
    """Every ``<url>`` of every section the sitemap index lists: {loc: lastmod element}."""
    index = ET.fromstring(client.get("/sitemap.xml").content)
    assert index.tag == f"{SITEMAP}sitemapindex"
    urls = {}
    for loc in index.iter(f"{SITEMAP}loc"):
        path = loc.text.removeprefix(settings.GUIDES_SITE_ORIGIN)
        section = ET.fromstring(client.get(path).content)
        urls.update(
            (u.find(f"{SITEMAP}loc").text, u.find(f"{SITEMAP}lastmod"))
            for u in section.iter(f"{SITEMAP}url")
        )
    return urls


def test_sitemap_lists_categories_guides_and_tags_with_lastmod(client, site):
    urls = sitemap_urls(client)
    paths = {re.sub(r"^https?://[^/]+", "", loc) for loc in urls}
    assert {"/guides/net", "/guides/a-first", "/tags/caching", "/tags/security"} <= paths
    assert "/guides/e-draft" not in paths and "/tags/zanzibartag" not in paths
    assert all(urls[loc] is not None for loc in urls if "/guides/" in loc)


def test_sitemap_sections_are_pages_of_at_most_their_limit(client, content, monkeypatch):
    """Every section page the index lists holds at least one URL and at most ``limit`` (500
    in production; 4 here), and together they hold every published guide and used tag once,
    with drafts and deleted guides leaving gaps in the keys, one a whole page wide."""
    from catalog.models import published_tags
    from catalog.site import sitemaps

    monkeypatch.setattr(sitemaps._KeyPaged, "limit", 4)
    monkeypatch.setattr(SitemapBlock, "SIZE", 4)  # the guides' pages: the stored blocks
    content.category("c")
    for n in range(23):
        content.guide(f"g-{n:02d}", categories=("c",), tags=(f"T{n % 9}",), draft=n % 5 == 0)
    content.import_()
    low = (Guide.objects.get(slug="g-13").pk - 1) // 4 * 4  # keys run on across tests
    block = Guide.objects.filter(pk__gt=low, pk__lte=low + 4)
    gone = {"g-07", "g-08", *block.values_list("slug", flat=True)}
    assert len(gone) == 6  # a whole block of keys, whatever the first key is
    Guide.objects.filter(slug__in=gone).delete()
    index = ET.fromstring(client.get("/sitemap.xml").content)
    pages = [
        loc.text.removeprefix(settings.GUIDES_SITE_ORIGIN) for loc in index.iter(f"{SITEMAP}loc")
    ]
    shown = []
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        urls = [
            u.find(f"{SITEMAP}loc").text
            for u in ET.fromstring(response.content).iter(f"{SITEMAP}url")
        ]
        assert 1 <= len(urls) <= 4, path
        shown += [re.sub(r"^https?://[^/]+", "", url) for url in urls]
    assert len(shown) == len(set(shown))
    published = Guide.objects.published().values_list("slug", flat=True)
    assert sorted(p for p in shown if p.startswith("/guides/g-")) == sorted(
        f"/guides/{slug}" for slug in published
    )
    last = sum(p.startswith("/sitemap-guides.xml") for p in pages)
    assert len(published) == 18 - sum(int(slug[2:]) % 5 != 0 for slug in gone) and last >= 4
    assert sorted(p for p in shown if p.startswith("/tags/")) == sorted(
        f"/tags/{tag.slug}" for tag in published_tags()
    )
    assert client.get(f"/sitemap-guides.xml?p={last + 1}").status_code == 404


def test_a_sitemap_page_reads_the_blocks_up_to_it_only(client, content, monkeypatch):
    """The guides' pages and their index read the stored blocks of keys (one query, as far
    as the page asked for), never probing the guides' keys (200 probes at 100,000 guides);
    the tags' page N probes the first N blocks of keys that hold tags, not every block."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from catalog.site import sitemaps

    monkeypatch.setattr(sitemaps._KeyPaged, "limit", 2)
    monkeypatch.setattr(SitemapBlock, "SIZE", 2)
    content.category("c")
    for n in range(7):
        content.guide(f"g-{n}", categories=("c",), tags=(f"T{n}",))
    content.import_()

    def read(path):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return [q["sql"] for q in captured.captured_queries]

    for path, most in [("/sitemap-guides.xml", 1), ("/sitemap-guides.xml?p=3", 3)]:
        queries = read(path)
        stored = [sql for sql in queries if "catalog_sitemapblock" in sql]
        assert len(stored) == 1 and f"LIMIT {most}" in stored[0], stored
        assert not any("RECURSIVE" in sql for sql in queries)
    index = read("/sitemap.xml")
    assert not any("RECURSIVE" in sql and "catalog_guide" in sql for sql in index)
    assert any("catalog_sitemapblock" in sql and "LIMIT" not in sql for sql in index)
    probes = [sql for sql in read("/sitemap-tags.xml?p=3") if "RECURSIVE blocks" in sql]
    assert [" blocks.n < 3)" in sql for sql in probes] == [True]


def test_sitemap_of_an_empty_site_and_pages_that_are_not_there(client):
    assert client.get("/sitemap.xml").status_code == 200
    assert client.get("/sitemap-guides.xml").status_code == 200
    for page in ["2", "0", "-1", "x", "9" * 30]:
        assert client.get(f"/sitemap-guides.xml?p={page}").status_code == 404, page


def test_robots_txt_points_at_the_sitemap(client):
    text = html(client, "/robots.txt")
    assert "Disallow: /admin/" in text
    assert f"Sitemap: {settings.GUIDES_SITE_ORIGIN}/sitemap.xml" in text


def test_no_two_elements_of_a_guide_page_share_an_id(client, content):
    """A body's headings and raw HTML never take an id the page gives its own elements (the
    skip link's target, the search box, the headings that label sections)."""
    content.category("c")
    body = '## Main\n\n## Guide TOC\n\n<a id="site-search">x</a>\n\n## Related heading\n\n## Main\n'
    content.guide("g", categories=("c",), tags=("T",), body=body)
    content.guide("h", categories=("c",), tags=("T",))  # a related guide: its heading shows
    content.import_()
    ids = re.findall(r'\sid="([^"]*)"', html(client, "/guides/g"))
    assert len(ids) == len(set(ids)), sorted(ids)
    page = {"main", "site-search", "guide-toc", "related-heading"}
    assert page | {"main_1", "main_2", "guide-toc_1", "related-heading_1"} <= set(ids)


def test_the_renderer_knows_every_id_the_public_pages_give_their_elements():
    templates = Path(settings.BASE_DIR) / "templates"
    ids = set()
    for path in [*templates.glob("*.html"), *(templates / "catalog").glob("*.html")]:
        ids |= set(re.findall(r'\sid="([a-z0-9-]+)"', path.read_text()))
    assert ids == PAGE_IDS


def test_friendly_404_and_500_pages(client, rf):
    assert "Page not found" in html(client, "/no/such/page", 404)
    response = server_error(rf.get("/"))
    assert response.status_code == 500 and b"Something went wrong" in response.content


def test_draft_never_leaks_to_visitors(client, site):
    urls = [
        "/",
        "/guides",
        "/guides/net",
        "/guides/sec",
        "/tags",
        "/tags/caching",
        "/feed.xml",
        "/guides/net/feed.xml",
        "/tags/caching/feed.xml",
        "/sitemap.xml",
        "/guides/a-first",
        "/guides/b-second",
        "/guides/c-third",
    ]
    urls += [re.sub(r"^https?://[^/]+", "", loc) for loc in sitemap_urls(client)]
    for url in urls:
        body = client.get(url).content.decode().lower()
        assert "zanzibar" not in body and "e-draft" not in body, url
    for query in ("zanzibarword", "zanzibar secret", "zanzibartag"):
        body = html(client, f"/search?q={query}")
        assert "No guide matches" in body and "/guides/e-draft" not in body, query
    assert client.get("/guides/e-draft").status_code == 404


def test_editors_see_drafts_with_a_banner_and_private_caching(client, site):
    editor = User.objects.create_user("ed", is_staff=True)
    editor.groups.add(ensure_editors_group())
    client.force_login(editor)
    response = client.get("/guides/e-draft")
    assert "Draft — not published" in response.content.decode()
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert "private" in client.get("/").headers["Cache-Control"]


@pytest.mark.parametrize("staff", [True, False])
def test_accounts_without_the_permission_see_what_visitors_see(client, site, staff):
    """One rule (catalog.infra.roles.may_see_drafts) for the views, the page cache and the admin."""
    client.force_login(User.objects.create_user("someone", is_staff=staff))
    assert client.get("/guides/e-draft").status_code == 404
    assert "e-draft" not in client.get("/guides/net").content.decode()
    assert "public" in client.get("/").headers["Cache-Control"]


def test_markdown_is_sanitised_and_prose_brackets_survive(client, content):
    content.category("c")
    body = (
        "Send <idempotency-key: key\\_value>.\n\n<script>alert(1)</script>\n\n"
        '<img src="x" onerror="alert(1)"> <a href="javascript:alert(1)">j</a>\n\n'
        "[v](vbscript:msgbox) [d](data:text/html;base64,PHNjcmlwdD4=) [ok](https://e.org)\n"
    )
    content.guide("x", categories=("c",), body=body)
    content.import_()
    page = html(client, "/guides/x")
    prose = page[page.index('<div class="prose">') :]
    for bad in ("<script>alert", "onerror", "javascript:", "vbscript:", "data:text"):
        assert bad not in prose
    assert "&lt;idempotency-key: key_value&gt;" in prose
    assert '<a href="https://e.org" rel="noopener noreferrer">ok</a>' in prose


def test_code_fences_are_highlighted_with_classes_and_headings_have_anchors(client, content):
    content.category("c")
    content.guide(
        "x",
        categories=("c",),
        body="## Setup step\n\n```python\nprint(1)\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
    )
    content.import_()
    page = html(client, "/guides/x")
    assert '<h2 id="setup-step">' in page and 'href="#setup-step"' in page
    assert '<div class="codehilite language-python"><pre>' in page
    assert '<span class="nb">print</span>' in page
    assert "<table>" in page


def test_postgres_search_uses_the_gin_index(site):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("full-text search and its GIN index are PostgreSQL's")
    from catalog.search.query import _search_query

    # As on a large table. With plain index scans off too, only a bitmap scan remains, and
    # only an index that evaluates @@ can drive one (not a full read of another index).
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
    plan = Guide.objects.filter(search_document=_search_query("caching headers")).explain()
    assert "catalog_guide_search_gin" in plan
    assert Guide.objects.filter(search_document=_search_query("caching headers")).count() == 1


def test_cards_and_results_show_a_picture_or_a_placeholder_and_their_tags(client, content):
    """A card and a search result show the guide's picture (a card without one a placeholder,
    a result nothing) and its tags, in the guide's order, each linking its page, escaped."""
    content.category("c")
    content.guide(
        "pictured",
        title="Quokka pictured",
        categories=("c",),
        image="https://example.org/q.png?a=1&b=2",
        tags=("Zebra", "<b>Alpha</b> & co"),
    )
    content.guide("plain", title="Quokka plain", categories=("c",), tags=())
    content.import_()
    home, results = html(client, "/"), html(client, "/search?q=quokka")
    picture = 'src="https://example.org/q.png?a=1&amp;b=2" alt="" loading="lazy" decoding="async">'
    assert home.count('<img class="card-thumb"') == 1 and picture in home
    assert home.count('<span class="card-thumb card-thumb--empty" aria-hidden="true"></span>') == 1
    assert results.count('<img class="result-thumb"') == 1 and picture in results
    assert "card-thumb--empty" not in results
    for page in (home, results):
        tags = re.findall(r'<li class="tag"><a href="(/tags/[^"]+)">([^<]*)</a></li>', page)
        assert [name for _, name in tags] == ["Zebra", "&lt;b&gt;Alpha&lt;/b&gt; &amp; co"]
        assert all(client.get(link).status_code == 200 for link, _ in tags)
        assert page.count('<ul class="tags" aria-label="Tags">') == 1  # none for no tags


def test_search_shows_an_escaped_snippet_around_the_match(client, content):
    content.category("c")
    content.guide(
        "x",
        title="Other",
        categories=("c",),
        body="Intro <script>alert(1)</script> and then the quokka appears.\n",
    )
    content.import_()
    page = html(client, "/search?q=quokka")
    assert "<mark>quokka</mark>" in page
    assert "<script>alert(1)" not in page
