"""Logs never hold a review link's secret: ``/review/<token>`` is written ``/review/…``.

A review link's token is the whole of its secret (catalog.site.review), and access logs are read
by more people, and kept longer, than the site's database. The rule is one function, used by
the Django logging filter below (the console handler, runserver's request lines) and by
gunicorn's access log (guides_site.serving). No Django import: gunicorn's master loads it.
"""

import logging
import re

_TOKEN = re.compile(r"(/review/)[^/?#\s\"']+")


def redact_review_tokens(text: str) -> str:
    return _TOKEN.sub(r"\1…", text)


class RedactReviewTokens(logging.Filter):
    """A logging filter: the record's message, its arguments filled in, with tokens redacted."""

    def filter(self, record):
        message = record.getMessage()
        redacted = redact_review_tokens(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True
