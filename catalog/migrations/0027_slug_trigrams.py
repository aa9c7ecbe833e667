"""A trigram index on guide slugs, so that the admin's search finds part of a slug by an index
on PostgreSQL (catalog.search.editor_matches; titles have theirs since migration 0016).

Only where pg_trgm is installed (migration 0016 may not have had the right to create it);
without it the admin's search reads every slug, as it reads every title.
"""

from django.db import migrations

NAME, TABLE, COLUMN = "catalog_guide_slug_trgm", "catalog_guide", "slug"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is None:
            return
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {NAME} ON {TABLE} USING gin ({COLUMN} gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0026_body_text")]
    operations = [migrations.RunPython(create, drop)]
