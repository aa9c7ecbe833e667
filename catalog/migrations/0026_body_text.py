"""Store the plain text of each rendered body beside its HTML (search excerpts).

Search pages quoted each result's text by parsing its stored HTML again on every request
(~0.3 ms a guide, on every result shown). Records whose stored HTML is current get their
text here; the others get it when they are next rendered (a save or ``render_guides``).
"""

from django.db import migrations, models

BATCH = 500


def fill(apps, schema_editor):
    from catalog.fileformat.rendering import RENDERER_VERSION, plain_text

    for name in ("Category", "Guide"):
        model = apps.get_model("catalog", name)
        rows = model.objects.filter(rendered_with=RENDERER_VERSION).order_by("pk")
        pks = list(rows.values_list("pk", flat=True))
        for start in range(0, len(pks), BATCH):
            batch = list(rows.filter(pk__in=pks[start : start + BATCH]).only("body_html"))
            for record in batch:
                record.body_text = plain_text(record.body_html)
            model.objects.bulk_update(batch, ["body_text"])


class Migration(migrations.Migration):
    dependencies = [("catalog", "0025_search_document_inline")]

    operations = [
        migrations.AddField(
            model_name="category",
            name="body_text",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name="guide",
            name="body_text",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
