"""Revisions: every version of every guide, searchable, each shown as its file."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from catalog.admin.lists import RowCheckboxes, SearchCountCap
from catalog.infra.lazy import lazy_module
from catalog.models import (
    GuideRevision,
)

# The search modules load with the first revision search.
search = lazy_module("catalog.search")


@admin.register(GuideRevision)
class GuideRevisionAdmin(RowCheckboxes, SearchCountCap, admin.ModelAdmin):
    list_display = ["guide", "created_at", "author", "source", "title", "view_link"]
    list_filter = ["source"]
    search_fields = ["guide__slug", "title"]  # catalog.search.revision_matches decides how
    list_select_related = ["guide", "author"]
    show_full_result_count = False  # a count of every revision on each page

    def get_queryset(self, request):
        """A page lists a hundred revisions: their texts, and their guides' but for what the
        list shows, stay in the database, so a page reads the same whatever the collection."""
        return (
            super()
            .get_queryset(request)
            .only(
                "source", "created_at", "title", "guide__slug", "guide__title", "author__username"
            )
        )

    def get_search_results(self, request, queryset, search_term):
        return search.revision_matches(queryset, search_term), False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def view_link(self, revision):
        url = reverse("admin:catalog_guide_revision", args=[revision.guide_id, revision.pk])
        return format_html('<a href="{}">compare</a>', url)
