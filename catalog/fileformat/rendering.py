"""Markdown to safe HTML as GitHub renders it: the one function behind public pages, feeds,
search excerpts and the editor's preview.

``render_markdown`` runs GitHub's own renderer, cmark-gfm (through the cmarkgfm binding that
PyPA maintains for PyPI's README rendering): CommonMark with GitHub's tables, strikethrough,
task lists, autolinks and footnotes, with GitHub's alerts and emoji shortcodes, so a guide's
lists, nesting and code blocks are what a contributor saw in their pull request. Then what
the pages add, on cmark's HTML: heading ids with a permalink (``#``) for the table of
contents, code highlighted by Pygments (``codehilite`` classes, as
``static/css/highlight.css`` styles them), lazy images; and the result is
sanitised with an nh3 allowlist (raw HTML in a guide is rendered, then sanitised, as GitHub
does). It is the ``MARKDOWNX_MARKDOWNIFY_FUNCTION``, so an editor's preview is what visitors
get. Bodies are rendered (cmark-gfm, fast enough to render every body of an import) when
they are saved or imported, never on a reader's request.

Writers use angle brackets as prose ("send ``<idempotency-key: key_value>``"): CommonMark
takes those as text, not HTML, and so does this.

Bump ``RENDERER_VERSION`` whenever the output for the same markdown changes, then run
``render_guides --all``: stored HTML of an older version is ignored (pages render the body
anew) until it is replaced.
"""

import ctypes
import functools
import html
import re
import threading
import unicodedata
from html.parser import HTMLParser

import nh3
from cmarkgfm import _cmark, cmark
from cmarkgfm.cmark import Options
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from catalog.fileformat.characters import too_heavy
from catalog.fileformat.rules import site_link

RENDERER_VERSION = 6

# What GitHub's sanitiser keeps of raw HTML in markdown, less what our pages cannot use
# (forms, ``target``, ``tabindex``, most presentational attributes): the elements, ``align``
# where READMEs centre a diagram (``<p align="center"><img …></p>``), and ``<picture>`` with
# its ``<source>`` (a diagram for dark mode: ``media="(prefers-color-scheme: dark)"``).
ALLOWED_TAGS = {
    *("a", "abbr", "b", "bdo", "blockquote", "br", "caption", "cite", "code", "dd", "del"),
    *("details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "hr", "i", "img"),
    *("ins", "kbd", "li", "mark", "ol", "p", "picture", "pre", "q", "rp", "rt", "ruby", "s"),
    *("samp", "section", "small", "source", "span", "strike", "strong", "sub", "summary"),
    *("sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "tt", "u", "ul"),
    *("var", "wbr", "h1", "h2", "h3", "h4", "h5", "h6"),
}
_ALIGNED = {"align"}
ALLOWED_ATTRIBUTES = {
    "*": {"title", "lang", "dir"},
    "a": {"href", "name", "id", "aria-label"},
    "li": {"id"},
    "img": {"src", "alt", "width", "height", "loading", "decoding", "align"},
    "source": {"srcset", "media", "type", "width", "height"},
    "abbr": {"title"},
    "time": {"datetime"},
    "ol": {"start", "reversed"},
    "td": {"align", "colspan", "rowspan", "style"},
    "th": {"align", "colspan", "rowspan", "style", "scope"},
    "code": {"class"},
    "pre": {"class"},
    "span": {"class"},
    "div": {"class", *_ALIGNED},
    "p": _ALIGNED,
    "details": {"open"},
    **{f"h{n}": {"id", *_ALIGNED} for n in range(1, 7)},
}
ALLOWED_CLASSES = {
    "a": {"headerlink", "footnote-backref"},
    "sup": {"footnote-ref"},
    "section": {"footnotes"},
    "p": {"markdown-alert-title"},
}
URL_SCHEMES = {"http", "https", "mailto"}

_cleaner = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    allowed_classes=ALLOWED_CLASSES,
    url_schemes=URL_SCHEMES,
    link_rel="noopener noreferrer",
    filter_style_properties={"text-align"},
    strip_comments=True,
)


_OPTIONS = (
    Options.CMARK_OPT_UNSAFE  # raw HTML is kept, then sanitised (nh3), as GitHub does
    | Options.CMARK_OPT_TABLE_PREFER_STYLE_ATTRIBUTES
    | Options.CMARK_OPT_GITHUB_PRE_LANG
    | Options.CMARK_OPT_FOOTNOTES  # "text[^1]" and "[^1]: note", as GitHub renders them
)
# The most footnote marks ("[^", references and notes together) a body's footnotes are
# rendered with; a body with more shows them as written. Each reference to a note adds a
# link back to it in the note: 200,000 references to one note in a 1 MB file made 51 MB of
# HTML in 15 s. Real guides have a handful.
MAX_FOOTNOTE_MARKS = 500
# GitHub's extensions, as cmarkgfm.github_flavored_markdown_to_html attaches them (looked up
# once per process instead of once per body).
_GFM = ("table", "autolink", "tagfilter", "strikethrough", "tasklist")
_extensions = []
# cmarkgfm (2025.10.22) frees neither the document a parse makes nor the HTML string cmark
# returns (its own functions leak them too: about 15 KB a guide, 1.5 GB over 100,000, and
# in every web process that renders a preview). Its compiled library exports the cmark
# functions that free them; the HTML is cmark's to free with the C library's ``free``.
_cmark_library = ctypes.CDLL(_cmark.__file__)
_free_document = _cmark_library.cmark_node_free
_free_document.argtypes, _free_document.restype = [ctypes.c_void_p], None
_free = ctypes.CDLL(None).free
_free.argtypes, _free.restype = [ctypes.c_void_p], None


def _address(pointer):
    return int(_cmark.ffi.cast("uintptr_t", pointer))


def _github_html(text):
    """cmark-gfm's HTML of ``text`` with GitHub's extensions."""
    if not _extensions:
        cmark.core_extensions_ensure_registered()
        _extensions.extend(cmark.find_syntax_extension(name) for name in _GFM)
    options = _OPTIONS
    if not 0 < text.count("[^") <= MAX_FOOTNOTE_MARKS:  # none to render: cmark's pass spared
        options &= ~Options.CMARK_OPT_FOOTNOTES
    parser = cmark.parser_new(options=options)
    root = None
    try:
        for extension in _extensions:
            cmark.parser_attach_syntax_extension(parser, extension)
        cmark.parser_feed(parser, text)
        root = cmark.parser_finish(parser)
        rendered = _cmark.lib.cmark_render_html(
            root, options, cmark.parser_get_syntax_extensions(parser)
        )
        try:
            return _cmark.ffi.string(rendered).decode("utf-8")
        finally:
            _free(_address(rendered))
    finally:
        if root is not None:
            _free_document(_address(root))
        cmark.parser_free(parser)


# Every pattern over a body's HTML takes time in proportion to the HTML, whatever a file holds:
# a heading's text ends at the next heading tag, and a code block's is cmark's escaped text
# (no "<"), so a file of unclosed "<h1>" or "<pre><code>" tags, each scanned to the end of the
# body, cannot take hours.
_HEADING_RE = re.compile(r"<h([1-6])>([^<]*(?:<(?!/?h[1-6]>)[^<]*)*)</h\1>")
_CODE_RE = re.compile(r'<pre(?: lang="([^"]*)")?><code>([^<]*)</code></pre>')
_IMG_RE = re.compile(r"<img(?=[\s/>])", re.IGNORECASE)
# A task list's boxes (``- [x] done``) as cmark-gfm writes them, shown as the marks they are:
# the page has no form elements at all.
_TASK_BOXES = {
    '<input type="checkbox" checked="" disabled="" />': '<span class="task" title="done">☑</span>',
    '<input type="checkbox" disabled="" />': '<span class="task" title="to do">☐</span>',
}
_TASK_RE = re.compile("|".join(re.escape(box) for box in _TASK_BOXES))
_TAG_RE = re.compile(r"<[^>]*>")
_local = threading.local()


def _formatter():
    formatter = getattr(_local, "formatter", None)
    if formatter is None:
        formatter = _local.formatter = HtmlFormatter(cssclass="codehilite", wrapcode=True)
    return formatter


_CODE_DIV = '<div class="codehilite">'
_LANGUAGE_RE = re.compile(r"[\w+#.-]{1,40}", re.ASCII)


def _code_block(match):
    """A fenced or indented code block, highlighted when its language is known."""
    lang = html.unescape(match.group(1) or "").split(" ")[0]
    code = html.unescape(match.group(2))
    try:
        lexer = get_lexer_by_name(lang, stripnl=False, ensurenl=False) if lang else None
    except ClassNotFound:
        lexer = None
    # The language as its writer named it, for the page's label (``language-<name>``).
    named = _LANGUAGE_RE.fullmatch(lang)
    opening = f'<div class="codehilite language-{lang}">' if named else _CODE_DIV
    if lexer is None:
        plain = html.escape(code, quote=False)
        return f"{opening}<pre><span></span><code>{plain}</code></pre></div>"
    return opening + highlight(code, lexer, _formatter()).rstrip("\n")[len(_CODE_DIV) :]


_NOT_SLUG_RE = re.compile(r"[^\w\s-]")
_SEPARATORS_RE = re.compile(r"[-\s]+")


class _Anchors:
    """The heading ids given so far in one body. A repeated heading takes the next free
    ``_n`` (``separator`` n) after its text's last one, not the first free one counted from
    ``_1``: the same ids, but a body of 100,000 equal headings costs 100,000 steps, not 5
    billion."""

    def __init__(self, separator="_"):
        self.taken, self.last, self.separator = set(), {}, separator

    def unique(self, base):
        n = self.last.get(base, 0)
        anchor = f"{base}{self.separator}{n}" if n else base
        while anchor in self.taken:
            n += 1
            anchor = f"{base}{self.separator}{n}"
        self.last[base] = n
        self.taken.add(anchor)
        return anchor


def heading_id(text, anchors):
    """A heading's id as Python-Markdown's ``toc`` made them (so published anchors keep
    working): its text lowercased, accents and punctuation dropped, spaces as hyphens;
    ``_1``, ``_2`` … for repeats (``anchors``: the body's :class:`_Anchors`)."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    value = _NOT_SLUG_RE.sub("", text).strip().lower()
    return anchors.unique(_SEPARATORS_RE.sub("-", value) or "section")


_NOT_GITHUB_SLUG_RE = re.compile(r"[^\w\- ]")


def github_heading_id(text, anchors):
    """The id GitHub gives a heading (less its ``user-content-`` prefix, which its pages'
    script adds back to a link's ``#``): its text lowercased, all but letters, digits,
    "_", "-" and spaces dropped, each space a hyphen ("1990s - 2000s" is "1990s---2000s");
    ``-1``, ``-2`` … for repeats (``anchors``: an :class:`_Anchors` with "-")."""
    return anchors.unique(_NOT_GITHUB_SLUG_RE.sub("", text.lower()).replace(" ", "-"))


# The ids the site's public pages give their own elements (templates/: the skip link's
# target, the search box, the headings that label sections). No element of a body takes one:
# a heading "Main" is "main_1", and raw HTML's ``id="main"`` is dropped, so the skip link,
# the table of contents and ``aria-labelledby`` find the page's own element.
PAGE_IDS = frozenset(
    {"main", "site-search", "guide-toc", "related-heading", "other-heading"}
    | {"latest-heading", "categories-heading", "most-used", "all-tags"}
)
_PAGE_ID_RE = re.compile(rf'(<[a-zA-Z][^>]*?)\sid="(?:{"|".join(sorted(PAGE_IDS))})"')  # in a tag
# The ids a body's HTML holds before its headings get theirs, on the elements that keep one
# (sanitising drops the rest): footnotes' ("fn-1", "fnref-1") and raw HTML's. A heading never
# takes one ("Fn 1" is "fn-1_1"), so every id names one element and a footnote's link
# reaches its note.
_ID_RE = re.compile(r'<(?:a|li|h[1-6])\s[^>]*?\bid="([^"]*)"')


def _headings(rendered):
    """Each heading with its id and a permalink to it. Where GitHub gives the heading
    another id (:func:`github_heading_id`), the permalink holds that one, so a link to a
    section copied from GitHub reaches it here too; not where it is an id of this body or
    page (a heading's own, a footnote's, raw HTML's), which it then leaves to them."""
    anchors = _Anchors()
    anchors.taken.update(PAGE_IDS)
    if ' id="' in rendered:
        anchors.taken.update(_ID_RE.findall(rendered))
    github = _Anchors(separator="-")
    headings = []  # every id of the body is known before a permalink takes GitHub's
    for match in _HEADING_RE.finditer(rendered):
        text = html.unescape(_TAG_RE.sub("", match.group(2)))
        headings.append((match, heading_id(text, anchors), github_heading_id(text, github)))
    parts, at, aliases = [], 0, set()
    for match, anchor, alias in headings:
        level, inner = match.groups()
        if alias and alias not in anchors.taken and alias not in aliases:
            aliases.add(alias)
            alias = f' id="{alias}"'
        else:
            alias = ""
        parts += [
            rendered[at : match.start()],
            f'<h{level} id="{anchor}">{inner}<a class="headerlink"{alias} href="#{anchor}" '
            f'title="Link to this section">#</a></h{level}>',
        ]
        at = match.end()
    parts.append(rendered[at:])
    return "".join(parts)


# The deepest that elements nest in a rendered body. No guide comes near it (the real ones
# nest 4 deep), and the sanitiser's HTML parser takes time in proportion to the square of the
# depth: a 100 KB file of ">" (100,000 block quotes, one in another) took 49 s, the 1 MB a
# file may hold about 80 minutes. Browsers stop nesting at 512 for the same reason. A deeper
# tag as cmark writes its own (no attributes) is left out, its text kept (shown as text, the
# 26 bytes of tags cmark makes of each ">" made that file a 35 MB page); one with attributes
# (raw HTML, as long as the file) is shown as text, so no tag's end is looked for.
MAX_NESTING = 100
_TAG_START_RE = re.compile(r"</?([a-zA-Z][a-zA-Z0-9-]*)")
# Elements that never hold one of their own kind: void ones, and those a next one closes
# (HTML may leave out their end tags), which the count would otherwise take as nesting.
_NOT_NESTING = {
    *("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param"),
    *("source", "track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody"),
    *("tfoot", "option", "optgroup", "colgroup", "caption", "rb", "rt", "rp", "rtc"),
}


def _limit_nesting(rendered):
    """``rendered`` without elements nested deeper than ``MAX_NESTING`` (their tags left
    out or shown as text, their text kept), in one pass. A body with fewer start tags than
    that is returned as it is without a pass."""
    if rendered.count("<") - rendered.count("</") <= MAX_NESTING:
        return rendered
    parts, at, open_ = [], 0, []  # open_: whether each element open now was kept
    for tag in _TAG_START_RE.finditer(rendered):
        start = tag.start()
        if tag.group(1).lower() in _NOT_NESTING:
            continue
        if rendered[start + 1] == "/":
            if not open_ or open_.pop():
                continue
        else:
            open_.append(len(open_) < MAX_NESTING)
            if open_[-1]:
                continue
        bare = rendered.startswith(">", tag.end())
        parts += [rendered[at:start], "" if bare else "&lt;"]
        at = tag.end() + 1 if bare else start + 1
    parts.append(rendered[at:])
    return "".join(parts)


# GitHub's alerts: a block quote at the top level of a body (not in a list or another quote)
# whose first line is "[!NOTE]", "[!TIP]", "[!IMPORTANT]", "[!WARNING]" or "[!CAUTION]" alone,
# and that holds something more, is shown as a callout titled by its kind, in GitHub's own
# markup (``markdown-alert``). cmark-gfm has no such extension: the block quote as cmark
# writes it is rewritten.
_ALERT_KINDS = ("note", "tip", "important", "warning", "caution")
_CONTAINER_RE = re.compile(
    r"<blockquote>\n(?:<p>\[!(" + "|".join(_ALERT_KINDS) + r")\](?:\n|</p>\n(?!</blockquote>)))?"
    r"|</blockquote>|<li[ >]|</li>",
    re.IGNORECASE,
)


def _alerts(rendered):
    """``rendered`` with GitHub's alerts, in one pass over its block quotes and list items
    (each quote's end matched to its own start)."""
    if "[!" not in rendered:
        return rendered
    parts, at, open_ = [], 0, []  # open_: whether each quote or item open now is an alert
    for tag in _CONTAINER_RE.finditer(rendered):
        if tag.group(0).startswith("</"):
            if open_ and open_.pop() and tag.group(0) == "</blockquote>":
                parts += [rendered[at : tag.start()], "</div>"]
                at = tag.end()
            continue
        kind = (tag.group(1) or "").lower() if not open_ else ""
        open_.append(bool(kind))
        if kind:
            title = f'<p class="markdown-alert-title">{kind.title()}</p>\n'
            rest = "" if tag.group(0).endswith("</p>\n") else "<p>"
            parts += [
                rendered[at : tag.start()],
                f'<div class="markdown-alert markdown-alert-{kind}">\n{title}{rest}',
            ]
            at = tag.end()
    parts.append(rendered[at:])
    return "".join(parts)


# A ``<source>``'s ``srcset`` is a list of image URLs, each with an optional width or density,
# that the sanitiser does not look into: one naming a scheme other than http(s) is dropped
# whole, as the sanitiser drops such an ``<img src>``.
_SRCSET_RE = re.compile(r'(<source\b[^>]*?) srcset="([^"]*)"')  # in a tag, not in text
_URL_SCHEME_RE = re.compile(r"[\x00-\x20]*([a-zA-Z][a-zA-Z0-9+.-]*):")


def _srcset(match):
    for candidate in html.unescape(match.group(2)).split(","):
        # as a browser reads a URL: tabs and newlines inside it dropped ("java\tscript:")
        scheme = _URL_SCHEME_RE.match(re.sub("[\t\n\r]", "", candidate))
        if scheme and scheme.group(1).lower() not in URL_SCHEMES - {"mailto"}:
            return match.group(1)
    return match.group(0)


def sanitize(text: str) -> str:
    cleaned = _cleaner.clean(text)
    if " id=" in cleaned:  # raw HTML naming one of the page's own elements
        cleaned = _PAGE_ID_RE.sub(r"\1", cleaned)
    return _SRCSET_RE.sub(_srcset, cleaned) if " srcset=" in cleaned else cleaned


# GitHub's emoji shortcodes (":tada:" is 🎉), from gemoji, GitHub's own list, as
# pymdown-extensions ships it: each as GitHub shows it (with its variation selector, "❤️").
# Aliases name the same emoji. Names are lower-case letters, digits, "_", "+" and "-". The
# list loads with the first body that holds a shortcode, not with every process that may
# render (every command's system checks load this module through the editor's preview).
@functools.cache
def _gemoji_table():
    from pymdownx import gemoji_db

    table = {}
    for code, entry in gemoji_db.emoji.items():
        points = entry.get("unicode_alt") or entry.get("unicode")
        if points:
            table[code] = "".join(chr(int(point, 16)) for point in points.split("-"))
    for alias, code in gemoji_db.aliases.items():
        if code in table:
            table[alias] = table[code]
    return table


_SHORTCODE_RE = re.compile(r":[a-z0-9_+-]+:")
_TAG_SPLIT_RE = re.compile(f"({_TAG_RE.pattern})")  # a split keeps the tags
_VERBATIM_TAG_RE = re.compile(r"<(/?)(?:code|pre|tt)\b", re.IGNORECASE)


def _emoji(rendered):
    """``rendered`` with GitHub's emoji shortcodes in its text as the emoji they name; an
    unknown name, and anything in code (``code``, ``pre``, ``tt``: the elements GitHub's
    emoji filter leaves alone), stays as written."""
    if ":" not in rendered or not _SHORTCODE_RE.search(rendered):
        return rendered
    table = _gemoji_table()
    parts = _TAG_SPLIT_RE.split(rendered)  # text, tag, text, … (text holds no "<")
    verbatim = 0
    for n, part in enumerate(parts):
        if n % 2:
            if tag := _VERBATIM_TAG_RE.match(part):
                verbatim = max(0, verbatim - 1) if tag[1] else verbatim + 1
        elif not verbatim and ":" in part:
            parts[n] = _SHORTCODE_RE.sub(lambda m: table.get(m[0], m[0]), part)
    return "".join(parts)


def markdown_html(text: str) -> str:
    """The HTML of ``text`` before sanitising (for link checks): cmark-gfm's, with heading
    anchors, highlighted code, emoji shortcodes and lazy images."""
    if not text:
        return ""
    rendered = _limit_nesting(_github_html(text))
    rendered = _alerts(rendered)
    rendered = _CODE_RE.sub(_code_block, rendered)
    rendered = _emoji(_headings(rendered))  # ids first: ":rocket: Launch" is rocket-launch
    if "<input" in rendered:
        rendered = _TASK_RE.sub(lambda m: _TASK_BOXES[m.group(0)], rendered)
    return _IMG_RE.sub('<img loading="lazy" decoding="async"', rendered)


def render_markdown(text: str) -> str:
    """Safe HTML for a markdown body. A text no file or form may hold for the time it would
    take (more than ``MAX_HEAVY`` ampersands and Latin-1 signs: an editor's preview, or a
    body stored before that rule) is shown as written."""
    if not text:
        return ""
    if too_heavy(text):
        return f"<pre>{html.escape(text, quote=False)}</pre>"
    return _site_links(sanitize(markdown_html(text)))


# A link or image of a body as the sanitiser writes it (every attribute quoted, its value
# escaped, no ">" inside a tag).
_REFERENCE_RE = re.compile(r'(<(?:a|img)\s[^>]*?\b(?:href|src)=")([^"]*)"')


def _site_links(cleaned):
    """Relative links and images where GitHub finds their files (another guide's or
    category's file, ``other.md``; a picture in ``public/``, ``../public/d.png``) pointed
    at where the site shows them (catalog.fileformat.rules.site_link); the rest as written."""
    if ".md" not in cleaned and "public/" not in cleaned:
        return cleaned

    sites = {}  # a reference repeated is resolved once

    def site_of(reference):
        if reference not in sites:
            site = site_link(html.unescape(reference))
            sites[reference] = None if site is None else html.escape(site)
        return sites[reference]

    def link(match):
        site = site_of(match.group(2))
        return match.group(0) if site is None else f'{match.group(1)}{site}"'

    def srcset(match):  # "url [descriptor], …": each url as a link
        candidates = []
        for candidate in match.group(2).split(","):
            url, space, descriptor = candidate.strip().partition(" ")
            candidates.append(f"{site_of(url) or url}{space}{descriptor}")
        return f'{match.group(1)} srcset="{", ".join(candidates)}"'

    cleaned = _REFERENCE_RE.sub(link, cleaned)
    return _SRCSET_RE.sub(srcset, cleaned) if " srcset=" in cleaned else cleaned


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


# The signs a reader does not read as text: a heading's permalink ("#") and a footnote's way
# back to its reference ("↩").
_PERMALINK_RE = re.compile(
    r'<a (?:[^>]*? )?class="(?:headerlink|footnote-backref)"[^>]*>.*?</a>', re.DOTALL
)
_BLOCK_TAG_RE = re.compile(r"</?(?:p|li|h[1-6]|pre|blockquote|td|th|br|tr|div|ul|ol|table)\b[^>]*>")


# A heading's end in the plain text, so that an excerpt does not run it into what follows.
HEADING_END = " — "
_HEADING_END_RE = re.compile(r"</h[1-6]>")


def plain_text(html_text: str) -> str:
    """The text of a rendered (sanitised) body as a reader sees it, on one line, without
    URLs, images or permalink signs (for search excerpts); each heading ends with
    ``HEADING_END``. The sanitiser's output is well-formed with every ``<`` of text
    escaped, so its tags are found by pattern."""
    text = _PERMALINK_RE.sub(" ", html_text)
    text = _HEADING_END_RE.sub(HEADING_END, text)
    text = _BLOCK_TAG_RE.sub(" ", text)
    text = html.unescape(_TAG_RE.sub("", text))
    words = text.split()
    if "://" in text or _WWW_RE.search(text):
        words = [word for word in words if not _is_url(word)]
    return " ".join(words)


_WWW_RE = re.compile(r"www\.", re.IGNORECASE)


def _is_url(word):
    return "://" in word or word[:4].lower() == "www."


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
