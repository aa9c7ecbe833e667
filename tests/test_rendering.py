"""One renderer for pages and the editor's preview, re-run when its version changes."""

import re
from io import StringIO

import pytest
from django.core.management import call_command

from catalog import importer, rendering
from catalog.models import Guide

pytestmark = pytest.mark.django_db


def test_the_editor_preview_endpoint_uses_the_page_renderer(admin_client):
    text = "# Hi\n\n<script>x</script> <idempotency-key: v>\n"
    response = admin_client.post("/markdownx/markdownify/", {"content": text})
    assert response.status_code == 200
    assert response.content.decode() == rendering.render_markdown(text)
    assert "&lt;idempotency-key: v&gt;" in response.content.decode()


def test_a_new_renderer_version_re_renders_on_import(content, monkeypatch):
    content.category("c")
    content.guide("g", categories=("c",))
    content.import_()
    monkeypatch.setattr(importer, "RENDERER_VERSION", 99)
    monkeypatch.setattr(importer, "render_markdown", lambda text: "<p>new renderer</p>")
    out = StringIO()
    call_command("import_guides", "--data-dir", str(content.root), stdout=out)
    assert "guides: 0 created, 1 updated" in out.getvalue()
    guide = Guide.objects.get(slug="g")
    assert (guide.body_html, guide.rendered_with) == ("<p>new renderer</p>", 99)


def test_render_guides_command_re_renders_stale_records(content, monkeypatch):
    content.category("c")
    content.guide("g", categories=("c",))
    content.import_()
    monkeypatch.setattr(importer, "RENDERER_VERSION", 7)
    out = StringIO()
    call_command("render_guides", stdout=out)
    assert out.getvalue() == "Re-rendered 2 record(s).\n"
    call_command("render_guides", stdout=out)
    assert out.getvalue().endswith("Re-rendered 0 record(s).\n")
    assert Guide.objects.get(slug="g").rendered_with == 7


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
