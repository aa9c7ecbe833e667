"""The editor's comforts in a real browser: text and preview side by side (stacked on a
phone) in the public page's style, and nothing typed lost to a reload, a navigation or an
expired session."""

import json

import pytest
from django.core.management import call_command

from catalog.models import Guide
from tests.browser import PageWatch, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-editor-password-1"


@pytest.fixture
def editor_site(live_server, monkeypatch, settings):
    call_command("import_guides", "--data-dir", str(settings.GUIDES_DATA_DIR), verbosity=0)
    monkeypatch.setenv("EDITOR_PW", PASSWORD)
    call_command("create_editor", "editor", "--password-env", "EDITOR_PW", verbosity=0)
    return live_server.url


def login(page, base, next_path):
    page.goto(f"{base}/admin/login/?next={next_path}")
    page.fill("#id_username", "editor")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**" + next_path)


@pytest.mark.parametrize("width", [390, 1280])
def test_text_and_preview_side_by_side_on_wide_screens_in_the_site_style(
    browser, editor_site, width
):
    page = browser.new_page(viewport={"width": width, "height": 900})
    watch = PageWatch(page)
    guide = Guide.objects.get(slug="tls-handshake")
    path = f"/admin/catalog/guide/{guide.pk}/change/"
    login(page, editor_site, path)
    page.locator("#id_body").fill(
        "## Handshake\n\n```python\nimport ssl\n```\n\n" + "A line of text.\n\n" * 80
    )
    preview = page.locator(".preview-page")
    preview.locator("h2#handshake").wait_for()
    assert preview.locator(".prose").count() == 1
    keyword = preview.locator(".codehilite .kn").first
    assert keyword.evaluate("e => getComputedStyle(e).fontWeight") == "700"  # highlight.css
    text, shown = page.locator("#id_body").bounding_box(), preview.bounding_box()
    if width >= 1100:
        assert shown["x"] >= text["x"] + text["width"] - 1 and abs(shown["y"] - text["y"]) < 5
        page.locator("#id_body").evaluate("e => { e.scrollTop = e.scrollHeight; }")
        page.wait_for_function(
            "() => { const p = document.querySelector('.preview-page');"
            " return p.scrollTop > 0 && p.scrollTop + p.clientHeight >= p.scrollHeight - 2; }"
        )
    else:
        assert shown["y"] >= text["y"] + text["height"] - 1
    screenshot(page, f"editor-side-by-side-{width}")
    assert watch.console_errors == []
    page.close()


def test_nothing_typed_is_lost_to_a_reload_a_navigation_or_an_expired_session(browser, editor_site):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    guide = Guide.objects.get(slug="tls-handshake")
    path = f"/admin/catalog/guide/{guide.pk}/change/"
    login(page, editor_site, path)
    assert page.locator(".unsaved-offer").count() == 0

    page.locator("#id_body").fill("Typed, not saved.\n")
    page.locator("#id_description").fill("A new description.")
    page.wait_for_timeout(600)
    page.reload()
    offer = page.locator(".unsaved-offer")
    assert offer.is_visible()
    offer.get_by_role("button", name="Restore my unsaved changes").click()
    assert page.input_value("#id_body") == "Typed, not saved.\n"
    assert page.input_value("#id_description") == "A new description."
    page.locator(".preview-page p").filter(has_text="Typed, not saved.").wait_for()

    page.goto(editor_site + "/admin/")  # a stray navigation
    page.goto(editor_site + path)
    assert page.locator(".unsaved-offer").is_visible()

    # The session expires; saving leads to the login page and saves nothing.
    context.clear_cookies(name="sessionid")
    page.locator(".unsaved-offer").get_by_role("button", name="Restore my unsaved changes").click()
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/login/**")
    guide.refresh_from_db()
    assert guide.body != "Typed, not saved.\n"
    page.fill("#id_username", "editor")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**" + path)
    page.locator(".unsaved-offer").get_by_role("button", name="Restore my unsaved changes").click()
    page.click("input[name=_continue]")
    page.wait_for_url("**" + path)
    guide.refresh_from_db()
    assert (guide.body, guide.description) == ("Typed, not saved.\n", "A new description.")
    assert page.locator(".unsaved-offer").count() == 0  # saved: nothing left to offer
    page.goto(editor_site + path)
    assert page.locator(".unsaved-offer").count() == 0
    context.close()


PREVIEWED = (
    "## A section\n\nSome *text* with `code` and [a link](https://example.org).\n\n"
    "### Smaller\n\n- one\n- two\n  - nested\n\n1. first\n2. second\n\n"
    "> A quote.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\nimport ssl\n```\n"
)
# What a reader sees of each element: its text's size, weight, spacing, list marks, colours.
PROPERTIES = [
    "fontSize",
    "fontWeight",
    "fontStyle",
    "fontFamily",
    "lineHeight",
    "textTransform",
    "letterSpacing",
    "marginTop",
    "marginBottom",
    "marginLeft",
    "paddingLeft",
    "paddingTop",
    "listStyleType",
    "color",
    "backgroundColor",
    "borderTopWidth",
    "borderTopStyle",
]
ELEMENTS = (
    "h2", "h3", "p", "em", "code", "a", "ul", "li", "ul ul", "ol", "ol > li", "blockquote",
    "table", "th", "td", "pre", ".codehilite", ".codehilite .kn",
)  # fmt: skip
# The page puts the code block's language and copy button above it (site.js): its margin.
PAGE_ONLY = {("pre", "marginTop")}


def _styles(page, root):
    """The PROPERTIES of the first of each of ELEMENTS in ``root`` (a JavaScript expression
    for the element or shadow root to look in)."""
    return page.evaluate(
        f"""([elements, properties]) => {{ const root = {root};
        return Object.fromEntries(elements.map(sel => {{
            const el = root.querySelector(sel);
            if (!el) return [sel, null];
            const style = getComputedStyle(el);
            return [sel, Object.fromEntries(properties.map(p => [p, style[p]]))];
        }})); }}""",
        [ELEMENTS, PROPERTIES],
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [390, 1280])
def test_the_preview_looks_as_the_page_does_element_by_element(browser, editor_site, width, scheme):
    """Computed styles of each element type in the preview and on the public page agree:
    the admin's own (13 px headings, lists pushed right, its colours) reach neither."""
    guide = Guide.objects.get(slug="tls-handshake")
    guide.body = PREVIEWED
    guide.save()
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    page.goto(editor_site + guide.get_absolute_url())
    public = _styles(page, "document.querySelector('.prose')")
    login(page, editor_site, f"/admin/catalog/guide/{guide.pk}/change/")
    page.locator("#id_body").fill(PREVIEWED + "\n")  # the preview renders what is typed
    page.locator(".preview-page .codehilite .kn").wait_for()
    preview = _styles(page, "document.querySelector('.preview-page').shadowRoot")
    assert all(public.values()), [sel for sel, style in public.items() if not style]
    differences = {
        sel: {
            p: (public[sel][p], preview[sel][p])
            for p in PROPERTIES
            if public[sel][p] != preview[sel][p] and (sel, p) not in PAGE_ONLY
        }
        for sel in ELEMENTS
    }
    assert {sel: d for sel, d in differences.items() if d} == {}, json.dumps(differences, indent=1)
    assert page.locator(".preview-page pre").get_attribute("tabindex") == "0"
    screenshot(page, f"editor-preview-{width}-{scheme}")
    context.close()
