"""The editor's comforts in a real browser: text and preview side by side (stacked on a
phone) in the public page's style, and nothing typed lost to a reload, a navigation or an
expired session."""

import json
import re
import threading
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.core.management import call_command

from bench.servers import CORPUS
from catalog.admin.editor import UploadView
from catalog.models import Guide
from tests.browser import PageWatch, log_in, screenshot
from tests.served import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The guide the editor opens: a real one with a nested list and a diagram, the sample's
# where the corpus is missing.
HAS_CORPUS = (CORPUS / "guides").is_dir()
EDITED = "how-does-chatgpt-work" if HAS_CORPUS else "tls-handshake"


def _site_with_an_editor(live_server, monkeypatch, data_dir):
    call_command("import_guides", "--data-dir", str(data_dir), verbosity=0)
    monkeypatch.setenv("EDITOR_PW", PASSWORD)
    call_command("create_editor", "editor", "--password-env", "EDITOR_PW", verbosity=0)
    return live_server.url


@pytest.fixture
def editor_site(live_server, monkeypatch):
    """The real corpus (the sample content where it is missing) and an editor's account."""
    data_dir = CORPUS if HAS_CORPUS else settings.GUIDES_DATA_DIR
    return _site_with_an_editor(live_server, monkeypatch, data_dir)


@pytest.fixture
def edited(editor_site):
    return Guide.objects.get(slug=EDITED)


@pytest.fixture
def sample_editor_site(live_server, monkeypatch, settings):
    """The sample content: its guides hold every element type the preview must style."""
    return _site_with_an_editor(live_server, monkeypatch, settings.GUIDES_DATA_DIR)


def login(page, base, next_path):
    log_in(page, base, next_path, PASSWORD)


@pytest.mark.parametrize("width", [390, 1280])
def test_text_and_preview_side_by_side_on_wide_screens_in_the_site_style(
    browser, editor_site, edited, width
):
    page = browser.new_page(viewport={"width": width, "height": 900})
    watch = PageWatch(page)
    guide = edited
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


def test_nothing_typed_is_lost_to_a_reload_a_navigation_or_an_expired_session(
    browser, editor_site, edited
):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    guide = edited
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


def _preview_differences(page, base, guide, typed):
    """Each element type's computed style on ``guide``'s page and in its editor's preview of
    ``typed``, where they differ; and the element types the page has. The page's browser
    is logged in."""
    page.goto(base + guide.get_absolute_url())
    public = _styles(page, "document.querySelector('.prose')")
    page.goto(base + f"/admin/catalog/guide/{guide.pk}/change/")
    page.locator("#id_body").fill(typed)  # the preview renders what is typed
    page.wait_for_function(
        "() => { const p = document.querySelector('.preview-page');"
        " return p && p.shadowRoot.querySelector('.prose').children.length > 0; }"
    )
    page.wait_for_timeout(300)  # the last keystroke's render
    preview = _styles(page, "document.querySelector('.preview-page').shadowRoot")
    shown = [sel for sel, style in public.items() if style]
    differences = {
        sel: {
            p: (public[sel][p], (preview[sel] or {}).get(p))
            for p in PROPERTIES
            if public[sel][p] != (preview[sel] or {}).get(p) and (sel, p) not in PAGE_ONLY
        }
        for sel in shown
    }
    return {sel: d for sel, d in differences.items() if d}, shown


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [390, 1280])
def test_the_preview_looks_as_the_page_does_element_by_element(
    browser, sample_editor_site, width, scheme
):
    """Computed styles of each element type in the preview and on the public page agree:
    the admin's own (13 px headings, lists pushed right, its colours) reach neither."""
    guide = Guide.objects.get(slug="tls-handshake")
    guide.body = PREVIEWED
    guide.save()
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    login(page, sample_editor_site, f"/admin/catalog/guide/{guide.pk}/change/")
    differences, shown = _preview_differences(page, sample_editor_site, guide, PREVIEWED + "\n")
    assert len(shown) == len(ELEMENTS), set(ELEMENTS) - set(shown)
    assert differences == {}, json.dumps(differences, indent=1)
    assert page.locator(".preview-page pre").get_attribute("tabindex") == "0"
    screenshot(page, f"editor-preview-{width}-{scheme}")
    context.close()


@pytest.mark.corpus
@pytest.mark.parametrize("width", [390, 1280])
def test_the_preview_of_real_guides_looks_as_their_pages_do(
    browser, live_server, corpus_dir, monkeypatch, width
):
    """The same on the corpus's own markdown: lists in lists, code in list items, tables."""
    base = _site_with_an_editor(live_server, monkeypatch, corpus_dir)
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    login(page, base, "/admin/")
    for slug in (
        "what-happens-when-you-type-a-url-into-your-browser",
        "how-does-chatgpt-work",
        "log-parsing-cheat-sheet",
    ):
        guide = Guide.objects.get(slug=slug)
        differences, shown = _preview_differences(page, base, guide, guide.body + "\n")
        assert {"p", "li"} <= set(shown), (slug, shown)
        assert differences == {}, (slug, json.dumps(differences, indent=1))
    context.close()


PNG_1PX = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"
)
DROP = """([selector, name, base64]) => {
    const bytes = Uint8Array.from(atob(base64), c => c.charCodeAt(0));
    const data = new DataTransfer();
    data.items.add(new File([bytes], name, { type: "image/png" }));
    document.querySelector(selector).dispatchEvent(
        new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
}"""


def test_a_dropped_image_is_its_own_paragraph_with_the_alt_text_asked_for(
    browser, editor_site, edited
):
    """Dropped at the end of a list item of a real guide, and a second right after: each on
    its own paragraph (not in the list, not glued to the other or to the text around),
    progress shown while uploading, alt text asked."""
    guide = edited
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    watch = PageWatch(page)
    login(page, editor_site, f"/admin/catalog/guide/{guide.pk}/change/")
    page.evaluate(
        """() => { window.uploadNotes = [];
        new MutationObserver(() => window.uploadNotes.push(
            document.querySelector('.upload-panel').textContent)).observe(
            document.querySelector('.upload-panel'), {childList: true, subtree: true,
            characterData: true}); }"""
    )
    body = page.locator("#id_body")
    text = body.input_value()
    item = re.search(r"^- .*$", text, re.M) or re.search(r"^\d+\. .*$", text, re.M)
    if item is None:  # a guide without a list: give it one
        text += "\n\n- one\n- two\n"
        body.fill(text)
        item = re.search(r"^- .*$", text, re.M)
    body.evaluate("(e, at) => e.setSelectionRange(at, at)", item.end())
    page.evaluate(DROP, ["#id_body", "flow.png", PNG_1PX])
    alt = page.locator(".upload-panel input.upload-alt")
    alt.wait_for()
    assert "alt text" in page.locator(".upload-panel label").inner_text()
    alt.fill("A flow [of] steps")
    alt.press("Enter")
    page.evaluate(DROP, ["#id_body", "second.png", PNG_1PX])
    page.locator(".upload-panel input.upload-alt").wait_for()
    page.locator(".upload-panel button", has_text="Leave empty").click()
    value = body.input_value()
    first, second = re.findall(r"!\[[^\n]*\]\(/media/[^)\s]+\)", value)
    before, after = text[: item.end()], text[item.end() :]
    assert value == before + f"\n\n{first}\n\n{second}\n\n" + after.lstrip("\n")
    assert first.startswith(r"![A flow \[of\] steps](/media/") and second.startswith("![](/media/")
    assert any("Uploading flow.png" in note for note in page.evaluate("window.uploadNotes"))
    # The preview shows the images outside the list.
    preview = page.locator(".preview-page")
    preview.locator("img[alt='A flow [of] steps']").wait_for()
    assert preview.locator("li img[src^='/media/']").count() == 0
    assert preview.locator("p > img[src^='/media/']:only-child").count() == 2
    assert watch.console_errors == []
    page.close()


def test_an_image_still_uploading_is_shown_by_its_text_and_asked_for_by_nobody(
    browser, editor_site, edited, monkeypatch
):
    """While an upload is on its way, the preview shows its placeholder as GitHub's does,
    an image without an address: the browser asks the server for nothing (a relative
    address was a request for a page that is not there, each time the preview showed it)."""
    arrived, release = threading.Event(), threading.Event()
    answer = UploadView.post

    def held(view, request, *args, **kwargs):  # the upload answers when the test says so
        arrived.set()
        release.wait(30)
        return answer(view, request, *args, **kwargs)

    monkeypatch.setattr(UploadView, "post", held)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    watch = PageWatch(page)
    asked = []
    page.on("request", lambda request: asked.append(request.url))
    login(page, editor_site, f"/admin/catalog/guide/{edited.pk}/change/")
    body = page.locator("#id_body")
    body.evaluate("e => e.setSelectionRange(e.value.length, e.value.length)")
    asked.clear()
    page.evaluate(DROP, ["#id_body", "flow.png", PNG_1PX])
    preview = page.locator(".preview-page")
    try:
        placeholder = preview.locator("img[alt^='Uploading flow.png']")
        placeholder.wait_for(state="attached")
        page.wait_for_timeout(300)  # what the preview's image would ask for, asked by now
        written, src = body.input_value(), placeholder.get_attribute("src")
    finally:
        release.set()
    page.locator(".upload-panel input.upload-alt").wait_for()
    page.locator(".upload-panel button", has_text="Leave empty").click()
    preview.locator("img[src^='/media/']").wait_for()
    paths = [urlparse(url).path for url in asked]
    assert [path for path in paths if "upload" in path.lower() and "markdownx" not in path] == []
    assert arrived.is_set() and "![Uploading flow.png … (1)]()" in written and not src
    assert "Uploading" not in body.input_value()
    assert watch.console_errors == [] and watch.failed == []
    page.close()


def test_a_refused_upload_says_why_and_leaves_no_placeholder(browser, editor_site, edited):
    guide = edited
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    login(page, editor_site, f"/admin/catalog/guide/{guide.pk}/change/")
    page.locator("#id_body").fill("Text.")
    page.evaluate(DROP, ["#id_body", "fake.png", "bm90IGFuIGltYWdl"])  # "not an image"
    page.locator(".upload-panel .errornote").wait_for()
    assert "not uploaded" in page.locator(".upload-panel").inner_text()
    assert page.locator("#id_body").input_value().strip() == "Text."
    page.close()


def test_ctrl_s_saves_and_keeps_editing(browser, editor_site, edited):
    guide = edited
    path = f"/admin/catalog/guide/{guide.pk}/change/"
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    login(page, editor_site, path)
    page.fill("#id_description", "Saved by the keyboard.")
    with page.expect_navigation():
        page.keyboard.press("Control+s")
    assert page.url.endswith(path)
    assert page.locator(".messagelist .success").count() == 1
    guide.refresh_from_db()
    assert guide.description == "Saved by the keyboard."
    page.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_the_diagram_field_shows_a_thumbnail_with_replace_and_remove(
    browser, editor_site, edited, tmp_path, width
):
    from PIL import Image

    for name, colour in (("first.png", "red"), ("second.png", "blue")):
        Image.new("RGB", (400, 300), colour).save(tmp_path / name)
    guide = edited
    path = f"/admin/catalog/guide/{guide.pk}/change/"
    page = browser.new_page(viewport={"width": width, "height": 900})
    login(page, editor_site, path)
    page.set_input_files("#id_diagram", str(tmp_path / "first.png"))
    thumb = page.locator(".field-diagram img.diagram-thumb")
    page.wait_for_function(
        "() => document.querySelector('.diagram-thumb').src.startsWith('blob:')"
    )  # the chosen file, before saving
    with page.expect_navigation():
        page.locator("input[name=_continue]").first.click()
    assert thumb.get_attribute("src").startswith("/media/")
    page.wait_for_function("() => document.querySelector('.diagram-thumb').naturalWidth > 0")
    assert page.locator(".field-diagram label", has_text="Remove the diagram").count() == 1
    controls = page.locator(".field-diagram .diagram-controls").bounding_box()
    file_input = page.locator("#id_diagram").bounding_box()
    assert file_input["x"] + file_input["width"] <= controls["x"] + controls["width"] + 1
    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')].filter(e =>
            e.getBoundingClientRect().right > innerWidth + 1 && e.closest('.field-diagram'))
            .map(e => e.tagName + '.' + e.className)"""
    )
    assert wide == []  # the diagram field fits the screen
    screenshot(page, f"editor-diagram-field-{width}")
    page.locator(".field-diagram label", has_text="Remove the diagram").click()
    with page.expect_navigation():
        page.locator("input[name=_continue]").first.click()
    assert page.locator(".field-diagram img.diagram-thumb[src]").count() == 0
    guide.refresh_from_db()
    assert not guide.diagram
    page.close()


def test_a_new_review_link_is_copied_with_a_button(browser, editor_site, edited):
    guide = edited
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=editor_site)
    page = context.new_page()
    login(page, editor_site, f"/admin/catalog/guide/{guide.pk}/change/")
    page.get_by_role("button", name="Create a review link").click()
    field = page.locator(".messagelist input.review-url")
    field.wait_for()
    url = field.input_value()
    assert "/review/" in url and url.startswith("http")
    page.get_by_role("button", name="Copy link").click()
    page.wait_for_function("() => navigator.clipboard.readText().then(t => t.includes('/review/'))")
    assert page.evaluate("() => navigator.clipboard.readText()") == url
    assert page.get_by_role("button", name="Copied").count() == 1
    context.close()
