"""The guide admin: write drafts with a live preview, upload diagrams, publish, schedule,
make review links, compare and restore revisions. Every save stores a revision."""

import datetime
import difflib
import functools

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import F, Min
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from catalog.admin import content_sync
from catalog.admin.forms import GuideForm, MergingAdmin, whole_number
from catalog.admin.lists import RowCheckboxes, SearchCountCap
from catalog.infra.lazy import lazy_module
from catalog.infra.origin import absolute_url
from catalog.models import (
    Guide,
    GuideCategory,
    GuideRevision,
    ReviewLink,
    Tag,
)
from catalog.site import review
from catalog.write import changes

# The search modules (and their index) load with the first admin search.
search = lazy_module("catalog.search")


class _LabelledRowsFormSet(forms.BaseInlineFormSet):
    """A tabular inline's fields named for screen readers: its column headings are not
    labels of the fields in each row."""

    labels = {"category": "Category", "position": "Position", "DELETE": "Remove this category"}

    def add_fields(self, form, index):
        super().add_fields(form, index)
        row = "new row" if index is None else f"row {index + 1}"
        for name, label in self.labels.items():
            if name in form.fields:
                widget = form.fields[name].widget
                widget = getattr(widget, "widget", widget)  # inside the admin's "+" wrapper
                widget.attrs["aria-label"] = f"{label} ({row})"


def owned_deletions(deleted_objects):
    """The admin's list of what a deletion takes, with no permission asked for what goes
    with a record (catalog.write.changes.OWNED_BY_RECORDS)."""
    from django.apps import apps

    deleted, counts, perms_needed, protected = deleted_objects
    owned = {
        str(apps.get_model("catalog", name)._meta.verbose_name) for name in changes.OWNED_BY_RECORDS
    }
    return deleted, counts, set(perms_needed) - owned, protected


class GuideCategoryInline(admin.TabularInline):
    model = GuideCategory
    formset = _LabelledRowsFormSet
    fields = ["category", "position"]
    extra = 1
    ordering = ["position"]
    verbose_name = "category"
    verbose_name_plural = "categories (in order: the first is the guide's home category)"


class StateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("draft", "Draft"), ("published", "Published")]

    def queryset(self, request, queryset):
        if self.value() == "published":
            return queryset.published()
        if self.value() == "draft":
            return queryset.drafts()
        return queryset


class TagFilter(admin.SimpleListFilter):
    """The most used tags (and the one chosen); the search box finds a guide by any tag."""

    title = "tag (most used; search finds any)"
    parameter_name = "tag"
    SHOWN = 15

    def lookups(self, request, model_admin):
        most_used = F("stats__published_guides").desc(nulls_last=True)  # drafts' tags: none
        tags = Tag.objects.order_by(most_used, "name")[: self.SHOWN]
        shown = list(tags.values_list("slug", "name"))
        chosen = self.value()
        if chosen and chosen not in {slug for slug, _ in shown}:
            shown += Tag.objects.filter(slug=chosen).values_list("slug", "name")
        return shown

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(tagged_items__tag__slug=self.value())
        return queryset


class CreatedYearFilter(admin.SimpleListFilter):
    title = "created year"
    parameter_name = "year"

    def lookups(self, request, model_admin):
        """The years that have guides, newest first: from each year's first guide to the
        next year's, one probe of the created-date index a year (``DISTINCT`` would read every
        guide's date, a cost that grows with the collection)."""
        years, first = [], Guide.objects.aggregate(first=Min("created_on"))["first"]
        while first is not None:
            years.append(first.year)
            following = Guide.objects.filter(created_on__gte=datetime.date(first.year + 1, 1, 1))
            first = following.aggregate(first=Min("created_on"))["first"]
        return [(str(year), str(year)) for year in reversed(years)]

    def queryset(self, request, queryset):
        """Guides of the year given; none for a value that is not a year a date can have
        (``?year=99999999999999999999`` made the year's bounds fail with a server error)."""
        if not self.value():
            return queryset
        year = whole_number(self.value(), datetime.MINYEAR, datetime.MAXYEAR)
        return queryset.none() if year is None else queryset.filter(created_on__year=year)


@admin.register(Guide)
class GuideAdmin(RowCheckboxes, SearchCountCap, MergingAdmin, admin.ModelAdmin):
    form = GuideForm
    inlines = [GuideCategoryInline]
    # Fits beside the navigation and the filters at 1280 px: the created date is in the year
    # filter, the last change shown as a date.
    list_display = ["thumbnail", "title", "category_list", "tag_list", "state", "updated"]
    list_display_links = ["title"]  # the picture is decoration; the title is the link
    list_filter = [StateFilter, "category_links__category", TagFilter, CreatedYearFilter]
    # What the search box looks in; catalog.search.editor_matches decides how.
    search_fields = ["title", "slug", "description", "body", "tagged_items__tag__name"]
    search_help_text = (
        "Guides with every word: in the title (part of a word will do), at the start of the "
        "slug, or anywhere in the guide as the site's search finds it."
    )
    ordering = ["-updated_at"]
    # The list says how many guides match, not also how many there are: a second count of
    # every guide on each page.
    show_full_result_count = False
    prepopulated_fields = {"slug": ["title"]}
    actions = ["publish", "unpublish"]
    list_per_page = 50
    save_on_top = True
    change_form_template = "admin/catalog/guide/change_form.html"

    class Media:
        js = ["js/admin-guide.js"]
        css = {"all": ["css/prose.css", "css/highlight.css", "css/admin-guide.css"]}

    def get_queryset(self, request):
        return super().get_queryset(request).with_page()

    def get_search_results(self, request, queryset, search_term):
        return search.editor_matches(queryset, search_term), False

    def get_changeform_initial_data(self, request):
        return {
            "created_on": datetime.date.today(),
            "draft": True,
            **super().get_changeform_initial_data(request),
        }

    def delete_queryset(self, request, queryset):
        changes.delete_many(queryset, author=request.user)

    def delete_model(self, request, obj):
        changes.delete_many(Guide.objects.filter(pk=obj.pk), author=request.user)

    def get_deleted_objects(self, objs, request):
        return owned_deletions(super().get_deleted_objects(objs, request))

    @admin.display(description="diagram")
    def thumbnail(self, guide):
        image = guide.image_url
        if not image:
            return ""
        return format_html(
            '<img class="list-thumb" src="{}" alt="" width="48" loading="lazy" decoding="async">',
            image,
        )

    @admin.display(description="updated", ordering="updated_at")
    def updated(self, guide):
        return format_html(
            '<time datetime="{}" title="{}">{}</time>',
            guide.updated_at.isoformat(),
            f"{guide.updated_at:%Y-%m-%d %H:%M} UTC",
            f"{guide.updated_at:%Y-%m-%d}",
        )

    @admin.display(description="categories")
    def category_list(self, guide):
        return ", ".join(link.category.title for link in guide.category_links.all())

    @admin.display(description="tags")
    def tag_list(self, guide):
        return ", ".join(item.spelling for item in guide.tagged_items.all())

    @admin.display(description="state", ordering="draft")
    def state(self, guide):
        if guide.draft:
            return "Draft"
        if guide.publish_at and guide.publish_at > timezone.now():
            return f"Scheduled for {guide.publish_at:%Y-%m-%d %H:%M} UTC"
        return "Published"

    @admin.action(description="Publish selected guides", permissions=["change"])
    def publish(self, request, queryset):
        count = changes.publish_guides(queryset, author=request.user)
        self.message_user(
            request, f"Published {count} guide{'s' if count != 1 else ''}.", messages.SUCCESS
        )

    @admin.action(description="Unpublish selected guides (back to draft)", permissions=["change"])
    def unpublish(self, request, queryset):
        count = changes.publish_guides(queryset, False, author=request.user)
        self.message_user(
            request, f"Unpublished {count} guide{'s' if count != 1 else ''}.", messages.SUCCESS
        )

    def save_model(self, request, obj, form, change):
        """Nothing yet: the guide is saved with its categories and tags in save_related, as
        one content change (catalog.write.changes)."""

    def save_related(self, request, form, formsets, change):
        def save_categories():
            form.save_m2m()
            for formset in formsets:
                self.save_formset(request, form, formset, change=change)

        changes.save_guide(
            form.instance,
            tags=form.cleaned_data["tag_labels"],
            links=save_categories,
            author=request.user,
        )
        self.say_merged(request, form)
        self.say_link_problems(request, form.instance)

    def _redirect_to_page(self, request, obj, response):
        if "_preview" in request.POST:
            return HttpResponseRedirect(obj.get_absolute_url())
        return response

    def response_add(self, request, obj, post_url_continue=None):
        return self._redirect_to_page(
            request, obj, super().response_add(request, obj, post_url_continue)
        )

    def response_change(self, request, obj):
        return self._redirect_to_page(request, obj, super().response_change(request, obj))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        guide_id = whole_number(str(object_id))  # "1²" is no id: the admin says so
        extra_context = {
            **(extra_context or {}),
            "revisions": GuideRevision.objects.filter(guide_id=guide_id).select_related("author")[
                :50
            ]
            if guide_id
            else [],
            "review_links": ReviewLink.objects.filter(guide_id=guide_id).select_related(
                "created_by"
            )[:20]
            if guide_id
            else [],
            "review_link_days": settings.GUIDES_REVIEW_LINK_DAYS,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        own = [
            path(
                "tag-suggestions/",
                self.admin_site.admin_view(self.tag_suggestions),
                name="catalog_guide_tag_suggestions",
            ),
            path(
                "content-sync/",
                self.admin_site.admin_view(functools.partial(content_sync.page, self)),
                name="catalog_content_sync",
            ),
            path(
                "content-sync/runs/<int:run_id>/",
                self.admin_site.admin_view(content_sync.run_progress),
                name="catalog_sync_run",
            ),
            path(
                "<int:guide_id>/review-links/",
                self.admin_site.admin_view(self.review_links_view),
                name="catalog_guide_review_links",
            ),
            path(
                "<int:guide_id>/revisions/<int:revision_id>/",
                self.admin_site.admin_view(self.revision_view),
                name="catalog_guide_revision",
            ),
        ]
        return own + super().get_urls()

    def review_links_view(self, request, guide_id):
        """Make or revoke a guide's review link (catalog.site.review); POST only."""
        guide = get_object_or_404(Guide, pk=guide_id)
        if request.method != "POST" or not self.has_change_permission(request, guide):
            raise PermissionDenied
        if "create" in request.POST:
            link, path = review.create_link(guide, request.user)
            self.message_user(
                request,
                format_html(
                    "Review link, working until {} UTC (copy it now: it is not shown again): "
                    '<input class="review-url" readonly value="{}" aria-label="Review link" '
                    'size="60"> <button type="button" class="button copy-review-link">'
                    "Copy link</button>",
                    f"{link.expires_at:%Y-%m-%d %H:%M}",
                    absolute_url(path),
                ),
                messages.SUCCESS,
            )
        elif revoked := whole_number(request.POST.get("revoke")):
            link = get_object_or_404(ReviewLink, pk=revoked, guide=guide)
            review.revoke(link)
            self.message_user(request, "The review link was revoked.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:catalog_guide_change", args=[guide.pk]))

    def tag_suggestions(self, request):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        query = request.GET.get("q", "").strip().casefold()
        names = Tag.objects.order_by("name").values_list("name", flat=True)
        matches = [n for n in names if query in n.casefold()] if query else []
        return JsonResponse({"tags": matches[:20]})

    def revision_view(self, request, guide_id, revision_id):
        guide = get_object_or_404(Guide.objects.with_page(), pk=guide_id)
        revision = get_object_or_404(GuideRevision, pk=revision_id, guide=guide)
        if not self.has_change_permission(request, guide):
            raise PermissionDenied
        if request.method == "POST":
            restored = changes.restore_guide(guide, revision, author=request.user)
            self.message_user(
                request,
                f"Restored the revision of {revision.created_at:%Y-%m-%d %H:%M:%S}.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:catalog_guide_change", args=[restored.pk]))
        current = changes.snapshot(guide)
        diff = difflib.unified_diff(
            changes.revision_text(revision).splitlines(),
            changes.revision_text(current).splitlines(),
            fromfile=f"revision of {revision.created_at:%Y-%m-%d %H:%M:%S}",
            tofile="current",
            lineterm="",
        )
        return TemplateResponse(
            request,
            "admin/catalog/guide/revision.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "guide": guide,
                "revision": revision,
                "diff": list(diff),
                "title": f"Revision of “{guide.title}”",
            },
        )
