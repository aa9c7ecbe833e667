"""What a contributor's pull request or a stranger's request can reach: each attack, tried.

Serving faults (the content folder's ``public/``, headers, the Host header, the login
throttle across workers) are tried against real gunicorn servers over the suite's database:
an SQLite file when the suite runs on SQLite, the PostgreSQL test database when it runs there.
"""

import concurrent.futures
import http.cookiejar
import re
import shutil
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache, caches
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from PIL import Image

from bench.servers import Gunicorn, redis_up
from catalog.infra.roles import ensure_editors_group
from catalog.models import Category, Guide
from tests.served import ORIGIN, PASSWORD, NoRedirect, fetch

# --- 1. public/ serves images inside the folder and nothing else ------------------------------


def plant_attacks(content, tmp_path):
    """What a malicious pull request could put into public/; return the URLs that must 404."""
    public = content.root / "public"
    (public / "images" / "passwd.png").symlink_to("/etc/passwd")
    (public / "db.png").symlink_to(tmp_path / "served.sqlite3")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.png").write_bytes((public / "images" / "ok.png").read_bytes())
    (outside / "secret.txt").write_text("secret")
    (public / "leak").symlink_to(outside, target_is_directory=True)
    (public / "evil.html").write_text("<script>fetch('/admin/')</script>")
    (public / "evil.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>')
    (public / "evil.png").write_text("<html><script>alert(1)</script></html>")
    (public / "mislabelled.jpg").write_bytes((public / "images" / "ok.png").read_bytes())
    return [
        "/images/passwd.png",
        "/db.png",
        "/leak/secret.png",
        "/leak/secret.txt",
        "/evil.html",
        "/evil.svg",
        "/evil.png",
        "/mislabelled.jpg",
        "/images/../../served.sqlite3",
        "/images/%2e%2e/%2e%2e/served.sqlite3",
    ]


@pytest.mark.django_db(transaction=True)
def test_public_folder_serves_only_images_inside_it(served, tmp_path):
    content, env = served
    refused = plant_attacks(content, tmp_path)
    with Gunicorn(env) as server:
        for path in refused:
            status, headers, body = fetch(server.url + path)
            assert status == 404, path
            assert b"root:" not in body and b"SQLite" not in body and b"secret" not in body
        status, headers, body = fetch(server.url + "/images/ok.png")
        assert status == 200 and body.startswith(b"\x89PNG")
        assert headers["Content-Type"] == "image/png"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
        etag = headers["ETag"]
        status, _, _ = fetch(server.url + "/images/ok.png", headers={"If-None-Match": etag})
        assert status == 304


@pytest.mark.django_db
def test_check_and_check_links_report_what_public_would_not_serve(content, tmp_path):
    content.category("c")
    content.guide("g", categories=("c",), image="/evil.png")
    content.public_image("images/ok.png")
    plant_attacks(content, tmp_path)
    for command in (("import_guides", "--check"), ("check_links",)):
        err = _stderr_of_failing(*command, "--data-dir", str(content.root))
        public = content.root / "public"
        assert f"{public / 'images' / 'passwd.png'}:1: is a symbolic link that leaves" in err
        assert f"{public / 'db.png'}:1: is a symbolic link that leaves" in err
        assert f"{public / 'leak'}:1: is a symbolic link that leaves" in err
        assert f"{public / 'evil.html'}:1: is not a .png, .jpg, .jpeg, .gif or .webp file" in err
        assert f"{public / 'evil.svg'}:1: is not a .png" in err
        assert f"{public / 'evil.png'}:1: is not a PNG, JPEG, GIF or WebP image" in err
        assert f"{public / 'mislabelled.jpg'}:1: holds a PNG image, not the JPEG" in err
        assert "image /evil.png is not served: is not a PNG, JPEG, GIF or WebP image" in err
        assert "images/ok.png" not in err


@pytest.mark.django_db
def test_a_public_folder_linked_out_of_the_data_folder_serves_nothing(
    client, content, settings, tmp_path
):
    """A contributor can commit public/ as a link to anywhere on the server: its files are on
    disk as soon as git merges them, so the site serves nothing from it (not only the import
    refusing it), and the checks do not list what is there."""
    content.category("c")
    content.guide("g", categories=("c",))
    outside = tmp_path / "server-files"
    (outside / "images").mkdir(parents=True)
    Image.new("RGB", (4, 4)).save(outside / "images" / "secret.png")
    public = content.root / "public"
    if public.exists():
        shutil.rmtree(public)
    public.symlink_to(outside, target_is_directory=True)
    settings.GUIDES_DATA_DIR = content.root
    assert client.get("/images/secret.png").status_code == 404
    assert client.get("/media/images/secret.png").status_code == 404
    for command in (("import_guides", "--check"), ("import_guides",)):
        err = _stderr_of_failing(*command, "--data-dir", str(content.root))
        assert f"{public}:1: is a symbolic link to a folder outside the data folder" in err
        assert "secret" not in err
    public.unlink()
    shutil.copytree(outside, public)
    assert client.get("/images/secret.png").status_code == 200


def _stderr_of_failing(*args):
    from io import StringIO

    err = StringIO()
    with pytest.raises(CommandError):
        call_command(*args, stdout=StringIO(), stderr=err)
    return err.getvalue()


# --- 2. absolute URLs come from the configured origin; the host is checked first ------------


@pytest.mark.django_db(transaction=True)
def test_a_forged_host_header_cannot_poison_cached_pages(served):
    _, env = served
    forged = "guides.example.org:6666"
    pages = ["/", "/guides/g", "/guides/c", "/feed.xml", "/guides/c/feed.xml", "/robots.txt"]
    pages += ["/sitemap.xml", "/sitemap-guides.xml", "/sitemap-categories.xml"]
    with Gunicorn(env) as server:
        for path in pages:
            status, _, body = fetch(server.url + path, host=forged)
            assert status == 200, path
            assert b":6666" not in body, path
        for path in pages:
            status, _, body = fetch(server.url + path, host="guides.example.org")
            assert status == 200 and b":6666" not in body, path
        _, _, guide = fetch(server.url + "/guides/g", host="guides.example.org")
        assert f'content="{ORIGIN}/images/ok.png"'.encode() in guide
        assert f'href="{ORIGIN}/guides/g"'.encode() in guide
        _, _, feed = fetch(server.url + "/feed.xml", host=forged)
        assert f'href="{ORIGIN}/guides/g"'.encode() in feed
        _, _, index = fetch(server.url + "/sitemap.xml", host=forged)
        assert f"<loc>{ORIGIN}/sitemap-guides.xml</loc>".encode() in index

        # A page now in the cache is still refused to a host the site does not serve.
        for path in pages:
            status, _, body = fetch(server.url + path, host="evil.example")
            assert status == 400 and b"First" not in body, path


# --- 3. the login throttle ----------------------------------------------------------------------


class Browser:
    """A visitor with cookies who logs in to the admin through the real form."""

    def __init__(self, base, headers=None):
        self.base, self.headers = base, dict(headers or {})
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect
        )

    def login(self, username, password):
        """'ok', 'throttled' or 'wrong'."""
        _, _, page = fetch(self.base + "/admin/login/", headers=self.headers, opener=self.opener)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        data = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "username": username, "password": password}
        ).encode()
        status, _, body = fetch(
            self.base + "/admin/login/",
            data=data,
            headers={**self.headers, "Referer": self.base + "/admin/login/"},
            opener=self.opener,
        )
        if status == 302:
            return "ok"
        if b"Too many failed attempts" in body:
            return "throttled"
        assert b"Please enter the correct username" in body, body[:2000]
        return "wrong"


def parallel_guesses(base, count, username="editor"):
    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(lambda _: Browser(base).login(username, "wrong-guess"), range(count)))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("cache_backend", ["no Redis", "Redis"])
def test_parallel_guesses_on_four_workers_get_exactly_the_limit(served, cache_backend):
    _, env = served
    if cache_backend == "Redis":
        if not redis_up():
            pytest.skip("needs Redis on 127.0.0.1:6379")
        env = {**env, "REDIS_URL": "redis://127.0.0.1:6379/15"}
    with Gunicorn(env, workers=4) as server:
        answers = parallel_guesses(server.url, 100)
        assert answers.count("wrong") == settings.LOGIN_FAILURE_LIMIT
        assert answers.count("throttled") == 100 - settings.LOGIN_FAILURE_LIMIT
        assert Browser(server.url).login("editor", PASSWORD) == "throttled"
        assert Browser(server.url).login("ｅｄｉｔｏｒ", PASSWORD) == "throttled"
        assert Browser(server.url).login("EDITOR", PASSWORD) == "throttled"


@pytest.mark.django_db(transaction=True)
def test_behind_a_proxy_one_client_cannot_lock_out_the_others(served):
    _, env = served
    env = {**env, "TRUSTED_PROXY_HEADER": "X-Forwarded-For"}
    with Gunicorn(env, workers=2) as server:
        attacker = {"X-Forwarded-For": "203.0.113.7"}
        answers = [Browser(server.url, attacker).login("editor", "guess") for _ in range(30)]
        assert answers.count("wrong") == settings.LOGIN_FAILURE_LIMIT
        # A forged header earlier in the chain does not give the attacker a new counter.
        forged = {"X-Forwarded-For": "198.51.100.1, 203.0.113.7"}
        assert Browser(server.url, forged).login("editor", PASSWORD) == "throttled"
        colleague = {"X-Forwarded-For": "198.51.100.20"}
        assert Browser(server.url, colleague).login("editor", PASSWORD) == "ok"


@pytest.fixture
def editor(db):
    user = User.objects.create_user("editor", password=PASSWORD, is_staff=True)
    user.groups.add(ensure_editors_group())
    return user


def client_login(username, password):
    response = Client().post("/admin/login/", {"username": username, "password": password})
    if response.status_code == 302:
        return "ok"
    return "throttled" if b"Too many failed attempts" in response.content else "wrong"


def test_counters_survive_a_cache_flood_and_names_that_normalise_alike(editor):
    for name in ("editor", "Editor", "ｅｄｉｔｏｒ", " editor", "EDITOR"):
        assert client_login(name, "guess") == "wrong"
    for alias in ("default", "pages-local"):
        caches[alias].clear()
    for n in range(200):
        cache.set(f"flood:{n}", "x" * 1000)
    assert client_login("ｅｄｉｔｏｒ", PASSWORD) == "throttled"
    assert client_login("editor", PASSWORD) == "throttled"


def test_a_successful_login_is_not_counted_as_a_guess(editor):
    for _ in range(settings.LOGIN_FAILURE_LIMIT * 2):
        assert client_login("editor", PASSWORD) == "ok"
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        assert client_login("editor", "guess") == "wrong"
    assert client_login("editor", PASSWORD) == "ok"


# --- 4. cache keys, redirects, invalid URLs, health details, back-office CSP -----------------


@pytest.fixture
def site(content, db):
    content.category("c")
    for n in range(3):
        content.guide(f"g{n}", categories=("c",))
    content.guide("d", categories=("c",), draft=True)
    content.import_()
    return content


def test_unknown_query_parameters_share_one_cache_entry(client, site, django_assert_num_queries):
    first = client.get("/guides/c?utm_source=1")
    assert first.status_code == 200
    for n in range(2, 50):
        with django_assert_num_queries(1):  # the content version only: served from the cache
            response = client.get(f"/guides/c?utm_source={n}&x={n}")
        assert response.content == first.content
        assert response["ETag"] == first["ETag"]
    assert client.get("/search?q=g0")["ETag"] != client.get("/search?q=g1")["ETag"]


@pytest.mark.django_db(transaction=True)
def test_query_floods_do_not_grow_redis(served):
    if not redis_up():
        pytest.skip("needs Redis on 127.0.0.1:6379")
    import redis

    _, env = served
    env = {**env, "REDIS_URL": "redis://127.0.0.1:6379/15"}
    client = redis.Redis.from_url(env["REDIS_URL"])
    pattern = f"{env['CACHE_KEY_PREFIX']}:*"
    with Gunicorn(env) as server:
        fetch(server.url + "/", host="guides.example.org")
        before = len(client.keys(pattern))
        for n in range(300):
            assert fetch(server.url + f"/?utm={n}", host="guides.example.org")[0] == 200
        assert len(client.keys(pattern)) == before
    for key in client.keys(pattern):
        client.delete(key)


def test_a_renamed_drafts_old_url_does_not_reveal_its_new_slug(client, site):
    draft = Guide.objects.get(slug="d")
    draft.slug = "secret-launch"
    draft.save()
    response = client.get("/guides/d")
    assert response.status_code == 404
    assert b"secret-launch" not in response.content
    published = Guide.objects.get(slug="g0")
    published.slug = "g0-renamed"
    published.save()
    response = client.get("/guides/g0")
    assert response.status_code == 301 and response["Location"] == "/guides/g0-renamed"


@pytest.mark.parametrize(
    "path",
    [
        "/guides/a%00b",
        "/guides/%00",
        "/tags/a%00b",
        "/guides/a%00b/feed.xml",
        "/guides/a%01b",
        "/guides/a%7Fb",
        "/%00.png",
        "/guides/a%ED%A0%80",
    ],
)
def test_nul_and_control_characters_in_urls_answer_404(client, site, path):
    response = client.get(path)
    assert response.status_code == 404
    assert b"Page not found" in response.content
    assert response["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "query",
    ["source=%00", "q=a%00b", "state=%00", "o=1&source=ok%00"],
)
def test_nul_in_a_back_office_query_value_answers_400_on_every_database(site, query):
    """Django's admin hands a list filter's value to the database as it is, and PostgreSQL
    refuses NUL (``?source=%00`` on the revisions failed with a server error)."""
    admin = Client()
    admin.force_login(User.objects.create_superuser("nul-admin", password=None))
    for path in ("/admin/catalog/guiderevision/", "/admin/catalog/guide/"):
        response = admin.get(f"{path}?{query}")
        assert response.status_code == 400, (path, query)
        assert response["Content-Security-Policy"] == settings.ADMIN_CONTENT_SECURITY_POLICY
    assert admin.get("/admin/catalog/guiderevision/?source=import").status_code == 200


def test_an_empty_to_field_answers_400_not_a_server_error(site):
    """Django's change pages look for the field ``_to_field`` names even when it is empty."""
    admin = Client()
    admin.force_login(User.objects.create_superuser("to-field-admin", password=None))
    guide = Guide.objects.get(slug="g0")
    category = Category.objects.get(slug="c")
    for path in (
        f"/admin/catalog/guide/{guide.pk}/change/",
        f"/admin/catalog/category/{category.pk}/change/",
    ):
        assert admin.get(f"{path}?_to_field=").status_code == 400, path
        assert admin.get(path).status_code == 200


def test_nul_in_a_public_query_value_is_the_views_to_read(client, site):
    assert client.get("/search?q=cache%00kafka").status_code == 200
    assert client.get("/feed.xml?utm=%00").status_code == 200


def test_healthz_tells_anonymous_visitors_no_error_text(client, db, monkeypatch, caplog):
    def refuse(*args, **kwargs):
        raise ConnectionError("Error connecting to redis://secret-user:hunter2@10.1.2.3:6379")

    monkeypatch.setattr("catalog.site.health.cache.set", refuse)
    response = client.get("/healthz")
    text = response.content.decode()
    assert response.json()["cache"] == {"ok": False, "error": "unavailable"}
    assert "secret-user" not in text and "10.1.2.3" not in text and "Error" not in text
    assert "secret-user" in caplog.text  # the operator still finds it in the log


def test_admin_and_preview_carry_a_csp_without_inline_script(client, editor):
    client.force_login(editor)
    for response in (
        client.get("/admin/catalog/guide/add/"),
        client.post("/markdownx/markdownify/", {"content": "# hi"}),
    ):
        policy = response["Content-Security-Policy"]
        assert "script-src 'self';" in policy and "unsafe-inline" not in policy.split(";")[1]
        assert "object-src 'none'" in policy
