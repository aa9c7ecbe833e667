"""Keep a sync base's body apart from the rest of the base (``Content.synced_body``).

The body is most of a base and, for every record in step with its file, the record's own;
kept inside the JSON it was read back, and decoded, for every record by every import
(catalog.write.records). Existing bases move their body out here, and back on the way down.
"""

from django.db import migrations, models


def _rewrite(apps, move):
    for name in ("Category", "Guide"):
        model = apps.get_model("catalog", name)
        rows = model.objects.filter(synced__isnull=False).only("synced", "synced_body")
        changed = [row for row in rows.iterator(chunk_size=500) if move(row)]
        model.objects.bulk_update(changed, ["synced", "synced_body"], batch_size=500)


def body_apart(row):
    if "body" not in row.synced:
        return False
    row.synced_body = row.synced.pop("body")
    return True


def body_inside(row):
    row.synced = {**row.synced, "body": row.synced_body}
    return True


class Migration(migrations.Migration):
    dependencies = [("catalog", "0022_link_indexes_in_composites")]

    operations = [
        migrations.AddField(
            model_name="category",
            name="synced_body",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.AddField(
            model_name="guide",
            name="synced_body",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(
            lambda apps, editor: _rewrite(apps, body_apart),
            lambda apps, editor: _rewrite(apps, body_inside),
        ),
    ]
