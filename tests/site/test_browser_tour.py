"""Every public page type in a real browser at 390 and 1280 pixels, light and dark, on the
sample data and on the real corpus (whose diagrams are on a host this machine cannot reach,
so they show as placeholders): screenshots saved in test-artifacts/ for CI. Also the points
of the editors' and readers' comforts that need a browser: a review link, a scheduled guide
appearing when due (the clock moved, not slept), and pages with JavaScript off."""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from catalog.models import Category, Guide, Tag
from catalog.write import versions
from tests.browser import PageWatch, broken_images, load_all_images, screenshot
from tests.factories import editor_client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
VIEWS = [(390, "light"), (390, "dark"), (1280, "light"), (1280, "dark")]


def page_types():
    category = Category.objects.in_readme_order().filter(published_guides__gt=0).first()
    guide = Guide.objects.for_category_page(category).first()
    tag = Tag.objects.filter(stats__published_guides__gt=1).order_by("name").first()
    return [
        ("home", "/"),
        ("categories", "/guides"),
        ("category", category.get_absolute_url()),
        ("guide", guide.get_absolute_url()),
        ("tags", "/tags"),
        ("tag", f"/tags/{tag.slug}"),
        ("search", "/search?q=cache"),
        ("not-found", "/guides/no-such-guide"),
    ]


def tour(browser, base, label):
    pages = page_types()
    for width, scheme in VIEWS:
        context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
        page = context.new_page()
        watch = PageWatch(page)
        for name, path in pages:
            page.goto(base + path)
            load_all_images(page)
            assert broken_images(page) == [], (label, name, width, scheme)
            overflow = page.evaluate("() => document.documentElement.scrollWidth > innerWidth")
            assert not overflow, (label, name, width, "wider than the screen")
            screenshot(page, f"tour-{label}-{name}-{width}-{scheme}")
        errors = [e for e in watch.console_errors if "Failed to load resource" not in e]
        assert errors == [], errors
        context.close()


def test_sample_site_tour(browser, live_server):
    call_command("import_guides", "--data-dir", str(settings.GUIDES_DATA_DIR), verbosity=0)
    tour(browser, live_server.url, "sample")


def test_real_corpus_tour(browser, live_server, corpus_dir, settings):
    settings.GUIDES_DATA_DIR = corpus_dir
    call_command("import_guides", "--data-dir", str(corpus_dir), verbosity=0)
    tour(browser, live_server.url, "corpus")


@pytest.fixture
def sample(live_server):
    call_command("import_guides", "--data-dir", str(settings.GUIDES_DATA_DIR), verbosity=0)
    return live_server.url


def test_a_review_link_in_an_anonymous_browser_then_revoked(browser, sample):
    editor = editor_client("ed")
    draft = Guide.objects.get(slug="rate-limiting-algorithms")
    assert draft.draft
    page = editor.post(
        f"/admin/catalog/guide/{draft.pk}/review-links/", {"create": "1"}, follow=True
    )
    path = re.search(r'value="[^"]*(/review/[^"]+)"', page.content.decode())[1]
    visitor = browser.new_page()
    response = visitor.goto(sample + path)
    assert response.status == 200 and "noindex" in response.headers["x-robots-tag"]
    assert visitor.locator(".draft-banner").inner_text().startswith("Review copy of a draft")
    assert visitor.locator("h1").inner_text() == draft.title
    screenshot(visitor, "review-link")
    link = draft.review_links.get()
    editor.post(f"/admin/catalog/guide/{draft.pk}/review-links/", {"revoke": str(link.pk)})
    assert visitor.goto(sample + path).status == 404
    visitor.close()


def test_a_scheduled_guide_appears_in_the_browser_exactly_when_due(browser, sample, monkeypatch):
    moment = timezone.now() + dt.timedelta(days=3)
    clock = {"now": moment - dt.timedelta(minutes=1)}
    monkeypatch.setattr(timezone, "now", lambda: clock["now"])
    Guide.objects.filter(slug="rate-limiting-algorithms").update(draft=False, publish_at=moment)

    versions.bump()
    page = browser.new_page()
    page.goto(sample + "/guides/security")
    assert page.get_by_role("link", name="Rate Limiting Algorithms").count() == 0
    assert page.goto(sample + "/guides/rate-limiting-algorithms").status == 404
    clock["now"] = moment  # due now: the next request publishes it
    page.close()
    page = browser.new_page()  # a new visitor (the first kept the page for max-age=60)
    page.goto(sample + "/guides/security")
    assert page.get_by_role("link", name="Rate Limiting Algorithms").count() >= 1
    assert page.goto(sample + "/guides/rate-limiting-algorithms").status == 200
    assert page.locator("h1").inner_text() == "Rate Limiting Algorithms"
    page.close()


def test_pages_work_with_javascript_off(browser, sample):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 900})
    page = context.new_page()
    page.goto(sample + "/")
    page.fill("#site-search", "cache")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=cache")
    assert page.locator("mark").count() > 0
    page.goto(sample + "/guides/tls-handshake")
    href = page.locator("figure.diagram a").get_attribute("href")
    page.locator("figure.diagram a").click()
    page.wait_for_url("**" + href)  # the diagram link opens the image itself
    context.close()


def test_code_is_coloured_for_the_light_and_the_dark_scheme(browser, sample):
    colours = {}
    for scheme in ("light", "dark"):
        context = browser.new_context(color_scheme=scheme)
        page = context.new_page()
        page.goto(sample + "/guides/database-indexes-explained")
        keyword = page.locator(".prose .codehilite .k").first
        colours[scheme] = keyword.evaluate("e => getComputedStyle(e).color")
        text = page.locator(".prose p").first.evaluate("e => getComputedStyle(e).color")
        assert colours[scheme] != text, scheme  # a keyword is coloured, not body text
        context.close()
    assert colours["light"] != colours["dark"]
