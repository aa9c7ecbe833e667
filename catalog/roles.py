"""The Editors group: what editors may do, defined once for the migration and commands."""

EDITORS = "Editors"
EDITOR_PERMISSIONS = {
    ("catalog", "guide"): ["add", "change", "view"],
    ("catalog", "category"): ["add", "change", "view"],
    ("catalog", "guidecategory"): ["add", "change", "delete", "view"],
    ("catalog", "taggedguide"): ["add", "change", "delete", "view"],
    ("catalog", "guiderevision"): ["view"],
    ("taggit", "tag"): ["add", "change", "view"],
}
EXTRA_PERMISSIONS = [("catalog", "upload_image")]


def ensure_editors_group(group_model=None, permission_model=None):
    """Create the Editors group, or put back its permissions; return it.

    Pass the historical models from a migration; elsewhere the current ones are used.
    """
    if group_model is None:
        from django.contrib.auth.models import Group as group_model
        from django.contrib.auth.models import Permission as permission_model
    wanted = [
        (app, f"{action}_{model}")
        for (app, model), actions in EDITOR_PERMISSIONS.items()
        for action in actions
    ] + EXTRA_PERMISSIONS
    permissions = [
        permission_model.objects.get(content_type__app_label=app, codename=codename)
        for app, codename in wanted
    ]
    group, _ = group_model.objects.get_or_create(name=EDITORS)
    group.permissions.set(permissions)
    return group
