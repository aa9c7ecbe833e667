"""Hostile markdown and metadata: nothing executable survives anywhere it is shown."""

import contextlib
import html
import json
import re
import time
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from catalog.fileformat import ContentError, parse_category, parse_guide, serialise
from catalog.fileformat.characters import MAX_HEAVY
from catalog.fileformat.rendering import (
    _CODE_RE,
    _HEADING_RE,
    _NOT_NESTING,
    MAX_NESTING,
    _github_html,
    render_markdown,
    sanitize,
    stored_rendering,
)
from catalog.infra.roles import ensure_editors_group
from catalog.models import Guide
from tests.browser import PageWatch
from tests.hostile import XSS_VECTORS, executable_parts

EVIL = "</script><script>alert('t')</script>\"'><img src=x onerror=alert(1)>"
SITE_CHROME = {
    "<html> element",
    "<head> element",
    "<meta> element",
    "<link> element",
    "<body> element",
    "<form> element",
    "<input> element",
    "<button> element",
    "<script> element",
}


def page_problems(html):
    """Executable parts of a whole page beyond the site's own markup (one JSON-LD script and
    the site's own script file)."""
    scripts = re.findall(r"<script\b[^>]*>", html)
    own = ('<script type="application/ld+json">', '<script src="/static/js/site.js">')
    extra = [s for s in scripts if s not in own]
    return [p for p in executable_parts(html) if p not in SITE_CHROME] + extra


def test_the_suite_has_at_least_50_vectors_and_the_inspector_sees_them():
    assert len(XSS_VECTORS) >= 50
    assert sum(bool(executable_parts(v)) for v in XSS_VECTORS) >= 45


@pytest.mark.parametrize("vector", XSS_VECTORS)
def test_renderer_output_is_inert_and_stable(vector):
    html = render_markdown(vector)
    assert executable_parts(html) == []
    assert sanitize(html) == html


@pytest.mark.django_db
def test_preview_endpoint_output_is_inert(client):
    editor = User.objects.create_user("ed", password="pw", is_staff=True)
    editor.groups.add(ensure_editors_group())
    client.force_login(editor)
    for vector in XSS_VECTORS:
        response = client.post("/markdownx/markdownify/", {"content": vector})
        assert response.status_code == 200
        assert executable_parts(response.content.decode()) == [], vector


def evil_guide(content, slug, body):
    fields = [
        f"title: {json.dumps(EVIL)}",
        f"description: {json.dumps(EVIL)}",
        'createdAt: "2024-01-01"',
        "categories: [c]",
        f"tags: [{json.dumps(EVIL)}, {json.dumps('<b>bold</b> & co')}]",
    ]
    content.raw("guides", slug, "---\n" + "\n".join(fields) + "\n---\n\n" + body + "\n")


@pytest.fixture
def evil_site(content):
    content.raw(
        "categories",
        "c",
        f"---\ntitle: {json.dumps(EVIL)}\n"
        f"description: {json.dumps(EVIL)}\n---\n\n" + "\n\n".join(XSS_VECTORS),
    )
    evil_guide(content, "evil", "\n\n".join(XSS_VECTORS))
    evil_guide(content, "other", "Plain text.")
    content.import_()
    return content


@pytest.mark.django_db
def test_public_pages_escape_hostile_titles_descriptions_tags_and_bodies(client, evil_site):
    guide = Guide.objects.get(slug="evil")
    tag = guide.tagged_items.first().tag.slug
    for url in (
        "/",
        "/guides",
        "/guides/c",
        "/guides/evil",
        "/guides/other",
        "/tags",
        f"/tags/{tag}",
        "/search?q=alert",
        "/search?q=" + EVIL[:50],
    ):
        html = client.get(url).content.decode()
        assert page_problems(html) == [], url
        assert "<script>alert" not in html, url
    page = client.get("/guides/evil").content.decode()
    data = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
    assert "<" not in data and json.loads(data)["headline"] == EVIL
    assert "&lt;/script&gt;&lt;script&gt;alert(&#x27;t&#x27;)" in page


@pytest.mark.django_db
def test_feeds_and_sitemap_escape_hostile_metadata(client, evil_site):
    for url in ("/feed.xml", "/guides/c/feed.xml"):
        root = ET.fromstring(client.get(url).content)
        titles = [e.text for e in root.iter("{http://www.w3.org/2005/Atom}title")]
        assert EVIL in titles, url
    for path in ("/sitemap.xml", "/sitemap-guides.xml", "/sitemap-tags.xml"):
        ET.fromstring(client.get(path).content)


@pytest.mark.django_db
def test_admin_escapes_hostile_metadata(admin_client, evil_site):
    guide = Guide.objects.get(slug="evil")
    for url in (
        "/admin/catalog/guide/",
        f"/admin/catalog/guide/{guide.pk}/change/",
        "/admin/catalog/category/",
        "/admin/taggit/tag/",
        f"/admin/catalog/guide/{guide.pk}/revisions/{guide.revisions.first().pk}/",
    ):
        html = admin_client.get(url).content.decode()
        assert "<script>alert" not in html and "onerror=alert(1)>" not in html, url


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_worst_vectors_fire_nothing_in_a_browser(browser, live_server, content):
    """Legitimate images in the vectors point at this server, so any request that leaves
    127.0.0.1 could only come from injected code."""
    content.category("c")
    local = [v.replace("https://e.org", "/static") for v in XSS_VECTORS]
    evil_guide(content, "worst", "\n\n".join(local))
    call_command("import_guides", "--data-dir", str(content.root), verbosity=0)
    page = browser.new_page()
    watch = PageWatch(page)
    for path in ("/guides/worst", "/guides/c", "/", "/search?q=alert"):
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        # Broken images become placeholders as they load (lazily), so count as we go.
        elements, n = page.locator(".prose a, .prose img"), 0
        while n < min(elements.count(), 40):
            elements.nth(n).hover(timeout=2000)
            n += 1
    dialogs = [e for e in watch.console_errors if e.startswith("dialog")]
    assert dialogs == []
    assert watch.outside == []
    page.close()


# Fuzzing: only the format's own error escapes the parser; the renderer stays inert.

markdownish = st.lists(
    st.sampled_from(list("<>\"'=/:;&#()[]!`*_ \n\tabcjsvrtipx0123456789-"))
    | st.sampled_from(
        [
            "<script>",
            "javascript:",
            "onerror=",
            "<img ",
            "<a href=",
            "](",
            "&#106;",
            "<svg",
            "data:",
            "</",
            "<!--",
            "-->",
            "<style>",
            "```",
            "\n\n",
        ]
    ),
    max_size=60,
).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markdownish)
def test_fuzzed_markdown_renders_inert_and_stable(text):
    html = render_markdown(text)
    assert executable_parts(html) == []
    assert sanitize(html) == html


frontmatter_text = st.lists(
    st.sampled_from(
        [
            "title: T",
            "title:",
            "title: [a, b]",
            "createdAt: 2024-01-01",
            "createdAt: '2024-13-40'",
            "createdAt: 2024-02-30",
            "draft: yes",
            "draft: 1",
            "categories: c",
            "categories: [c, c]",
            "tags: {a: 1}",
            "tags: [1, null]",
            "sort: 1e3",
            "x: &a [1]",
            "y: *a",
            "? complex",
            "!!python/object:os.system {}",
            "- list",
            "key: 'unclosed",
            "'quoted key': 1",
            "\t: tab",
            "z: !!binary AAAA",
            "w: !!timestamp 2024-01-01",
            "draft: !!bool maybe",
            "v: !!timestamp soon",
            "createdAt: !!timestamp ''",
            "sort: !!int x",
            "n: [!!float x]",
            "image: 'https://[oops/x.png'",
            "icon: '//[::1'",
            "publishAt: 9999-12-31T23:59:59-12:00",
            "publishAt: 0001-01-01T00:00:00+14:00",
            "deep: " + "[" * 950 + "]" * 950,
            "deeper: " + "[" * 400 + "]" * 400,
            "m: " + "{a: " * 30 + "1" + "}" * 30,
            "---",
            "...",
            "%YAML 1.1",
            "a: b: c",
        ]
    ),
    max_size=8,
).map("\n".join)


@settings(max_examples=400, deadline=None)
@given(frontmatter_text, st.binary(max_size=40), st.booleans())
@example("deep: " + "[" * 950 + "]" * 950, b"", True)  # the checks' recursion
@example("deeper: " + "[" * 400 + "]" * 400, b"", True)  # writing it back
@example("draft: !!bool maybe", b"", True)
@example("publishAt: 9999-12-31T23:59:59-12:00", b"", True)  # the year 10000 in UTC
def test_fuzzed_frontmatter_only_raises_content_errors(fm, tail, valid_start):
    """Reading refuses with a ContentError or gives a file form that is written back (as an
    export does) and read again as the same: no file breaks the import or the export. Half
    the files start valid, so that what follows is read as far as a valid file is."""
    start = "title: T\ncreatedAt: 2024-01-01\n" if valid_start else ""
    raw = b"---\n" + (start + fm).encode() + b"\n---\n" + tail
    for parse in (parse_guide, parse_category):
        with contextlib.suppress(ContentError):
            item = parse("fuzz", raw)
            assert parse("fuzz", serialise(item).encode("utf-8", "surrogatepass")) == item


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_fuzzed_bytes_only_raise_content_errors(raw):
    with contextlib.suppress(ContentError):
        parse_guide("fuzz", raw)


# --- bodies that would cost hours ------------------------------------------------------------


class _Depth(HTMLParser):
    """The deepest nesting of (sanitised, so well-formed) HTML's elements that can hold one
    of their own kind (not ``p``, ``li``, ``td`` …, which a next one closes)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = self.deepest = 0

    def handle_starttag(self, tag, attrs):
        if tag not in _NOT_NESTING:
            self.depth += 1
            self.deepest = max(self.deepest, self.depth)

    def handle_endtag(self, tag):
        if tag not in _NOT_NESTING:
            self.depth -= 1


def deepest(html):
    parser = _Depth()
    parser.feed(html)
    return parser.deepest


@pytest.mark.parametrize(
    "body",
    [
        ">" * 300 + " deep",
        "<div>" * 300 + "deep",
        "<details>" * 300 + "deep",
        "<blockquote><ul><li>" * 300 + "deep",
        "<pre><code>" * 300 + "deep",
        '<div title="a > b">' * 300 + "deep",
    ],
)
def test_elements_nest_at_most_max_nesting_deep_and_deeper_tags_are_left_out(body):
    """The sanitiser's parser takes time in the square of the depth (a 100 KB file of ">"
    took 49 s): deeper tags are left out (with attributes, shown as text), the text kept."""
    html = render_markdown(body)
    assert MAX_NESTING - 2 <= deepest(html) <= MAX_NESTING
    assert "deep" in html and executable_parts(html) == []
    if "title" not in body:  # cmark's own tags, and bare raw ones, leave no trace
        assert "&lt;" not in html


def test_a_body_nested_as_deep_as_the_limit_renders_as_it_did():
    body = "> " * MAX_NESTING + "quoted"
    assert render_markdown(body) == sanitize(_github_html(body))
    assert deepest(render_markdown(body)) == MAX_NESTING


def test_repeated_headings_get_the_ids_they_always_had():
    body = "## Same\n\n## Same_2\n\n" + "## Same\n\n" * 4 + "## Other\n\n## Same\n"
    ids = re.findall(r'<h2 id="([^"]+)"', render_markdown(body))
    assert ids == ["same", "same_2", "same_1", "same_3", "same_4", "same_5", "other", "same_6"]


def test_a_heading_or_code_block_pattern_never_runs_past_the_next_one():
    """Each scan ends where the next heading (or any tag, for cmark's escaped code) begins,
    so unclosed tags cannot make every match scan the rest of the body."""
    assert _HEADING_RE.search("<h1>a<h1>b</h1>").group(0) == "<h1>b</h1>"
    assert _HEADING_RE.search("<h2>a <em>b</em></h2>").group(2) == "a <em>b</em>"
    assert _CODE_RE.search("<pre><code>a<pre><code>b</code></pre>").group(2) == "b"


def test_a_megabyte_of_the_worst_bodies_renders_in_seconds_not_hours():
    """Bodies that took from minutes to hours each before their patterns and the nesting
    were bounded (unclosed headings 18 minutes, equal headings 27, block quotes 80); the
    budget is a hundred times what they take now, so only a return to the square fails."""
    bodies = [
        ">" * 900_000,
        "<div " * 190_000,
        "<h1>" * 220_000,
        "<pre><code>" * 80_000,
        "## h\n\n" * 150_000,
        "<details>" * 100_000,
    ]
    for body in bodies:
        started = time.perf_counter()
        stored_rendering(body)
        assert time.perf_counter() - started < 60, body[:20]


def test_a_text_with_more_ampersands_than_a_body_may_hold_is_shown_as_written():
    """What no file or form may hold (catalog.fileformat.characters.MAX_HEAVY) but an
    editor's preview, or a body stored before the rule, may ask for: its text escaped, as
    written, not given to the sanitiser, whose time grows with the square of those
    characters (1 MB of "&" took 10 s)."""
    heavy = "<div>\n" + "&" * (MAX_HEAVY - 1) + "\n</div>\n\n" + EVIL + "\n\n# °"
    shown = render_markdown(heavy + "&")
    assert shown.startswith("<pre>") and shown.endswith("</pre>")
    assert html.unescape(shown[len("<pre>") : -len("</pre>")]) == heavy + "&"
    assert not executable_parts(shown)
    rendered = render_markdown(heavy)  # as many as a body may hold: rendered as ever
    assert not rendered.startswith("<pre>") and "<h1" in rendered
    assert not executable_parts(rendered)
