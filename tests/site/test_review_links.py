"""Review links: a secret, revocable, expiring link that shows a draft to someone without an
account, marked noindex and never cached."""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from bench.servers import Gunicorn
from catalog.models import Guide, ReviewLink
from catalog.write.changes import publish_guides, save_guide
from tests.factories import editor_client
from tests.served import fetch

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(content):
    content.category("c")
    content.guide("secret-plan", title="Secret plan", categories=("c",), draft=True)
    content.import_()
    return Guide.objects.get(slug="secret-plan")


def make_link(editor, guide):
    url = f"/admin/catalog/guide/{guide.pk}/review-links/"
    page = editor.post(url, {"create": "1"}, follow=True).content.decode()
    match = re.search(r"https?://[^ <]+(/review/[A-Za-z0-9_-]+)", page)
    assert match, page[-2000:]
    return match.group(1)


def test_a_review_link_shows_the_draft_to_anyone_holding_it(draft):
    editor = editor_client("ed")
    path = make_link(editor, draft)
    visitor = Client()
    assert visitor.get("/guides/secret-plan").status_code == 404  # the draft stays private
    response = visitor.get(path)
    page = response.content.decode()
    assert response.status_code == 200 and "Secret plan" in page and "Review copy" in page
    assert '<meta name="robots" content="noindex, nofollow">' in page
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"
    token = path.rsplit("/", 1)[1]
    assert not ReviewLink.objects.filter(token_hash__contains=token).exists()  # only a hash

    guide = Guide.objects.with_page().get(pk=draft.pk)
    guide.title = "Secret plan, revised"
    save_guide(guide)
    assert "Secret plan, revised" in visitor.get(path).content.decode()  # never a cached copy

    page = editor.get(f"/admin/catalog/guide/{draft.pk}/change/").content.decode()
    assert "Review links" in page and ">active<" in page
    assert "Disallow: /review/" in visitor.get("/robots.txt").content.decode()


def test_revoked_expired_and_unknown_links_are_404(draft):
    editor = editor_client("ed")
    revoked, expired = make_link(editor, draft), make_link(editor, draft)
    links = list(ReviewLink.objects.order_by("id"))
    response = editor.post(
        f"/admin/catalog/guide/{draft.pk}/review-links/", {"revoke": str(links[0].pk)}
    )
    assert response.status_code == 302
    ReviewLink.objects.filter(pk=links[1].pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    visitor = Client()
    for path in (revoked, expired, "/review/" + "x" * 43, "/review/" + "y" * 500):
        assert visitor.get(path).status_code == 404, path


def test_a_published_guide_s_link_leads_to_its_public_page(draft):
    path = make_link(editor_client("ed"), draft)
    publish_guides(Guide.objects.filter(pk=draft.pk))
    response = Client().get(path)
    assert response.status_code == 302 and response.url == "/guides/secret-plan"


def test_only_those_who_may_edit_the_guide_make_links(draft):
    viewer = User.objects.create_user("viewer", password="pw", is_staff=True)
    client = Client()
    client.force_login(viewer)
    response = client.post(f"/admin/catalog/guide/{draft.pk}/review-links/", {"create": "1"})
    assert response.status_code == 403 and not ReviewLink.objects.exists()


def test_a_scheduled_guide_is_reviewed_until_its_moment(draft):
    path = make_link(editor_client("ed"), draft)
    Guide.objects.filter(pk=draft.pk).update(
        draft=False, publish_at=timezone.now() + dt.timedelta(days=1)
    )
    response = Client().get(path)
    assert response.status_code == 200 and "Secret plan" in response.content.decode()


@pytest.mark.django_db(transaction=True)  # the served site commits to the suite's database
def test_review_tokens_never_reach_the_logs(served, tmp_path):
    """gunicorn's access log (request line and referrer) and Django's own "Not Found" line."""
    _, env = served
    token = "t0ken-" + "s" * 37
    with Gunicorn({**env, "LOG_LEVEL": "INFO"}, logs_to=tmp_path) as server:
        assert fetch(f"{server.url}/review/{token}")[0] == 404
        referrer = {"Referer": f"{server.url}/review/{token}?x=1"}
        assert fetch(f"{server.url}/guides/g", headers=referrer)[0] == 200
    access = (tmp_path / "access.log").read_text()
    output = (tmp_path / "output.log").read_text()
    assert "/review/… " in access and "/guides/g" in access
    assert "Not Found: /review/…" in output
    assert token not in access + output


def test_every_handler_a_request_log_line_reaches_redacts_review_tokens():
    """Django's own console handler (DEBUG's) included: no line is written unfiltered."""
    import logging

    from catalog.infra.logs import RedactReviewTokens

    for name in ("django.request", "django.server", "django.security.csrf"):
        logger = logging.getLogger(name)
        while logger is not None:
            for handler in logger.handlers:
                if type(handler).__module__.startswith("_pytest"):
                    continue  # pytest's own capture, not a log the site writes
                assert any(isinstance(f, RedactReviewTokens) for f in handler.filters), (
                    name,
                    logger.name,
                    handler,
                )
            logger = logger.parent if logger.propagate else None
