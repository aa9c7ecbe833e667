"""Keep each guide's search document in its table row, moving the body out first.

Search ranks every match of a query (``ts_rank`` over the stored document). With the
default storage, a row too wide for a page's share moved the document out to the TOAST
table, so ranking fetched each match's document from there: at 20,000 guides, the 3,450
matches of "cache" took ~15 ms to rank, against ~5 ms with the document in the row. With
``STORAGE MAIN`` PostgreSQL moves the other wide columns (body, rendered HTML) out first and
the document only when the row cannot fit otherwise. Rows already stored are rewritten so
their documents move back in (the documents themselves are unchanged).
"""

from django.db import migrations

COLUMN = "ALTER TABLE catalog_guide ALTER COLUMN search_document SET STORAGE {}"
# A new datum (concatenating nothing), so the row is laid out again under the new storage;
# the text columns are untouched, so the update trigger does not recompute it.
REWRITE = (
    "UPDATE catalog_guide SET search_document = search_document || ''::tsvector "
    "WHERE search_document IS NOT NULL"
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(COLUMN.format("MAIN"))
        schema_editor.execute(REWRITE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(COLUMN.format("EXTENDED"))


class Migration(migrations.Migration):
    dependencies = [("catalog", "0024_search_document_trigger_when")]
    operations = [migrations.RunPython(forwards, backwards)]
