"""Accessibility: every public page type, on the sample content and on the real corpus, and
the admin pages editors use pass axe-core (the npm package, installed by ``make setup``,
injected into the page) with no serious or critical violation, at 390 and 1280 pixels, in
the light and the dark colour scheme."""

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.browser import load_all_images
from tests.factories import editor_client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PUBLIC_PAGES = [
    "/",
    "/guides",
    "/guides/networking",
    "/guides/tls-handshake",
    "/guides/cache-aside-vs-write-through",
    "/tags",
    "/tags/protocols",
    "/search?q=cache",
    "/search?q=qqqzzz",
    "/guides/no-such-page",
]


# The corpus's page types, and the guides whose text has what a page adds to markdown: a
# table of contents, a wide code block, lists in lists.
CORPUS_PAGES = [
    "/",
    "/guides",
    "/guides/cloud-distributed-systems",
    "/guides/cloud-distributed-systems?page=3",
    "/guides/the-12-factor-app",
    "/guides/log-parsing-cheat-sheet",
    "/guides/what-happens-when-you-type-a-url-into-your-browser",
    "/guides/how-does-chatgpt-work",
    "/tags",
    "/tags/kafka",
    "/search?q=kafka",
    "/search?q=kafak",
]


def _public_violations(browser, base, paths, width, scheme):
    context = browser.new_context(
        viewport={"width": width, "height": 900}, color_scheme=scheme, bypass_csp=True
    )
    page = context.new_page()
    found = {}
    for path in paths:
        response = page.goto(base + path)
        assert response.status in (200, 404), (path, response.status)
        load_all_images(page)
        violations = serious_violations(page)
        if violations:
            found[path] = violations
    context.close()
    return found


@pytest.fixture
def site(live_server):
    if not AXE.is_file():
        pytest.skip(f"{AXE} is missing: run `make setup` (npm install) first")
    call_command("import_guides", "--data-dir", str(settings.GUIDES_DATA_DIR), verbosity=0)
    return live_server.url


def serious_violations(page):
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"][:5]],
        }
        for v in result
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [390, 1280])
def test_public_pages_have_no_serious_violations(browser, site, width, scheme):
    found = _public_violations(browser, site, PUBLIC_PAGES, width, scheme)
    assert found == {}, json.dumps(found, indent=1)


@pytest.mark.corpus
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [390, 1280])
def test_corpus_pages_have_no_serious_violations(browser, live_server, corpus_dir, width, scheme):
    if not AXE.is_file():
        pytest.skip(f"{AXE} is missing: run `make setup` (npm install) first")
    call_command("import_guides", "--data-dir", str(corpus_dir), verbosity=0)
    found = _public_violations(browser, live_server.url, CORPUS_PAGES, width, scheme)
    assert found == {}, json.dumps(found, indent=1)


@pytest.mark.parametrize("width", [390, 1280])
def test_the_guide_editor_has_no_serious_violations(browser, site, width):
    from catalog.models import Guide

    client = editor_client("ed")
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": site}])
    page = context.new_page()
    guide = Guide.objects.get(slug="tls-handshake")
    found = {}
    for path in ("/admin/catalog/guide/add/", f"/admin/catalog/guide/{guide.pk}/change/"):
        page.goto(site + path)
        page.wait_for_load_state("networkidle")
        violations = serious_violations(page)
        if violations:
            found[path] = violations
    context.close()
    assert found == {}, json.dumps(found, indent=1)
