"""The search-document trigger keeps a document the writer supplies, when it says so.

An import computes the documents of the guides it creates on a second connection, in
parallel with writing the rows (catalog.pipeline.importer), and sets ``catalog.search_documents_given``
for its own transaction while it writes them; every other write (the admin, a shell, an
update that sends the row's old document back) leaves the setting off, and the trigger
computes the document as before.
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
COMPUTES_DOCUMENT = (
    "NEW.search_document IS NULL OR current_setting('catalog.search_documents_given', true)"
    " IS DISTINCT FROM 'on'"
)


def _function(schema_editor, body):
    schema_editor.execute(
        f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$ BEGIN {body} "
        "RETURN NEW; END $$ LANGUAGE plpgsql"
    )


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    _function(
        schema_editor, f"IF {COMPUTES_DOCUMENT} THEN NEW.search_document := {DOCUMENT}; END IF;"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    _function(schema_editor, f"NEW.search_document := {DOCUMENT};")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0020_tag_display_names")]
    operations = [migrations.RunPython(forwards, backwards)]
