"""The tag admin: taggit's, with the file format's tag rule, merging and near-duplicate
spellings."""

from collections import defaultdict

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from taggit import admin as taggit_admin
from taggit.forms import MergeTagsForm

from catalog import fileformat
from catalog.admin.forms import TagForm, whole_number
from catalog.admin.lists import RowCheckboxes
from catalog.models import (
    Tag,
)
from catalog.write import changes

admin.site.unregister(Tag)  # taggit's own, replaced by ours


def _counted(tags):
    """``tags`` with ``guides``, their number of guides, the most used first."""
    return tags.annotate(guides=Count("catalog_taggedguide_items")).order_by("-guides", "name")


def _families(tags):
    """``tags`` in families that look like one tag (``fileformat.tag_family``: case,
    separators, a plural ending): only those of two or more, each in the order given."""
    families = defaultdict(list)
    for tag in tags:
        families[fileformat.tag_family(tag.name)].append(tag)
    return [family for family in families.values() if len(family) > 1]


def near_duplicates():
    """The families of tags that look alike, the most used family first; each family's tags
    most used first, with ``guides``, their number of guides."""
    found = _families(_counted(Tag.objects.all()))
    return sorted(found, key=lambda family: (-sum(t.guides for t in family), family[0].name))


@admin.register(Tag)
class TagAdmin(RowCheckboxes, taggit_admin.TagAdmin):
    """taggit's tag admin, with names checked by the file format's tag rule."""

    form = TagForm

    def delete_queryset(self, request, queryset):
        changes.delete_many(queryset)

    def get_urls(self):
        view = self.admin_site.admin_view(self.near_duplicates_view)
        return [
            path("near-duplicates/", view, name="taggit_tag_near_duplicates"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        # How many families, from the names alone (no guide counted on every list page).
        families = len(_families(Tag.objects.only("name")))
        extra = {"near_duplicates": families, **(extra_context or {})}
        return super().changelist_view(request, extra)

    def near_duplicates_view(self, request):
        """Tags that look like one tag spelt several ways (the file format's rule, as the
        import warns of them), each family with a button that merges it."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        if request.method == "POST":  # "Merge these": the merge page, with the family chosen
            ids = [str(i) for i in map(whole_number, request.POST.getlist("tag")) if i]
            request.session["selected_tag_ids"] = ",".join(ids)
            return HttpResponseRedirect(reverse("admin:taggit_tag_merge_tags"))
        return self._page(
            request, "near_duplicate_tags", "Tags that look alike", families=near_duplicates()
        )

    def _page(self, request, template, title, **context):
        """One of the tag admin's own pages (templates/admin/catalog/<template>.html)."""
        return TemplateResponse(
            request,
            f"admin/catalog/{template}.html",
            {**self.admin_site.each_context(request), "opts": self.opts, "title": title, **context},
        )

    def merge_tags_view(self, request):
        """taggit's "Merge selected tags", moving every guide, label and search text to the
        kept tag (catalog.write.changes.merge_tags); taggit's own moves only its generic items."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        chosen = request.session.get("selected_tag_ids", "").split(",")
        ids = [i for i in map(whole_number, chosen) if i]
        tags = list(_counted(Tag.objects.filter(pk__in=ids)))
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
        return self._page(request, "merge_tags", "Merge tags", tags=tags, form=form)
