"""The admin's forms for guides, categories and tags, their fields and rules the schema's.

Tags are typed as a comma-separated list and never split at spaces ("Consistent Hashing" is
one tag), matched to existing tags case-insensitively, and kept in the order typed."""

import json
from dataclasses import replace as dataclass_replace

from django import forms
from django.conf import settings
from django.contrib import messages
from django.urls import reverse

from catalog import fileformat
from catalog.fileformat import from_data, to_data
from catalog.fileformat.characters import normalise_newlines
from catalog.fileformat.merge import merge, side_by_side
from catalog.fileformat.rules import INT64_MAX
from catalog.infra.uploads import DiagramField
from catalog.models import (
    Category,
    Guide,
    Tag,
)
from catalog.pipeline.links import stored_body_problems
from catalog.write.records import file_form, last_author, last_change


def whole_number(text, low=1, high=INT64_MAX):
    """``text`` (a query or form value) as a whole number from ``low`` to ``high``, or None.

    ASCII digits only: ``str.isdigit`` also takes "²" (which ``int`` refuses) and "١" (which
    it reads as 1); and no more than a database column or a date can hold, so a lookup never
    fails on the value (``?year=99999999999999999999`` and an id of twenty digits answered
    500)."""
    if not (isinstance(text, str) and text.isascii() and text.isdigit() and len(text) <= 19):
        return None
    value = int(text)
    return value if low <= value <= high else None


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


class MergingAdmin:
    """A model admin whose form is a FileRulesForm: it tells the form who edits, and the
    editor when their save was merged with a change made since they opened the form."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.editor = request.user
        return form

    def say_merged(self, request, form):
        if getattr(form, "merged_with", None):
            self.message_user(
                request,
                f"Saved, merged with the change made since you opened it ({form.merged_with}): "
                "theirs to the fields you did not touch is kept.",
                messages.INFO,
            )

    def say_link_problems(self, request, record):
        """The links and images of the saved text that lead nowhere on the site as it is now
        (catalog.pipeline.links: the content repository's check, which would name them
        after the export), at their lines, as a warning: the save stands."""
        public = getattr(record, "is_published", True)  # a category's page always is
        problems = stored_body_problems(record.body, settings.GUIDES_BASE_URL, public=public)
        if not problems:
            return
        shown = "; ".join(f"line {p.line}: {p.message}" for p in problems[:MAX_LINK_PROBLEMS])
        more = len(problems) - MAX_LINK_PROBLEMS
        self.message_user(
            request,
            f"Saved, but the text has links or images that lead nowhere on the site: {shown}"
            + (f"; and {more} more" if more > 0 else "")
            + ".",
            messages.WARNING,
        )


# The most link problems a save's message names (the content check lists them all).
MAX_LINK_PROBLEMS = 5


class FileRulesForm(forms.ModelForm):
    """A form whose values are checked by the file format's own validator, and which merges
    a stale copy the way a sync merges a file (catalog.fileformat.merge).

    A record the admin saves is one that ``export_guides`` writes and ``import_guides`` reads
    back without a problem: the rules live once, in catalog.fileformat, and each problem is
    shown on the form field that holds the key (``form_fields`` maps file keys to fields).

    The form carries the version of the record it was opened at: ``loaded_version`` (its
    ``updated_at``, which every save, publish, import and restore moves) and ``loaded_copy``
    (its file form then). Saving after someone or something else changed the record merges
    the three field by field: the other change to a field this editor did not touch is
    kept, and only the same field changed on both sides asks the editor, showing the
    version both started from, the saved one and theirs. "Save mine anyway" then takes the
    editor's value of those fields only; editing the form (which now holds the merge) and
    saving again takes what it says.
    """

    form_fields: dict[str, str] = {}
    kind = ""
    editor = None  # the user editing (the admin sets it), to tell them apart from others
    loaded_version = forms.CharField(widget=forms.HiddenInput, required=False)
    loaded_copy = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stale = None
        self.merged_with = None
        if self.instance.pk:
            self.fields["loaded_version"].initial = self.instance.updated_at.isoformat()
            self.fields["loaded_copy"].initial = _copy_of(file_form(self.instance))
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
        self._merge_a_stale_copy(yours)
        return cleaned

    def _merge_a_stale_copy(self, yours):
        if not self.instance.pk or "loaded_version" not in self.data:
            return  # a new record, or a client that sends no version
        current = self.instance.updated_at.isoformat()
        if self.data["loaded_version"] == current or yours is None:
            return  # not stale, or invalid: the editor fixes that first
        theirs = file_form(self.instance)
        # The form does not hold these: the saved version's stand.
        mine = dataclass_replace(
            yours,
            slug=self.cleaned_data.get("slug") or theirs.slug,
            extra=theirs.extra,
            **({"categories": theirs.categories} if self.kind == "guide" else {}),
        )
        base = _from_copy(type(theirs), self.data.get("loaded_copy"))
        mine = self.as_loaded(mine, base or theirs)
        overwrite = "_overwrite" in self.data
        if base is None:  # a form from before loaded copies: the editor compares two
            if not overwrite:
                self._ask(theirs, mine, None, (), current)
            return
        taken, conflicts = merge(base, theirs, mine, prefer="theirs")
        if conflicts and not overwrite:
            self._ask(theirs, mine, base, conflicts, current, merged=taken)
            return
        self._take(taken, mine)
        if taken != mine:
            self.merged_with = last_change(self.instance)

    def as_loaded(self, mine, loaded):
        """``mine`` with what the form shows but does not edit as it was loaded."""
        return mine

    def _take(self, merged, mine):
        """Save ``merged`` where it differs from what the form says."""
        for attr, name in self._fields_of_attrs().items():
            value = getattr(merged, attr)
            if attr == "image" and getattr(self.instance, "diagram", None):
                continue  # a diagram stands for the image: the upload field decides
            if value != getattr(mine, attr) and name in self.cleaned_data:
                self.cleaned_data[name] = list(value) if name == "tag_labels" else value

    def _ask(self, theirs, mine, base, conflicts, current, merged=None):
        """Show the editor what differs, and give them the form holding the merge: their
        values where both changed a field, the saved version's changes elsewhere."""
        author = last_author(self.instance)
        same = author is not None and self.editor is not None and author.pk == self.editor.pk
        if base is None:
            rows, conflicts = [], ()
            two_way = side_by_side(theirs, mine)
        else:
            two_way = []
            rows = [
                (key, *(_shown(getattr(v, _attr_of(theirs, key))) for v in (base, theirs, mine)))
                for key in conflicts
            ]
            for attr, name in self._fields_of_attrs().items():
                if attr == "image" and getattr(self.instance, "diagram", None):
                    continue
                if getattr(merged, attr) != getattr(mine, attr):
                    self._put(name, getattr(merged, attr))
        when = f"{self.instance.updated_at:%Y-%m-%d %H:%M:%S} UTC"
        self.stale = {
            "who": f"you, in another tab or window, {when}" if same else last_change(self.instance),
            "same_editor": same,
            "rows": rows,
            "two_way": two_way,
        }
        self.data["loaded_version"] = current  # saving again takes what the form holds
        self.data["loaded_copy"] = _copy_of(theirs)
        fields = ", ".join(conflicts)
        self.add_error(
            None,
            forms.ValidationError(
                (
                    "You saved this in another tab or window since you opened it"
                    if same
                    else "Someone else changed this since you opened it"
                )
                + (f", and changed the same field ({fields})" if fields else "")
                + ": nothing was saved. Compare the versions below.",
                code="stale",
            ),
        )

    def _fields_of_attrs(self):
        """File-form attribute -> the form field that holds it."""
        schema = fileformat.GUIDE if self.kind == "guide" else fileformat.CATEGORY
        fields = {key.attr: key.form_field for key in schema.keys if key.form_field}
        return {"slug": "slug", **fields, "body": "body"}

    def _put(self, name, value):
        """Put a value into the bound data, as the field's widget would post it."""
        field = self.fields[name]
        key = self.add_prefix(name)
        if name == "tag_labels":
            self.data[key] = ", ".join(value)
            return
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            if value:
                self.data[key] = "on"
            else:
                self.data.pop(key, None)
            return
        if isinstance(widget, forms.MultiWidget):
            parts = widget.decompress(value)
            for n, (part, sub) in enumerate(zip(parts, widget.widgets, strict=True)):
                self.data[f"{key}_{n}"] = sub.format_value(part) or ""
            return
        self.data[key] = widget.format_value(value) or ""


def _copy_of(item):
    return json.dumps(to_data(item), default=str)


def _from_copy(kind, text):
    """The file form a ``loaded_copy`` holds, or None if it holds none (or nonsense)."""
    try:
        return from_data(kind, json.loads(text)) if text else None
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return None


def _attr_of(item, key):
    schema = item.schema
    return next((k.attr for k in schema.keys if k.key == key), key)


def _shown(value):
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value)
    if value is None or value == "":
        return "—"
    return str(value)


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

    def as_loaded(self, mine, loaded):
        """An uploaded diagram stands for the image: untouched, it is the image as loaded
        (whoever changed it since); a new upload is a change of the image by this editor."""
        if "diagram" not in self.changed_data and self.instance.diagram:
            return dataclass_replace(mine, image=loaded.image)
        if self.cleaned_data.get("diagram") and "diagram" in self.changed_data:
            return dataclass_replace(mine, image="(a new upload)")
        return mine


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
