"""A search document is made of a body's first 100,000 characters
(``catalog.search.documents.MAX_SEARCHED_CHARS``): PostgreSQL refuses a document over 1 MB,
which the words of a file within the 1 MB file limit can make. The trigger's function is
replaced, and the documents of the bodies longer than that are computed again from it.

The document's SQL is frozen here as of this migration (a migration never imports today's
code; a system check compares the installed function with the code)."""

from django.db import migrations

FUNCTION = "catalog_guide_search_document"


def _document(body):
    return (
        "(((setweight(to_tsvector('english'::regconfig, COALESCE(NEW.\"title\", '')), 'A') || "
        "setweight(to_tsvector('english'::regconfig, COALESCE(NEW.\"tag_text\", '')), 'B')) || "
        "setweight(to_tsvector('english'::regconfig, COALESCE(NEW.\"description\", '')), 'C'))"
        f" || setweight(to_tsvector('english'::regconfig, COALESCE({body}, '')), 'D'))"
    )


BOUNDED = _document('LEFT(NEW."body", 100000)')
WHOLE = _document('NEW."body"')


def _install(schema_editor, document):
    schema_editor.execute(
        f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$ BEGIN "
        f"NEW.search_document := {document}; RETURN NEW; END $$ LANGUAGE plpgsql"
    )
    # The long bodies' documents, computed again by the function (over the row itself).
    row = document.replace("NEW.", "catalog_guide.")
    schema_editor.execute(
        f"UPDATE catalog_guide SET search_document = {row} WHERE length(body) > 100000"
    )


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _install(schema_editor, BOUNDED)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _install(schema_editor, WHOLE)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0032_sitemap_blocks")]
    operations = [migrations.RunPython(forwards, backwards)]
