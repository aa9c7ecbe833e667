"""A reader's comforts in a real browser, on the real corpus (its diagrams are on a host this
machine cannot reach: a picture of a diagram's size stands in for them): the table of
contents beside the text on wide screens, following the reader; code blocks with their
language, a copy button and keyboard scrolling; ``/`` to search; a theme toggle remembered
per browser; a compact search results list with typo suggestions on any database; a diagram
that opens full screen on a phone and enlarges further to pan."""

import pytest
from django.core.management import call_command

from tests.browser import PageWatch, load_all_images, screenshot, stand_in_corpus_diagrams

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TOC_GUIDE = "/guides/the-12-factor-app"  # twelve sections
CODE_GUIDE = "/guides/log-parsing-cheat-sheet"  # a long bash line


@pytest.fixture
def corpus_site(live_server, corpus_dir, settings):
    settings.GUIDES_DATA_DIR = corpus_dir
    call_command("import_guides", "--data-dir", str(corpus_dir), verbosity=0)
    return live_server.url


def _box(page, selector):
    return page.locator(selector).first.bounding_box()


def test_the_table_of_contents_sits_beside_the_text_and_follows_the_reader(browser, corpus_site):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(corpus_site + TOC_GUIDE)
    prose, toc = _box(page, ".prose"), _box(page, ".toc")
    assert toc["x"] >= prose["x"] + prose["width"], (prose, toc)  # beside, not above
    assert prose["width"] >= 700  # a wider measure than the 540 px of before
    assert abs(toc["y"] - prose["y"]) < 40
    screenshot(page, "comfort-guide-toc-1280")
    anchor = page.locator(".prose h2[id]").nth(6).get_attribute("id")
    page.evaluate("id => document.getElementById(id).scrollIntoView()", anchor)
    # The section being read: the last listed heading above the top third of the window.
    reading = """() => [...document.querySelectorAll('.toc a')]
        .map(a => document.getElementById(a.hash.slice(1)))
        .filter(h => h.getBoundingClientRect().top <= innerHeight / 3).pop().id"""
    page.wait_for_function(
        f"() => document.querySelector('.toc a[aria-current]')?.hash === '#' + ({reading})()"
    )
    assert page.locator(".toc a[aria-current]").count() == 1
    sticky = _box(page, ".toc")
    assert 0 <= sticky["y"] < 900  # still on screen far down the page
    page.close()


MARKED = "() => document.querySelector('.toc a[aria-current]')?.hash"


def test_a_link_to_a_section_marks_that_section_though_the_next_are_in_view(browser, corpus_site):
    """A link to a section, from the page or copied from GitHub (whose id for "1990s -
    2000s" is "1990s---2000s"), marks that section in the table of contents while its heading
    is in the top third, though shorter sections after it are there too; scrolling on, the
    marking follows the reader again."""
    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    page.goto(corpus_site + "/guides/chatgpt-timeline#1990s---2000s")
    page.wait_for_function(f"() => ({MARKED})() === '#1990s-2000s'")
    tops = page.evaluate(
        "() => ['1990s-2000s', '2017'].map(id => document.getElementById(id)"
        ".getBoundingClientRect().top)"
    )
    assert 0 <= tops[0] < tops[1] <= 1400 / 3, tops  # the next section is in the top third
    page.goto(corpus_site + TOC_GUIDE)
    anchor = page.locator(".prose h2[id]").nth(3).get_attribute("id")
    page.locator(f".toc a[href='#{anchor}']").click()
    page.wait_for_function(f"() => ({MARKED})() === '#{anchor}'")
    following = page.evaluate(
        "() => [...document.querySelectorAll('.prose h2[id]')]"
        ".map(h => h.getBoundingClientRect().top).filter(top => top > 0)"
    )
    assert following[1] <= 1400 / 3, following  # the section after it: in the top third
    page.mouse.wheel(0, 700)
    page.wait_for_function(f"() => ({MARKED})() !== '#{anchor}'")
    page.close()


def test_the_table_of_contents_stays_above_the_text_on_a_phone(browser, corpus_site):
    page = browser.new_page(viewport={"width": 390, "height": 800})
    page.goto(corpus_site + TOC_GUIDE)
    prose, toc = _box(page, ".prose"), _box(page, ".toc")
    assert toc["y"] + toc["height"] <= prose["y"] + 1
    assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
    page.close()


def test_code_blocks_have_a_language_a_copy_button_and_scroll_by_keyboard(browser, corpus_site):
    context = browser.new_context(viewport={"width": 390, "height": 800})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=corpus_site)
    page = context.new_page()
    page.goto(corpus_site + CODE_GUIDE)
    block = page.locator(".prose .codehilite").first
    assert block.locator(".code-lang").inner_text() == "bash"
    pre = block.locator("pre")
    assert pre.get_attribute("tabindex") == "0" and pre.get_attribute("aria-label") == "Code: bash"
    assert pre.evaluate("el => el.scrollWidth > el.clientWidth")  # wide at 390
    pre.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("el => el.scrollLeft > 0", arg=pre.element_handle())
    button = block.locator(".code-copy")
    button.click()
    page.wait_for_function("() => navigator.clipboard.readText().then(t => t.length > 0)")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied.startswith("grep “xxService” service.log") and "<span" not in copied
    assert copied == pre.inner_text().rstrip("\n")
    context.close()


def test_slash_focuses_search_unless_typing(browser, corpus_site):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(corpus_site + TOC_GUIDE)
    page.keyboard.press("/")
    assert page.evaluate("() => document.activeElement.id") == "site-search"
    page.keyboard.type("kafka")
    assert page.input_value("#site-search") == "kafka"  # no stray slash
    page.keyboard.press("/")  # typed into the box, not a shortcut there
    assert page.input_value("#site-search") == "kafka/"
    page.close()


def test_the_theme_toggle_is_remembered_per_browser(browser, corpus_site):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="light")
    page = context.new_page()
    page.goto(corpus_site + CODE_GUIDE)
    toggle = page.locator("[data-theme-toggle]")
    background = "() => getComputedStyle(document.body).backgroundColor"
    assert toggle.inner_text() == "Theme: auto"
    assert page.evaluate(background) == "rgb(255, 255, 255)"
    toggle.click()  # auto → light
    toggle.click()  # light → dark
    assert toggle.inner_text() == "Theme: dark"
    assert page.evaluate(background) == "rgb(13, 17, 23)"
    page.goto(corpus_site + "/tags")  # another page of the same browser: still dark
    assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
    assert page.evaluate(background) == "rgb(13, 17, 23)"
    other = browser.new_context(color_scheme="light").new_page()  # another browser: its own
    other.goto(corpus_site + "/tags")
    assert other.evaluate(background) == "rgb(255, 255, 255)"
    other.context.close()
    page.locator("[data-theme-toggle]").click()  # dark → auto: the system's again
    assert page.evaluate("() => localStorage.getItem('guides-theme')") is None
    assert page.evaluate(background) == "rgb(255, 255, 255)"
    context.close()


def test_search_results_are_a_compact_list_and_a_typo_is_corrected(browser, corpus_site):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    watch = PageWatch(page)
    page.goto(corpus_site + "/search?q=kafka")
    results = page.locator("ol.results > li.result")
    count = results.count()
    assert count >= 5
    assert page.locator(".card-thumb--empty, .result .img-missing").count() == 0
    height = page.locator("ol.results").bounding_box()["height"]
    assert height / count < 130, height / count  # cards: 3,125 px for 19
    assert page.locator("ol.results h2.result-title mark").count() >= 1
    screenshot(page, "comfort-search-1280")
    page.goto(corpus_site + "/search?q=kafak")
    assert "Showing" in page.locator(".did-you-mean").inner_text()
    assert page.locator(".did-you-mean a").inner_text() == "kafka"
    assert page.locator("ol.results > li.result").count() == min(count, 20)
    assert watch.console_errors == [] or all("Failed to load" in e for e in watch.console_errors)
    page.close()


def test_a_diagram_opens_full_screen_on_a_phone_and_enlarges_to_pan(browser, corpus_site):
    context = browser.new_context(viewport={"width": 390, "height": 800}, has_touch=True)
    page = context.new_page()
    stand_in_corpus_diagrams(page)
    page.goto(corpus_site + "/guides/how-does-chatgpt-work")
    load_all_images(page)
    assert page.locator("figure.diagram img").evaluate("i => i.naturalWidth") == 1600
    page.locator("figure.diagram a").tap()
    image = page.locator("dialog.zoom .zoom-image")
    image.wait_for()
    page.wait_for_function("() => document.querySelector('.zoom-image').complete")
    fitted = image.bounding_box()
    # The screen, not the column.
    assert fitted["width"] >= 390 * 0.95 or fitted["height"] >= 800 * 0.9
    image.tap()
    page.wait_for_function("() => document.querySelector('dialog.zoom').scrollWidth > 390 * 1.9")
    dialog = page.locator("dialog.zoom")
    assert dialog.evaluate("d => d.scrollLeft") > 0  # scrolled to where it was tapped
    dialog.evaluate("d => d.scrollBy(100, 100)")
    screenshot(page, "comfort-diagram-390")
    image.tap()  # back to the screen's size
    page.wait_for_function("() => document.querySelector('dialog.zoom').scrollWidth <= 391")
    page.locator(".zoom-close").tap()
    assert not dialog.evaluate("d => d.open")
    context.close()


def test_the_tags_page_shows_the_most_used_then_every_tag_by_letter(browser, corpus_site):
    from catalog.models import published_tags

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(corpus_site + "/tags")
    counts = [int(n) for n in page.locator("#most-used + .tag-cloud .muted").all_inner_texts()]
    assert len(counts) == 30 and counts == sorted(counts, reverse=True)
    everything = published_tags().count()
    assert page.locator(".tag-index li").count() == everything
    assert f"All {everything} tags" in page.locator("#all-tags").inner_text()
    page.locator(".tag-letters a", has_text="K").click()
    assert page.url.endswith("#tags-K")
    assert -5 <= page.locator("#tags-K").bounding_box()["y"] < 100  # scrolled to its letter
    assert page.locator("#tags-K + .tag-index a", has_text="Kafka").count() >= 1
    page.close()
