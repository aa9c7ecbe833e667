"""A push from GitHub or GitLab, checked: who sent it, and whether it is a push to the branch
the site syncs. Plain logic over the request's headers and body; the view (catalog.site.hooks)
queues a sync when it says so.

- GitHub signs the body: ``X-Hub-Signature-256: sha256=<HMAC-SHA256 of the body with the
  secret>``; its ``ping`` event (sent when the hook is made) is answered and ignored.
- GitLab sends the secret itself: ``X-Gitlab-Token``.

Both are compared in constant time. Without a secret configured, every call is refused.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass

# A push's payload: GitHub's are up to 25 MB, but what is read of one is its ``ref``; a body
# larger than this is refused before its signature is computed.
MAX_BODY_BYTES = 5 * 1024 * 1024


class Refused(Exception):
    """Not from the repository's host: the hook answers 403."""


@dataclass(frozen=True)
class Push:
    sync: bool  # a push to the synced branch
    why: str  # what the hook answers


def check(headers, body: bytes, secret: str, branch: str) -> Push:
    """What a call of the hook is; Refused if its signature or token is wrong or missing."""
    if not secret:
        raise Refused("the webhook is off: GUIDES_WEBHOOK_SECRET is not set")
    if len(body) > MAX_BODY_BYTES:
        raise Refused("the body is too large")
    signature = headers.get("X-Hub-Signature-256")
    token = headers.get("X-Gitlab-Token")
    if signature is not None:
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(signature.strip().encode(), expected.encode()):
            raise Refused("the signature does not match")
        event = headers.get("X-GitHub-Event", "")
    elif token is not None:
        if not hmac.compare_digest(token.encode(), secret.encode()):
            raise Refused("the token does not match")
        event = headers.get("X-Gitlab-Event", "")
    else:
        raise Refused("no signature (X-Hub-Signature-256) or token (X-Gitlab-Token)")
    if event == "ping":
        return Push(False, "pong")
    if event not in ("push", "Push Hook"):
        return Push(False, f"ignored: a {event or 'nameless'} event, not a push")
    try:
        ref = json.loads(body).get("ref", "")
    except (ValueError, AttributeError, RecursionError):  # RecursionError: "[[[[…" nested deep
        return Push(False, "ignored: the body is not a push's JSON")
    if not isinstance(ref, str):
        return Push(False, "ignored: the push's ref is not text")
    if ref != f"refs/heads/{branch}":
        return Push(False, f"ignored: a push to {ref or 'nothing'}, not to {branch}")
    return Push(True, f"a push to {branch}: sync queued")
