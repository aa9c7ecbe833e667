"""The admin's forms for guides, categories and tags, their fields and rules the schema's.

Tags are typed as a comma-separated list and never split at spaces ("Consistent Hashing" is
one tag), matched to existing tags case-insensitively, and kept in the order typed."""

from dataclasses import replace as dataclass_replace

from django import forms
from django.conf import settings
from django.urls import reverse

from catalog import fileformat
from catalog.fileformat.characters import normalise_newlines
from catalog.fileformat.merge import side_by_side
from catalog.infra.uploads import DiagramField
from catalog.models import (
    Category,
    Guide,
    Tag,
)
from catalog.write.records import file_form, last_change


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
        return normalise_newlines(self.cleaned_data["body"])

    def clean_description(self):
        return normalise_newlines(self.cleaned_data["description"])

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
        return normalise_newlines(self.cleaned_data["body"])


class TagForm(forms.ModelForm):
    class Meta:
        model = Tag
        fields = ["name", "slug"]

    def clean_name(self):
        problem = fileformat.tag_problem(self.cleaned_data["name"])
        if problem:
            raise forms.ValidationError(problem)
        return self.cleaned_data["name"]
