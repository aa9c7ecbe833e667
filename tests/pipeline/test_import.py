"""import_guides: all or nothing, idempotent, and honest about what it did."""

import datetime as dt
import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from catalog.models import Category, Deletion, Guide, GuideCategory, Tag, TaggedGuide
from catalog.write.changes import restore_deletion, save_guide

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def run_import(content, *args):
    out, err = StringIO(), StringIO()
    call_command("import_guides", "--data-dir", str(content.root), *args, stdout=out, stderr=err)
    return out.getvalue()


def snapshot():
    """Everything the importer can touch, in a comparable form."""
    return (
        sorted(Category.objects.values_list("slug", "title", "sort", "body", "updated_at")),
        sorted(Guide.objects.values_list("slug", "title", "draft", "body", "updated_at")),
        sorted(GuideCategory.objects.values_list("guide__slug", "category__slug", "position")),
        sorted(TaggedGuide.objects.values_list("content_object__slug", "label", "position")),
        sorted(Tag.objects.values_list("name", "slug")),
    )


@pytest.fixture
def folder(content):
    content.category("cat", title="Cat", sort=2)
    content.category("dog", title="Dog", sort=1)
    for n in range(10):
        content.guide(f"guide-{n}", categories=("cat",), tags=("Shared", f"T{n}"))
    return content


def test_import_creates_everything_and_reports_counts(folder):
    out = run_import(folder)
    assert "categories: 2 created, 0 updated, 0 unchanged, 0 deleted" in out
    assert "guides: 10 created, 0 updated, 0 unchanged, 0 deleted" in out
    assert "tags: 11 created, 0 unchanged, 0 deleted" in out
    guide = Guide.objects.get(slug="guide-3")
    assert guide.title == "Guide 3"
    assert guide.created_on == dt.date(2024, 3, 1)
    assert guide.html == "<p>Body text.</p>\n"
    assert [t.label for t in guide.tagged_items.all()] == ["Shared", "T3"]


def test_one_invalid_file_among_valid_ones_leaves_the_database_unchanged(folder):
    run_import(folder)
    before = snapshot()
    for n in range(10):
        folder.guide(f"guide-{n}", title=f"Changed {n}", categories=("cat",))
    folder.guide("new-guide")
    folder.raw("guides", "broken", '---\ntitle: ""\ncreatedAt: "2024-01-01"\n---\n')
    with pytest.raises(CommandError, match="1 problem"):
        run_import(folder)
    assert snapshot() == before


def test_problems_are_printed_to_stderr_as_path_line_field_message(folder):
    bad = folder.raw(
        "guides", "broken", '---\ntitle: T\ncreatedAt: "2024-01-01"\ndraft: "yes"\n---\n'
    )
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_guides", "--data-dir", str(folder.root), stderr=err)
    assert err.getvalue() == f"{bad}:4: draft: must be true or false, got str 'yes'\n"


def test_reimport_of_unchanged_files_writes_nothing(folder, django_assert_max_num_queries):
    run_import(folder)
    before = snapshot()
    # On PostgreSQL, one more: the slugs stored, for computing new guides' search documents
    # while reading (catalog.pipeline.searchdocs.SearchDocuments). The sixth: deletions made in
    # the admin whose files may still be there (catalog.write.records.pending_deletions).
    with django_assert_max_num_queries(6 + (connection.vendor == "postgresql")) as ctx:
        out = run_import(folder)
    assert not [q for q in ctx.captured_queries if not q["sql"].startswith("SELECT")]
    assert "guides: 0 created, 0 updated, 10 unchanged, 0 deleted" in out
    assert "Nothing to do" in out
    assert snapshot() == before


def test_changed_file_updates_only_that_record(folder):
    run_import(folder)
    untouched = Guide.objects.get(slug="guide-1").updated_at
    folder.guide("guide-2", title="New title", categories=("dog", "cat"), tags=("T2", "shared"))
    out = run_import(folder)
    assert "guides: 0 created, 1 updated, 9 unchanged, 0 deleted" in out
    guide = Guide.objects.get(slug="guide-2")
    assert guide.title == "New title"
    assert [link.category.slug for link in guide.category_links.all()] == ["dog", "cat"]
    assert [item.label for item in guide.tagged_items.all()] == ["T2", "shared"]
    assert Guide.objects.get(slug="guide-1").updated_at == untouched


def test_an_admin_edit_is_kept_and_reported_by_an_import_of_unchanged_files(folder):
    run_import(folder)
    Guide.objects.filter(slug="guide-4").update(title="Edited in the admin")
    out = run_import(folder)
    assert "0 updated" in out
    assert "kept 1 admin edit(s) of guides not yet in the files (export them): guide-4" in out
    assert "and 1 admin edit(s) the files do not" in out
    assert Guide.objects.get(slug="guide-4").title == "Edited in the admin"


def test_tags_match_case_insensitively_and_keep_each_guides_spelling(content):
    content.category("cat")
    content.guide("a", tags=("System Design", "Books"))
    content.guide("b", tags=("system design",))
    content.guide("c", tags=("system-design",))
    run_import(content)
    assert sorted(Tag.objects.values_list("name", "slug")) == [
        ("Books", "books"),
        ("System Design", "system-design"),
        ("system-design", "system-design-2"),
    ]
    b = Guide.objects.get(slug="b")
    assert [(i.tag.name, i.label) for i in b.tagged_items.all()] == [
        ("System Design", "system design")
    ]


def test_unused_tags_are_deleted(content):
    content.category("cat")
    content.guide("a", tags=("Keep", "Drop"))
    run_import(content)
    content.guide("a", tags=("Keep",))
    out = run_import(content)
    assert "tags: 0 created, 1 unchanged, 1 deleted" in out
    assert list(Tag.objects.values_list("name", flat=True)) == ["Keep"]


def test_a_deleted_file_deletes_its_record_which_is_kept_restorable(folder):
    run_import(folder)
    (folder.root / "guides" / "guide-0.md").unlink()
    out = run_import(folder)
    assert "guides: 0 created, 0 updated, 9 unchanged, 1 deleted" in out
    assert (
        "deleted guides whose file was deleted (restorable under Deleted records): guide-0" in out
    )
    assert not Guide.objects.filter(slug="guide-0").exists()
    kept = Deletion.objects.get(slug="guide-0")
    assert (kept.kind, kept.source, kept.pending) == ("guides", "files", False)
    restore_deletion(kept)
    assert Guide.objects.filter(slug="guide-0").exists() and not Deletion.objects.exists()


def test_a_guide_new_in_the_admin_is_not_called_missing_and_prune_keeps_it_restorable(folder):
    run_import(folder)
    save_guide(Guide(slug="fresh", title="Fresh", created_on=dt.date(2024, 1, 1)))
    out = run_import(folder)
    assert "1 guides new in the admin; the export writes their files: fresh" in out
    assert "--prune" not in out and Guide.objects.filter(slug="fresh").exists()
    out = run_import(folder, "--prune")
    assert "pruned guides that had no file (restorable under Deleted records): fresh" in out
    assert Deletion.objects.get(slug="fresh").source == "prune"


def test_a_deleted_category_file_deletes_the_category(folder):
    run_import(folder)
    (folder.root / "categories" / "dog.md").unlink()
    for path in (folder.root / "guides").glob("*.md"):  # no guide may name it any more
        path.write_text(path.read_text().replace("  - dog\n", ""))
    out = run_import(folder)
    assert "categories: 0 created, 0 updated, 1 unchanged, 1 deleted" in out
    assert list(Category.objects.values_list("slug", flat=True)) == ["cat"]


def test_a_category_a_guide_made_in_the_admin_still_names_is_not_deleted(folder):
    """Its file is gone, but a guide without a file yet (made in the admin) names it: the
    import stops, naming the category and the guides, and writes nothing."""
    run_import(folder)
    dog = Category.objects.get(slug="dog")
    for slug in ("fresh", "also-fresh"):
        guide = Guide(slug=slug, title=slug.title(), created_on=dt.date(2024, 1, 1))
        save_guide(guide, categories=[dog])
    (folder.root / "categories" / "dog.md").unlink()
    before = snapshot()
    with pytest.raises(CommandError):
        call_command(
            "import_guides",
            "--data-dir",
            str(folder.root),
            stdout=StringIO(),
            stderr=(err := StringIO()),
        )
    assert "cannot delete category 'dog': guides ['also-fresh', 'fresh'] use it" in err.getvalue()
    assert snapshot() == before


def test_dry_run_prints_the_plan_and_writes_nothing(folder):
    out = run_import(folder, "--dry-run")
    assert "guides: 10 created" in out
    assert "Dry run: nothing was written" in out
    assert not Guide.objects.exists() and not Tag.objects.exists()


def test_a_new_guide_may_not_take_the_slug_of_a_category_in_the_database(folder):
    run_import(folder)
    Category.objects.create(slug="fish", title="Fish")  # made in the admin, no file yet
    folder.guide("fish")
    with pytest.raises(CommandError):
        run_import(folder)
    assert not Guide.objects.filter(slug="fish").exists()


def test_a_category_whose_file_was_deleted_goes_with_its_file(folder):
    run_import(folder)
    (folder.root / "categories" / "dog.md").unlink()
    folder.guide("dog", categories=("cat",))
    run_import(folder)  # no guide names it: it is deleted, and its slug is free
    assert Guide.objects.filter(slug="dog").exists()
    assert not Category.objects.filter(slug="dog").exists()


def test_verbosity_zero_prints_nothing(folder):
    out = StringIO()
    call_command("import_guides", "--data-dir", str(folder.root), verbosity=0, stdout=out)
    assert out.getvalue() == ""


def test_default_folder_is_the_setting(folder, settings):
    settings.GUIDES_DATA_DIR = folder.root
    call_command("import_guides", verbosity=0)
    assert Guide.objects.count() == 10


def _manage(*args, env_extra, cwd=ROOT):
    env = {**os.environ, **env_extra}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_command_line_exit_status_and_stderr(folder, tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}", "DEBUG": "0", "SECRET_KEY": "x"}
    assert _manage("migrate", "-v", "0", env_extra=env).returncode == 0
    bad = folder.raw("guides", "broken", "---\ntitle: T\n---\n")
    result = _manage("import_guides", "--data-dir", str(folder.root), env_extra=env)
    assert result.returncode == 1
    assert f"{bad}:1: createdAt: is required (a date written YYYY-MM-DD)" in result.stderr
    assert "nothing was imported" in result.stderr
    bad.unlink()
    result = _manage("import_guides", "--data-dir", str(folder.root), "-v", "0", env_extra=env)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


class _Terminal(StringIO):
    def isatty(self):
        return True


def test_progress_is_shown_on_a_terminal_for_large_folders(content):
    content.category("cat")
    for n in range(200):
        content.guide(f"g-{n:03d}")
    err = _Terminal()
    call_command("import_guides", "--data-dir", str(content.root), stdout=StringIO(), stderr=err)
    assert "\rReading guides: 200/200\n" in err.getvalue()
    quiet = StringIO()
    content.guide("g-000", title="Changed")
    call_command("import_guides", "--data-dir", str(content.root), stdout=StringIO(), stderr=quiet)
    assert quiet.getvalue() == ""


def _analysed(queries):
    """The tables the ANALYZE statements among ``queries`` name."""
    return sorted(
        name
        for q in queries
        if q["sql"].startswith("ANALYZE ")
        for name in re.findall(r"\w+", q["sql"].removeprefix("ANALYZE "))
    )


@pytest.mark.django_db(transaction=True)
def test_an_import_that_changes_a_large_share_analyses_the_tables_it_changed(content):
    """After a bulk import the planner knows the tables' new sizes (PostgreSQL's statistics,
    SQLite's sqlite_stat1); an import of a few changes leaves that to the server."""
    from django.test.utils import CaptureQueriesContext

    content.category("cat")
    for n in range(80):
        content.guide(f"g{n:02}", tags=("Tag", f"T{n % 7}"))
    with CaptureQueriesContext(connection) as bulk:
        content.import_()
    assert "catalog_guide" in _analysed(bulk) and "catalog_guidecategory" in _analysed(bulk)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'catalog_guide'")
            assert cursor.fetchone()[0] == 80  # -1 (never analysed) until autovacuum
            # Statistics of what queries filter on, not of the long text (migration 0030).
            cursor.execute(
                "SELECT attname FROM pg_stats WHERE tablename = 'catalog_guide' "
                "AND attname IN ('slug', 'created_on', 'search_document', 'body', 'body_html')"
            )
            assert sorted(name for (name,) in cursor.fetchall()) == [
                "created_on",
                "search_document",
                "slug",
            ]
        else:
            cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = 'catalog_guide'")
            assert int(cursor.fetchone()[0].split()[0]) == 80
    content.guide("g00", title="Changed")
    content.guide("new")
    with CaptureQueriesContext(connection) as small:
        content.import_()
    assert Guide.objects.get(slug="g00").title == "Changed"
    assert _analysed(small) == []
