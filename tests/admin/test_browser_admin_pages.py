"""The admin pages editors use, on the real corpus in a real browser: the guide list (a short
tag filter, thumbnails, no overflow, the tags' section named for editors), the Content sync
page (why Sync now is unavailable, said beside it), and axe-core with no serious or critical
violation on the list, the editor, Content sync and merging tags, at 390 and 1280 pixels."""

import json
import re

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.factories import editor_client
from tests.site.test_accessibility import AXE, serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def admin_site(live_server, corpus_dir, settings):
    settings.GUIDES_DATA_DIR = corpus_dir
    settings.GUIDES_CONTENT_REPO = ""
    call_command("import_guides", "--data-dir", str(corpus_dir), verbosity=0)
    cookie = editor_client("ed").cookies[settings.SESSION_COOKIE_NAME].value
    return live_server.url, cookie


def _page(browser, admin_site, width, **options):
    base, cookie = admin_site
    context = browser.new_context(viewport={"width": width, "height": 900}, **options)
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base}])
    return context, context.new_page()


def test_the_guide_list_fits_and_its_tag_filter_is_short(browser, admin_site):
    base, _ = admin_site
    context, page = _page(browser, admin_site, 1280)
    page.goto(base + "/admin/catalog/guide/")
    assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
    results = page.locator("#changelist .results")
    assert results.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    tag_filter = page.locator("#changelist-filter details").filter(has_text="tag (most used")
    assert 2 <= tag_filter.locator("li").count() <= 16  # "All" and the most used 15
    assert page.evaluate("() => document.body.scrollHeight") < 6000  # 9,000 px with 363 tags
    assert page.locator("img.list-thumb").count() == 50  # every guide of the corpus has one
    nav = page.locator("#nav-sidebar").inner_text()
    assert "Taggit" not in nav and "TAGGIT" not in nav and "Tags" in nav
    page.goto(base + "/admin/")
    assert "Taggit" not in page.locator("#content-main").inner_text()
    # A tag chosen from outside the 15 stays shown while it filters.
    from catalog.models import Tag

    rare = Tag.objects.order_by("stats__published_guides", "name").first()
    page.goto(base + f"/admin/catalog/guide/?tag={rare.slug}")
    chosen = page.locator("#changelist-filter li.selected").all_inner_texts()
    assert rare.name in chosen, chosen
    context.close()


def test_content_sync_says_beside_the_button_why_it_is_unavailable(browser, admin_site):
    base, _ = admin_site
    context, page = _page(browser, admin_site, 390)
    page.goto(base + "/admin/catalog/guide/content-sync/")
    button = page.locator("input[name=sync]")
    assert button.is_disabled()
    why = page.locator("#" + button.get_attribute("aria-describedby"))
    assert why.is_visible() and "GUIDES_CONTENT_REPO" in why.inner_text()
    assert why.bounding_box()["width"] > 100  # text on the page, not a tooltip
    context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_admin_pages_editors_use_have_no_serious_violations(browser, admin_site, width):
    if not AXE.is_file():
        pytest.skip(f"{AXE} is missing: run `make setup` (npm install) first")
    from catalog.models import Guide

    base, _ = admin_site
    guide = Guide.objects.get(slug="log-parsing-cheat-sheet")  # code in its preview
    context, page = _page(browser, admin_site, width, bypass_csp=True)
    found = {}
    for path in (
        "/admin/catalog/guide/",
        "/admin/catalog/guide/?q=kafka",
        f"/admin/catalog/guide/{guide.pk}/change/",
        "/admin/catalog/guide/content-sync/",
        "/admin/taggit/tag/",
    ):
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        violations = serious_violations(page)
        if violations:
            found[path] = violations
    page.goto(base + "/admin/taggit/tag/")  # merging two tags (taggit's action needs no query)
    page.locator("#result_list input.action-select").nth(0).check()
    page.locator("#result_list input.action-select").nth(1).check()
    page.select_option("select[name=action]", "render_tag_form")
    page.locator("button[name=index]").click()
    page.wait_for_url(re.compile(r"/merge-tags/"))
    violations = serious_violations(page)
    if violations:
        found["merge tags"] = violations
    context.close()
    assert found == {}, json.dumps(found, indent=1)


def test_tags_that_look_alike_are_listed_and_merged_from_there(browser, admin_site):
    from catalog.admin.tags import near_duplicates
    from catalog.models import Tag

    base, _ = admin_site
    families = near_duplicates()
    names = [[tag.name for tag in family] for family in families]
    assert any({"Database", "Databases"} <= set(family) for family in names), names[:10]
    context, page = _page(browser, admin_site, 1280, bypass_csp=True)
    page.goto(base + "/admin/taggit/tag/")
    link = page.get_by_role("link", name=f"Tags that look alike ({len(families)})")
    link.click()
    assert page.locator("form.near-duplicates").count() == len(families)
    if AXE.is_file():
        assert serious_violations(page) == []
    family = next(f for f in families if {"Database", "Databases"} <= {t.name for t in f})
    kept = family[0].name  # the most used spelling is offered
    form = page.locator("form.near-duplicates").filter(has=page.locator("h2", has_text=kept))
    form.first.locator("input[type=submit]").click()
    page.wait_for_url(re.compile(r"/merge-tags/"))
    assert page.input_value("#id_new_tag_name") == kept
    page.locator("input[type=submit].default").click()
    page.wait_for_url(re.compile(r"/admin/taggit/tag/$"))
    assert f"into “{kept}”" in page.locator(".messagelist").inner_text()
    left = {t.name for t in Tag.objects.filter(pk__in=[t.pk for t in family])}
    assert left == {kept}
    context.close()
