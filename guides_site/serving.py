"""Gunicorn's logger for the site (``--logger-class guides_site.serving.RedactingLogger``):
every field of the access log (request line, path, referrer …) with review-link tokens
redacted (catalog.infra.logs)."""

from gunicorn.glogging import Logger

from catalog.infra.logs import redact_review_tokens


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        return {
            key: redact_review_tokens(value) if isinstance(value, str) else value
            for key, value in super().atoms(resp, req, environ, request_time).items()
        }
