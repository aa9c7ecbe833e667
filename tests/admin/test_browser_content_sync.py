"""The Content sync page in a real browser, on a content repository holding the real corpus:
a guide changed in the admin and in its file shows both sides in one neutral colour, the run's
log wraps on a phone, and deciding names the guide by its title."""

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from catalog.models import Guide
from catalog.write.changes import save_guide
from tests.browser import PageWatch, log_in, screenshot
from tests.gitrepos import Repos, git, sync
from tests.served import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SLUG = "how-does-chatgpt-work"
PATH = f"data/guides/{SLUG}.md"


@pytest.fixture
def corpus_repos(tmp_path, corpus_dir, settings, monkeypatch):
    repos = Repos(tmp_path, data_from=corpus_dir)
    settings.GUIDES_CONTENT_REPO = str(repos.site)
    sync(repos)  # imports the corpus, and is the run the page shows
    monkeypatch.setenv("EDITOR_PW", PASSWORD)
    call_command("create_editor", "editor", "--password-env", "EDITOR_PW", verbosity=0)
    return repos


def test_both_sides_of_a_conflict_in_one_colour_a_wrapping_log_and_the_title_named(
    browser, live_server, corpus_repos
):
    repos = corpus_repos
    guide = Guide.objects.get(slug=SLUG)
    guide.description = "The editor's description of how ChatGPT " + "answers " * 12
    save_guide(guide, author=User.objects.get(username="editor"))
    repos.contribute(
        PATH,
        "description: This article explains how ChatGPT works in detail.",
        "description: " + "A contributor's description, long enough to wrap on a phone. " * 2,
    )
    git(repos.site, "pull", "-q", "--no-rebase", "origin", "main")

    page = browser.new_page(viewport={"width": 390, "height": 900})
    watch = PageWatch(page)
    log_in(page, live_server.url, "/admin/catalog/guide/content-sync/", PASSWORD)

    row = page.locator(".sync-status tr", has_text=f"guides/{SLUG}.md").first
    assert "changed in the file and in the admin: description" in row.inner_text()
    assert "(by editor," in row.inner_text()
    changed = page.locator(".stale-diff tr.diff-replace").first
    sides = changed.locator("td").evaluate_all(
        "cells => cells.map(c => getComputedStyle(c).backgroundColor)"
    )
    assert len(sides) == 2 and sides[0] == sides[1], sides  # neither reads as deleted/added
    log = page.locator(".sync-result pre")
    assert log.inner_text().strip()
    assert log.evaluate("e => e.scrollWidth <= e.clientWidth + 1")  # wrapped, not cut off
    wide = page.evaluate(
        """() => [...document.querySelectorAll('.content-sync *')]
            .filter(e => e.getBoundingClientRect().right > innerWidth + 1)
            .map(e => e.tagName + '.' + e.className)"""
    )
    assert wide == []
    screenshot(page, "content-sync-390")

    with page.expect_navigation():
        row.locator("xpath=following-sibling::tr[1]").get_by_role(
            "button", name="Take the file's version"
        ).click()
    message = page.locator(".messagelist .success").inner_text()
    assert message.startswith("“How does ChatGPT work?”: the file's version"), message
    assert watch.console_errors == [] and watch.failed == []
    page.close()

    sync(repos)
    assert Guide.objects.get(slug=SLUG).description.startswith("A contributor's description")
