"""The Editors group: what editors may do, defined once for the migration and commands."""

EDITORS = "Editors"
EDITOR_PERMISSIONS = {
    # Deleting is safe to give: a deleted record is kept, restorable (catalog.models.Deletion).
    ("catalog", "guide"): ["add", "change", "delete", "view"],
    ("catalog", "category"): ["add", "change", "delete", "view"],
    ("catalog", "guidecategory"): ["add", "change", "delete", "view"],
    ("catalog", "taggedguide"): ["add", "change", "delete", "view"],
    ("catalog", "guiderevision"): ["view"],
    ("catalog", "deletion"): ["view"],
    ("taggit", "tag"): ["add", "change", "view"],
}
EXTRA_PERMISSIONS = [("catalog", "upload_image"), ("catalog", "sync_content")]


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
    # A permission a later migration adds does not exist yet when an earlier one runs this;
    # that migration runs it again.
    permissions = [
        permission
        for app, codename in wanted
        for permission in permission_model.objects.filter(
            content_type__app_label=app, codename=codename
        )
    ]
    group, _ = group_model.objects.get_or_create(name=EDITORS)
    group.permissions.set(permissions)
    return group


# Who may do what, decided here only: the public views, the page cache, the editor's
# endpoints and the admin (whose own checks are these same permissions) agree.
SEE_DRAFTS = "catalog.view_guide"
EDIT = "catalog.change_guide"
UPLOAD = "catalog.upload_image"
SYNC = "catalog.sync_content"


def may(user, permission):
    """Whether ``user`` is an active staff member holding ``permission``."""
    return bool(user.is_active and user.is_staff and user.has_perm(permission))


def may_see_drafts(user):
    """Drafts show (with a banner) to those who may view guides in the admin, and to no one
    else; their pages are never cached."""
    return may(user, SEE_DRAFTS)
