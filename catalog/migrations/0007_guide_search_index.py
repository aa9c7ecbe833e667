"""The stored search document, and on PostgreSQL its GIN index and its first fill.

The database keeps ``search_document`` up to date on every save and import; ranking reads
the stored vector, so a search never recomputes the document of every match. Other
databases do not use the column.
"""

import django.contrib.postgres.search
from django.db import migrations

INDEX = "catalog_guide_search_gin"
# The search document's SQL as it stood when this migration was written, frozen here: a
# migration replays history, it never imports today's code (catalog.search.documents
# defines the document now; a system check compares the installed trigger with it).
DOCUMENT = (
    '(((setweight(to_tsvector(\'english\'::regconfig, COALESCE("catalog_guide"."title", \'\')),'
    ' \'A\') || setweight(to_tsvector(\'english\'::regconfig, COALESCE("catalog_guide"."tag_tex'
    't", \'\')), \'B\')) || setweight(to_tsvector(\'english\'::regconfig, COALESCE("catalog_guide'
    '"."description", \'\')), \'C\')) || setweight(to_tsvector(\'english\'::regconfig, COALESCE("'
    'catalog_guide"."body", \'\')), \'D\'))'
)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON catalog_guide USING gin (search_document)"
    )
    schema_editor.execute(f"UPDATE catalog_guide SET search_document = {DOCUMENT}")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0006_guide_tag_text")]
    operations = [
        migrations.AddField(
            model_name="guide",
            name="search_document",
            field=django.contrib.postgres.search.SearchVectorField(
                blank=True, editable=False, null=True
            ),
        ),
        migrations.RunPython(create_index, drop_index),
    ]
