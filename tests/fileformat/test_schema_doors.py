"""One schema at every door: the importer, ``--check``, the admin's forms and uploads agree.

Each rule of the file format lives once, in catalog.fileformat; these tests send the same bad
input through every door that takes it and assert the same problem comes out of each. The
suite runs on SQLite and on PostgreSQL (CI does both), so the case folders also prove the two
databases accept and refuse the same files.
"""

import io
import json
import os
import re
import shutil
import tracemalloc
import xml.etree.ElementTree as ET
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image

from catalog import fileformat
from catalog.admin import CategoryForm, GuideForm, TagForm
from catalog.fileformat.characters import normalise_newlines
from catalog.infra.roles import ensure_editors_group
from catalog.infra.uploads import clean_upload
from catalog.models import Guide

pytestmark = pytest.mark.django_db
CASES = Path(__file__).resolve().parents[1] / "cases"
CASE_NAMES = sorted(p.name for p in CASES.iterdir() if p.is_dir())
LINK_CHECKS = ("links to ", " does not exist", " is not served", "only images inside public/")
CONTROLS = [chr(n) for n in [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)]]


def command_problems(case_dir, *args):
    """(error lines, outcome) of ``import_guides`` run in a copy of the case folder."""
    err = StringIO()
    cwd = os.getcwd()
    os.chdir(case_dir)
    try:
        call_command("import_guides", "--data-dir", "data", *args, stdout=StringIO(), stderr=err)
        outcome = "ok"
    except CommandError:
        outcome = "error"
    finally:
        os.chdir(cwd)
    lines = [line for line in err.getvalue().splitlines() if ": warning: " not in line]
    return set(lines), outcome


@pytest.mark.parametrize("name", CASE_NAMES)
def test_import_and_check_give_the_same_problems(name, tmp_path):
    case = tmp_path / name
    shutil.copytree(CASES / name, case, symlinks=True)
    if name == "five-megabyte-body":
        return  # written by test_bad_input at run time; its rule is tested below
    imported, import_outcome = command_problems(case, "--dry-run")
    checked, check_outcome = command_problems(case, "--check")
    assert imported <= checked
    assert all(any(mark in line for mark in LINK_CHECKS) for line in checked - imported)
    assert import_outcome == "ok" or check_outcome == "error"


def _form_values(path):
    """The frontmatter of a case file as plain YAML gives it, or None if YAML cannot."""
    try:
        text = normalise_newlines(path.read_bytes().decode("utf-8").lstrip("\ufeff"))
        report = fileformat.FileReport(path)
        parts = fileformat.split(text, report)
        data = yaml.safe_load(parts[0]) if parts else None
    # plain PyYAML fails on some tagged values with bare errors (``!!bool maybe``: KeyError)
    except (UnicodeDecodeError, yaml.YAMLError, ValueError, TypeError, KeyError, AttributeError):
        return None
    return (data, parts[1]) if isinstance(data, dict) else None


def _typeable(data, keys):
    """Whether an editor could type these values into the form as the file holds them:
    text (which a form does not trim), and tags as a list of text."""
    for key in keys - {"tags"}:
        value = data.get(key) or ""
        if not isinstance(value, str) or value != value.strip():
            return False
    tags = data.get("tags") or []
    return isinstance(tags, list) and all(isinstance(t, str) for t in tags)


GUIDE_FORM_KEYS = {"title", "description", "image", "tags", "body"}
CATEGORY_FORM_KEYS = {"title", "description", "image", "icon", "body"}


def _guide_form(data, body):
    return GuideForm(
        data={
            "title": data.get("title", ""),
            "slug": "form-door",
            "description": data.get("description") or "",
            "image": data.get("image") or "",
            "created_on": "2024-03-01",
            "body": body,
            "tag_labels": ", ".join(t for t in data.get("tags") or [] if isinstance(t, str)),
        }
    )


def _category_form(data, body):
    return CategoryForm(
        data={
            "title": data.get("title", ""),
            "slug": "form-door",
            "description": data.get("description") or "",
            "image": data.get("image") or "",
            "icon": data.get("icon") or "",
            "sort": 1,
            "body": body,
        }
    )


@pytest.mark.parametrize("name", CASE_NAMES)
def test_admin_forms_refuse_what_the_importer_refuses(name, tmp_path):
    """For every case file whose values a form can hold, the form and the file agree."""
    case = tmp_path / name
    shutil.copytree(CASES / name, case, symlinks=True)
    root = case / "data"
    for kind, make_form, keys, field_of in (
        ("guides", _guide_form, GUIDE_FORM_KEYS, {"tags": "tag_labels"}),
        ("categories", _category_form, CATEGORY_FORM_KEYS, {}),
    ):
        folder = root / kind
        if not folder.is_dir() or folder.is_symlink():
            continue
        for path in sorted(folder.glob("[!.]*.md")):
            if not path.is_file():  # a link to nothing: no values to type
                continue
            values = _form_values(path)
            if values is None:
                continue
            data, body = values
            if not _typeable(data, keys):
                continue
            report = fileformat.FileReport(path, root=root)
            parse = fileformat.read_guide if kind == "guides" else fileformat.read_category
            parse(path.stem, path.read_bytes(), report)
            file_fields = {
                p.field
                for p in report.problems
                if p.field in keys and "is given twice" not in p.message  # no form can
            }
            with _data_dir(root):
                form = make_form(data, body)
                form_errors = set(form.errors) if not form.is_valid() else set()
            for field in file_fields:
                assert field_of.get(field, field) in form_errors, (path, field)


class _data_dir:
    """GUIDES_DATA_DIR pointed at a folder for the forms' relative-image rule."""

    def __init__(self, root):
        self.root, self.old = root, settings.GUIDES_DATA_DIR

    def __enter__(self):
        settings.GUIDES_DATA_DIR = self.root

    def __exit__(self, *exc):
        settings.GUIDES_DATA_DIR = self.old


GUIDE_FILE = (
    '---\ntitle: {title}\ndescription: "d"\nimage: {image}\ncreatedAt: "2024-03-01"\n'
    "categories: []\ntags: [{tag}]\n---\n\n{body}\n"
)


def file_problems(title='"T"', image='""', tag='"t"', body="b"):
    text = GUIDE_FILE.format(title=title, image=image, tag=tag, body=body)
    try:
        fileformat.parse_guide("g", text.encode("utf-8", "surrogatepass"), "guides/g.md")
    except fileformat.ContentError as exc:
        return {(p.field, p.message) for p in exc.problems}
    return set()


def test_every_control_character_is_refused_in_every_field_at_every_door():
    for ch in CONTROLS:
        message = fileformat.control_problem(ch)
        assert message and f"U+{ord(ch):04X}" in message
        escaped = json.dumps(ch)  # a YAML double-quoted escape, e.g. "\u0000"
        raw = '"' + ch + '"'
        for title in (raw, escaped):
            if ch == "\r" and title == raw:  # a raw CR is a line ending (CRLF files are fine)
                continue
            assert ("title", message) in file_problems(title=title), (hex(ord(ch)), title)
        assert ("tags", message) in file_problems(tag=escaped), hex(ord(ch))
        if ch != "\r":
            assert ("body", message) in file_problems(body=f"a{ch}b"), hex(ord(ch))
        form = GuideForm(
            data={
                "title": f"a{ch}b",
                "slug": "g",
                "description": f"a{ch}b",
                "created_on": "2024-03-01",
                "body": f"a{ch}b",
                "tag_labels": f"x{ch}y",
            }
        )
        assert not form.is_valid()
        for field in ("title", "description", "body", "tag_labels"):
            errors = form.errors.get(field, [])
            if ch == "\r" and field in ("description", "body"):
                assert errors == []  # a line ending in a textarea, as in a file
            elif ch == "\x00":
                assert errors == ["Null characters are not allowed."]  # Django's own check
            else:
                assert message in errors, (hex(ord(ch)), field, form.errors)
        tag_form = TagForm(data={"name": f"a{ch}b", "slug": "a-b"})
        assert not tag_form.is_valid()
        assert tag_form.errors["name"] == [
            "Null characters are not allowed." if ch == "\x00" else message
        ]
    assert file_problems(title='"a\\tb"', body="a\tb\nc") == set()


SCHEMES = [
    "javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "\tjavascript:alert(1)",
    "\x01javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "java\rscript:alert(1)",
    "data:image/png;base64,AAAA",
    "DATA:text/html,<script>",
    "vbscript:msgbox(1)",
    "VBScript:msgbox(1)",
    "file:///etc/passwd",
    "blob:https://x/1",
    "//evil.example/x.png",
    "/\t/evil.example/x.png",
    "/\n/evil.example/x.png",
    "/\\evil.example/x.png",
    "\\\\evil.example/x.png",
    "\\/evil.example/x.png",
    " //evil.example/x.png",
    "https:///nohost.png",
]


@pytest.mark.parametrize("value", SCHEMES)
def test_every_scheme_spelling_is_refused_by_files_guide_and_category_forms(value, tmp_path):
    kind, problem = fileformat.image_reference(value)
    assert kind is None and problem
    if not fileformat.CONTROL_RE.search(value):  # a raw control char is its own problem
        assert ("image", problem) in file_problems(image=json.dumps(value))
    form = GuideForm(
        data={"title": "t", "slug": "g", "image": value, "created_on": "2024-03-01", "body": ""}
    )
    assert not form.is_valid() and "image" in form.errors
    category = CategoryForm(
        data={"title": "t", "slug": "c", "icon": value, "image": value, "sort": 1, "body": ""}
    )
    assert not category.is_valid() and {"icon", "image"} <= set(category.errors)


@pytest.mark.parametrize(
    "value", ["", "https://assets.example.org/x.png", "http://h/x.png?a=1", "/images/x.png"]
)
def test_valid_image_references_pass_every_door(value):
    assert fileformat.image_reference(value)[1] is None
    assert file_problems(image=json.dumps(value)) == set()
    form = GuideForm(
        data={"title": "t", "slug": "g", "image": value, "created_on": "2024-03-01", "body": ""}
    )
    assert form.is_valid(), form.errors


def test_a_page_never_links_an_unsafe_stored_image(client, content):
    """Records written before the rule (or by hand) still never reach a page's markup."""
    content.category("c")
    content.guide("g", categories=("c",))
    content.import_()
    Guide.objects.filter(slug="g").update(image="/\t/evil.example/x.png")
    page = client.get("/guides/g").content.decode()
    assert "evil.example" not in page


def test_a_huge_file_is_refused_before_it_is_read(content):
    content.category("c")
    huge = content.root / "guides" / "huge.md"
    with open(huge, "wb") as handle:
        handle.truncate(3 * 1024**3)  # sparse: 3 GB that takes no disk
    tracemalloc.start()
    folder = fileformat.read_folder(content.root)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [str(p) for p in folder.errors] == [
        f"{huge}:1: file is 3,221,225,472 bytes; the largest allowed is 1,000,000"
    ]
    assert peak < 20 * 1024 * 1024


def test_dot_files_are_listed_with_verbosity_2(content):
    content.category("c")
    (content.root / "guides" / "._x.md").write_bytes(b"\x00\x05\x16\x07")
    out = StringIO()
    call_command(
        "import_guides", "--data-dir", str(content.root), "--check", verbosity=2, stdout=out
    )
    assert f"skipped {content.root / 'guides' / '._x.md'}: not a content file" in out.getvalue()


def test_feed_readers_never_see_markup_the_guide_did_not_write(client, content):
    content.category("c", description='"><b>cat</b>')
    evil = '"><img src=x onerror=alert(1)>'
    content.guide("g", categories=("c",), description=evil.replace('"', '\\"'))
    content.import_()
    for url in ("/feed.xml", "/guides/c/feed.xml"):
        root = ET.fromstring(client.get(url).content)
        for summary in root.iter("{http://www.w3.org/2005/Atom}summary"):
            assert summary.get("type") == "html"
            # What a feed reader renders as HTML is the escaped text: no element.
            assert "<img" not in summary.text and "&lt;img" in summary.text
        for element in root.iter():
            assert element.tag.startswith("{http://www.w3.org/2005/Atom}"), element.tag


# --- the upload door keeps nothing but pixels -------------------------------------------------


def _upload(image, fmt, **save):
    data = io.BytesIO()
    image.save(data, fmt, **save)
    return SimpleUploadedFile(f"photo.{fmt.lower()}", data.getvalue())


def _exif_with_gps_and_orientation(orientation=6):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = orientation  # Orientation: rotate 90° clockwise to display
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 12.3), 3: "W", 4: (0.0, 7.0, 39.9)}  # GPS
    return exif


def _stored(upload):
    content, fmt = clean_upload(upload)
    return content.read(), fmt


def test_jpeg_loses_exif_and_gps_but_keeps_its_orientation():
    photo = Image.new("RGB", (60, 20), (10, 120, 200))
    raw = _upload(photo, "JPEG", exif=_exif_with_gps_and_orientation())
    assert b"PhoneMaker" in raw.read()
    raw.seek(0)
    data, fmt = _stored(raw)
    assert fmt == "JPEG" and b"PhoneMaker" not in data and b"Exif" not in data
    with Image.open(io.BytesIO(data)) as stored:
        assert stored.size == (20, 60)  # the orientation is applied to the pixels
        assert not stored.getexif() and "icc_profile" not in stored.info


def test_gif_comment_and_trailing_bytes_do_not_survive():
    image = Image.new("P", (8, 8), 1)
    raw = io.BytesIO()
    image.save(raw, "GIF", comment=b"<script>alert(1)</script>")
    upload = SimpleUploadedFile("x.gif", raw.getvalue() + b"<html><script>alert(2)</script>")
    data, fmt = _stored(upload)
    assert fmt == "GIF" and b"<script>" not in data and b"<html>" not in data
    with Image.open(io.BytesIO(data)) as stored:
        assert "comment" not in stored.info and stored.size == (8, 8)


def test_png_text_chunks_and_colour_profile_become_plain_srgb_pixels():
    from PIL import ImageCms, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Editor Home Address 1")
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()
    image = Image.new("RGB", (4, 4), (200, 10, 10))
    upload = _upload(image, "PNG", pnginfo=info, icc_profile=profile)
    data, fmt = _stored(upload)
    assert fmt == "PNG" and b"Editor Home Address" not in data and b"iCCP" not in data
    with Image.open(io.BytesIO(data)) as stored:
        assert "icc_profile" not in stored.info and stored.mode == "RGB"


def test_webp_is_reencoded_without_metadata():
    image = Image.new("RGB", (10, 10), (0, 200, 0))
    upload = _upload(image, "WEBP", exif=_exif_with_gps_and_orientation(1))
    data, fmt = _stored(upload)
    assert fmt == "WEBP" and b"PhoneMaker" not in data and b"EXIF" not in data


def test_a_decompression_bomb_gets_the_size_message_like_any_large_image():
    from django.core.exceptions import ValidationError

    from catalog.infra.uploads import validate_image_upload

    def png_declaring(width, height):
        import struct
        import zlib

        header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
        chunk = b"IHDR" + header
        ihdr = struct.pack(">I", len(header)) + chunk + struct.pack(">I", zlib.crc32(chunk))
        idat_data = zlib.compress(b"\x00" * 16)
        idat = b"IDAT" + idat_data
        idat = struct.pack(">I", len(idat_data)) + idat + struct.pack(">I", zlib.crc32(idat))
        return b"\x89PNG\r\n\x1a\n" + ihdr + idat

    with pytest.raises(ValidationError) as bomb:
        validate_image_upload(SimpleUploadedFile("bomb.png", png_declaring(30_000, 30_000)))
    assert "900 megapixels); the largest allowed is 40 megapixels" in str(bomb.value)
    with pytest.raises(ValidationError) as big:
        validate_image_upload(SimpleUploadedFile("big.png", png_declaring(7_000, 7_000)))
    assert "(49 megapixels); the largest allowed is 40" in str(big.value)


def _animation(frames, size, fmt="GIF"):
    """An animated image of ``frames`` frames that differ from one another (none merged)."""
    images = [Image.new("L", size, 255 * (n % 2)) for n in range(frames)]
    out = io.BytesIO()
    images[0].save(out, format=fmt, save_all=True, append_images=images[1:], duration=40)
    return SimpleUploadedFile(f"moving.{fmt.lower()}", out.getvalue())


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
def test_an_animations_frames_count_together_against_the_pixel_limit(fmt, monkeypatch):
    from django.core.exceptions import ValidationError

    from catalog.infra import uploads

    monkeypatch.setattr(uploads, "MAX_PIXELS", 1_000_000)
    small = _animation(20, (400, 400), fmt)  # each frame 0.16 MP, 3.2 MP in all
    assert len(small.read()) < 20_000
    with pytest.raises(ValidationError) as refused:
        clean_upload(small)
    assert refused.value.code == "too_many_pixels"
    assert "first 7 frames already hold 1 megapixels (400×400 pixels each" in str(refused.value)
    assert "in all frames together" in str(refused.value)
    stored, _ = clean_upload(_animation(6, (400, 400), fmt))
    with Image.open(stored) as image:
        assert image.n_frames == 6


def _gif_blocks(data):
    """A GIF's header (with its colour table) and its blocks, each whole."""
    packed = data[10]
    position = 13 + (3 * 2 ** ((packed & 7) + 1) if packed & 0x80 else 0)
    head, blocks = data[:position], []
    while data[position] != 0x3B:
        start = position
        if data[position] == 0x21:  # an extension: label, then sub-blocks
            position += 2
        else:  # an image: descriptor, local colour table, LZW code size, sub-blocks
            packed = data[position + 9]
            position += 11 + (3 * 2 ** ((packed & 7) + 1) if packed & 0x80 else 0)
        while data[position]:
            position += data[position] + 1
        blocks.append(data[start : position + 1])
        position += 1
    return head, blocks


def _one_frame_gif(size):
    out = io.BytesIO()
    Image.new("L", size, 255).save(out, format="GIF")
    return _gif_blocks(out.getvalue())


def test_frames_larger_than_the_gif_header_says_count_at_their_size(monkeypatch):
    """A 10×10 header, then frames of 3000×3000 (each grows the canvas as it is read): the
    limit counts what the frames hold, not what the header said."""
    from django.core.exceptions import ValidationError

    from catalog.infra import uploads

    head, small = _one_frame_gif((10, 10))
    big = _one_frame_gif((3000, 3000))[1]
    delay = bytes([0x21, 0xF9, 4, 0, 10, 0, 0, 0])
    frames = [block for block in big if block[0] == 0x2C]
    data = head + small[-1] + (delay + frames[-1]) * 400 + b";"
    assert len(data) < 5_000_000
    monkeypatch.setattr(uploads, "MAX_PIXELS", 20_000_000)
    with pytest.raises(ValidationError) as refused:
        clean_upload(SimpleUploadedFile("growing.gif", data))
    assert refused.value.code == "too_many_pixels"
    assert "first 4 frames already hold 27 megapixels" in str(refused.value)


def test_an_animation_of_more_than_500_frames_is_refused():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="more than 500 frames"):
        clean_upload(_animation(501, (2, 2)))


def test_the_admin_stores_the_reencoded_upload(client, content, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    content.category("c")
    content.import_()
    editor = User.objects.create_user("ed", password="pw", is_staff=True)
    editor.groups.add(ensure_editors_group())
    client.force_login(editor)
    raw = _upload(Image.new("RGB", (30, 10)), "JPEG", exif=_exif_with_gps_and_orientation())
    response = client.post(
        "/markdownx/upload/", {"image": raw}, headers={"x-requested-with": "XMLHttpRequest"}
    )
    assert response.status_code == 200, response.content
    path = re.search(r"/media/(diagrams/[0-9a-f]+\.jpg)", response.json()["image_code"]).group(1)
    stored = settings.MEDIA_ROOT / path
    assert b"PhoneMaker" not in stored.read_bytes()
    with Image.open(stored) as image:
        assert image.size == (10, 30)


def test_export_refuses_records_that_would_make_invalid_files(content):
    content.category("c")
    content.guide("g", categories=("c",))
    content.guide("h", categories=("c",), title="Kept as it was")
    content.import_()
    Guide.objects.filter(slug="g").update(image="javascript:alert(1)", title="Edited")
    Guide.objects.filter(slug="h").update(title="Also edited")
    before = {p.name: p.read_bytes() for p in (content.root / "guides").iterdir()}
    err = StringIO()
    with pytest.raises(CommandError, match="1 record\\(s\\) would make invalid files"):
        call_command(
            "export_guides", "--data-dir", str(content.root), stdout=StringIO(), stderr=err
        )
    assert f"{content.root / 'guides' / 'g.md'}:4: image: uses the 'javascript:' scheme" in (
        err.getvalue()
    )
    assert {p.name: p.read_bytes() for p in (content.root / "guides").iterdir()} == before


def test_the_file_size_limit_holds_for_the_file_a_form_makes():
    """A body typed or pasted in the admin is written to a file by the next export: one
    over the limit would stop every export and sync, so the form refuses it, naming the
    size, and takes one that fits."""
    limit = fileformat.MAX_FILE_BYTES
    guide = GuideForm(data={**_guide_form({"title": "T"}, "b" * limit).data})
    category = CategoryForm(data={**_category_form({"title": "C"}, "é" * (limit // 2)).data})
    for form in (guide, category):
        assert not form.is_valid()
        (error,) = form.errors["body"]
        assert error.startswith("makes a file of ") and error.endswith(
            f"bytes; the largest allowed is {limit:,}"
        )
    assert _guide_form({"title": "T"}, "b" * (limit - 1000)).is_valid()
