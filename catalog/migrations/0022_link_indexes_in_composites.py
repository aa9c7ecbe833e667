"""Drop the single-column indexes of the link tables' keys.

Each was the leading column of a composite index already (unique_guide_tag, tag_listing,
unique_guide_category, category_listing), so no query needs them; but every link row written
by an import, and again by each rank refresh (a rank change is not a HOT update), wrote an
entry in each of them.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0021_search_documents_given'),
        ('taggit', '0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx'),
    ]

    operations = [
        migrations.AlterField(
            model_name='guidecategory',
            name='category',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='guide_links', to='catalog.category'),
        ),
        migrations.AlterField(
            model_name='guidecategory',
            name='guide',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='category_links', to='catalog.guide'),
        ),
        migrations.AlterField(
            model_name='taggedguide',
            name='content_object',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='tagged_items', to='catalog.guide'),
        ),
        migrations.AlterField(
            model_name='taggedguide',
            name='tag',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='%(app_label)s_%(class)s_items', to='taggit.tag'),
        ),
    ]
