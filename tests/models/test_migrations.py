"""Data migrations keep what they move, both ways."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = ("catalog", "0022_link_indexes_in_composites")
AFTER = ("catalog", "0023_sync_base_body_apart")


def _migrate(target=None):
    """Migrate the test database to ``target`` (the latest migration when None); the models
    as they are there."""
    executor = MigrationExecutor(connection)
    target = target or executor.loader.graph.leaf_nodes("catalog")[0]
    executor.migrate([target])
    executor.loader.build_graph()
    return executor.loader.project_state([target]).apps


@pytest.mark.django_db(transaction=True)
def test_a_sync_base_body_moves_apart_and_back():
    guides = _migrate(BEFORE).get_model("catalog", "Guide").objects
    base = {"slug": "g", "title": "G", "created": "2024-01-01", "body": "The body.\n"}
    rest = {key: value for key, value in base.items() if key != "body"}
    guides.create(slug="g", title="G", created_on="2024-01-01", body="Edited.\n", synced=base)
    guides.create(slug="never", title="N", created_on="2024-01-01", synced=None)
    try:
        guides = _migrate(AFTER).get_model("catalog", "Guide").objects
        moved = guides.get(slug="g")
        assert (moved.synced, moved.synced_body) == (rest, "The body.\n")
        assert guides.get(slug="never").synced is None
        guides = _migrate(BEFORE).get_model("catalog", "Guide").objects
        assert guides.get(slug="g").synced == base
        assert guides.get(slug="never").synced is None
    finally:
        _migrate()


def _external_values(table):
    """How many values of ``table`` are stored out of line (in its TOAST table)."""
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM {table}")
        cursor.execute(
            "SELECT reltoastrelid::regclass::text FROM pg_class WHERE relname = %s", [table]
        )
        (toast,) = cursor.fetchone()
        cursor.execute(f"SELECT COUNT(DISTINCT chunk_id) FROM {toast}")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_search_documents_move_into_their_rows_and_back():
    if connection.vendor != "postgresql":
        pytest.skip("storage of the PostgreSQL search document")
    import random

    words = random.Random(25)
    body = " ".join(f"w{words.getrandbits(40):x}" for _ in range(200))  # compresses poorly
    guides = _migrate(("catalog", "0024_search_document_trigger_when")).get_model(
        "catalog", "Guide"
    )
    guides.objects.create(slug="wide", title="Wide", created_on="2024-01-01", body=body)
    try:
        assert _external_values("catalog_guide") == 2  # the body and the document
        guides = _migrate(("catalog", "0025_search_document_inline")).get_model("catalog", "Guide")
        assert _external_values("catalog_guide") == 1  # the body only
        guides.objects.create(slug="new", title="New", created_on="2024-01-01", body=body[::-1])
        assert _external_values("catalog_guide") == 2  # and the new row's body, not its document
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*) FROM catalog_guide WHERE search_document @@ to_tsquery(%s)",
                [body.split()[7]],
            )
            assert cursor.fetchone()[0] == 1
        _migrate(("catalog", "0024_search_document_trigger_when"))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT attstorage FROM pg_attribute WHERE attrelid = 'catalog_guide'::regclass "
                "AND attname = 'search_document'"
            )
            assert cursor.fetchone()[0] == "x"
    finally:
        _migrate()


@pytest.mark.django_db(transaction=True)
def test_rendered_bodies_get_their_plain_text_and_unrendered_ones_wait():
    from catalog.fileformat.rendering import RENDERER_VERSION, render_markdown

    guides = _migrate(("catalog", "0025_search_document_inline")).get_model("catalog", "Guide")
    html = render_markdown("## Caching\n\nKeep **hot** data near [the reader](https://x.test).")
    common = {"created_on": "2024-01-01", "body": "x", "body_html": html}
    guides.objects.create(slug="rendered", title="R", rendered_with=RENDERER_VERSION, **common)
    guides.objects.create(slug="stale", title="S", rendered_with=0, **common)
    try:
        _migrate(("catalog", "0026_body_text"))
        from catalog.models import Guide

        assert Guide.objects.get(slug="rendered").body_text == (
            "Caching — Keep hot data near the reader."
        )
        stale = Guide.objects.get(slug="stale")
        assert stale.body_text == ""
        assert stale.text == "x"  # rendered when asked for, until render_guides stores it
    finally:
        _migrate()


SEARCH_DOCUMENT_MIGRATIONS = (
    "0007_guide_search_index",
    "0010_search_document_trigger",
    "0021_search_documents_given",
    "0024_search_document_trigger_when",
    "0033_search_document_bounded",
)


def test_the_search_document_migrations_run_frozen_sql_not_todays_code():
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "catalog" / "migrations"
    for name in SEARCH_DOCUMENT_MIGRATIONS:
        text = (folder / f"{name}.py").read_text()
        assert "from catalog" not in text and "import catalog" not in text, name


@pytest.mark.django_db
def test_a_search_document_that_differs_from_the_code_fails_the_system_check():
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    from catalog.search.documents import TRIGGER_FUNCTION

    if connection.vendor != "postgresql":
        pytest.skip("the search document is computed by a PostgreSQL trigger")
    call_command("check", "--database", "default")  # the migrated database agrees
    with connection.cursor() as cursor:  # the document as an older definition computed it
        cursor.execute(
            f"CREATE OR REPLACE FUNCTION {TRIGGER_FUNCTION}() RETURNS trigger AS $$ BEGIN "
            "NEW.search_document := to_tsvector('simple', NEW.title); RETURN NEW; END $$ "
            "LANGUAGE plpgsql"
        )
    with pytest.raises(SystemCheckError, match="catalog.E001"):
        call_command("check", "--database", "default")
