"""The search-document trigger keeps a document the writer supplies, when it says so.

An import computes the documents of the guides it creates on a second connection, in
parallel with writing the rows (catalog.pipeline.importer), and sets ``catalog.search_documents_given``
for its own transaction while it writes them; every other write (the admin, a shell, an
update that sends the row's old document back) leaves the setting off, and the trigger
computes the document as before. The expression still comes from ``catalog.search``.
"""

from django.db import migrations

FUNCTION = "catalog_guide_search_document"


def _function(schema_editor, body):
    schema_editor.execute(
        f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$ BEGIN {body} "
        "RETURN NEW; END $$ LANGUAGE plpgsql"
    )


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from catalog.search import COMPUTES_DOCUMENT, trigger_expression

    expression = trigger_expression(schema_editor.connection)
    _function(
        schema_editor, f"IF {COMPUTES_DOCUMENT} THEN NEW.search_document := {expression}; END IF;"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from catalog.search import trigger_expression

    _function(schema_editor, f"NEW.search_document := {trigger_expression(schema_editor.connection)};")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0020_tag_display_names")]
    operations = [migrations.RunPython(forwards, backwards)]
