"""One field schema: a frontmatter key is one declaration, and every place that handles keys
(parsing, validation, serialising, sync data, merges, the record mapping, the admin form)
follows from it. A new key is shown here end to end but for its model field's migration."""

import dataclasses
import datetime as dt

from catalog.admin import form_fields_of, model_form_fields
from catalog.fileformat import GUIDE, GuideFile, Key, from_data, merge, serialise_guide, to_data
from catalog.fileformat.items import from_mapping
from catalog.fileformat.problems import FileReport
from catalog.fileformat.schema import Text
from catalog.write.records import GUIDE_FIELDS, record_values

SUMMARY = Key("summary", "summary", Text(max_chars=280), "summary", "summary")


def with_summary():
    """The guide schema with one more key declared, and its file form."""
    schema = dataclasses.replace(GUIDE, keys=(*GUIDE.keys[:2], SUMMARY, *GUIDE.keys[2:]))
    return schema, schema.file_class


def read(schema, data, body="Body.\n"):
    report = FileReport("guides/x.md")
    item = from_mapping(schema, "x", data, body, report)
    return item, report.problems


def test_a_new_key_is_read_checked_written_kept_and_merged_from_its_declaration():
    schema, file_class = with_summary()
    data = {"title": "X", "createdAt": "2024-01-02", "summary": "In short.", "other": 1}
    item, problems = read(schema, data)
    assert problems == [] and item.summary == "In short." and item.extra == (("other", 1),)
    text = serialise_guide(item)
    assert text.index('summary: "In short."') < text.index('image: ""')  # in declared order
    assert from_data(file_class, to_data(item)) == item
    _, problems = read(schema, {**data, "summary": "x" * 281})
    assert [(p.field, p.message) for p in problems] == [
        ("summary", "is 281 characters long; at most 280 are allowed")
    ]
    ours = dataclasses.replace(item, summary="Ours.")
    theirs = dataclasses.replace(item, summary="Theirs.")
    assert merge(item, ours, theirs) == (None, ["summary"])
    assert merge(item, ours, dataclasses.replace(item, title="Y"))[0].summary == "Ours."


def test_a_new_key_reaches_the_record_mapping_and_the_admin_form():
    schema, file_class = with_summary()
    item, _ = read(schema, {"title": "X", "createdAt": "2024-01-02", "summary": "In short."})
    assert record_values(item, ("title", "summary")) == {"title": "X", "summary": "In short."}
    assert form_fields_of(schema)["summary"] == "summary"
    assert model_form_fields(schema)[:4] == ["title", "slug", "description", "summary"]


def test_today_s_keys_are_the_schema_s():
    assert GUIDE.file_keys == (
        *("title", "description", "image", "createdAt", "draft", "publishAt"),
        *("categories", "tags"),
    )
    record_fields = ("title", "description", "image", "created_on", "draft", "publish_at")
    assert list(GUIDE_FIELDS) == [*record_fields, "body", "extra"]
    guide = GuideFile(slug="g", title="G", created=dt.date(2024, 1, 1))
    assert (guide.draft, guide.publish_at, guide.categories, guide.tags) == (False, None, (), ())
    assert "publishAt" not in serialise_guide(guide)  # a moment is written only when set
