"""export_readme: the TOC block is exact, ordered like the site, and nothing else changes."""

import html
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from catalog.fileformat.rendering import render_markdown
from catalog.management.commands import export_readme
from catalog.pipeline.readme import TocSection, toc_lines

pytestmark = pytest.mark.django_db
BASE = "https://example.org/guides"
SPACES = "   "  # trailing spaces outside the block must survive


@pytest.fixture
def site(content):
    content.category("zeta", title="Zeta", sort=10)
    content.category("alpha", title="Alpha", sort=10)
    content.category("first", title="First", sort=5)
    content.category("empty", title="Empty", sort=99)
    content.guide("b-guide", title="B guide", created="2024-01-02", categories=("alpha",))
    content.guide("a-guide", title="A guide", created="2024-01-02", categories=("alpha", "first"))
    content.guide("early", title="Early", created="2023-12-31", categories=("alpha",))
    content.guide("secret", title="Secret", created="2023-01-01", categories=("alpha",), draft=True)
    content.guide("odd", title="Odd [x] <y> -> z", created="2024-02-01", categories=("zeta",))
    content.import_()
    return content


def readme(tmp_path, middle="<!-- TOC -->\nold\n<!-- /TOC -->\n"):
    path = tmp_path / "README.md"
    path.write_bytes(f"# Title\n\nIntro   \n{middle}\nAfter.\n".encode())
    return path


def export(path, *args):
    out = StringIO()
    call_command("export_readme", "--readme", str(path), "--base-url", BASE, *args, stdout=out)
    return out.getvalue()


EXPECTED = f"""# Title

Intro{SPACES}
<!-- TOC -->

* [First]({BASE}/first)
  * [A guide]({BASE}/a-guide)
* [Alpha]({BASE}/alpha)
  * [Early]({BASE}/early)
  * [A guide]({BASE}/a-guide)
  * [B guide]({BASE}/b-guide)
* [Zeta]({BASE}/zeta)
  * [Odd \\[x\\] \\<y> -> z]({BASE}/odd)
* [Empty]({BASE}/empty)


<!-- /TOC -->

After.
"""


def test_block_layout_order_ties_drafts_and_escaping(site, tmp_path):
    path = readme(tmp_path)
    export(path)
    assert path.read_text() == EXPECTED


def test_second_run_changes_nothing_and_check_passes(site, tmp_path):
    path = readme(tmp_path)
    export(path)
    mtime = path.stat().st_mtime_ns
    assert "already up to date" in export(path)
    assert path.stat().st_mtime_ns == mtime
    assert "up to date" in export(path, "--check")


def test_check_fails_with_a_diff_and_writes_nothing(site, tmp_path):
    path = readme(tmp_path)
    before = path.read_bytes()
    out = StringIO()
    with pytest.raises(CommandError, match="stale"):
        call_command(
            "export_readme", "--readme", str(path), "--base-url", BASE, "--check", stdout=out
        )
    assert path.read_bytes() == before
    assert "-old\n" in out.getvalue()
    assert f"+* [First]({BASE}/first)\n" in out.getvalue()


def test_stdout_prints_the_new_readme_without_writing(site, tmp_path):
    path = readme(tmp_path)
    before = path.read_bytes()
    out = StringIO()
    call_command(
        export_readme.Command(stdout=out), "--readme", str(path), "--base-url", BASE, "--stdout"
    )
    assert out.getvalue() == EXPECTED
    assert path.read_bytes() == before


def test_crlf_readme_keeps_its_line_endings(site, tmp_path):
    path = tmp_path / "README.md"
    path.write_bytes(b"# T\r\n<!-- TOC -->\r\n<!-- /TOC -->\r\nend\r\n")
    export(path)
    text = path.read_bytes()
    assert text.startswith(b"# T\r\n<!-- TOC -->\r\n\r\n* [First]")
    assert text.endswith(b"\r\n\r\n\r\n<!-- /TOC -->\r\nend\r\n")
    assert b"\n" not in text.replace(b"\r\n", b"")


@pytest.mark.parametrize(
    "middle",
    [
        "no markers at all\n",
        "<!-- TOC -->\nonly a start\n",
        "only an end\n<!-- /TOC -->\n",
        "<!-- /TOC -->\nreversed\n<!-- TOC -->\n",
        "<!-- TOC -->\n<!-- TOC -->\n<!-- /TOC -->\n",
    ],
)
def test_missing_or_unbalanced_markers_fail_and_leave_the_file(site, tmp_path, middle):
    path = readme(tmp_path, middle)
    before = path.read_bytes()
    with pytest.raises(CommandError, match=str(path)):
        export(path)
    assert path.read_bytes() == before


def test_missing_readme_is_a_clear_error(site, tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        export(tmp_path / "nope.md")


def test_default_readme_sits_beside_the_data_folder(site, settings):
    settings.GUIDES_DATA_DIR = site.root
    settings.GUIDES_BASE_URL = BASE
    path = site.root.parent / "README.md"
    path.write_text("<!-- TOC -->\n<!-- /TOC -->\n")
    call_command("export_readme", verbosity=0)
    assert f"* [First]({BASE}/first)" in path.read_text()


def test_write_is_atomic_and_keeps_permissions(site, tmp_path, monkeypatch):
    path = readme(tmp_path)
    path.chmod(0o640)
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("catalog.fileformat.files.os.replace", broken_replace)
    with pytest.raises(CommandError, match="No space left on device"):
        export(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md", "data"]
    monkeypatch.undo()
    export(path)
    assert path.stat().st_mode & 0o777 == 0o640


def test_readme_links_resolve_on_the_site(site, tmp_path, client, settings):
    path = readme(tmp_path)
    call_command("export_readme", "--readme", str(path), "--base-url", "/guides", verbosity=0)
    links = [
        line.split("](")[1].rstrip(")")
        for line in path.read_text().splitlines()
        if line.lstrip().startswith("* [")
    ]
    assert len(links) == 9
    for link in links:
        assert client.get(link).status_code == 200, link


@pytest.mark.parametrize(
    "title",
    [
        "C:\\",
        "back\\[slash]",
        "x](https://evil.example)",
        "<!-- /TOC --> <b>bold</b>",
        "*stars* _under_ `code` ~~struck~~",
        "Caching &amp; &#65; & Performance",
        "a\\*b",
    ],
)
def test_every_title_shows_in_the_readme_as_it_is_written(title):
    """The table of contents as GitHub renders it (cmark-gfm, as the site does): each entry
    one link to its page whose text is the title, whatever markup the title holds."""
    section = TocSection(title, "cat", ((title, "guide"),))
    rendered = render_markdown("\n".join(toc_lines([section], BASE)) + "\n")
    links = re.findall(r'<a href="([^"]*)"[^>]*>(.*?)</a>', rendered)
    assert links == [(f"{BASE}/cat", html.escape(title, quote=False))] + [
        (f"{BASE}/guide", html.escape(title, quote=False))
    ]
