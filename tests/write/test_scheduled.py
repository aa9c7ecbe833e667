"""Scheduled publishing: a guide with ``publishAt`` ahead is on no public page, feed, sitemap,
search or README until that moment, and on all of them from it, with no cron job: the first
request after the moment publishes it (one content change), and the page cache follows."""

import datetime as dt
import html
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from catalog.fileformat import ContentError, parse_guide, serialise_guide
from catalog.models import Guide, SiteState
from catalog.write.changes import save_guide
from tests.factories import editor_client
from tests.pipeline.test_sync import _form_data
from tests.write.test_listings import assert_sitemap_blocks_match_the_published_guides

pytestmark = pytest.mark.django_db

MOMENT = dt.datetime(2031, 5, 4, 9, 30, tzinfo=dt.UTC)
GUIDE = """---
title: "Launch day"
createdAt: "2024-05-01"
draft: false
publishAt: {value}
categories:
  - c
tags:
  - "Launches"
---

Launch text.
"""


@pytest.mark.parametrize(
    "value",
    [
        '"2031-05-04T09:30:00Z"',
        "2031-05-04T09:30:00Z",  # a YAML timestamp
        '"2031-05-04T11:30:00+02:00"',
        '"2031-05-04 09:30"',  # no zone: UTC
    ],
)
def test_publish_at_spellings_mean_one_moment_and_are_written_back_in_utc(value):
    item = parse_guide("g", GUIDE.format(value=value).encode())
    assert item.publish_at == MOMENT
    text = serialise_guide(item)
    assert 'publishAt: "2031-05-04T09:30:00Z"' in text
    assert parse_guide("g", text.encode()) == item


def test_a_bad_publish_at_names_the_key_and_line_and_files_without_one_are_unchanged():
    with pytest.raises(ContentError) as error:
        parse_guide("g", GUIDE.format(value='"next tuesday"').encode())
    assert "g.md:5: publishAt: must be a date and time" in str(error.value)
    plain = GUIDE.format(value='""').replace('publishAt: ""\n', "")
    assert "publishAt" not in serialise_guide(parse_guide("g", plain.encode()))


@pytest.fixture
def scheduled(content, monkeypatch):
    content.category("c", title="Cat")
    content.guide("old", title="Old news", categories=("c",), tags=("Launches",))
    content.raw("guides", "launch", GUIDE.format(value='"2031-05-04T09:30:00Z"'))
    content.import_()
    clock = {"now": MOMENT - dt.timedelta(hours=1), "readme": content.root / "README.md"}
    monkeypatch.setattr(timezone, "now", lambda: clock["now"])
    return clock


def readme_toc(clock):
    """The README's table of contents as export_readme writes it now."""
    clock["readme"].write_text("# Guides\n\n<!-- TOC -->\n<!-- /TOC -->\n")
    call_command("export_readme", "--readme", str(clock["readme"]), verbosity=0)
    return clock["readme"].read_text()


PAGES = ["/", "/guides/c", "/tags/launches", "/search?q=launch", "/feed.xml", "sitemap"]


def text(client, path):
    """A page's text; "sitemap": every guide section page the sitemap index lists."""
    if path != "sitemap":
        return client.get(path).content.decode()
    index = client.get("/sitemap.xml").content.decode()
    sections = re.findall(r"<loc>[^<]*(/sitemap-guides\.xml[^<]*)</loc>", index)
    assert sections
    return "".join(client.get(html.unescape(s)).content.decode() for s in sections)


def test_a_scheduled_guide_appears_everywhere_at_its_moment_and_not_before(client, scheduled):
    for path in PAGES:
        page = text(client, path)
        assert "Launch day" not in page and "/guides/launch" not in page, path
    assert client.get("/guides/launch").status_code == 404
    assert "Launch day" not in readme_toc(scheduled)
    state = SiteState.current()
    assert state.next_publish_at == MOMENT

    scheduled["now"] = MOMENT + dt.timedelta(seconds=1)
    assert "Launch day" in client.get("/").content.decode()  # the cached home page follows
    after = SiteState.current()
    assert after.version == state.version + 1 and after.next_publish_at is None
    for path in PAGES:
        assert "/guides/launch" in text(client, path), path
    assert client.get("/guides/launch").status_code == 200
    assert_sitemap_blocks_match_the_published_guides()  # the guides' sitemap pages
    assert "Launch day" in readme_toc(scheduled)
    assert SiteState.current().version == after.version  # published once, not per request


def test_editors_see_it_scheduled_and_set_the_moment_in_the_admin(scheduled):
    editor = editor_client("ed")
    page = editor.get("/guides/launch").content.decode()
    assert "Scheduled — public from 4 May 2031, 09:30 UTC" in page
    listing = editor.get("/admin/catalog/guide/").content.decode()
    assert "Scheduled for 2031-05-04 09:30 UTC" in listing
    guide = Guide.objects.get(slug="old")
    data = _form_data("old", publish_at_0="2031-06-01", publish_at_1="08:00:00")
    response = editor.post(f"/admin/catalog/guide/{guide.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[-2000:]
    guide.refresh_from_db()
    assert guide.publish_at == dt.datetime(2031, 6, 1, 8, tzinfo=dt.UTC)
    assert SiteState.current().next_publish_at == MOMENT  # the earliest still ahead


def test_export_and_import_carry_the_moment_through_the_files(content, scheduled):
    guide = Guide.objects.get(slug="old")
    guide.publish_at = MOMENT + dt.timedelta(days=1)
    save_guide(guide)
    call_command("export_guides", "--data-dir", str(content.root), stdout=StringIO())
    text = (content.root / "guides" / "old.md").read_text()
    assert 'publishAt: "2031-05-05T09:30:00Z"' in text
    content.import_()
    assert Guide.objects.get(slug="old").publish_at == MOMENT + dt.timedelta(days=1)


def test_drafts_are_every_guide_not_published_read_from_the_rows_alone(content):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    content.category("c")
    content.guide("out", categories=("c",))
    content.guide("draft", categories=("c",), draft=True)
    content.guide("soon", categories=("c",))
    content.guide("was-due", categories=("c",))
    content.import_()
    now = timezone.now()
    Guide.objects.filter(slug="soon").update(publish_at=now + dt.timedelta(days=1))
    Guide.objects.filter(slug="was-due").update(publish_at=now - dt.timedelta(days=1))
    published = set(Guide.objects.published().values_list("slug", flat=True))
    with CaptureQueriesContext(connection) as captured:
        drafts = set(Guide.objects.drafts().values_list("slug", flat=True))
    assert published == {"out", "was-due"} and drafts == {"draft", "soon"}
    (query,) = captured.captured_queries
    assert query["sql"].upper().count("SELECT") == 1  # no second pass listing the published
