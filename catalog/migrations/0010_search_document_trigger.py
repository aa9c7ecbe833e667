"""On PostgreSQL, the database keeps ``search_document`` up to date itself (a trigger).

Computing the document in a separate UPDATE after every insert wrote each row twice and cost
an import more than everything else it did; a BEFORE trigger computes it as the row is
written, and on an update only when a column it is made of changed, so an edit computes it
once. The trigger's expression is compiled from ``catalog.search.search_vector`` (the one
definition, which migration 0007's GIN index serves), so the two cannot drift.
"""

from django.db import migrations

FUNCTION = "catalog_guide_search_document"


def document_sql(schema_editor):
    from catalog.search import trigger_expression

    return trigger_expression(schema_editor.connection)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from catalog.search import DOCUMENT_COLUMNS

    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in DOCUMENT_COLUMNS)
    schema_editor.execute(
        f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$ BEGIN "
        f"NEW.search_document := {document_sql(schema_editor)}; RETURN NEW; END $$ "
        "LANGUAGE plpgsql"
    )
    schema_editor.execute(
        f"CREATE TRIGGER {FUNCTION}_insert BEFORE INSERT ON catalog_guide "
        f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
    )
    schema_editor.execute(
        f"CREATE TRIGGER {FUNCTION}_update BEFORE UPDATE ON catalog_guide "
        f"FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION {FUNCTION}()"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for suffix in ("insert", "update"):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {FUNCTION}_{suffix} ON catalog_guide")
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0009_listings")]
    operations = [migrations.RunPython(create, drop)]
