"""PostgreSQL keeps no planner statistics for the long text columns: bodies, their HTML and
plain text, the sync bases and a revision's frontmatter.

No query filters, joins or sorts on them (search reads the search document, which keeps its
statistics), yet ANALYZE and autovacuum read every sampled value of them in full: the guide
table's ANALYZE took 10.8 ms for 400 guides, 3.8 ms without them. An import that changes
much of the guides analyses their tables before it returns (catalog.pipeline.importer), so
this is part of every large import. SQL frozen here; elsewhere than PostgreSQL, nothing.
"""

from django.db import migrations

LONG_TEXT = {
    "catalog_guide": ("body", "body_html", "body_text", "synced_body", "synced"),
    "catalog_category": ("body", "body_html", "body_text", "synced_body", "synced"),
    "catalog_guiderevision": ("body", "frontmatter"),
}


def statistics_target(target):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for table, columns in LONG_TEXT.items():
            alters = ", ".join(f'ALTER COLUMN "{c}" SET STATISTICS {target}' for c in columns)
            schema_editor.execute(f'ALTER TABLE "{table}" {alters}')

    return run


class Migration(migrations.Migration):
    dependencies = [("catalog", "0029_sync_runs_queued")]

    operations = [migrations.RunPython(statistics_target(0), statistics_target(-1))]
