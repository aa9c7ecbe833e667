"""The editor's comforts in a real browser: text and preview side by side (stacked on a
phone) in the public page's style, and nothing typed lost to a reload, a navigation or an
expired session."""

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
    preview = page.locator(".markdownx-preview")
    preview.locator("h2#handshake").wait_for()
    assert "prose" in preview.get_attribute("class")
    keyword = preview.locator(".codehilite .kn").first
    assert keyword.evaluate("e => getComputedStyle(e).fontWeight") == "700"  # highlight.css
    text, shown = page.locator("#id_body").bounding_box(), preview.bounding_box()
    if width >= 1100:
        assert shown["x"] >= text["x"] + text["width"] - 1 and abs(shown["y"] - text["y"]) < 5
        page.locator("#id_body").evaluate("e => { e.scrollTop = e.scrollHeight; }")
        page.wait_for_function(
            "() => { const p = document.querySelector('.markdownx-preview');"
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
    page.locator(".markdownx-preview p").filter(has_text="Typed, not saved.").wait_for()

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
