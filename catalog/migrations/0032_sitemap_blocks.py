"""The published guides' count per block of keys (``SitemapBlock``), by which the guides'
sitemap is paged (catalog.write.listings), counted here for the guides already stored. The
rule for "published" is the models' (``GuideQuerySet.published``), frozen as of this
migration; the block size is ``SitemapBlock.SIZE`` as of this migration."""

from django.db import migrations, models
from django.db.models import Count, ExpressionWrapper, F, Q
from django.utils import timezone

SIZE = 500


def count(apps, schema_editor):
    Guide = apps.get_model("catalog", "Guide")
    SitemapBlock = apps.get_model("catalog", "SitemapBlock")
    published = Guide.objects.filter(
        Q(draft=False) & (Q(publish_at__isnull=True) | Q(publish_at__lte=timezone.now()))
    )
    block = ExpressionWrapper((F("pk") - 1) / SIZE, output_field=models.BigIntegerField())
    counts = (
        published.order_by()
        .annotate(block=block)
        .values("block")
        .annotate(n=Count("pk"))
        .values_list("block", "n")
    )
    SitemapBlock.objects.bulk_create(SitemapBlock(block=b, published_guides=n) for b, n in counts)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0031_revision_sources"),
    ]

    operations = [
        migrations.CreateModel(
            name="SitemapBlock",
            fields=[
                ("block", models.PositiveIntegerField(primary_key=True, serialize=False)),
                ("published_guides", models.PositiveIntegerField()),
            ],
        ),
        migrations.RunPython(count, migrations.RunPython.noop),
    ]
