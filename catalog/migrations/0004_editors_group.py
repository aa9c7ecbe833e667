"""The Editors group, and one tag per name whatever its case, enforced by the database."""

from django.db import migrations


def create_editors_group(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    from catalog.infra.roles import ensure_editors_group

    ensure_editors_group(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


def remove_editors_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Editors").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_admin_and_revisions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
    ]

    operations = [
        migrations.RunPython(create_editors_group, remove_editors_group),
        migrations.RunSQL(
            "CREATE UNIQUE INDEX catalog_tag_name_ci ON taggit_tag (LOWER(name))",
            "DROP INDEX catalog_tag_name_ci",
        ),
    ]
