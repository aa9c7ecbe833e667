"""Link and image checks over a content folder, for a content repository's CI.

Bodies are rendered with the site's own renderer (catalog.fileformat.rendering, before
sanitising), so links inside code blocks are ignored and reference-style links are resolved
exactly as the site resolves them. Every link into the site (``/guides/<slug>``,
``/tags/<slug>``, or the same under the site's full address) must name a published guide, a
category or a used tag; every link and image must be a URL a browser can read; every local
image must exist and be served (catalog.infra.publicfiles), and so must every file in
``public/``. Duplicate titles and images without alt text are warnings. Nothing is fetched
from the network.
"""

import bisect
import datetime as dt
import os
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote, urlsplit

from django.utils.text import slugify

from catalog.fileformat import ContentFolder, Problem, folder_link_out, moment_text, printable
from catalog.fileformat.characters import normalise_newlines
from catalog.fileformat.files import file_inside
from catalog.fileformat.rendering import markdown_html
from catalog.fileformat.rules import is_public, relative_target, site_link
from catalog.infra.publicfiles import NotServed, image_file, real_path, site_image_exists
from catalog.models import Category, Guide, published_tags


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links, self.images = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "img" and attrs.get("src") is not None:
            self.images.append((attrs.get("src") or "", attrs.get("alt") or ""))
        elif tag == "source" and attrs.get("srcset"):  # a <picture>'s: "url [size], …"
            for candidate in attrs["srcset"].split(","):
                if url := candidate.strip().partition(" ")[0]:
                    self.images.append((url, None))


def _site_root(base_url):
    base = (base_url or "").rstrip("/")
    return base[: -len("/guides")] if base.endswith("/guides") else base


class _Lines:
    """A file's text, and the line on which a position or a needle stands in it (by bisection
    over its newlines, found once)."""

    def __init__(self, text):
        self.text = text
        self.ends, end = [], text.find("\n")
        while end >= 0:
            self.ends.append(end)
            end = text.find("\n", end + 1)

    def line_at(self, position):
        return bisect.bisect_left(self.ends, position) + 1

    def line_of(self, needle, fallback, start=0):
        """The line on which ``needle`` first stands at or after ``start``, else ``fallback``."""
        position = self.text.find(needle, start) if needle else -1
        return self.line_at(position) if position >= 0 else fallback

    def in_order(self, start, fallback):
        """``line_of`` for needles asked in text order (a body's links): each is looked for
        from where the last one was found, then from ``start`` (one that comes earlier, such
        as a reference's definition). Looking for each from ``start`` took seconds for a
        body of 30,000 links, its square in all."""
        at = start

        def line_of(needle):
            nonlocal at
            position = self.text.find(needle, at) if needle else -1
            if position < 0 and needle:
                position = self.text.find(needle, start)
            if position < 0:
                return fallback
            at = position
            return self.line_at(position)

        return line_of


def _hidden(guide):
    if guide.draft:
        return "a draft guide that visitors cannot see"
    return (
        f"a guide scheduled for {moment_text(guide.publish_at)}, which visitors cannot see "
        "before then"
    )


class _Checker:
    """The checks, against what the site has: ``categories`` (slugs), ``published`` (slugs
    of published guides), ``hidden`` (slug: a guide visitors cannot see, with its ``draft``
    and ``publish_at``), ``tags`` (slugs of tags with published guides). ``root`` is the
    content folder the files are in; None for a stored body, whose relative links are
    followed to the site's pages and whose images to the images the site serves."""

    def __init__(self, root, categories, published, hidden, tags, base_url):
        self.root, self.categories, self.published = root, categories, published
        self.hidden, self.tags = hidden, tags
        self.site_root = _site_root(base_url)
        self.problems = []

    @classmethod
    def of_folder(cls, folder: ContentFolder, base_url: str):
        now = dt.datetime.now(dt.UTC)
        published = {s for s, g in folder.guides.items() if is_public(g.draft, g.publish_at, now)}
        checker = cls(
            folder.root,
            set(folder.categories),
            published,
            {s: g for s, g in folder.guides.items() if s not in published},
            {slugify(t) for s in published for t in folder.guides[s].tags},
            base_url,
        )
        checker.folder = folder
        return checker

    def add(self, path, line, message, severity="error", kind=""):
        self.problems.append(Problem(str(path), line, None, message, severity, kind))

    def site_path(self, url):
        """The path of a link into the site, or None for links elsewhere."""
        parts = urlsplit(url)
        if parts.scheme or parts.netloc:
            if not self.site_root or not url.startswith(self.site_root + "/"):
                return None
            return urlsplit(url[len(self.site_root) :]).path
        return parts.path if parts.path.startswith("/") else None

    def linked_page(self, path, line, url):
        """``(kind, slug)`` of the page of this site a link names (``/guides/<slug>``,
        ``/tags/<slug>``, under the site's address or as a relative path GitHub follows),
        or None; a link that cannot be followed is a problem said."""
        try:
            site_path = self.site_path(url)
        except ValueError as exc:  # "http://[oops": no browser opens it
            self.add(path, line, f"links to {url}, which is not a valid URL ({exc})")
            return None
        if site_path is None and relative_target(url) is not None:
            site_path = self.relative_link(path, line, url)
        return _page_of(site_path)

    def check_link(self, path, line, url, from_draft=False):
        page = self.linked_page(path, line, url)
        if page is None:
            return
        kind, slug = page
        if kind == "guides":
            if slug in self.categories or slug in self.published:
                return
            if slug in self.hidden:
                if not from_draft:
                    self.add(path, line, f"links to {url}, {_hidden(self.hidden[slug])}")
            else:
                self.add(path, line, f"links to {url}, but no guide or category is {slug!r}")
        elif slug not in self.tags:
            self.add(path, line, f"links to {url}, but no published guide has the tag {slug!r}")

    def relative_link(self, path, line, url):
        """The site path of a relative link, which GitHub follows to a file of the
        repository (catalog.fileformat.rules.site_link), once that file is there; None (and a
        problem said) where it is not, or where the site does not show it."""
        if self.root is not None:
            target = path.parent / unquote(urlsplit(url).path)
            if not file_inside(target, self.root):
                self.add(path, line, f"links to {url}, which does not exist (looked for {target})")
                return None
        site = site_link(url)
        if site is None:
            self.add(
                path,
                line,
                f"links to {url}, a file the site does not show (it shows the guides' and "
                "categories' files, as other.md, and the images in public/); link to its "
                "address on the repository's host instead",
                "warning",
                "file the site does not show",
            )
            return None
        return urlsplit(site).path

    def local_file(self, path, src):
        """Where a local image is: site paths are served from the data folder's public/."""
        local = unquote(urlsplit(src).path)
        if not local.startswith("/"):
            return [path.parent / local]
        return [self.root / "public" / local.lstrip("/")]

    def check_image(self, path, line, src, alt=None, *, what="image", severity="error"):
        try:
            parts = urlsplit(src)
        except ValueError as exc:
            self.add(path, line, f"{what} {src} is not a valid URL ({exc})", severity, what)
            return
        remote = parts.scheme in ("http", "https", "data") or parts.netloc
        if self.root is None:  # a stored body: the images the site serves now
            site = src if src.startswith("/") else site_link(src)
            if src and not remote and not (site and site_image_exists(unquote(site))):
                self.add(path, line, f"{what} {src} is not an image the site serves", severity)
            return
        if src and not remote:
            candidates = self.local_file(path, src)
            if not any(file_inside(c, self.root) for c in candidates):
                self.add(
                    path,
                    line,
                    f"{what} {src} does not exist (looked for {candidates[0]})",
                    severity,
                    what,
                )
            elif unquote(parts.path).startswith("/"):
                reason = _not_served(self.root / "public", unquote(parts.path))
                if reason:
                    self.add(path, line, f"{what} {src} is not served: {reason}", severity, what)
            elif (site := site_link(src)) is None:
                self.add(
                    path,
                    line,
                    f"{what} {src} is not served: the site serves the images in public/ "
                    "only (move it there)",
                    severity,
                    what,
                )
            elif reason := _not_served(self.root / "public", unquote(site)):
                self.add(path, line, f"{what} {src} is not served: {reason}", severity, what)
        if alt is not None and not alt.strip():
            message = f"image {src} has no alt text"
            self.add(path, line, message, "warning", "image without alt text")

    def check_file(self, path, item, icon=None):
        text = normalise_newlines(path.read_text(encoding="utf-8-sig"))
        lines = _Lines(text)
        body_offset = max(text.rfind(item.body), 0) if item.body else len(text)
        body_start = lines.line_at(body_offset)
        if item.image:
            self.check_image(path, lines.line_of(item.image, 1), item.image)
        if icon:
            self.check_image(path, lines.line_of(icon, 1), icon, what="icon", severity="warning")
        if not item.body:
            return
        collector = _Collector()
        collector.feed(markdown_html(item.body))
        link_line = lines.in_order(body_offset, body_start)
        for url in collector.links:
            self.check_link(
                path, link_line(url), url, from_draft=getattr(item, "slug", None) in self.hidden
            )
        image_line = lines.in_order(body_offset, body_start)
        for src, alt in collector.images:
            self.check_image(path, image_line(src), src, alt)

    def check_public_folder(self):
        """Every entry of ``public/`` must be a served image: report what would not be."""
        public = self.root / "public"
        if not public.is_dir() or folder_link_out(self.root, "public"):  # read_folder says so
            return
        for folder, dirs, files in os.walk(public):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in dirs:
                if os.path.islink(Path(folder, name)):
                    self._check_public_entry(public, Path(folder, name), folder_only=True)
            for name in sorted(files):
                if not name.startswith("."):
                    self._check_public_entry(public, Path(folder, name))

    def _check_public_entry(self, public, entry, *, folder_only=False):
        relative = entry.relative_to(public).as_posix()
        try:
            if folder_only:
                real_path(public, relative)
                return
            reason = _not_served(public, relative)
        except NotServed as exc:
            reason = str(exc)
        if reason:
            self.add(entry, None, f"{reason}; only images inside public/ are served")

    def run(self):
        self.check_public_folder()
        for slug, category in sorted(self.folder.categories.items()):
            path = self.root / "categories" / f"{slug}.md"
            self.check_file(path, category, icon=category.icon)
        titles = {}
        for slug, guide in sorted(self.folder.guides.items()):
            path = self.root / "guides" / f"{slug}.md"
            self.check_file(path, guide)
            titles.setdefault(guide.title.strip().casefold(), []).append(path)
        for paths in titles.values():
            for path in paths[1:]:
                line = _Lines(path.read_text(encoding="utf-8-sig")).line_of("title:", 1)
                self.add(path, line, f"has the same title as {paths[0]}", "warning", "same title")
        return self.problems


def _not_served(public, relative):
    """Why ``public/relative`` would not be served, or None if it would."""
    try:
        handle, _, _ = image_file(public, relative)
    except NotServed as exc:
        return str(exc)
    handle.close()
    return None


def _page_of(site_path):
    """``(kind, slug)`` of a page a site path names (``/guides/<slug>``, ``/tags/<slug>``),
    or None."""
    if site_path is None:
        return None
    parts = [unquote(p) for p in site_path.strip("/").split("/")]
    if len(parts) < 2 or parts[0] not in ("guides", "tags") or parts[1] == "":
        return None
    return parts[0], parts[1]


def check_links(folder: ContentFolder, base_url: str = "") -> list[Problem]:
    """Problems with the links and images of every valid file in ``folder``."""
    return _Checker.of_folder(folder, base_url).run()


def stored_body_problems(body: str, base_url: str = "", *, public=True) -> list[Problem]:
    """Problems with the links and images of a body an editor saved, against the site as it
    is now (the database, the images it serves): the link checks of :func:`check_links`,
    each at its line of the body (``path`` "body"), but for alt text, which a file's check
    names. ``public``: whether the body's own page is (a draft may link to a draft)."""
    collector = _Collector()
    collector.feed(markdown_html(body))
    probe = _Checker(None, set(), set(), {}, set(), base_url)  # its problems are said below
    pages = {probe.linked_page("body", None, url) for url in collector.links} - {None}
    slugs = {slug for kind, slug in pages if kind == "guides"}
    tag_slugs = {slug for kind, slug in pages if kind == "tags"}
    now = dt.datetime.now(dt.UTC)
    guides = {
        slug: SimpleNamespace(draft=draft, publish_at=publish_at)
        for slug, draft, publish_at in Guide.objects.filter(slug__in=slugs).values_list(
            "slug", "draft", "publish_at"
        )
    }
    published = {s for s, g in guides.items() if is_public(g.draft, g.publish_at, now)}
    checker = _Checker(
        None,
        set(Category.objects.filter(slug__in=slugs).values_list("slug", flat=True)),
        published,
        {s: g for s, g in guides.items() if s not in published},
        set(published_tags().filter(slug__in=tag_slugs).values_list("slug", flat=True)),
        base_url,
    )
    lines = _Lines(body)
    line = lines.in_order(0, 1)
    for url in collector.links:
        checker.check_link("body", line(url), url, from_draft=not public)
    line = lines.in_order(0, 1)
    for src, _ in collector.images:
        checker.check_image("body", line(src), src)
    return checker.problems


def format_warning(problem: Problem) -> str:
    field = f"{problem.field}: " if problem.field else ""
    return f"{printable(problem.path)}:{problem.line or 1}: warning: {field}{problem.message}"
