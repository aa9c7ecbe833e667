"""The insert trigger runs its function only for rows whose search document it computes.

An import supplies new guides' documents (catalog.importer.SearchDocuments, with
``catalog.search_documents_given`` on); calling the PL/pgSQL function for each of those rows
only to keep the document cost about a tenth of storing them. The condition is the one the
function itself checks (migration 0021), now in the trigger's WHEN clause.
"""

from django.db import migrations

TRIGGER = "catalog_guide_search_document_insert"
FUNCTION = "catalog_guide_search_document"


def _create(schema_editor, when):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON catalog_guide")
    schema_editor.execute(
        f"CREATE TRIGGER {TRIGGER} BEFORE INSERT ON catalog_guide FOR EACH ROW {when}"
        f"EXECUTE FUNCTION {FUNCTION}()"
    )


def forwards(apps, schema_editor):
    from catalog.search import DOCUMENTS_GIVEN

    _create(
        schema_editor,
        f"WHEN (NEW.search_document IS NULL OR current_setting('{DOCUMENTS_GIVEN}', true) "
        "IS DISTINCT FROM 'on') ",
    )


def backwards(apps, schema_editor):
    _create(schema_editor, "")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0023_sync_base_body_apart")]
    operations = [migrations.RunPython(forwards, backwards)]
