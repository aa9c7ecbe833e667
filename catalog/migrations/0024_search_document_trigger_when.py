"""The insert trigger decides whether its function runs; the function just computes.

An import supplies new guides' documents (catalog.pipeline.importer.SearchDocuments, with
``catalog.search_documents_given`` on); calling the PL/pgSQL function for each of those rows
only to keep the document cost about a tenth of storing them. The condition migration 0021
put in the function (``catalog.search.COMPUTES_DOCUMENT``) moves to the insert trigger's WHEN
clause, and the function computes the document whenever it is called, as before 0021: the
update trigger calls it only when a document's text changed, and then the document follows.
"""

from django.db import migrations

TRIGGER = "catalog_guide_search_document_insert"
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


def _replace(schema_editor, *, body, when):
    """The function with ``body`` (before ``RETURN NEW``) and the insert trigger with ``when``."""
    schema_editor.execute(
        f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$ BEGIN {body} "
        "RETURN NEW; END $$ LANGUAGE plpgsql"
    )
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON catalog_guide")
    schema_editor.execute(
        f"CREATE TRIGGER {TRIGGER} BEFORE INSERT ON catalog_guide FOR EACH ROW {when}"
        f"EXECUTE FUNCTION {FUNCTION}()"
    )


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    compute = f"NEW.search_document := {DOCUMENT};"
    _replace(schema_editor, body=compute, when=f"WHEN ({COMPUTES_DOCUMENT}) ")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    compute = f"NEW.search_document := {DOCUMENT};"
    _replace(schema_editor, body=f"IF {COMPUTES_DOCUMENT} THEN {compute} END IF;", when="")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0023_sync_base_body_apart")]
    operations = [migrations.RunPython(forwards, backwards)]
