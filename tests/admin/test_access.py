"""Who may do what: anonymous visitors and non-staff users get nothing of the back office."""

import io

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from catalog.infra.roles import ensure_editors_group
from catalog.models import Guide

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-editor-password-1"


@pytest.fixture
def site(content, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    content.category("c")
    content.guide("g", categories=("c",), draft=True)
    content.import_()
    return content


@pytest.fixture
def editor():
    user = User.objects.create_user("ed", password=PASSWORD, is_staff=True)
    user.groups.add(ensure_editors_group())
    return user


def back_office_urls():
    guide = Guide.objects.get(slug="g")
    revision = guide.revisions.first()
    return [
        "/admin/",
        "/admin/catalog/guide/",
        "/admin/catalog/guide/add/",
        f"/admin/catalog/guide/{guide.pk}/change/",
        f"/admin/catalog/guide/{guide.pk}/revisions/{revision.pk}/",
        "/admin/catalog/guide/tag-suggestions/?q=a",
        "/admin/catalog/category/",
        "/admin/auth/user/",
    ]


@pytest.mark.parametrize("who", ["anonymous", "not staff"])
def test_back_office_is_closed_to_visitors(site, who):
    client = Client()
    if who == "not staff":
        client.force_login(User.objects.create_user("visitor", password="pw"))
    for url in back_office_urls():
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url
    for url in ("/markdownx/markdownify/", "/markdownx/upload/"):
        assert client.post(url, {"content": "x"}).status_code == 403, url
    guide = Guide.objects.get(slug="g")
    response = client.post(f"/admin/catalog/guide/{guide.pk}/change/", {"title": "pwned"})
    assert response.status_code == 302
    assert Guide.objects.get(slug="g").title != "pwned"


def test_every_state_changing_request_needs_a_csrf_token(site, editor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    guide = Guide.objects.get(slug="g")
    revision = guide.revisions.first()
    png = io.BytesIO()
    Image.new("RGB", (4, 4)).save(png, "PNG")
    posts = {
        "/admin/catalog/guide/add/": {"title": "x", "slug": "x"},
        f"/admin/catalog/guide/{guide.pk}/change/": {"title": "x"},
        "/admin/catalog/guide/": {"action": "publish", "_selected_action": [guide.pk]},
        f"/admin/catalog/guide/{guide.pk}/revisions/{revision.pk}/": {},
        "/markdownx/markdownify/": {"content": "# x"},
        "/markdownx/upload/": {"image": SimpleUploadedFile("a.png", png.getvalue())},
        "/admin/logout/": {},
    }
    for url, data in posts.items():
        assert client.post(url, data).status_code == 403, url
    assert Guide.objects.get(slug="g").draft is True
    login = Client(enforce_csrf_checks=True)
    assert login.post("/admin/login/", {"username": "ed", "password": PASSWORD}).status_code == 403


def test_repeated_failed_logins_are_refused_for_a_while(site, editor, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(3):
        response = client.post("/admin/login/", {"username": "ed", "password": "wrong"})
        assert "Please enter the correct username and password" in response.content.decode()
    response = client.post("/admin/login/", {"username": "ed", "password": PASSWORD})
    assert response.status_code == 200
    assert "Too many failed attempts. Try again in 15 minutes." in response.content.decode()
    other = User.objects.create_user("other", password=PASSWORD, is_staff=True)
    assert other.pk
    response = client.post("/admin/login/", {"username": "other", "password": PASSWORD})
    assert response.status_code == 302


def test_uploads_are_never_served_as_pages(site, settings):
    folder = settings.MEDIA_ROOT / "diagrams"
    folder.mkdir(parents=True)
    (folder / "evil.html").write_text("<script>alert(1)</script>")
    (folder / "evil.svg").write_text("<svg onload=alert(1)></svg>")
    png = io.BytesIO()
    Image.new("RGB", (4, 4)).save(png, "PNG")
    (folder / "ok.png").write_bytes(png.getvalue())
    client = Client()
    assert client.get("/media/diagrams/evil.html").status_code == 404
    assert client.get("/media/diagrams/evil.svg").status_code == 404
    response = client.get("/media/diagrams/ok.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert client.get("/media/../../etc/passwd").status_code == 404
