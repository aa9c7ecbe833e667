"""Template filters for the public pages."""

import datetime
import json
from html import escape

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.safestring import mark_safe

from catalog.infra.paths import slug_path, slug_paths
from catalog.search import marked_html, snippet

register = template.Library()

_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter
def ld_json(data):
    """JSON for a ``<script type="application/ld+json">`` element that no value can close."""
    return mark_safe(json.dumps(data, cls=DjangoJSONEncoder).translate(_JSON_SCRIPT_ESCAPES))


@register.filter
def tag_path(slug):
    """A tag's page, as ``{% url 'catalog:tag' slug %}`` gives it (catalog.infra.paths)."""
    return slug_path("catalog:tag", slug)


# A card's and a search result's tags and picture are written here rather than by template
# loops and conditions: a page holds up to 48 cards, and each variable, ``with`` and ``if`` of
# a template costs a few microseconds, which a large collection's full pages multiply. Their
# text is escaped by the standard library's ``html.escape``, which Django's ``escape`` calls
# after a check for lazy strings on every call: the same text, where a page escapes hundreds.


@register.filter
def search_results(guides):
    """The ``<li>`` of each search result (``guides`` marked by catalog.search.add_headlines):
    its title, linked, with the search's words in ``<mark>``; the excerpt of its text around
    the match, or else its description; its tags and picture. Written here rather than by an
    included template: a template's include, variables and conditions cost about as much a
    result as finding, reading and excerpting it, and a page shows twenty."""
    paths = slug_paths("catalog:detail"), slug_paths("catalog:tag")
    return mark_safe("".join(_search_result(guide, *paths) for guide in guides))


def _search_result(guide, path, tag_path):
    excerpt = snippet(guide)
    if excerpt:
        text = f'<p class="snippet">…{excerpt}…</p>'
    elif guide.description:
        text = f'<p class="result-description">{_marked(guide, "description")}</p>'
    else:
        text = ""
    return (
        f'<li class="result"><div class="result-text"><h2 class="result-title">'
        f'<a href="{escape(path(guide.slug))}">{_marked(guide, "title")}</a></h2>'
        f"{text}{_tag_list(guide, tag_path)}</div>{_picture(guide, 'result')}</li>\n"
    )


def _marked(guide, field):
    """The guide's ``field`` (title or description) with the search's words in ``<mark>``,
    as catalog.search.add_headlines marked them; escaped, unmarked, where it did not."""
    text = getattr(guide, f"marked_{field}", None)
    return marked_html(text) if text is not None else escape(getattr(guide, field) or "")


_THUMBNAILS = {  # kind: (class, sizes for its srcset)
    "card": ("card-thumb", "(min-width: 40rem) 20rem, calc(100vw - 2rem)"),
    "result": ("result-thumb", "7rem"),
}
_NO_THUMBNAIL = {"card": '<span class="card-thumb card-thumb--empty" aria-hidden="true"></span>'}


@register.filter
def tag_links(guide):
    """The guide's ``card_tags`` as a list of links to their pages, or ""."""
    return mark_safe(_tag_list(guide, slug_paths("catalog:tag")))


def _tag_list(guide, path):
    tags = getattr(guide, "card_tags", None)
    if not tags:
        return ""
    items = "".join(
        f'<li class="tag"><a href="{escape(path(tag.slug))}">{escape(tag.name)}</a></li>'
        for tag in tags
    )
    return f'<ul class="tags" aria-label="Tags">{items}</ul>'


@register.filter
def thumbnail(guide, kind):
    """The guide's picture as a ``kind`` ("card" or "result") shows it: lazy, with its
    smaller copies and its size when known; without a picture, a card's placeholder."""
    return mark_safe(_picture(guide, kind))


def _picture(guide, kind):
    image = guide.image_url
    if not image:
        return _NO_THUMBNAIL.get(kind, "")
    css, sizes = _THUMBNAILS[kind]
    srcset = guide.diagram_srcset
    more = f' srcset="{escape(srcset)}" sizes="{sizes}"' if srcset else ""
    if guide.image_width:
        more += f' width="{guide.image_width}" height="{guide.image_height}"'
    return f'<img class="{css}" src="{escape(image)}"{more} alt="" loading="lazy" decoding="async">'


# The sitemaps' entries are written here rather than by a template loop, whose cost per entry
# a section page of up to 500 entries multiplies. Same elements as Django's sitemap
# templates, dates in UTC.


def _lastmod(value, day_only=False):
    if not value:
        return ""
    if day_only and isinstance(value, datetime.datetime):
        value = value.date()
    return f"<lastmod>{value.isoformat()}</lastmod>"


@register.filter
def sitemap_index_entries(sitemaps):
    """The ``<sitemap>`` elements of Django's sitemap index view's list, a line each."""
    return mark_safe(
        "".join(
            f"<sitemap><loc>{escape(site.location)}</loc>{_lastmod(site.last_mod)}</sitemap>\n"
            for site in sitemaps
        )
    )


@register.filter
def sitemap_url_entries(urlset):
    """The ``<url>`` elements of Django's sitemap view's list, a line each (the date only
    of ``lastmod``, as Django's template writes it)."""
    return mark_safe(
        "".join(
            f"<url><loc>{escape(url['location'])}</loc>"
            f"{_lastmod(url['lastmod'], day_only=True)}</url>\n"
            for url in urlset
        )
    )
