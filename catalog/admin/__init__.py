"""The editors' admin: write drafts with a live preview, upload diagrams, publish, revise.

Tags are typed as a comma-separated list and never split at spaces ("Consistent Hashing" is
one tag), matched to existing tags case-insensitively, and kept in the order typed. Every
save stores a :class:`~catalog.models.GuideRevision`; a revision can be compared with the
current text and restored, which is itself a new revision.
"""

import datetime
import difflib
from dataclasses import replace as dataclass_replace

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from taggit import admin as taggit_admin
from taggit.forms import MergeTagsForm

from catalog import fileformat, search
from catalog.admin.security import ThrottledLoginForm
from catalog.fileformat.merge import side_by_side
from catalog.infra import roles
from catalog.infra.origin import absolute_url
from catalog.infra.uploads import DiagramField
from catalog.models import (
    Category,
    Guide,
    GuideCategory,
    GuideRevision,
    ReviewLink,
    SyncRun,
    Tag,
)
from catalog.repository import sync as contentsync
from catalog.site import review
from catalog.write import changes
from catalog.write.records import file_form, last_change

admin.site.login_form = ThrottledLoginForm
admin.site.site_header = "Guides administration"
admin.site.site_title = "Guides admin"


def form_fields_of(schema):
    """Which form field holds each file key (the schema's ``form_field``), and the slug and
    body, which every record has: where a problem with a key is shown."""
    fields = {key.key: key.form_field for key in schema.keys if key.form_field}
    return {"slug": "slug", **fields, "body": "body"}


def model_form_fields(schema, uploads=None):
    """The model fields a record's form edits, in the file's order (each key whose form field
    is its model field, with an upload beside the key it replaces, ``uploads``), the slug
    after the title it is made from, and the body last."""
    uploads = uploads or {}
    fields = []
    for key in schema.keys:
        if key.model_field and key.form_field == key.model_field:
            fields += [key.model_field, *([uploads[key.key]] if key.key in uploads else [])]
    fields.insert(fields.index("title") + 1, "slug")
    return [*fields, "body"]


class FileRulesForm(forms.ModelForm):
    """A form whose values are checked by the file format's own validator, and which never
    lets a stale copy win.

    A record the admin saves is one that ``export_guides`` writes and ``import_guides`` reads
    back without a problem: the rules live once, in catalog.fileformat, and each problem is
    shown on the form field that holds the key (``form_fields`` maps file keys to fields).

    The form carries the version of the record it was opened at (``loaded_version``, its
    ``updated_at``, which every save, publish, import and restore moves). Saving after someone
    or something else changed the record shows both versions side by side instead of saving:
    the editor keeps theirs ("Save mine anyway"), takes the other (reload), or edits a merge in
    the form, which now carries the newer version.
    """

    form_fields: dict[str, str] = {}
    kind = ""
    loaded_version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stale = None
        if self.instance.pk:
            self.fields["loaded_version"].initial = self.instance.updated_at.isoformat()
        if self.is_bound:
            self.data = self.data.copy()

    def file_values(self, cleaned):
        """The cleaned values as frontmatter keys."""
        return {key: cleaned[name] for key, name in self.form_fields.items() if name in cleaned}

    def clean(self):
        cleaned = super().clean()
        values = self.file_values(cleaned)
        values.pop("slug", None)
        body = values.pop("body", "")
        validate = (
            fileformat.validate_guide if self.kind == "guide" else fileformat.validate_category
        )
        yours, problems = validate(
            cleaned.get("slug") or self.instance.slug or "form",
            values,
            body,
            root=settings.GUIDES_DATA_DIR,
        )
        for problem in problems:
            name = self.form_fields.get(problem.field)
            if problem.severity == "error" and name not in self.errors:
                self.add_error(name if name in self.fields else None, problem.message)
        self._refuse_a_stale_copy(yours)
        return cleaned

    def _refuse_a_stale_copy(self, yours):
        if not self.instance.pk or "_overwrite" in self.data or "loaded_version" not in self.data:
            return  # a new record, an explicit overwrite, or a client that sends no version
        current = self.instance.updated_at.isoformat()
        if self.data["loaded_version"] == current:
            return
        theirs = file_form(self.instance)
        if yours is not None:  # the form does not hold these: compare what it does hold
            yours = dataclass_replace(
                yours,
                extra=theirs.extra,
                **({"categories": theirs.categories} if self.kind == "guide" else {}),
            )
        self.stale = {
            "who": last_change(self.instance),
            "rows": side_by_side(theirs, yours),
        }
        self.data["loaded_version"] = current  # saving again is a merge the editor made
        self.add_error(
            None,
            forms.ValidationError(
                "Someone else changed this since you opened it: nothing was saved. "
                "Compare the two versions below.",
                code="stale",
            ),
        )


class GuideForm(FileRulesForm):
    diagram = DiagramField(required=False, help_text=Guide._meta.get_field("diagram").help_text)
    tag_labels = forms.CharField(
        label="Tags",
        required=False,
        help_text="Separate tags with commas. A tag may contain spaces: "
        "“Consistent Hashing” is one tag.",
        widget=forms.TextInput(attrs={"class": "vTextField tag-input", "autocomplete": "off"}),
    )

    kind = "guide"
    form_fields = form_fields_of(fileformat.GUIDE)

    class Meta:
        model = Guide
        fields = model_form_fields(fileformat.GUIDE, uploads={"image": "diagram"})
        widgets = {"description": forms.Textarea(attrs={"rows": 3, "class": "counted"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["tag_labels"].initial = ", ".join(
                item.spelling for item in self.instance.tagged_items.all()
            )
        self.fields["body"].strip = False
        publish_at = self.fields["publish_at"].widget
        for part, label in zip(getattr(publish_at, "widgets", ()), ("date", "time"), strict=False):
            part.attrs["aria-label"] = f"Publish at: {label} (UTC)"
        self.fields["tag_labels"].widget.attrs["data-suggest-url"] = reverse(
            "admin:catalog_guide_tag_suggestions"
        )

    def clean_body(self):
        """The body as typed, with the line endings of the files (browsers send CRLF)."""
        return self.cleaned_data["body"].replace("\r\n", "\n").replace("\r", "\n")

    def clean_description(self):
        return self.cleaned_data["description"].replace("\r\n", "\n").replace("\r", "\n")

    def clean_tag_labels(self):
        return fileformat.split_tag_text(self.cleaned_data["tag_labels"])

    def file_values(self, cleaned):
        values = super().file_values(cleaned)
        if cleaned.get("diagram"):
            values.pop("image", None)  # an upload replaces the image URL
        return values


class CategoryForm(FileRulesForm):
    kind = "category"
    form_fields = form_fields_of(fileformat.CATEGORY)

    class Meta:
        model = Category
        fields = model_form_fields(fileformat.CATEGORY)

    def clean_body(self):
        return self.cleaned_data["body"].replace("\r\n", "\n").replace("\r", "\n")


class TagForm(forms.ModelForm):
    class Meta:
        model = Tag
        fields = ["name", "slug"]

    def clean_name(self):
        problem = fileformat.tag_problem(self.cleaned_data["name"])
        if problem:
            raise forms.ValidationError(problem)
        return self.cleaned_data["name"]


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
    title = "tag"
    parameter_name = "tag"

    def lookups(self, request, model_admin):
        return list(Tag.objects.order_by("name").values_list("slug", "name"))

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(tagged_items__tag__slug=self.value())
        return queryset


class CreatedYearFilter(admin.SimpleListFilter):
    title = "created year"
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = Guide.objects.dates("created_on", "year", order="DESC")
        return [(str(d.year), str(d.year)) for d in years]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(created_on__year=int(self.value()))
        return queryset


@admin.register(Guide)
class GuideAdmin(admin.ModelAdmin):
    form = GuideForm
    inlines = [GuideCategoryInline]
    list_display = ["title", "category_list", "tag_list", "state", "created_on", "updated_at"]
    list_filter = [StateFilter, "category_links__category", TagFilter, CreatedYearFilter]
    # What the search box looks in; catalog.search.editor_matches decides how.
    search_fields = ["title", "slug", "description", "body", "tagged_items__tag__name"]
    search_help_text = (
        "Guides with every word: in the title (part of a word will do), at the start of the "
        "slug, or anywhere in the guide as the site's search finds it."
    )
    date_hierarchy = "created_on"
    ordering = ["-updated_at"]
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
        changes.delete_many(queryset)

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
        known = str(object_id).isdigit()
        extra_context = {
            **(extra_context or {}),
            "revisions": GuideRevision.objects.filter(guide_id=object_id).select_related("author")[
                :50
            ]
            if known
            else [],
            "review_links": ReviewLink.objects.filter(guide_id=object_id).select_related(
                "created_by"
            )[:20]
            if known
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
                self.admin_site.admin_view(self.content_sync_view),
                name="catalog_content_sync",
            ),
            path(
                "content-sync/runs/<int:run_id>/",
                self.admin_site.admin_view(self.sync_run_view),
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

    def content_sync_view(self, request):
        """What is not in step between the files and the database, deciding conflicts, and
        "Sync now" (catalog.repository.sync)."""
        if not roles.may(request.user, roles.SYNC):
            raise PermissionDenied
        try:
            data_dir = contentsync.content_data_dir()
        except contentsync.SyncError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            data_dir = None
        if request.method == "POST" and data_dir is not None:
            if "sync" in request.POST:
                if not settings.GUIDES_CONTENT_REPO:
                    self.message_user(
                        request,
                        "GUIDES_CONTENT_REPO is not set: there is no clone to sync.",
                        messages.ERROR,
                    )
                    return HttpResponseRedirect(request.path)
                contentsync.start_run(request.user)
                return HttpResponseRedirect(request.path)
            else:
                kind, slug, side = (request.POST.get(k, "") for k in ("kind", "slug", "side"))
                if kind in ("guides", "categories") and side in ("files", "database"):
                    try:
                        contentsync.decide(kind, slug, side, data_dir)
                    except contentsync.UnknownRecord as exc:
                        raise Http404(str(exc)) from None
                    except fileformat.ContentError as exc:
                        problems = "; ".join(str(p) for p in exc.problems)
                        self.message_user(request, problems, messages.ERROR)
                        return HttpResponseRedirect(request.path)
                    taken = "the file's" if side == "files" else "the database's"
                    self.message_user(
                        request,
                        f"{slug}: {taken} version will be taken at the next sync; the other "
                        "is kept as a revision.",
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(request.path)
        run = SyncRun.objects.select_related("started_by").first()
        statuses, errors = contentsync.sync_status(data_dir) if data_dir else ([], [])
        return TemplateResponse(
            request,
            "admin/catalog/content_sync.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": "Content sync",
                "data_dir": data_dir,
                "repo": settings.GUIDES_CONTENT_REPO,
                "statuses": statuses,
                "errors": errors,
                "run": contentsync.run_state(run) if run else None,
            },
        )

    def sync_run_view(self, request, run_id):
        """A "Sync now" run's progress and result, for the page's poll."""
        if not roles.may(request.user, roles.SYNC):
            raise PermissionDenied
        run = get_object_or_404(SyncRun.objects.select_related("started_by"), pk=run_id)
        return JsonResponse(contentsync.run_state(run), headers={"Cache-Control": "no-store"})

    def review_links_view(self, request, guide_id):
        """Make or revoke a guide's review link (catalog.site.review); POST only."""
        guide = get_object_or_404(Guide, pk=guide_id)
        if request.method != "POST" or not self.has_change_permission(request, guide):
            raise PermissionDenied
        if "create" in request.POST:
            link, path = review.create_link(guide, request.user)
            self.message_user(
                request,
                f"Review link, working until {link.expires_at:%Y-%m-%d %H:%M} UTC (copy it now: "
                f"it is not shown again): {absolute_url(path)}",
                messages.SUCCESS,
            )
        elif request.POST.get("revoke", "").isdigit():
            link = get_object_or_404(ReviewLink, pk=request.POST["revoke"], guide=guide)
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


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    form = CategoryForm
    change_form_template = "admin/catalog/category/change_form.html"

    class Media:
        css = {"all": ["css/admin-guide.css"]}

    list_display = ["title", "slug", "sort", "published_guides", "draft_guides"]
    list_editable = ["sort"]
    list_display_links = ["title"]
    ordering = ["sort", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    search_fields = ["title", "slug", "description"]

    def save_model(self, request, obj, form, change):
        changes.save_category(obj)

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


@admin.register(GuideRevision)
class GuideRevisionAdmin(admin.ModelAdmin):
    list_display = ["guide", "created_at", "author", "source", "title", "view_link"]
    list_filter = ["source"]
    search_fields = ["guide__slug", "title"]  # catalog.search.revision_matches decides how
    list_select_related = ["guide", "author"]

    def get_queryset(self, request):
        """A page lists a hundred revisions: their texts, and their guides' but for what the
        list shows, stay in the database (a page at 20,000 guides read ~4 MB)."""
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


admin.site.unregister(Tag)


@admin.register(Tag)
class TagAdmin(taggit_admin.TagAdmin):
    """taggit's tag admin, with names checked by the file format's tag rule."""

    form = TagForm

    def delete_queryset(self, request, queryset):
        changes.delete_many(queryset)

    def merge_tags_view(self, request):
        """taggit's "Merge selected tags", moving every guide, label and search text to the
        kept tag (catalog.write.changes.merge_tags); taggit's own moves only its generic items."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        ids = [i for i in request.session.get("selected_tag_ids", "").split(",") if i.isdigit()]
        tags = list(
            Tag.objects.filter(pk__in=ids)
            .annotate(guides=Count("catalog_taggedguide_items"))
            .order_by("-guides", "name")
        )
        if not tags:
            self.message_user(request, "Select the tags to merge first.", messages.WARNING)
            return HttpResponseRedirect(reverse("admin:taggit_tag_changelist"))
        form = MergeTagsForm(request.POST or None, initial={"new_tag_name": tags[0].name})
        if request.method == "POST" and form.is_valid():
            name = " ".join(form.cleaned_data["new_tag_name"].split())
            problem = fileformat.tag_problem(name)
            if problem:
                form.add_error("new_tag_name", problem)
            else:
                kept, count = changes.merge_tags(tags, name, author=request.user)
                request.session.pop("selected_tag_ids", None)
                self.message_user(
                    request,
                    f"Merged {len(tags)} tags into “{kept.name}”: "
                    f"{count} guide{'s' if count != 1 else ''} changed.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:taggit_tag_changelist"))
        return TemplateResponse(
            request,
            "admin/catalog/merge_tags.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": "Merge tags",
                "tags": tags,
                "form": form,
            },
        )
