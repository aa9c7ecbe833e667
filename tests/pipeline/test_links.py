"""Validation for a content repository's CI: import_guides --check and check_links."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from catalog.fileformat import read_folder
from catalog.pipeline.links import check_links

BASE = "https://example.org/guides"


@pytest.fixture
def folder(content):
    content.category("net", title="Networking")
    content.guide("tcp", title="TCP", categories=("net",), tags=("Protocols",))
    content.guide("secret", title="Secret", categories=("net",), draft=True)
    content.public_image("images/ok.png")
    return content


def problems(content, body, **guide):
    content.guide("page", categories=("net",), body=body, **guide)
    return [(p.line, p.message, p.severity) for p in check_links(read_folder(content.root), BASE)]


@pytest.mark.parametrize(
    "link",
    [
        "/guides/tcp",
        "/guides/net",
        "/guides/tcp/",
        "/tags/protocols",
        f"{BASE}/tcp",
        "https://example.org/tags/protocols",
        "/guides/tcp#section",
        "https://elsewhere.org/guides/none",
        "/about",
        "#top",
    ],
)
def test_good_and_external_links_pass(folder, link):
    assert problems(folder, f"See [x]({link}).\n") == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[x](/guides/nope)", "links to /guides/nope, but no guide or category is 'nope'"),
        (f"[x]({BASE}/nope)", f"links to {BASE}/nope, but no guide or category is 'nope'"),
        ("[x](/guides/secret)", "links to /guides/secret, a draft guide that visitors cannot see"),
        ("[x](/tags/zebra)", "links to /tags/zebra, but no published guide has the tag 'zebra'"),
        ('<a href="/guides/nope">raw</a>', "no guide or category is 'nope'"),
        ("[x][ref]\n\n[ref]: /guides/nope", "no guide or category is 'nope'"),
        ("![diagram](/images/missing.png)", "image /images/missing.png does not exist"),
        ("![diagram](pics/missing.png)", "image pics/missing.png does not exist"),
        # URLs no browser can read (urllib refuses them too): reported, not a crash
        ('<a href="http://[oops/x">raw</a>', "links to http://[oops/x, which is not a valid URL"),
        ('<img src="https://[::1/x.png" alt="d">', "image https://[::1/x.png is not a valid URL"),
    ],
)
def test_broken_links_and_missing_images_are_errors_with_lines(folder, body, message):
    found = problems(folder, "Intro.\n\n" + body + "\n")
    assert found and found[0][2] == "error"
    assert found[0][0] == (17 if "[ref]:" in body else 15)
    assert message in found[0][1]


def test_images_through_links_in_a_loop_or_out_of_the_folder_do_not_exist(folder, tmp_path):
    """Contributors can commit symbolic links: a loop (which ``Path.resolve`` raises for)
    and a link to a file outside the content folder are both images that do not exist."""
    guides = folder.root / "guides"
    (guides / "a.png").symlink_to("b.png")
    (guides / "b.png").symlink_to("a.png")
    outside = tmp_path / "outside.png"
    outside.write_bytes(b"GIF89a")
    (guides / "out.png").symlink_to(outside)
    found = problems(folder, "![loop](a.png)\n\n![out](out.png)\n\n![ok](/images/ok.png)\n")
    assert [(line, message.split(" (")[0]) for line, message, _ in found] == [
        (13, "image a.png does not exist"),
        (15, "image out.png does not exist"),
    ]


def test_relative_links_and_images_are_checked_as_github_follows_them(folder):
    """A link or image by its path from the file: GitHub follows it to the file, the site
    to that file's page or picture; one to a file that is not there is an error, one to a
    file the site does not show (it shows guides, categories and public/) a warning, and an
    image outside public/ an error (no page would show it)."""
    (folder.root / "guides" / "notes.txt").write_text("notes")
    (folder.root / "guides" / "local.png").write_bytes(
        (folder.root / "public/images/ok.png").read_bytes()
    )
    found = problems(
        folder,
        "Intro.\n\n[a](tcp.md#x) [b](../categories/net.md) ![c](../public/images/ok.png)\n\n"
        "[d](nope.md)\n\n[e](secret.md)\n\n[f](notes.txt)\n\n![g](local.png)\n\n"
        "[h](../categories/tcp.md)\n",
    )
    guides = folder.root / "guides"
    assert [
        (line, message.split(" (")[0].split(";")[0], severity) for line, message, severity in found
    ] == [
        (17, "links to nope.md, which does not exist", "error"),
        (19, "links to secret.md, a draft guide that visitors cannot see", "error"),
        (21, "links to notes.txt, a file the site does not show", "warning"),
        (25, "links to ../categories/tcp.md, which does not exist", "error"),
        (23, "image local.png is not served: the site serves the images in public/ only", "error"),
    ], found
    assert f"(looked for {guides / 'nope.md'})" in found[0][1]


def test_a_pictures_sources_are_checked_as_images(folder):
    """A diagram for dark mode (``<picture>``'s ``<source srcset>``) must be there and served,
    as its ``<img>`` must; no alt text is asked of a source."""
    found = problems(
        folder,
        "Intro.\n\n<picture>\n"
        '<source srcset="../public/images/ok.png 1x, /images/dark@2x.png 2x">\n'
        '<source srcset="../public/images/gone.png">\n'
        '<img src="/images/ok.png" alt="Flow">\n</picture>\n',
    )
    assert [(line, message.split(" (")[0]) for line, message, _ in found] == [
        (16, "image /images/dark@2x.png does not exist"),
        (17, "image ../public/images/gone.png does not exist"),
    ], found


def test_a_draft_may_link_to_a_draft(folder):
    assert problems(folder, "[x](/guides/secret)\n", draft=True) == []


def test_links_in_code_are_not_checked(folder):
    assert problems(folder, "```\n[x](/guides/nope)\n```\n\n`/guides/nope`\n") == []


def test_missing_frontmatter_image_is_an_error_and_missing_alt_a_warning(folder):
    found = problems(folder, "![](/images/ok.png)\n", image="/images/nope.png")
    assert (
        4,
        "image /images/nope.png does not exist (looked for "
        f"{folder.root / 'public' / 'images' / 'nope.png'})",
        "error",
    ) in found
    assert (13, "image /images/ok.png has no alt text", "warning") in found, found


def test_duplicate_titles_are_warnings(folder):
    folder.guide("tcp-again", title="tcp", categories=("net",))
    found = check_links(read_folder(folder.root), BASE)
    assert [(p.path.endswith("tcp-again.md"), p.severity) for p in found] == [(True, "warning")]
    assert "has the same title as" in found[0].message


@pytest.mark.django_db
def test_import_check_touches_no_database_and_fails_on_errors(folder, django_assert_num_queries):
    folder.guide("page", categories=("net",), body="[x](/guides/nope)\n")
    err = StringIO()
    with django_assert_num_queries(0), pytest.raises(CommandError, match="1 error"):
        call_command(
            "import_guides",
            "--data-dir",
            str(folder.root),
            "--check",
            stderr=err,
            stdout=StringIO(),
        )
    assert f"{folder.root / 'guides' / 'page.md'}:13: links to /guides/nope" in err.getvalue(), (
        err.getvalue()
    )


@pytest.mark.django_db
def test_warnings_fail_only_with_strict(folder):
    folder.guide("page", categories=("net",), body="![](/images/ok.png)\n")
    call_command(
        "import_guides",
        "--data-dir",
        str(folder.root),
        "--check",
        stdout=StringIO(),
        stderr=StringIO(),
    )
    with pytest.raises(CommandError, match="warning"):
        call_command(
            "import_guides",
            "--data-dir",
            str(folder.root),
            "--check",
            "--strict",
            stdout=StringIO(),
            stderr=StringIO(),
        )


@pytest.mark.django_db
def test_the_check_ends_saying_how_many_warnings_of_each_kind(folder, settings):
    """A folder's hundreds of warnings are listed a line each; the last line says what they
    are (the real corpus: image without alt text 351, icon 15, tags 10)."""
    body = "![](/images/ok.png) ![](/images/ok.png)\n"
    folder.guide("page", title="TCP", categories=("net",), tags=("Protocol",), body=body)
    out = StringIO()
    command = ["--data-dir", str(folder.root)]
    call_command("import_guides", *command, "--check", stdout=out, stderr=StringIO())
    summary = "4 warning(s) (image without alt text 2, same title 1, tags 1)."
    assert out.getvalue().rstrip().endswith(summary), out.getvalue()
    settings.GUIDES_BASE_URL = BASE
    out = StringIO()
    call_command("check_links", *command, stdout=out, stderr=StringIO())
    assert "(3 warning(s): image without alt text 2, same title 1)." in out.getvalue()


@pytest.mark.django_db
def test_json_report_lists_file_line_field_message_severity(folder):
    folder.raw("guides", "bad", '---\ntitle: T\ncreatedAt: "2024-01-01"\ndraft: "no"\n---\n')
    out = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_guides",
            "--data-dir",
            str(folder.root),
            "--check",
            "--format",
            "json",
            stdout=out,
        )
    report = json.loads(out.getvalue())
    assert report["ok"] is False and report["errors"] == 1
    assert report["problems"] == [
        {
            "file": str(folder.root / "guides" / "bad.md"),
            "line": 4,
            "field": "draft",
            "message": "must be true or false, got str 'no'",
            "severity": "error",
        }
    ]


def test_check_links_command(folder, settings):
    settings.GUIDES_BASE_URL = BASE
    call_command("check_links", "--data-dir", str(folder.root), stdout=StringIO())
    folder.guide("page", categories=("net",), body="[x](/guides/nope)\n")
    err = StringIO()
    with pytest.raises(CommandError, match="1 broken"):
        call_command("check_links", "--data-dir", str(folder.root), stderr=err)
    assert err.getvalue().startswith(f"{folder.root / 'guides' / 'page.md'}:13: links to")


@pytest.mark.corpus
@pytest.mark.django_db
def test_the_real_corpus_passes_the_check_with_warnings_only(corpus_dir):
    out = StringIO()
    call_command(
        "import_guides", "--data-dir", str(corpus_dir), "--check", "--format", "json", stdout=out
    )
    report = json.loads(out.getvalue())
    assert report["ok"] and report["errors"] == 0 and report["warnings"] > 0


def test_a_link_to_a_scheduled_guide_is_one_visitors_cannot_follow_yet(folder):
    text = (folder.root / "guides" / "tcp.md").read_text()
    text = text.replace("draft: false", 'draft: false\npublishAt: "2999-01-01T09:00:00Z"')
    (folder.root / "guides" / "tcp.md").write_text(text)
    assert problems(folder, "See [x](/guides/tcp).\n") == [
        (
            13,  # the body's line in the file
            "links to /guides/tcp, a guide scheduled for 2999-01-01T09:00:00Z, which visitors "
            "cannot see before then",
            "error",
        )
    ]
    assert problems(folder, "See [x](/guides/tcp).\n", draft=True) == []  # hidden to hidden


def test_each_broken_link_is_named_at_its_own_line_among_thousands(folder):
    """Lines are found in one pass (each link looked for from the last one found), and a
    link that comes before it in the text, such as a reference's definition, still has its
    line."""
    good = "\n".join(f"[ok {n}](https://example.org/x{n})" for n in range(3000))
    body = f"{good}\n[first](/guides/nope-1)\n{good}\n[second][ref]\n\n[ref]: /guides/nope-2\n"
    found = problems(folder, body)
    start = 13  # the line of the body's first line in the guide's file
    assert [(line, message.split(",")[0]) for line, message, _ in found] == [
        (start + 3000, "links to /guides/nope-1"),
        (start + 6003, "links to /guides/nope-2"),  # where its URL is written
    ]
