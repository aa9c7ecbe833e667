"""Revisions hold the file form's own field names (catalog.write.changes.revision_of): the
frontmatter's ``createdAt`` becomes ``created``, as in the sync base."""

from django.db import migrations


def forwards(apps, schema_editor):
    GuideRevision = apps.get_model("catalog", "GuideRevision")
    for revision in GuideRevision.objects.filter(frontmatter__has_key="createdAt").iterator():
        data = dict(revision.frontmatter)
        data["created"] = data.pop("createdAt")
        GuideRevision.objects.filter(pk=revision.pk).update(frontmatter=data)


def backwards(apps, schema_editor):
    GuideRevision = apps.get_model("catalog", "GuideRevision")
    for revision in GuideRevision.objects.filter(frontmatter__has_key="created").iterator():
        data = dict(revision.frontmatter)
        data["createdAt"] = data.pop("created")
        GuideRevision.objects.filter(pk=revision.pk).update(frontmatter=data)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0013_sync_permission")]
    operations = [migrations.RunPython(forwards, backwards)]
