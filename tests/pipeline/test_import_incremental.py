"""Everyday imports into a database that already holds the real corpus, each on a connection
of its own as a new ``import_guides`` or sync process has: one new guide, one changed guide,
one new category alone, one removed file. On PostgreSQL new rows go in by binary COPY, whose
type adapters must be found whatever the process did before."""

import shutil

import pytest
from django.core.management import call_command
from django.db import connection

from catalog.models import Category, Guide
from catalog.search import search_guides

pytestmark = pytest.mark.corpus

NEW_GUIDE = """---
title: "Write-ahead logs in one page"
description: "Why a database writes twice."
image: ""
createdAt: "2026-11-30"
categories:
  - "database-and-storage"
tags:
  - "Databases"
  - "Durability"
---

A write-ahead log makes every change durable before the data pages are touched.
"""

NEW_CATEGORY = """---
title: 'Observability'
description: 'Logs, metrics and traces.'
image: ''
icon: ''
sort: 99
---

Seeing inside running systems.
"""


@pytest.fixture
def corpus_site(corpus_dir, tmp_path, transactional_db):
    """A copy of the corpus, imported; the connection is then closed, so the next import
    starts on a new one."""
    data = tmp_path / "data"
    shutil.copytree(corpus_dir, data)
    import_folder(data)
    connection.close()
    return data


def import_folder(data, *args):
    call_command("import_guides", "--data-dir", str(data), *args, verbosity=0)


def a_guide_slug(data):
    return sorted(path.stem for path in (data / "guides").glob("*.md"))[0]


def test_one_new_guide_is_imported_and_found_by_search(corpus_site):
    (corpus_site / "guides" / "write-ahead-logs.md").write_text(NEW_GUIDE)
    import_folder(corpus_site)
    guide = Guide.objects.get(slug="write-ahead-logs")
    assert guide.title == "Write-ahead logs in one page"
    assert [c.slug for c in guide.categories.all()] == ["database-and-storage"]
    assert Guide.objects.count() == 401
    assert "write-ahead-logs" in [g.slug for g in search_guides("write-ahead durable")]


def test_one_changed_guide_is_updated(corpus_site):
    slug = a_guide_slug(corpus_site)
    path = corpus_site / "guides" / f"{slug}.md"
    path.write_text(path.read_text().rstrip("\n") + "\n\nA closing line about zeppelins.\n")
    import_folder(corpus_site)
    assert "zeppelins" in Guide.objects.get(slug=slug).body
    assert slug in [g.slug for g in search_guides("zeppelins")]


def test_one_new_category_alone_is_imported(corpus_site):
    (corpus_site / "categories" / "observability.md").write_text(NEW_CATEGORY)
    import_folder(corpus_site)
    assert Category.objects.get(slug="observability").title == "Observability"


def test_a_removed_file_is_pruned(corpus_site):
    slug = a_guide_slug(corpus_site)
    (corpus_site / "guides" / f"{slug}.md").unlink()
    import_folder(corpus_site, "--prune")
    assert not Guide.objects.filter(slug=slug).exists()
    assert Guide.objects.count() == 399
