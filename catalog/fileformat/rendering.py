"""Markdown to safe HTML: the one function behind public pages and the editor's preview.

``render_markdown`` runs Python-Markdown (fenced code with Pygments classes, tables, heading
anchors, sane lists) and then sanitises the result with an nh3 allowlist. It is the
``MARKDOWNX_MARKDOWNIFY_FUNCTION``, so an editor's preview is what visitors get.

Writers use angle brackets as prose ("send ``<idempotency-key: key_value>`` with the request").
Python-Markdown would pass such text on as raw HTML and the sanitiser would then drop it as an
unknown tag, so text vanishes. Here raw inline HTML counts as HTML only when its tag is one the
sanitiser keeps; anything else is shown as the text it is.

Bump ``RENDERER_VERSION`` whenever the output for the same markdown changes: stored HTML of an
older version is then ignored (pages render the body anew) until ``render_guides`` replaces it.
"""

import html
import re
import threading
from html.parser import HTMLParser

import markdown
import nh3
from markdown.extensions import Extension
from markdown.inlinepatterns import HTML_RE, HtmlInlineProcessor
from markdown.treeprocessors import Treeprocessor

RENDERER_VERSION = 1

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "cite",
    "code",
    "dd",
    "del",
    "details",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "samp",
    "small",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
    "var",
}
_HEADINGS = {f"h{n}": {"id"} for n in range(1, 7)}
ALLOWED_ATTRIBUTES = {
    "*": {"title", "lang", "dir"},
    "a": {"href", "name"},
    "img": {"src", "alt", "width", "height", "loading", "decoding"},
    "abbr": {"title"},
    "ol": {"start", "reversed"},
    "td": {"align", "colspan", "rowspan", "style"},
    "th": {"align", "colspan", "rowspan", "style", "scope"},
    "code": {"class"},
    "pre": {"class"},
    "span": {"class"},
    "div": {"class"},
    "details": {"open"},
    **_HEADINGS,
}
ALLOWED_CLASSES = {"a": {"headerlink"}}
URL_SCHEMES = {"http", "https", "mailto"}

_TAG_NAME_RE = re.compile(r"^</?([a-zA-Z][a-zA-Z0-9-]*)")

_cleaner = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    allowed_classes=ALLOWED_CLASSES,
    url_schemes=URL_SCHEMES,
    link_rel="noopener noreferrer",
    filter_style_properties={"text-align"},
    strip_comments=True,
)


class _KnownHtmlOnly(HtmlInlineProcessor):
    """Raw inline HTML stays HTML only for allowlisted tags; anything else is text."""

    def handleMatch(self, m, data):
        name = _TAG_NAME_RE.match(m.group(1))
        if name and name.group(1).lower() in ALLOWED_TAGS:
            return super().handleMatch(m, data)
        if m.group(1).startswith("<!--"):
            return super().handleMatch(m, data)
        text = super(HtmlInlineProcessor, self).unescape(m.group(1))
        escapes = self.md.treeprocessors["unescape"].RE
        text = escapes.sub(lambda esc: chr(int(esc.group(1))), text)
        return self.md.htmlStash.store(html.escape(text, quote=False)), m.start(0), m.end(0)


class _LazyImages(Treeprocessor):
    def run(self, root):
        for img in root.iter("img"):
            img.set("loading", "lazy")
            img.set("decoding", "async")


class _GuidesExtension(Extension):
    def extendMarkdown(self, md):
        md.inlinePatterns.register(_KnownHtmlOnly(HTML_RE, md), "html", 90)
        md.treeprocessors.register(_LazyImages(md), "lazy_images", 1)


_local = threading.local()


def _markdown():
    md = getattr(_local, "md", None)
    if md is None:
        md = markdown.Markdown(
            extensions=[
                "fenced_code",
                "codehilite",
                "tables",
                "toc",
                "sane_lists",
                _GuidesExtension(),
            ],
            extension_configs={
                "codehilite": {"guess_lang": False, "css_class": "codehilite"},
                "toc": {"permalink": "#", "permalink_title": "Link to this section"},
            },
            output_format="html",
        )
        _local.md = md
    return md.reset()


def sanitize(html: str) -> str:
    return _cleaner.clean(html)


def markdown_html(text: str) -> str:
    """The HTML Python-Markdown makes of ``text``, before sanitising (for link checks)."""
    return _markdown().convert(text) if text else ""


def render_markdown(text: str) -> str:
    """Safe HTML for a markdown body."""
    return sanitize(markdown_html(text)) if text else ""


TOC_LEVELS = ("h2", "h3")
TOC_MIN_HEADINGS = 3


class _Headings(HTMLParser):
    """The h2 and h3 headings of rendered HTML, with the ids the ``toc`` extension gave them
    (the permalink sign left out)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found, self._current, self._in_link = [], None, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in TOC_LEVELS and attrs.get("id"):
            self._current = [int(tag[1]), attrs["id"], ""]
        elif tag == "a" and self._current and "headerlink" in (attrs.get("class") or ""):
            self._in_link = True

    def handle_endtag(self, tag):
        if tag == "a":
            self._in_link = False
        elif tag in TOC_LEVELS and self._current:
            level, anchor, text = self._current
            self.found.append({"level": level, "id": anchor, "text": " ".join(text.split())})
            self._current = None

    def handle_data(self, data):
        if self._current and not self._in_link:
            self._current[2] += data


def table_of_contents(html: str) -> list[dict]:
    """The headings of a rendered body for a table of contents (``level``, ``id``, ``text``),
    or none when it has fewer than ``TOC_MIN_HEADINGS``."""
    parser = _Headings()
    parser.feed(html)
    parser.close()
    return parser.found if len(parser.found) >= TOC_MIN_HEADINGS else []


_URL_RE = re.compile(r"\b(?:https?|ftp)://\S+|\bwww\.\S+", re.IGNORECASE)


class _Text(HTMLParser):
    """The words a reader sees in rendered HTML: no markup, no images, no permalink signs."""

    _BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "td", "th", "br"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag == "a" and "headerlink" in (dict(attrs).get("class") or ""):
            self._skip += 1
        if tag in self._BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag == "a" and self._skip:
            self._skip -= 1
        if tag in self._BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def plain_text(html: str) -> str:
    """The text of a rendered body as a reader sees it, on one line, without URLs (for
    search excerpts)."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return " ".join(_URL_RE.sub(" ", "".join(parser.parts)).split())


def stored_rendering(body: str) -> dict:
    """What a record keeps of its body's rendering (catalog.models.Content): the HTML, its
    plain text for search excerpts (so no search parses a result's HTML again), and the
    renderer version."""
    rendered = render_markdown(body)
    return {
        "body_html": rendered,
        "body_text": plain_text(rendered),
        "rendered_with": RENDERER_VERSION,
    }
