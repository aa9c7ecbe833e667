"""Template filters for the public pages."""

import json
import re

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import escape
from django.utils.safestring import mark_safe

from catalog.search import search_terms, snippet

register = template.Library()

_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter
def ld_json(data):
    """JSON for a ``<script type="application/ld+json">`` element that no value can close."""
    return mark_safe(json.dumps(data, cls=DjangoJSONEncoder).translate(_JSON_SCRIPT_ESCAPES))


@register.filter
def highlight(text, query):
    """Escape ``text`` and wrap each search term found in it in ``<mark>``."""
    text = str(text or "")
    terms = sorted(search_terms(query), key=len, reverse=True)
    if not terms:
        return escape(text)
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)
    parts, position = [], 0
    for match in pattern.finditer(text):
        parts.append(escape(text[position : match.start()]))
        parts.append(f"<mark>{escape(match.group(0))}</mark>")
        position = match.end()
    parts.append(escape(text[position:]))
    return mark_safe("".join(parts))


@register.filter
def search_snippet(guide):
    """An escaped excerpt of the guide's text around the match, terms marked."""
    return snippet(guide)
