"""A visitor's walk through the sample site in a real browser (Debian chromium)."""

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.browser import PageWatch, broken_images, load_all_images, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sample_site(live_server):
    call_command("import_guides", "--data-dir", str(settings.GUIDES_DATA_DIR), verbosity=0)
    return live_server.url


@pytest.mark.parametrize("width", [390, 1280])
def test_home_category_guide_tag_search_walk(browser, sample_site, width):
    page = browser.new_page(viewport={"width": width, "height": 900})
    watch = PageWatch(page)
    page.goto(sample_site + "/")
    assert page.locator("h1").first.inner_text() == "Visual guides"
    load_all_images(page)
    assert broken_images(page) == []
    screenshot(page, f"home-{width}")

    latest = page.locator("#latest-heading").bounding_box()
    categories = page.locator("#categories-heading").bounding_box()
    assert latest["y"] < categories["y"]  # the home page leads with guides
    if width < 640:
        assert categories["y"] < 5000  # compact categories: no 9,000 pixels of cards
    page.locator(".home-categories").get_by_role("link", name="Networking").click()
    page.wait_for_url("**/guides/networking")
    assert page.locator(".site-nav a.active").inner_text() == "Categories"
    load_all_images(page)
    assert broken_images(page) == []
    screenshot(page, f"category-{width}")

    page.get_by_role("link", name="The TLS 1.3 Handshake").first.click()
    page.wait_for_url("**/guides/tls-handshake")
    diagram = page.locator("figure.diagram img")
    assert diagram.get_attribute("width") == "1200" and diagram.get_attribute("height") == "675"
    load_all_images(page)
    assert broken_images(page) == []
    screenshot(page, f"guide-{width}")

    page.locator(".guide-meta").get_by_role("link", name="Protocols").click()
    page.wait_for_url("**/tags/protocols")
    assert page.locator("h1").inner_text() == "Tagged “Protocols”"

    page.fill("#site-search", "cache")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=cache")
    assert page.locator("mark").count() > 0
    screenshot(page, f"search-{width}")

    assert watch.console_errors == []
    assert watch.failed == []
    assert watch.outside == []
    page.close()


def test_draft_is_not_reachable_in_the_browser(browser, sample_site):
    page = browser.new_page()
    response = page.goto(sample_site + "/guides/rate-limiting-algorithms")
    assert response.status == 404
    assert "Page not found" in page.content()
    page.close()


def test_the_footer_sits_at_the_bottom_of_a_short_page_and_the_site_has_an_icon(
    browser, sample_site
):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(sample_site + "/search")
    footer = page.locator(".site-footer").bounding_box()
    assert footer["y"] + footer["height"] >= 1000 - 2
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(sample_site + icon).status == 200
    response = page.request.get(sample_site + "/favicon.ico")
    assert response.status == 200 and b"<svg" in response.body()
    assert page.locator(".site-nav a[aria-current=page]").count() == 0
    page.goto(sample_site + "/tags")
    assert page.locator(".site-nav a[aria-current=page]").inner_text() == "Tags"
    page.close()
