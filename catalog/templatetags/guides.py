"""Template filters for the public pages."""

import datetime
import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import escape
from django.utils.safestring import mark_safe

from catalog.infra.paths import slug_path
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


@register.filter
def marked(guide, field):
    """The guide's ``field`` (title or description) with the search's words in ``<mark>``,
    as catalog.search.add_headlines marked them; escaped, unmarked, where it did not."""
    text = getattr(guide, f"marked_{field}", None)
    return marked_html(text) if text is not None else escape(getattr(guide, field) or "")


@register.filter
def search_snippet(guide):
    """An escaped excerpt of the guide's text around the match, terms marked."""
    return snippet(guide)


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
