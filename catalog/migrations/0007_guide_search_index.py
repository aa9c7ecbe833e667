"""The stored search document, and on PostgreSQL its GIN index and its first fill.

catalog.search keeps ``search_document`` up to date on every save and import; ranking reads
the stored vector, so a search never recomputes the document of every match. Other
databases do not use the column.
"""

import django.contrib.postgres.search
from django.db import migrations

INDEX = "catalog_guide_search_gin"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from catalog.search import search_vector

    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON catalog_guide USING gin (search_document)"
    )
    apps.get_model("catalog", "Guide").objects.update(search_document=search_vector())


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
