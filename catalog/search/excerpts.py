"""Excerpts of search results: the passage of each guide on the page shown that holds the
most of the words searched for, with those words marked."""

import os
import re
from html import escape

from django.db import connection
from django.utils.safestring import mark_safe

from catalog.search.documents import SEARCH_CONFIG, remembered_stems
from catalog.search.query import full_text, search_terms

SNIPPET_CHARS = 160


SNIPPET_LEAD = 40  # of them before the first word of the passage

# How much of a text an excerpt is chosen from (the real guides' texts are at most about
# 15,000 characters), and the most distinct words of one text stemmed to mark them, the
# shortest first (a word's own forms are its shortest: "cache", "caches", "caching"): one
# guide of 75,000 distinct words that begin as a query word does made every search for that
# word take 0.3-1 s, each word stemmed by the database, and no text can crowd out another's.
EXCERPT_TEXT_CHARS = 20_000
MAX_MARKED_WORDS = 100


# What add_headlines reads of a guide. The body stays in the database: it is read (a query
# a guide) only where the stored rendering is not current, which `render_guides --all` ends
# after a renderer change.
EXCERPT_FIELDS = ("body_text", "rendered_with")


_START, _STOP = "\x02", "\x03"


def add_headlines(guides, query):
    """Mark the query's words in what each guide shown says of itself: ``marked_title``,
    ``marked_description`` and ``headline``, an excerpt of its text around the match (the
    words between _START and _STOP; :func:`marked_html` makes them HTML).

    Excerpts come from the rendered body as a reader sees it (``Guide.text``, stored with
    the HTML: no markdown syntax, no URLs), never from the markdown. Which words are marked
    is the search's own rule: on PostgreSQL the search configuration's stems ("caching"
    marks "Cache"), elsewhere the terms as parts of words. Only words that begin as a query
    word's stem does are stemmed, so an excerpt costs little however long the text
    (``ts_headline`` stemmed every word of every text shown: the guides that rank best,
    which fill the first page of a large collection, are the longest).
    """
    guides = list(guides)
    terms = search_terms(query)
    if not guides or not terms:
        return guides
    texts = {}
    for guide in guides:
        texts[guide.pk, "title"] = guide.title
        texts[guide.pk, "description"] = guide.description or ""
        texts[guide.pk, "text"] = guide.text[:EXCERPT_TEXT_CHARS]
    if full_text():
        hits, needed = _full_text_hits(texts, terms)
    else:
        hits, needed = _portable_hits(texts, terms), len(terms)
    for guide in guides:
        guide.marked_title = _marked(texts[guide.pk, "title"], hits[guide.pk, "title"])
        guide.marked_description = _marked(
            texts[guide.pk, "description"], hits[guide.pk, "description"]
        )
        guide.headline = excerpt(texts[guide.pk, "text"], hits[guide.pk, "text"], needed)
    return guides


def excerpt(text, hits, needed):
    """About SNIPPET_CHARS of ``text`` around its best passage, each hit between _START and
    _STOP; "" without ``hits``: ``(start, end, query word)`` in text order.

    The passage, as ``ts_headline`` chose it: of the places where ``needed`` distinct
    query words occur (a cover: from one hit to where the last missing word first follows),
    the one with the most hits within SNIPPET_CHARS, then the shortest, then the first;
    where the text has fewer words than that, its beginning.
    """
    if not hits:
        return ""
    words = len({word for _, _, word in hits})
    first = _best_cover(hits, words, SNIPPET_CHARS) if words >= needed else 0
    start = max(0, first - SNIPPET_LEAD)
    if start:
        space = text.find(" ", start, first)
        start = space + 1 if space >= 0 else first
    stop = start + SNIPPET_CHARS
    if stop < len(text):
        space = text.rfind(" ", first, stop)
        stop = space if space > first else stop
    return _marked(text, hits, start, stop)


def _marked(text, hits, start=0, stop=None):
    """``text[start:stop]`` on one line, each of ``hits`` inside it between _START and
    _STOP (the text's own marker characters become spaces)."""
    stop = len(text) if stop is None else stop
    if _START in text or _STOP in text:
        text = text.replace(_START, " ").replace(_STOP, " ")
    parts, at = [], start
    for begin, end, _ in hits:
        if begin >= max(start, at) and end <= stop:
            parts += [text[at:begin], _START, text[begin:end], _STOP]
            at = end
    parts.append(text[at:stop])
    return " ".join("".join(parts).split())


def _best_cover(hits, wanted, span):
    """The offset where :func:`excerpt`'s passage starts: ``wanted``, how many distinct
    words ``hits`` has, all needed."""
    best, seen, end, near = None, {}, 0, 0
    for begin, (start, _, word) in enumerate(hits):
        while end < len(hits) and len(seen) < wanted:
            seen[hits[end][2]] = seen.get(hits[end][2], 0) + 1
            end += 1
        if len(seen) < wanted:
            break
        near = max(near, begin)
        while near < len(hits) and hits[near][0] < start + span:
            near += 1
        score = (near - begin, start - hits[end - 1][0])
        if best is None or score > best[0]:
            best = (score, start)
        seen[word] -= 1
        if not seen[word]:
            del seen[word]
    return best[1]


# The rest of a word, as the database's parser may see one or several ("cache-aside").
_WORD_REST = r"(?:[\w.+#'/-]*\w)?"


def _prefix(part):
    """The start that every word of ``part``'s stem has. Where this process knows the
    database's stem (the search index asked for it: "consistent" makes "consist"): where part
    and stem begin alike, less a final "i", "y" or "e" of the stem, which a word may spell
    otherwise ("spy", "spies": "spi"), and None for a word the search configuration drops (a
    stop word: nothing marks it). Otherwise, rather than a query more for the page, the
    part's first letters: Snowball keeps a word's first four, but for a final "y" that may
    turn into "i"."""
    lexemes = remembered_stems(part)
    if lexemes is None:
        if len(part) > 4:
            return part[:4]
        return part[: len(part) - 1] if len(part) > 2 else part
    if not lexemes:
        return None
    stem = lexemes[0]
    same = os.path.commonprefix([part, stem])
    if same == stem and len(same) > 1 and same[-1] in "iye":
        same = same[:-1]
    return same or part[:1]


_REST_RE = re.compile(_WORD_REST)


def _candidates(text, prefixes):
    """``[(start, end, word casefolded)]``: the words of ``text`` that begin with one of
    ``prefixes`` (lower case, longest first), in text order. Looked for in the text lowered,
    prefix by prefix, where lowering keeps every offset: one pattern that tries every
    prefix at every character (kept for the texts where it does not) took most of an
    excerpt's time for a page of long texts."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a letter whose lower case is longer ("İ")
        words = "|".join(map(re.escape, prefixes))
        pattern = re.compile(rf"\b(?:{words}){_WORD_REST}", re.IGNORECASE)
        return [(m.start(), m.end(), m.group(0).casefold()) for m in pattern.finditer(text)]
    starts = []
    for prefix in prefixes:
        at = lowered.find(prefix)
        while at >= 0:
            before = lowered[at - 1] if at else " "
            if not (before.isalnum() or before == "_"):  # a word begins here
                starts.append(at)
            at = lowered.find(prefix, at + 1)
    starts.sort()
    hits, end = [], 0
    for start in starts:
        if start >= end:  # not inside the word before (one that holds "-" or ".")
            end = _REST_RE.match(lowered, start + 1).end()
            hits.append((start, end, text[start:end].casefold()))
    return hits


def _full_text_hits(texts, terms):
    """``({key: hits}, how many distinct stems a cover needs)`` for ``texts`` (``{key:
    text}``): the words of each text that the search configuration makes one of the
    query's stems. Words that begin as a term's stem does (:func:`_prefix`) are candidates;
    the database stems them and the query, in one query."""
    parts = {part for term in terms for part in re.findall(r"\w+", term)}
    if any(len(part) > 1 for part in parts):  # "api's": "api" ("s" is no word to look for)
        parts = {part for part in parts if len(part) > 1}
    prefixes = {_prefix(part) for part in parts} - {None}
    if not prefixes:  # stop words only: nothing to mark
        return {key: [] for key in texts}, 0
    prefixes = sorted(prefixes, key=len, reverse=True)
    found = {key: _candidates(text, prefixes) for key, text in texts.items()}
    words = set()
    for hits in found.values():
        candidates = sorted({word for _, _, word in hits}, key=lambda word: (len(word), word))
        words.update(candidates[:MAX_MARKED_WORDS])
    words = sorted(words)
    if not words:  # nothing to mark, whatever the query's stems
        return found, 0
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH q AS (SELECT tsvector_to_array(to_tsvector(%s::regconfig, %s)) AS stems) "
            "SELECT NULL, unnest(stems) FROM q UNION ALL "
            "SELECT w, s FROM unnest(%s::text[]) AS w, "
            "unnest(tsvector_to_array(to_tsvector(%s::regconfig, w))) AS s "
            "WHERE s IN (SELECT unnest(stems) FROM q)",
            [SEARCH_CONFIG, " ".join(terms), words, SEARCH_CONFIG],
        )
        rows = cursor.fetchall()
    stems = {}  # a word's stems ("rate-limiting": rate, limit)
    for word, stem in rows:
        if word is not None:
            stems.setdefault(word, []).append(stem)
    hits = {
        key: [(start, end, stem) for start, end, word in candidates for stem in stems.get(word, ())]
        for key, candidates in found.items()
    }
    # websearch_to_tsquery: "or" between words makes either one enough.
    needed = 1 if "or" in terms else sum(word is None for word, _ in rows)
    return hits, needed


def _portable_hits(texts, terms):
    """``{key: hits}``: where each text has a term as part of a word, whatever the case."""
    pattern = re.compile(
        "|".join(f"({re.escape(t)})" for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE
    )
    return {
        key: [(m.start(), m.end(), m.lastindex) for m in pattern.finditer(text)]
        for key, text in texts.items()
    }


def marked_html(marked) -> str:
    """A string marked by :func:`add_headlines`, escaped, with the words in ``<mark>``."""
    text = escape(marked or "")
    return mark_safe(text.replace(_START, "<mark>").replace(_STOP, "</mark>"))


def snippet(guide) -> str:
    """The guide's excerpt (see add_headlines) as HTML; "" when no word of it is marked."""
    headline = getattr(guide, "headline", "") or ""
    return marked_html(headline) if _START in headline else ""
