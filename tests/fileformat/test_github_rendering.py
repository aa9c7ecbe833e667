"""A guide renders as GitHub renders it: the list shapes Python-Markdown got wrong, as small
cases, and every real guide's page body against GitHub's own renderer (cmark-gfm), element
by element: list items, nesting, code blocks, tables, headings and block quotes."""

import html as html_module
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import cmarkgfm
import pytest

from catalog.fileformat import read_folder
from catalog.fileformat.rendering import MAX_FOOTNOTE_MARKS, plain_text, render_markdown

STRUCTURE = {"ul", "ol", "li", "pre", "table", "tr", "th", "td", "blockquote"}
STRUCTURE |= {f"h{n}" for n in range(1, 7)}


class _Shape(HTMLParser):
    """The structural elements of HTML in document order, each with its depth among them:
    what a reader sees as lists, nesting, code blocks, tables, headings and quotes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.shape, self.depth = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in STRUCTURE:
            self.shape.append((tag, self.depth))
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in STRUCTURE:
            self.depth -= 1


def shape(html):
    parser = _Shape()
    parser.feed(html)
    parser.close()
    return parser.shape


def github(text):
    """What GitHub's renderer makes of ``text`` (cmark-gfm with GitHub's extensions and its
    footnotes)."""
    options = cmarkgfm.cmark.Options
    return cmarkgfm.github_flavored_markdown_to_html(
        text, options.CMARK_OPT_UNSAFE | options.CMARK_OPT_FOOTNOTES
    )


def count(html, tag):
    return sum(1 for name, _ in shape(html) if name == tag)


# --- the shapes the old renderer lost ----------------------------------------------------------


def test_list_items_with_a_paragraph_each_stay_separate_items():
    """'Top 9 HTTP request methods': nine items, each a bold name and an indented paragraph."""
    text = "".join(
        f"*   **HTTP {name}**\n\n    What {name} does.\n" for name in ("GET", "PUT", "POST")
    )
    html = render_markdown(text)
    assert count(html, "li") == 3 and count(html, "ul") == 1
    assert html.count("<p>What") == 3


def test_a_list_right_after_a_paragraph_is_a_list():
    text = "CSS has these parts:\n- selectors\n- properties\n- values\n"
    assert count(render_markdown(text), "li") == 3


@pytest.mark.parametrize("indent", [2, 3, 4])
def test_lists_nested_by_two_three_or_four_spaces_stay_nested(indent):
    """'How does ChatGPT work?': the three steps under 'Fine-tuning' are a list inside it."""
    pad = " " * indent
    text = (
        "- **Pre-training:** a model.\n"
        "- **Fine-tuning:** three steps:\n"
        f"{pad}- Collect data.\n{pad}- Train a reward model.\n{pad}- Use PPO.\n"
        "- Answer.\n"
    )
    html = render_markdown(text)
    assert shape(html) == shape(github(text))
    assert count(html, "ul") == 2 and count(html, "li") == 6
    assert ("ul", 2) in shape(html)  # the inner list sits inside an item


def test_a_code_block_inside_a_list_item_is_a_code_block():
    """'What happens when you type a URL': fenced code indented under list items."""
    text = (
        "- The browser sends a request:\n\n  ```\n  GET /phone HTTP/1.1\n  Host: example.com\n"
        "  ```\n\n- The server answers:\n\n  ```html\n  <html><body>Hi</body></html>\n  ```\n"
    )
    html = render_markdown(text)
    assert count(html, "pre") == 2 and count(html, "li") == 2
    assert "GET /phone HTTP/1.1\nHost: example.com" in html
    assert "&lt;html&gt;" in html or 'class="p">&lt;' in html  # code, shown, not HTML


def test_tables_task_lists_strikethrough_and_autolinks_as_on_github():
    text = (
        "| a | b |\n|:--|--:|\n| 1 | 2 |\n\n- [x] done\n- [ ] to do\n\n~~gone~~ "
        "and www.example.org\n"
    )
    html = render_markdown(text)
    assert count(html, "table") == 1 and count(html, "td") == 2
    assert "☑</span> done" in html and "☐</span> to do" in html and "<input" not in html
    assert "<del>gone</del>" in html
    assert 'href="http://www.example.org"' in html


def test_what_the_pages_add_is_kept():
    text = (
        "## Why it matters\n\n```python\nx = 1\n```\n\n![A diagram](/d.png)\n\n## Why it matters\n"
    )
    html = render_markdown(text)
    assert '<h2 id="why-it-matters">' in html and 'href="#why-it-matters"' in html
    assert '<h2 id="why-it-matters_1">' in html  # a repeated heading gets its own anchor
    assert 'class="codehilite language-python"' in html and '<span class="n">x</span>' in html
    assert 'loading="lazy"' in html and 'alt="A diagram"' in html


def test_a_code_blocks_language_is_named_for_its_label_only_when_it_is_a_name():
    """The page labels a block with the language its writer gave (``language-<name>``),
    highlighted or not; anything else after the fence is no class at all."""
    assert '<div class="codehilite language-c++"><pre>' in render_markdown("```c++\nx\n```")
    assert '<div class="codehilite language-nosuchlang"><pre>' in render_markdown(
        "```nosuchlang\nx\n```"
    )
    for fence in ('```a"b', "```<x>", "```" + "a" * 41, "```"):
        assert '<div class="codehilite"><pre>' in render_markdown(f"{fence}\nx\n```"), fence


def test_the_plain_text_ends_each_heading_so_excerpts_keep_it_apart():
    text = plain_text(render_markdown("## Caching\n\nKeeps copies.\n\n### Why?\n\nSpeed.\n"))
    assert text == "Caching — Keeps copies. Why? — Speed."


def test_footnotes_link_to_their_notes_and_back_as_on_github():
    text = "Hashing[^ring] moves few keys[^1].\n\n[^ring]: Karger et al.\n[^1]: See below.\n"
    html = render_markdown(text)
    assert shape(html) == shape(github(text)) == [("ol", 0), ("li", 1), ("li", 1)]
    assert '<sup class="footnote-ref"><a href="#fn-ring" id="fnref-ring"' in html
    assert '<section class="footnotes">' in html and '<li id="fn-ring">' in html
    assert '<a href="#fnref-1" class="footnote-backref" aria-label="Back to reference 2"' in html
    # the way back ("↩") is no word of the text, as a heading's permalink is none
    assert plain_text(html) == "Hashing1 moves few keys2. Karger et al. See below."
    assert "[^1]" in render_markdown("A reference to no note[^1].\n")  # left as written


def test_a_heading_never_takes_the_id_of_a_footnote_or_of_raw_html():
    text = '# Fn 1\n\nSee[^1].\n\n## Fnref 1\n\n<a id="top"></a>\n\n## Top\n\n[^1]: The note.\n'
    html = render_markdown(text)
    ids = re.findall(r'\sid="([^"]*)"', html)
    assert len(ids) == len(set(ids)), ids
    assert '<h1 id="fn-1_1">' in html and '<li id="fn-1">' in html
    assert '<h2 id="fnref-1_1">' in html and '<h2 id="top_1">' in html
    assert '<h1 id="fn-1">' in render_markdown("# Fn 1\n")  # published anchors stay
    html = render_markdown('## Main\n\n<a id="main">raw</a> <a id="mainly">kept</a>\n')
    assert '<h2 id="main_1">' in html and '<a id="mainly"' in html and 'id="main"' not in html


def test_a_section_is_reached_by_the_id_github_gives_its_heading():
    """A link to a section copied from GitHub reaches it here: where GitHub's id for a
    heading differs from the page's, the heading's permalink holds GitHub's; the page's own
    ids, which links already made name, stay, and win where the two would clash."""
    text = "## 1990s - 2000s\n\n## Use cases:\n\n## Use cases:\n\n## Café & Co\n\n## Plain words\n"
    html = render_markdown(text)
    assert '<h2 id="1990s-2000s">' in html and 'id="1990s---2000s" href="#1990s-2000s"' in html
    assert '<h2 id="use-cases">' in html and 'class="headerlink" href="#use-cases"' in html
    assert '<h2 id="use-cases_1">' in html and 'id="use-cases-1" href="#use-cases_1"' in html
    assert 'id="café--co" href="#cafe-co"' in html
    assert 'class="headerlink" href="#plain-words"' in html  # the same id: no second one
    assert len(re.findall(r'\sid="', html)) == 5 + 3
    # GitHub's "use-cases-1" is the page's id of the third heading: it stays the third's.
    html = render_markdown("## Use cases\n\n## Use cases\n\n## Use cases-1\n\n## Main\n")
    ids = re.findall(r'\sid="([^"]*)"', html)
    assert len(ids) == len(set(ids)), ids
    assert '<h2 id="use-cases-1">' in html and 'id="use-cases-1-1" href="#use-cases-1"' in html
    assert '<h2 id="main_1">' in html and 'id="main"' not in html  # the page's own element


@pytest.mark.parametrize(
    ("reference", "shown"),
    [
        ("[x](other.md)", 'href="/guides/other"'),
        ("[x](./other.md#why)", 'href="/guides/other#why"'),
        ("[x](../categories/net.md)", 'href="/guides/net"'),
        ("[x](../guides/other.md)", 'href="/guides/other"'),
        ('<a href="other.md">x</a>', 'href="/guides/other"'),
        ("![d](../public/images/d.png)", 'src="/images/d.png"'),
        ("![d](../public/a%20b.png)", 'src="/a%20b.png"'),
        (
            '<picture><source srcset="../public/d.png 2x, ../public/e.png">'
            '<img src="../public/l.png" alt="x"></picture>',
            'srcset="/d.png 2x, /e.png"',
        ),
        # what the site does not show stays as written (the link check names it)
        ("[x](notes.txt)", 'href="notes.txt"'),
        ("[x](sub/other.md)", 'href="sub/other.md"'),
        ("[x](../../README.md)", 'href="../../README.md"'),
        ("[x](Other.md)", 'href="Other.md"'),
        ("![d](diagram.png)", 'src="diagram.png"'),
        ("[x](https://example.org/other.md)", 'href="https://example.org/other.md"'),
        ("[x](/guides/other)", 'href="/guides/other"'),
    ],
)
def test_relative_links_and_images_reach_what_github_reaches(reference, shown):
    """A link to another guide's or category's file and an image in public/, written as
    GitHub resolves them from the file's folder (what a contributor's pull request shows),
    point where the site shows those files."""
    html = render_markdown(f"See {reference} here.\n\n`{reference}`\n")
    assert shown in html, html
    assert f"<code>{reference.replace('<', '&lt;').replace('>', '&gt;')}</code>" in html


def _github_ids(html):
    """The ids GitHub gives the headings of ``html`` (github-slugger's rule, written out
    here on its own), each with the ids the heading and its permalink hold here."""
    seen, found = set(), []
    for match in re.finditer(
        r'<h[1-6] id="([^"]*)">(.*?)<a class="headerlink"(?: id="([^"]*)")? href=', html
    ):
        text = re.sub(r"<[^>]*>", "", match.group(2))
        base = re.sub(r"[^\w\- ]", "", html_module.unescape(text).lower()).replace(" ", "-")
        slug, n = base, 0
        while slug in seen:
            n += 1
            slug = f"{base}-{n}"
        seen.add(slug)
        found.append((slug, {match.group(1), match.group(3)}))
    return found


def test_every_real_guides_sections_are_reached_by_githubs_links():
    root = _corpus()
    if not (root / "guides").is_dir():
        pytest.skip(f"the real corpus is not at {root} (GUIDES_CORPUS)")
    folder = read_folder(root)
    missed, headings = [], 0
    for slug, guide in sorted(folder.guides.items()):
        for github_id, here in _github_ids(render_markdown(guide.body)):
            headings += 1
            if github_id not in here:
                missed.append((slug, github_id))
    assert headings > 800 and missed == []
    chatgpt = render_markdown(folder.guides["chatgpt-timeline"].body)
    assert 'id="1990s---2000s"' in chatgpt  # as GitHub links it; here "#1990s-2000s" too


def test_emoji_shortcodes_are_the_emoji_github_shows_outside_code():
    text = (
        "## :rocket: Launch\n\n:tada: :+1: :heart: :thumbsup: :notanemoji: 10:30:45 `:tada:`"
        " <kbd>:tada:</kbd>\n\n```\n:tada:\n```\n"
    )
    html = render_markdown(text)
    assert '<h2 id="rocket-launch">🚀 Launch' in html  # the anchor it had before emoji
    assert (
        "<p>🎉 👍 \u2764\ufe0f 👍 :notanemoji: 10:30:45 <code>:tada:</code> <kbd>🎉</kbd></p>"
        in html
    )
    assert "<code>:tada:\n</code></pre>" in html
    assert plain_text(html).startswith("🚀 Launch — 🎉 👍")


def test_a_body_with_more_footnote_marks_than_the_limit_shows_them_as_written():
    """Each reference adds a link back in its note: 200,000 references to one note (a 1 MB
    file) made 51 MB of HTML. Past ``MAX_FOOTNOTE_MARKS`` the marks are text."""

    def body(references):
        return "See[^1]" * references + "\n\n[^1]: The note.\n"

    assert '<section class="footnotes">' in render_markdown(body(MAX_FOOTNOTE_MARKS - 1))
    html = render_markdown(body(200_000))
    assert "footnote" not in html and len(html) < 2_000_000 and html.count("[^1]") == 200_001


@pytest.mark.parametrize("kind", ["NOTE", "TIP", "IMPORTANT", "WARNING", "CAUTION", "note"])
def test_an_alert_is_a_callout_titled_by_its_kind_as_on_github(kind):
    html = render_markdown(f"> [!{kind}]\n> Back up *first*.\n>\n> Then migrate.\n")
    name = kind.lower()
    assert html == (
        f'<div class="markdown-alert markdown-alert-{name}">\n'
        f'<p class="markdown-alert-title">{name.title()}</p>\n'
        "<p>Back up <em>first</em>.</p>\n<p>Then migrate.</p>\n</div>\n"
    )


@pytest.mark.parametrize(
    "text",
    [
        "> [!NOTE] on the marker's line\n",  # the marker must stand alone
        "> [!NOTE]\n",  # and hold something
        "> [!HINT]\n> not a kind GitHub has\n",
        "> Quote\n>\n> > [!NOTE]\n> > in a quote\n",  # alerts are never nested
        "- item\n\n  > [!TIP]\n  > in a list\n",
    ],
)
def test_what_github_does_not_take_for_an_alert_stays_a_block_quote(text):
    html = render_markdown(text)
    assert "markdown-alert" not in html and shape(html) == shape(github(text))


def test_raw_html_is_rendered_then_sanitised():
    text = '<p align="center"><img src="/d.png" alt="d"></p>\n\n<script>alert(1)</script>\n'
    html = render_markdown(text)
    assert '<img loading="lazy"' in html
    assert "<script>" not in html  # shown as text, as GitHub shows it


def test_raw_html_keeps_what_github_keeps_for_diagrams():
    """A centred diagram and one for dark mode, as READMEs write them; presentational
    attributes GitHub keeps; what could run or leave the page is dropped."""
    html = render_markdown(
        '<p align="center"><img src="/d.png" width="300" alt="d"></p>\n\n'
        '<picture><source media="(prefers-color-scheme: dark)" srcset="/dark.png 1x, '
        'https://cdn.example.org/dark@2x.png 2x"><img src="/d.png" alt="d"></picture>\n\n'
        '<h2 align="center" onclick="x()">T</h2>\n\n<strike>old</strike> <tt>mono</tt>\n'
    )
    assert '<p align="center"><img loading="lazy" decoding="async" src="/d.png" width="300"' in html
    assert (
        '<source media="(prefers-color-scheme: dark)" srcset="/dark.png 1x, '
        'https://cdn.example.org/dark@2x.png 2x">'
    ) in html
    assert '<h2 align="center">T</h2>' in html and "onclick" not in html
    assert "<strike>old</strike> <tt>mono</tt>" in html


@pytest.mark.parametrize(
    "srcset",
    ["javascript:alert(1)", "/ok.png, JAVASCRIPT:x", " data:image/png;base64,AA", "&#106;s:x"],
)
def test_a_srcset_naming_another_scheme_is_dropped(srcset):
    html = render_markdown(f'<picture><source srcset="{srcset}"><img src="/d.png"></picture>\n')
    assert "<source>" in html and "srcset" not in html


@pytest.mark.parametrize(
    "code",
    ['<source srcset="javascript:x">', '<source srcset="../public/d.png">', '<div id="main">'],
)
def test_attributes_written_as_text_stay_as_written(code):
    """Only a tag's attributes are looked into (a srcset's schemes and paths, the page's own
    ids): one shown in a code span or a code block is text."""
    shown = code.replace("<", "&lt;").replace(">", "&gt;")
    assert f"<code>{shown}</code>" in render_markdown(f"Write `{code}` so.\n")
    assert f"<code>{shown}\n</code>" in render_markdown(f"    {code}\n")


# --- every real guide, element by element ------------------------------------------------------


def _corpus():
    found = os.environ.get("GUIDES_CORPUS") or (
        Path(__file__).resolve().parents[3] / "shared" / "corpus" / "system-design-101" / "data"
    )
    return Path(found)


@pytest.mark.corpus
def test_every_real_guide_has_the_structure_github_gives_it():
    root = _corpus()
    if not (root / "guides").is_dir():
        pytest.skip(f"the real corpus is not at {root} (GUIDES_CORPUS)")
    folder = read_folder(root)
    differ = [
        slug
        for slug, guide in sorted(folder.guides.items())
        if shape(render_markdown(guide.body)) != shape(github(guide.body))
    ]
    assert len(folder.guides) == 400
    assert differ == []
