"""Deleted records: every guide and category deleted in the admin or by a sync, as its file
read, restorable in one click."""

from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join

from catalog.admin.lists import RowCheckboxes
from catalog.fileformat import CategoryFile, GuideFile, from_data, serialise
from catalog.models import Deletion
from catalog.write import changes


@admin.register(Deletion)
class DeletionAdmin(RowCheckboxes, admin.ModelAdmin):
    list_display = ["title", "slug", "kind", "source", "deleted_by", "deleted_at", "state"]
    list_filter = ["kind", "source"]
    search_fields = ["slug", "title"]
    list_select_related = ["deleted_by"]
    actions = ["restore"]
    fields = ["kind", "slug", "source", "deleted_by", "deleted_at", "state", "file", "lost"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="files")
    def state(self, deletion):
        if deletion.pending:
            return "its file is removed at the next sync"
        return "—"

    @admin.display(description="as its file read")
    def file(self, deletion):
        kind = GuideFile if deletion.kind == "guides" else CategoryFile
        text = serialise(from_data(kind, deletion.data))
        return format_html("<pre>{}</pre>", text)

    @admin.display(description="versions that had lost a conflict")
    def lost(self, deletion):
        kind = GuideFile if deletion.kind == "guides" else CategoryFile
        texts = [serialise(from_data(kind, data)) for data in deletion.lost_versions]
        return format_html_join("", "<pre>{}</pre>", ((text,) for text in texts)) or "—"

    @admin.action(description="Restore selected records", permissions=["restore"])
    def restore(self, request, queryset):
        restored = []
        for deletion in queryset.order_by("deleted_at"):
            try:
                changes.restore_deletion(deletion, author=request.user)
            except ValueError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                restored.append(deletion.slug)
        if restored:
            self.message_user(
                request,
                f"Restored {', '.join(restored)}; the next sync writes their files again.",
                messages.SUCCESS,
            )

    def has_restore_permission(self, request):
        return request.user.has_perm("catalog.add_guide") and request.user.has_perm(
            "catalog.add_category"
        )
