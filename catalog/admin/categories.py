"""The category admin."""

from django.contrib import admin
from django.db.models import Count

from catalog.admin.forms import CategoryForm, MergingAdmin
from catalog.admin.guides import owned_deletions
from catalog.admin.lists import RowCheckboxes
from catalog.models import (
    Category,
)
from catalog.write import changes


@admin.register(Category)
class CategoryAdmin(RowCheckboxes, MergingAdmin, admin.ModelAdmin):
    form = CategoryForm
    change_form_template = "admin/catalog/category/change_form.html"

    class Media:
        js = ["js/admin-guide.js"]
        css = {"all": ["css/prose.css", "css/highlight.css", "css/admin-guide.css"]}

    list_display = ["title", "slug", "sort", "published_guides", "draft_guides"]
    list_editable = ["sort"]
    list_display_links = ["title"]
    ordering = ["sort", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    search_fields = ["title", "slug", "description"]

    def save_model(self, request, obj, form, change):
        changes.save_category(obj)
        self.say_merged(request, form)
        self.say_link_problems(request, obj)

    def delete_queryset(self, request, queryset):
        changes.delete_many(queryset, author=request.user)

    def delete_model(self, request, obj):
        changes.delete_many(Category.objects.filter(pk=obj.pk), author=request.user)

    def get_deleted_objects(self, objs, request):
        return owned_deletions(super().get_deleted_objects(objs, request))

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .with_guide_counts()
            .annotate(all_guides=Count("guide_links", distinct=True))
        )

    @admin.display(description="published", ordering="guide_count")
    def published_guides(self, category):
        return category.guide_count

    @admin.display(description="drafts")
    def draft_guides(self, category):
        return category.all_guides - category.guide_count
