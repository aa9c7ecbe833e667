"""On PostgreSQL, a GIN index over the search document that catalog.search queries.

The index is built from the SQL the ORM emits for ``catalog.search.search_vector()``, so the
planner can use it for the ``document @@ query`` filter. Other databases need no index.
"""

from django.db import migrations

INDEX = "catalog_guide_search_gin"


def create_index(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    from catalog.search import search_vector

    Guide = apps.get_model("catalog", "Guide")
    query = Guide.objects.annotate(document=search_vector()).query
    compiler = query.get_compiler(connection=connection)
    sql, params = query.annotations["document"].as_sql(compiler, connection)
    sql = sql % tuple(schema_editor.quote_value(p) for p in params)
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON catalog_guide USING gin ({sql})")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0006_guide_tag_text")]
    operations = [migrations.RunPython(create_index, drop_index)]
