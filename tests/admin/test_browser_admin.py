"""An editor's day in a real browser: draft, preview, upload, publish, edit, restore."""

import pytest
from django.core.management import call_command
from PIL import Image

from catalog.models import Guide
from tests.browser import PageWatch, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-editor-password-1"


@pytest.fixture
def editor_site(live_server, monkeypatch, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("import_guides", "--data-dir", str(settings.GUIDES_DATA_DIR), verbosity=0)
    monkeypatch.setenv("EDITOR_PW", PASSWORD)
    call_command("create_editor", "editor", "--password-env", "EDITOR_PW", verbosity=0)
    diagram = tmp_path / "diagram.png"
    Image.new("RGB", (640, 360), "#dbeafe").save(diagram)
    return live_server.url, diagram


def test_editor_writes_previews_uploads_publishes_edits_and_restores(browser, editor_site):
    base, diagram = editor_site
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    watch = PageWatch(page)

    response = page.goto(base + "/admin/login/?next=/admin/catalog/guide/add/")
    assert "script-src 'self';" in response.headers["content-security-policy"]
    page.fill("#id_username", "editor")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/catalog/guide/add/")

    page.locator("#id_title").press_sequentially("Message Queues")
    assert page.input_value("#id_slug") == "message-queues"
    assert page.is_checked("#id_draft")
    page.fill("#id_description", "Decouple producers from consumers.")
    assert page.locator(".char-count").inner_text() == "34 characters"
    page.locator("#id_body").fill(
        "## Why queues\n\n- buffering\n- retries\n\n"
        "| broker | model |\n|---|---|\n| Kafka | log |\n"
    )
    preview = page.locator(".preview-page")
    preview.locator("h2#why-queues").wait_for()
    assert preview.locator("li").count() == 2
    assert preview.locator("table td").first.inner_text() == "Kafka"
    page.fill("#id_tag_labels", "Consistent Hashing, Messaging")
    page.select_option("select[name=category_links-0-category]", label="Networking")
    page.set_input_files("#id_diagram", str(diagram))
    screenshot(page, "admin-add-guide")
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/catalog/guide/")
    guide = Guide.objects.get(slug="message-queues")
    assert guide.draft and (guide.image_width, guide.image_height) == (640, 360)
    assert [i.label for i in guide.tagged_items.all()] == ["Consistent Hashing", "Messaging"]

    def visitor(path):
        """A first-time visitor (no browser cache: pages may be reused for max-age)."""
        fresh = browser.new_context()
        visit = fresh.new_page()
        response = visit.goto(base + path)
        return fresh, visit, response

    fresh, _, response = visitor("/guides/message-queues")
    assert response.status == 404
    fresh.close()
    page.goto(base + "/guides/message-queues")
    assert "Draft — not published" in page.content()
    hero = page.locator("figure.diagram img")
    assert hero.evaluate("img => img.complete && img.naturalWidth > 0")
    assert "480w" in hero.get_attribute("srcset") and hero.get_attribute("width") == "640"

    page.goto(base + "/admin/catalog/guide/?q=Message")
    page.locator("input[name=_selected_action]").first.check()
    page.select_option("select[name=action]", "publish")
    page.click("button[name=index]")
    assert page.locator("ul.messagelist li").inner_text() == "Published 1 guide."
    fresh, visit, _ = visitor("/guides/networking")
    assert visit.get_by_role("link", name="Message Queues").count() == 1
    fresh.close()

    page.goto(base + f"/admin/catalog/guide/{guide.pk}/change/")
    page.locator("#id_body").fill("## Rewritten\n\nNew text.\n")
    page.click("input[name=_continue]")
    page.wait_for_url(f"**/admin/catalog/guide/{guide.pk}/change/")
    assert Guide.objects.get(pk=guide.pk).body == "## Rewritten\n\nNew text.\n"

    page.locator("a", has_text="Compare with current / restore").last.click()
    assert "-## Why queues" in page.locator("pre.revision-diff").inner_text()
    page.click("input[value='Restore this revision']")
    page.wait_for_url(f"**/admin/catalog/guide/{guide.pk}/change/")
    restored = Guide.objects.get(pk=guide.pk)
    assert restored.body.startswith("## Why queues") and restored.draft
    fresh, visit, _ = visitor("/guides/networking")
    assert visit.get_by_role("link", name="Message Queues").count() == 0
    fresh.close()

    assert watch.console_errors == [] and watch.outside == []
    context.close()
