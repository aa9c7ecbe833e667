"""Reading and validating content files: every invalid case names its file, line and field."""

import datetime as dt
import os
import time

import pytest

from catalog.fileformat import ContentError, parse_category, parse_guide, read_folder
from catalog.fileformat.characters import MAX_HEAVY, heavy_count
from catalog.fileformat.items import validate_guide

VALID = b"""---
title: "T"
createdAt: "2024-03-15"
categories:
  - cat
---

Body.
"""


def problems_for(content, slug, text):
    content.category("cat")
    path = content.raw("guides", slug, text)
    folder = read_folder(content.root)
    assert slug not in folder.guides
    lines = [str(p) for p in folder.problems]
    assert lines, "expected a problem"
    assert all(line.startswith(f"{path}:") for line in lines), lines
    return lines


def test_a_valid_guide_reads_every_field(content):
    content.category("cat")
    content.guide(
        "g",
        title="Hello: world",
        created="2024-03-15",
        draft=True,
        tags=("System Design", "Books"),
        body="# Hi\n\ntext\n",
    )
    guide = read_folder(content.root).guides["g"]
    assert guide.title == "Hello: world"
    assert guide.created == dt.date(2024, 3, 15)
    assert guide.draft is True
    assert guide.categories == ("cat",)
    assert guide.tags == ("System Design", "Books")
    assert guide.body == "# Hi\n\ntext"


def test_unquoted_yaml_date_is_valid():
    guide = parse_guide("g", VALID.replace(b'"2024-03-15"', b"2024-03-15"))
    assert guide.created == dt.date(2024, 3, 15)


def test_bom_and_crlf_are_valid_and_body_is_kept_exactly():
    raw = b"\xef\xbb\xbf" + VALID.replace(b"\n", b"\r\n") + b"Line two.  \r\n"
    guide = parse_guide("g", raw)
    assert guide.title == "T"
    assert guide.body == "Body.\nLine two.  "


def test_body_without_blank_line_after_frontmatter():
    guide = parse_guide("g", b"---\ntitle: T\ncreatedAt: 2024-01-01\n---\n# Body\n\n\n")
    assert guide.body == "# Body\n\n"


def test_unknown_keys_are_kept_in_order():
    raw = VALID.replace(b"---\n\nBody", b"zeta: 1\nauthor: Ann\nwhen: 2024-01-02\n---\n\nBody")
    guide = parse_guide("g", raw)
    assert guide.extra == (("zeta", 1), ("author", "Ann"), ("when", "2024-01-02"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b"", ":1: file is empty"),
        (b"just markdown\n", ":1: no frontmatter"),
        (b"---\ntitle: T\ncreatedAt: 2024-01-01\n", ":1: frontmatter is not closed"),
        (b"---\n- a\n- b\n---\nbody", ":2: frontmatter must be a mapping"),
        (b"---\njust a string\n---\nbody", ":2: frontmatter must be a mapping"),
        (b"---\n---\nbody", ":1: frontmatter is empty"),
        (b"---\ntitle: T\ncreatedAt: 2024-01-01\ntags: [a, b\n---\nbody", ":4: invalid YAML"),
        (b"---\ntitle: 'T\n---\n", ": invalid YAML"),
        (
            b"---\ntitle: T\ncreatedAt: 2024-01-01\nx: !!python/object:os.system {}\n---\n",
            ":4: invalid YAML: could not determine a constructor",
        ),
    ],
)
def test_structural_problems_name_file_and_line(content, text, expected):
    lines = problems_for(content, "g", text)
    assert any(expected in line for line in lines), lines


@pytest.mark.parametrize(
    ("replace", "field_line"),
    [
        ((b'title: "T"', b'title: ""'), ":2: title: must not be empty"),
        ((b'title: "T"', b"title:"), ":2: title: must not be empty"),
        ((b'title: "T"\n', b""), ":1: title: is required"),
        ((b'title: "T"', b"title: 12"), ":2: title: must be text, got int 12"),
        ((b'createdAt: "2024-03-15"\n', b""), ":1: createdAt: is required"),
        ((b'"2024-03-15"', b'"15/03/2024"'), ":3: createdAt: must be a date written YYYY-MM-DD"),
        ((b'"2024-03-15"', b'"2024-02-30"'), ":3: createdAt: '2024-02-30' is not a real date"),
        ((b'"2024-03-15"', b"2024-02-30"), ":3: createdAt: '2024-02-30' is not a real date"),
        ((b'"2024-03-15"', b"2024-03-15 10:00:00"), ":3: createdAt: must be a date written"),
        ((b"categories:", b'draft: "yes"\ncategories:'), ":4: draft: must be true or false"),
        ((b"categories:\n  - cat", b"categories: cat"), ":4: categories: must be a list"),
        (
            (b"categories:\n  - cat", b"categories:\n  - cat\n  - cat"),
            ":4: categories: 'cat' is listed twice",
        ),
        (
            (b"categories:\n  - cat", b"categories:\n  - nope"),
            ":4: categories: names category 'nope', which has no file",
        ),
        ((b"categories:", b"tags: Networking\ncategories:"), ":4: tags: must be a list"),
        ((b"categories:", b"tags: [1, b]\ncategories:"), ":4: tags: every item must be"),
        ((b"categories:", b"tags: [A b, a B]\ncategories:"), ":4: tags: 'a B' is listed twice"),
        ((b'title: "T"', b"title: " + b"x" * 10_000), ":2: title: is 10,000 characters long"),
    ],
)
def test_field_problems_name_file_line_and_field(content, replace, field_line):
    lines = problems_for(content, "g", VALID.replace(*replace))
    assert any(field_line in line for line in lines), lines


def test_not_utf8_names_the_line(content):
    lines = problems_for(content, "g", VALID.replace(b"Body.", b"Caf\xe9"))
    assert any(":8: not valid UTF-8" in line for line in lines), lines


def test_too_large_file_is_refused(content):
    lines = problems_for(content, "g", VALID + b"x" * 1_100_000)
    assert any("the largest allowed is 1,000,000" in line for line in lines), lines


def test_alias_bomb_is_refused_fast(content):
    bomb = b'---\na: &a ["x","x","x","x","x","x","x","x","x"]\n'
    for n in range(1, 10):
        prev = chr(ord("a") + n - 1).encode()
        name = chr(ord("a") + n).encode()
        bomb += name + b": &" + name + b" [" + b",".join([b"*" + prev] * 9) + b"]\n"
    bomb += b"title: T\ncreatedAt: 2024-01-01\n---\n"
    started = time.perf_counter()
    lines = problems_for(content, "g", bomb)
    assert time.perf_counter() - started < 5
    assert any(":3: YAML aliases (*name) are not allowed" in line for line in lines), lines


@pytest.mark.parametrize("name", ["Upper", "with space", "dot.ted", "café", "-lead"])
def test_slugs_that_are_not_url_safe_are_refused(content, name):
    lines = problems_for(content, name, VALID)
    assert any(": slug: file name" in line for line in lines), lines


@pytest.mark.parametrize("name", ["two\nlines", "escape\x1b[2Kcode", "bell\x07"])
def test_a_file_name_with_control_characters_is_named_on_one_line(content, name):
    """A CI log keeps one problem a line, and no file name can move the cursor or erase a
    line in a contributor's terminal: its control characters are written as escapes."""
    content.category("cat")
    content.raw("guides", name, VALID)
    problems = read_folder(content.root).problems
    lines = [str(p) for p in problems]
    escaped = name.encode("unicode_escape").decode()
    assert lines and all(line.isprintable() for line in lines), lines
    assert any(f"/guides/{escaped}.md:1: slug: file name" in line for line in lines), lines


def test_real_world_slugs_with_apostrophe_and_plus_are_valid():
    assert parse_guide("how-do-c++-java-python-work", VALID).slug == "how-do-c++-java-python-work"
    assert parse_guide("reddit's-core-architecture", VALID).title == "T"


def test_guide_slug_equal_to_category_slug_is_refused(content):
    content.category("cat")
    content.category("shared")
    path = content.guide("shared")
    lines = [str(p) for p in read_folder(content.root).problems]
    assert lines == [
        f"{path}:1: slug: 'shared' is also the slug of a category "
        f"({content.root / 'categories' / 'shared.md'}); both would be /guides/shared"
    ]


def test_symlink_outside_the_data_folder_is_refused(content, tmp_path):
    outside = tmp_path / "secret.md"
    outside.write_bytes(VALID)
    content.category("cat")
    link = content.root / "guides" / "g.md"
    os.symlink(outside, link)
    folder = read_folder(content.root)
    assert [str(p) for p in folder.problems] == [
        f"{link}:1: is a symbolic link to a file outside the data folder"
    ]


def test_every_problem_of_every_file_is_reported_in_one_run(content):
    content.category("cat")
    content.raw("guides", "a", VALID.replace(b'"T"', b'""'))
    content.raw("guides", "b", VALID.replace(b"- cat", b"- missing"))
    content.raw("categories", "c", b"---\ntitle: C\nsort: high\n---\n")
    lines = [str(p) for p in read_folder(content.root).problems]
    assert len(lines) == 3
    assert any("a.md:2: title:" in line for line in lines)
    assert any("b.md:4: categories:" in line for line in lines)
    assert any("c.md:3: sort: must be a whole number" in line for line in lines)


def test_category_fields():
    category = parse_category("c", b"---\ntitle: 'C'\nicon: '/i.png'\nsort: 120\n---\n\nIntro")
    assert (category.title, category.icon, category.sort, category.body) == (
        "C",
        "/i.png",
        120,
        "Intro",
    )


@pytest.mark.parametrize("sort", [b"1.5", b"true", b"'10'"])
def test_category_sort_must_be_an_integer(sort):
    with pytest.raises(ContentError) as err:
        parse_category("c", b"---\ntitle: C\nsort: " + sort + b"\n---\n")
    assert "categories/c.md:3: sort: must be a whole number" in str(err.value)


def test_missing_folders_are_reported(tmp_path):
    folder = read_folder(tmp_path / "nowhere")
    assert [p.message for p in folder.problems] == ["data folder does not exist"]


HEAVY_HEAD = VALID.replace(b"\nBody.\n", b"\n")  # the body starts on line 8


@pytest.mark.parametrize(
    ("lines", "beyond"),
    [
        # 100 lines of 500 "&", then one more: the 50,001st is on the last line
        (["&" * 500] * 100 + ["and &"], 108),
        # Latin-1's signs count with "&": no-break spaces, degrees, plus-minus, copyright
        (["\xa0°±©&" * 100] * 100 + ["one more: ¿"], 108),
        # all on one line: the one too many is on that line
        (["a&b" * 50_001], 8),
    ],
)
def test_a_body_with_more_ampersands_and_latin_1_signs_than_the_renderer_can_afford(
    content, lines, beyond
):
    """The HTML sanitiser takes time in the square of these characters in one text (1 MB of
    "&" rendered in 10 s): a body may hold at most MAX_HEAVY, and the problem names the line
    of the first one too many."""
    body = "\n".join(lines) + "\n"
    problems = problems_for(content, "heavy", HEAVY_HEAD + body.encode())
    assert len(problems) == 1, problems
    path, line, message = problems[0].split(":", 2)
    assert int(line) == beyond
    count = f"{heavy_count(body):,}"
    assert message.startswith(f" body: holds {count} ampersands (&) and Latin-1 signs"), message
    assert f"at most {MAX_HEAVY:,} may be used" in message


def test_a_body_with_as_many_ampersands_as_allowed_and_other_non_ascii_text_is_fine():
    body = "&" * (MAX_HEAVY - 2) + "\xa0¿" + "é€中À" * 10_000 + "\n"
    assert heavy_count(body) == MAX_HEAVY
    guide = parse_guide("heavy", HEAVY_HEAD + body.encode())
    assert guide.body.startswith("&&&")


def test_the_form_refuses_what_the_file_refuses():
    """The admin's form validates a guide by the file's rules: the same problem, at the
    body's line."""
    guide, problems = validate_guide(
        "heavy", {"title": "T", "createdAt": "2024-03-15"}, "x\n" + "&" * (MAX_HEAVY + 1)
    )
    assert guide is None
    assert [(p.field, p.line) for p in problems] == [("body", 2)]
    assert "holds 50,001 ampersands (&)" in str(problems[0])
