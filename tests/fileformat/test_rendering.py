"""One renderer for pages and the editor's preview, re-run when its version changes."""

import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from catalog.fileformat import rendering
from catalog.models import NO_RENDERING, Category, Guide

pytestmark = pytest.mark.django_db


def test_the_editor_preview_endpoint_uses_the_page_renderer(admin_client):
    text = "# Hi\n\n<script>x</script>\n\nSend <idempotency-key: v>.\n"
    response = admin_client.post("/markdownx/markdownify/", {"content": text})
    assert response.status_code == 200
    assert response.content.decode() == rendering.render_markdown(text)
    assert "&lt;idempotency-key: v&gt;" in response.content.decode()


def test_an_import_stores_the_rendering_and_no_page_renders_a_body(content, client, monkeypatch):
    content.category("c", body="Category *intro*.\n")
    content.guide("g", categories=("c",), body="Some *text* [https://example.org/x].\n")
    content.import_()
    guide = Guide.objects.get(slug="g")
    assert guide.rendered_with == rendering.RENDERER_VERSION
    assert guide.body_html.startswith("<p>Some <em>text</em>")
    assert guide.body_text == "Some text"
    category = Category.objects.get(slug="c")
    assert category.body_html == "<p>Category <em>intro</em>.</p>\n"

    def refuse(text):
        raise AssertionError("a reader's request rendered a body")

    monkeypatch.setattr(rendering, "render_markdown", refuse)
    assert "<p>Some <em>text</em>" in client.get("/guides/g").content.decode()
    assert "<p>Category <em>intro</em>.</p>" in client.get("/guides/c").content.decode()
    assert client.get("/feed.xml").status_code == 200
    assert client.get("/search?q=text").status_code == 200


def test_stored_html_of_an_older_renderer_is_not_shown(content, monkeypatch):
    content.category("c")
    content.guide("g", categories=("c",))
    content.import_()
    Guide.objects.get(slug="g").save()
    assert Guide.objects.get(slug="g").rendered_with == rendering.RENDERER_VERSION
    monkeypatch.setattr(rendering, "RENDERER_VERSION", 99)
    monkeypatch.setattr(rendering, "render_markdown", lambda text: "<p>new renderer</p>")
    assert Guide.objects.get(slug="g").html == "<p>new renderer</p>"


def test_render_guides_stores_missing_and_stale_html(content, monkeypatch):
    content.category("c")
    content.guide("g", categories=("c",), body="Some *text*.\n")
    content.import_()
    Guide.objects.update(**NO_RENDERING)  # as records of an older release were stored
    Category.objects.update(**NO_RENDERING)
    out = StringIO()
    call_command("render_guides", stdout=out)
    assert out.getvalue() == "Rendered 2 record(s).\n"
    guide = Guide.objects.get(slug="g")
    assert guide.body_html == "<p>Some <em>text</em>.</p>\n"
    assert guide.rendered_with == rendering.RENDERER_VERSION
    call_command("render_guides", stdout=out)
    assert out.getvalue().endswith("Rendered 0 record(s).\n")
    monkeypatch.setattr(rendering, "RENDERER_VERSION", 7)
    call_command("render_guides", stdout=out)
    assert out.getvalue().endswith("Rendered 2 record(s).\n")
    assert Guide.objects.get(slug="g").rendered_with == 7
    call_command("render_guides", "--all", stdout=out)
    assert out.getvalue().endswith("Rendered 2 record(s).\n")


def test_render_guides_never_stores_html_of_a_body_edited_meanwhile(content, monkeypatch):
    content.category("c")
    content.guide("g", categories=("c",), body="Old text.\n")
    content.import_()
    Guide.objects.update(**NO_RENDERING)
    Category.objects.update(**NO_RENDERING)
    real = rendering.render_markdown

    def render_while_an_editor_saves(text):
        if "Old text." in text:
            Guide.objects.filter(slug="g").update(body="New text.\n")
        return real(text)

    monkeypatch.setattr(rendering, "render_markdown", render_while_an_editor_saves)
    out = StringIO()
    call_command("render_guides", stdout=out)
    assert out.getvalue() == "Rendered 1 record(s).\n"
    guide = Guide.objects.get(slug="g")
    assert (guide.body_html, guide.rendered_with) == ("", 0)
    assert guide.html == "<p>New text.</p>\n"


def test_trailing_slash_list_pages_redirect(client):
    assert client.get("/guides/")["Location"] == "/guides"
    assert client.get("/tags/").status_code == 301


def test_whitenoise_serves_hashed_static_files_with_long_cache_headers(tmp_path, settings):
    from django.test import Client

    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", verbosity=0)
    name = next(
        p.name
        for p in (tmp_path / "static" / "css").iterdir()
        if re.fullmatch(r"site\.[0-9a-f]{12}\.css", p.name)
    )
    response = Client().get(f"/static/css/{name}", HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert response["Cache-Control"] == "max-age=315360000, public, immutable"
    assert response["Content-Encoding"] == "gzip"


LEAK_CHECK = """
import sys
from catalog.fileformat.rendering import render_markdown

def resident_mb():
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmRSS"))
    return int(line.split()[1]) / 1024

body = sys.stdin.read()
render_markdown(body)
before = resident_mb()
for _ in range(1000):
    render_markdown(body)
print(resident_mb() - before)
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_rendering_gives_back_the_memory_it_takes():
    """cmarkgfm's functions leave cmark's document and HTML allocated (about 15 KB a guide:
    1.5 GB over an import of 100,000); the renderer frees both. 1,000 renders of this 5 KB
    body kept over 60 MB before."""
    body = "\n\n".join(
        f"## Step {n}\n\n- item with `code` and **bold**\n  - nested [link](https://x.test)\n\n"
        f"| a | b |\n|---|---|\n| {n} | ~~old~~ |"
        for n in range(40)
    )
    run = subprocess.run(
        [sys.executable, "-c", LEAK_CHECK],
        input=body,
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    grown = float(run.stdout)
    assert grown < 10, f"{grown:.0f} MB kept after 1,000 renders"
