"""Characters: which no field or body may hold (control characters, Unicode category Cc,
other than tab and newline; lone surrogates; the noncharacters U+FFFE and U+FFFF), which
show nothing, and the one rule for line endings."""

import itertools
import re
import unicodedata

# Control characters (Unicode category Cc) other than tab and newline, lone surrogates (which
# YAML's "\\ud800" escape can make) and U+FFFE and U+FFFF: no field or body may hold one.
# PostgreSQL refuses NUL in text, so without this rule the default and the production
# database would disagree; XML 1.0 has no U+FFFE or U+FFFF (nor C0 controls), so a title
# holding one (YAML's "\\uFFFF", or the character in a body) made the Atom feeds, which
# readers parse as XML, malformed for every subscriber.
CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_NONCHARACTERS = {"\ufffe", "\uffff"}


_CONTROL_NAMES = {0: "NUL", 7: "BEL", 8: "BS", 11: "VT", 12: "FF", 13: "CR", 27: "ESC", 127: "DEL"}


def describe_control(ch):
    code = ord(ch)
    name = _CONTROL_NAMES.get(code)
    return f"U+{code:04X}" + (f" ({name})" if name else "")


def control_problem(text):
    """The message for the first character in ``text`` that no field or body may hold (see
    ``CONTROL_RE``), or None."""
    match = CONTROL_RE.search(text)
    if match is None:
        return None
    if match.group() in _NONCHARACTERS:
        return (
            f"contains the noncharacter {describe_control(match.group())}, which feeds and "
            "sitemaps (XML) cannot hold"
        )
    return (
        f"contains the control character {describe_control(match.group())}; "
        "only tab and newline may be used"
    )


# "&" and U+00A0-U+00BF (the no-break space, "°", "±", "©" and the rest of Latin-1's signs;
# U+0080-U+009F are control characters, refused above) cost the HTML sanitiser (nh3 0.3.8)
# time in proportion to their number times the length of the text after them in the same
# paragraph, element or attribute; every other character (all of ASCII and of U+00C0 to
# U+2FFF, tried one by one), in proportion to the text alone. 1 MB of "&" took 10 s to
# render (as text or as raw HTML), 500,000 "&a" 12 s, 500,000 "°" 5.5 s. A body holds at
# most ``MAX_HEAVY`` of them, so it renders in about a second whatever it holds (50,000 "&"
# before 850 KB of text in one paragraph: 0.9 s). Real guides hold a few dozen.
HEAVY_RE = re.compile("[&\u00a0-\u00bf]")
MAX_HEAVY = 50_000


def heavy_count(text: str) -> int:
    """How many of ``HEAVY_RE``'s characters ``text`` holds."""
    return text.count("&") if text.isascii() else len(HEAVY_RE.findall(text))


def too_heavy(text: str) -> bool:
    """Whether ``text`` holds more than ``MAX_HEAVY`` of ``HEAVY_RE``'s characters. A text
    no longer than that cannot, and is not read: every body is checked when it is read and
    again when it is rendered, and counting takes a few milliseconds for the corpus."""
    return len(text) > MAX_HEAVY and heavy_count(text) > MAX_HEAVY


def heavy_problem(text):
    """``(message, offset of the first one too many)`` when ``text`` holds more than
    ``MAX_HEAVY`` of ``HEAVY_RE``'s characters, else None."""
    if not too_heavy(text):
        return None
    count = heavy_count(text)
    beyond = next(itertools.islice(HEAVY_RE.finditer(text), MAX_HEAVY, None))
    return (
        f"holds {count:,} ampersands (&) and Latin-1 signs (U+00A0-U+00BF: no-break space, "
        f"°, ±, © …); at most {MAX_HEAVY:,} may be used, as the time a body takes to render "
        "grows with their number times its length",
        beyond.start(),
    )


# Letters that draw nothing (Hangul and halfwidth fillers, the braille blank), beside the
# format characters (Unicode category Cf: zero-width space and joiners, direction marks).
_INVISIBLE = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800", "\u034f"}


def is_blank(text: str) -> bool:
    """Whether ``text`` shows nothing: only spaces, line breaks and characters that draw
    nothing (``"\u200b"``, a direction mark). A title or a tag must show something: a link
    with no visible text is one a reader cannot see or a screen reader name."""
    return all(ch.isspace() or ch in _INVISIBLE or unicodedata.category(ch) == "Cf" for ch in text)


# What ends a line somewhere a title or a tag is shown: a newline (the one line ending left
# after ``normalise_newlines``; CR and NEL are control characters, refused as such), and the
# Unicode line and paragraph separators, which YAML and some editors also break lines at.
LINE_BREAK_RE = re.compile("[\n\u2028\u2029]")


def normalise_newlines(text: str) -> str:
    """Multi-line text with CRLF and a lone CR read as LF: the one rule for line endings,
    whether the text is a file, a body or a description typed in a form (browsers send
    CRLF). One-line text (a title, a tag) has no line endings: a CR there is a control
    character like any other."""
    return text.replace("\r\n", "\n").replace("\r", "\n")
