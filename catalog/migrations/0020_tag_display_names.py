"""Each tag is shown by one name: its most used spelling among the guides' labels (ties: the
first in the guides' order). New tags get it at import (catalog.pipeline.importer); this brings the
tags of an existing database in line once. Names edited in the admin later are kept."""

from collections import Counter, defaultdict

from django.db import migrations


def forwards(apps, schema_editor):
    Tag = apps.get_model("taggit", "Tag")
    TaggedGuide = apps.get_model("catalog", "TaggedGuide")
    spellings = defaultdict(Counter)
    rows = TaggedGuide.objects.exclude(label="").order_by("content_object_id", "position")
    for tag_id, label in rows.values_list("tag_id", "label"):
        spellings[tag_id][label] += 1
    for tag in Tag.objects.filter(pk__in=list(spellings)):
        name = spellings[tag.pk].most_common(1)[0][0]
        if name != tag.name and name.casefold() == tag.name.casefold():
            tag.name = name
            tag.save(update_fields=["name"])


class Migration(migrations.Migration):
    dependencies = [("catalog", "0019_scheduled_publishing")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
