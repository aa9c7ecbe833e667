"""Trigram indexes for "did you mean" on PostgreSQL (catalog.search.suggestion).

pg_trgm is a trusted extension (PostgreSQL 13+): a database owner may create it. Where it
cannot be created, the migration goes on without it and searches simply suggest nothing.
"""

from django.db import migrations

INDEXES = (
    ("catalog_guide_title_trgm", "catalog_guide", "title"),
    ("taggit_tag_name_trgm", "taggit_tag", "name"),
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SAVEPOINT trigram")
        try:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except Exception:  # noqa: BLE001 - no right to create it: no suggestions
            cursor.execute("ROLLBACK TO SAVEPOINT trigram")
            return
        for name, table, column in INDEXES:
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({column} gin_trgm_ops)"
            )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _, _ in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0015_sync_runs"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
    ]
    operations = [migrations.RunPython(create, drop)]
