"""Reading in a real browser: missing icons and images become neat placeholders (never a
broken-image glyph), and diagrams zoom in place by mouse or keyboard."""

import pytest

from tests.browser import PageWatch, broken_images, load_all_images, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CATEGORY = "---\ntitle: '{title}'\nicon: '{icon}'\nsort: {sort}\n---\n\nIntro.\n"


@pytest.fixture
def site(live_server, content, settings):
    settings.GUIDES_DATA_DIR = content.root
    content.public_image("icons/ok.png", size=(40, 40))
    content.public_image("diagrams/hero.png", size=(800, 1600))
    content.public_image("diagrams/inline.png", size=(600, 300))
    for slug, icon, sort in (
        ("here", "/icons/ok.png", 1),
        ("gone", "/icons/missing.png", 2),  # a site path the folder does not hold
        ("away", "https://cdn.example.invalid/icon.png", 3),  # never loads here
    ):
        content.raw("categories", slug, CATEGORY.format(title=slug.title(), icon=icon, sort=sort))
    body = (
        "![Hero](/diagrams/hero.png)\n\nText.\n\n![A flow](/diagrams/inline.png)\n\n"
        "![Lost diagram](/diagrams/nowhere.png)\n\n![Far diagram](https://x.example.invalid/a.png)\n"
    )
    content.guide(
        "tall",
        title="Tall",
        categories=("here", "gone", "away"),
        image="/diagrams/hero.png",
        body=body,
    )
    content.import_()
    return live_server.url


@pytest.mark.parametrize("width", [390, 1280])
def test_missing_icons_and_images_show_placeholders(browser, site, width):
    page = browser.new_page(viewport={"width": width, "height": 900})
    watch = PageWatch(page)
    for path in ("/", "/guides", "/guides/gone", "/guides/away", "/guides/tall"):
        page.goto(site + path)
        load_all_images(page)
        assert broken_images(page) == [], path
        screenshot(page, f"placeholders{path.replace('/', '-')}-{width}")
    page.goto(site + "/")
    load_all_images(page)
    assert page.locator("span.category-icon--placeholder").count() == 2  # gone, away
    assert page.locator("img.category-icon").count() == 1
    page.goto(site + "/guides/tall")
    load_all_images(page)
    missing = page.locator(".prose .img-missing")
    assert missing.count() == 2
    assert missing.first.get_attribute("aria-label") == "Lost diagram"
    assert watch.console_errors == [] or all("Failed to load" in e for e in watch.console_errors)
    page.close()


def test_diagrams_zoom_in_place_by_mouse_and_keyboard(browser, site):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(site + "/guides/tall")
    dialog = page.locator("dialog.zoom")

    page.locator("figure.diagram a").click()
    assert dialog.is_visible() and page.url.endswith("/guides/tall")  # in place, no navigation
    assert dialog.locator("img").get_attribute("src").endswith("/diagrams/hero.png")
    page.locator(".zoom-image").click()  # toggles full size
    assert "zoom-full" in dialog.get_attribute("class")
    page.keyboard.press("Escape")
    assert not dialog.is_visible()

    page.locator("figure.diagram a").focus()
    page.keyboard.press("Enter")
    assert dialog.is_visible()
    assert page.evaluate("() => document.activeElement.className") == "zoom-close"
    page.keyboard.press("Enter")  # the focused close button
    assert not dialog.is_visible()
    assert page.evaluate("() => document.activeElement.closest('figure') !== null")

    # Once every image has loaded or failed (a failed one becomes a placeholder, which does
    # not zoom): under load a missing image's 404 can come after the page is ready.
    page.wait_for_function("() => [...document.images].every(img => img.complete)")
    page.wait_for_function("() => document.querySelectorAll('.prose img.zoomable').length === 1")
    inline = page.locator(".prose img.zoomable")
    assert inline.count() == 1 and inline.get_attribute("role") == "button"
    inline.focus()
    page.keyboard.press(" ")
    assert dialog.is_visible()
    assert dialog.locator("img").get_attribute("src").endswith("/diagrams/inline.png")
    page.keyboard.press("Escape")
    page.close()


PICTURE = (
    "<picture>\n"
    '<source media="(prefers-color-scheme: dark)" srcset="/diagrams/dark.png">\n'
    '<img alt="Flow" src="/diagrams/light.png">\n'
    "</picture>\n"
)


def test_a_diagram_drawn_for_each_scheme_follows_the_theme_chosen(
    browser, live_server, content, settings
):
    """A <picture> with a source for dark mode (as GitHub shows one) shows the diagram of the
    theme the reader chose with the toggle, not only of the system's, and enlarges that one."""
    settings.GUIDES_DATA_DIR = content.root
    content.public_image("diagrams/light.png", size=(60, 30))
    content.public_image("diagrams/dark.png", size=(60, 30))
    content.category("c")
    content.guide("flow", title="Flow", categories=("c",), body="Intro.\n\n" + PICTURE)
    content.import_()
    shown = "() => document.querySelector('.prose picture img').currentSrc.split('/').pop()"
    for system, chosen, diagram in [
        ("light", None, "light.png"),
        ("dark", None, "dark.png"),
        ("light", "dark", "dark.png"),
        ("dark", "light", "light.png"),
    ]:
        context = browser.new_context(color_scheme=system)
        page = context.new_page()
        page.goto(live_server.url + "/guides/flow")
        if chosen:
            toggle = page.locator("[data-theme-toggle]")
            while toggle.inner_text() != f"Theme: {chosen}":
                toggle.click()
        page.wait_for_function(f"() => ({shown})() === '{diagram}'")
        page.locator(".prose picture img").click()
        assert page.evaluate("() => document.querySelector('dialog img').src").endswith(diagram)
        context.close()
