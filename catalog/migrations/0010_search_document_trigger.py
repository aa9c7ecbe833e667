"""On PostgreSQL, the database keeps ``search_document`` up to date itself (a trigger).

Computing the document in a separate UPDATE after every insert wrote each row twice and cost
an import more than everything else it did; a BEFORE trigger computes it as the row is
written, and on an update only when a column it is made of changed, so an edit computes it
once. The trigger's expression was compiled from the one definition of the search document (which
migration 0007's GIN index serves) and is frozen below.
"""

from django.db import migrations

FUNCTION = "catalog_guide_search_document"
# The search document's SQL as it stood when this migration was written, frozen here: a
# migration replays history, it never imports today's code (catalog.search.documents
# defines the document now; a system check compares the installed trigger with it).
DOCUMENT = (
    '(((setweight(to_tsvector(\'english\'::regconfig, COALESCE(NEW."title", \'\')), \'A\') || set'
    'weight(to_tsvector(\'english\'::regconfig, COALESCE(NEW."tag_text", \'\')), \'B\')) || setwe'
    'ight(to_tsvector(\'english\'::regconfig, COALESCE(NEW."description", \'\')), \'C\')) || setw'
    'eight(to_tsvector(\'english\'::regconfig, COALESCE(NEW."body", \'\')), \'D\'))'
)
DOCUMENT_COLUMNS = ("title", "tag_text", "description", "body")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in DOCUMENT_COLUMNS)
    schema_editor.execute(
        f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$ BEGIN "
        f"NEW.search_document := {DOCUMENT}; RETURN NEW; END $$ "
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
