"""The editors' admin: roles, lists, forms, actions, uploads and revisions."""

import datetime as dt
import io
import re

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from PIL import Image

from catalog.infra.roles import ensure_editors_group
from catalog.models import Category, Guide, GuideRevision, Tag

pytestmark = pytest.mark.django_db


def image_bytes(fmt="PNG", size=(64, 48), mode="RGB"):
    buffer = io.BytesIO()
    Image.new(mode, size, "white").save(buffer, fmt)
    return buffer.getvalue()


def noise_jpeg():
    """A JPEG whose scan holds data throughout (a blank image's is a few bytes)."""
    buffer = io.BytesIO()
    Image.effect_noise((64, 48), 60).convert("RGB").save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def editor(monkeypatch):
    monkeypatch.setenv("EDITOR_PW", "a-long-editor-password-1")
    call_command(
        "create_editor",
        "ed",
        "--email",
        "ed@example.org",
        "--password-env",
        "EDITOR_PW",
        verbosity=0,
    )
    client = Client()
    client.login(username="ed", password="a-long-editor-password-1")
    return client


@pytest.fixture
def site(content):
    return editors_site(content)


def editors_site(content):
    """Two categories, a published guide and a draft, imported."""
    content.category("net", title="Networking")
    content.category("sec", title="Security")
    content.guide(
        "tcp",
        title="TCP basics",
        created="2023-05-01",
        categories=("net",),
        tags=("Networking", "Protocols"),
        body="About handshakes.\n",
    )
    content.guide(
        "tls",
        title="TLS",
        created="2024-01-01",
        categories=("sec", "net"),
        tags=("Security",),
        draft=True,
    )
    content.import_()
    return content


def guide_form(**overrides):
    data = {
        "title": "Consistent hashing",
        "slug": "consistent-hashing",
        "description": "Rings.",
        "created_on": "2024-05-01",
        "image": "",
        "body": "# Ring\n\n- a\n- b\n",
        "tag_labels": "Consistent Hashing, networking",
        "draft": "on",
        "category_links-TOTAL_FORMS": "0",
        "category_links-INITIAL_FORMS": "0",
        "category_links-MIN_NUM_FORMS": "0",
        "category_links-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def with_categories(data, *categories, guide=None):
    """Fill the categories inline; for an existing guide, its current rows come first."""
    links = list(guide.category_links.all()) if guide else []
    for n, link in enumerate(links):
        data[f"category_links-{n}-id"] = str(link.pk)
        data[f"category_links-{n}-guide"] = str(guide.pk)
        data[f"category_links-{n}-category"] = str(link.category_id)
        data[f"category_links-{n}-position"] = str(link.position)
    for n, slug in enumerate(categories, start=len(links)):
        data[f"category_links-{n}-category"] = str(Category.objects.get(slug=slug).pk)
        data[f"category_links-{n}-position"] = str(n)
    data["category_links-INITIAL_FORMS"] = str(len(links))
    data["category_links-TOTAL_FORMS"] = str(len(links) + len(categories))
    return data


def test_a_save_names_the_links_and_images_that_lead_nowhere_on_the_site(editor, site, settings):
    """The content check would name them after the export; the editor hears of them at the
    save, at their lines, and the save stands. A published guide's link to a draft is one;
    a draft's is not (both become visible together)."""
    settings.GUIDES_DATA_DIR = site.root
    site.public_image("images/ok.png")
    body = (
        "Intro.\n\n[fine](/guides/tcp) [category](../categories/net.md) [tag](/tags/protocols)"
        " ![ok](/images/ok.png) ![ok too](../public/images/ok.png)\n\n"
        "[gone](/guides/nope)\n\n[draft](tls.md)\n\n![missing](/images/missing.png)\n\n"
        "[no tag](/tags/zebra) [outside](https://example.org/guides/nope)\n"
    )
    data = with_categories(guide_form(body=body), "net")
    del data["draft"]  # published: its links must lead to what visitors see
    response = editor.post("/admin/catalog/guide/add/", data, follow=True)
    assert Guide.objects.get(slug="consistent-hashing").is_published  # saved all the same
    message = next(str(m) for m in response.context["messages"] if "lead nowhere" in str(m))
    assert message.startswith("Saved, but the text has links or images that lead nowhere")
    assert "line 5: links to /guides/nope, but no guide or category is 'nope'" in message
    assert "line 7: links to tls.md, a draft guide that visitors cannot see" in message
    assert "line 11: links to /tags/zebra, but no published guide has the tag 'zebra'" in message
    assert "line 9: image /images/missing.png is not an image the site serves" in message
    assert "/guides/tcp" not in message and "ok.png" not in message and "net.md" not in message
    assert "protocols" not in message and "example.org" not in message
    guide = Guide.objects.get(slug="consistent-hashing")
    data = with_categories(guide_form(body="[draft](/guides/tls)\n"), guide=guide)
    response = editor.post(f"/admin/catalog/guide/{guide.pk}/change/", data, follow=True)
    assert not [m for m in response.context["messages"] if "lead nowhere" in str(m)]
    category = {"title": "Storage", "slug": "storage", "sort": "5", "body": "[x](/guides/tls)\n"}
    response = editor.post("/admin/catalog/category/add/", category, follow=True)
    assert Category.objects.filter(slug="storage").exists()  # a category's page is public:
    assert "line 1: links to /guides/tls, a draft guide" in " ".join(
        str(m) for m in response.context["messages"]
    )


def test_create_editor_puts_the_user_in_the_editors_group(editor):
    user = User.objects.get(username="ed")
    assert user.is_staff and not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == ["Editors"]
    assert user.has_perm("catalog.upload_image") and user.has_perm("catalog.change_guide")
    assert user.has_perm("catalog.delete_category") and not user.has_perm("auth.add_user")


def test_roles_anonymous_editor_superuser(client, editor, admin_client, site):
    assert client.get("/admin/catalog/guide/").status_code == 302
    plain = User.objects.create_user("visitor", password="pw")
    client.force_login(plain)
    assert client.get("/admin/catalog/guide/").status_code == 302
    assert editor.get("/admin/catalog/guide/").status_code == 200
    assert editor.get("/admin/auth/user/").status_code == 403
    net = Category.objects.get(slug="net")
    # Editors may delete: a deleted record is kept, restorable (Deleted records).
    assert editor.get(f"/admin/catalog/category/{net.pk}/delete/").status_code == 200
    assert admin_client.get(f"/admin/catalog/category/{net.pk}/delete/").status_code == 200


def test_list_shows_state_categories_and_tags_with_filters_and_search(editor, site):
    page = editor.get("/admin/catalog/guide/").content.decode()
    assert "TCP basics" in page and "Draft" in page and "Published" in page
    assert "Networking, Protocols" in page and "Security, Networking" in page

    def titles(query):
        html = editor.get("/admin/catalog/guide/" + query).content.decode()
        return sorted(set(re.findall(r'<th class="field-title"><a [^>]*>([^<]+)</a>', html)))

    assert titles("?state=draft") == ["TLS"]
    assert titles("?state=published") == ["TCP basics"]
    assert titles(
        f"?category_links__category__id__exact={Category.objects.get(slug='sec').pk}"
    ) == ["TLS"]
    assert titles("?tag=protocols") == ["TCP basics"]
    assert titles("?year=2024") == ["TLS"]
    for not_a_year in ("99999999999999999999", "0", "²", "abc"):  # none, and no server error
        assert editor.get("/admin/catalog/guide/?year=" + not_a_year).status_code == 200
        assert titles("?year=" + not_a_year) == []
    assert titles("?q=handshakes") == ["TCP basics"]
    assert titles("?q=security") == ["TLS"]


@pytest.fixture
def searchable(content):
    content.category("c")
    content.guide(
        "consistent-hashing-101",
        title="Consistent hashing",
        description="How keys move.",
        categories=("c",),
        tags=("Distributed Systems",),
        body="Rings of caches.\n",
    )
    content.guide(
        "kafka-intro",
        title="Kafka in five minutes",
        categories=("c",),
        tags=("Message Queues",),
        body="Logs, partitions and consumers.\n",
        draft=True,
    )
    content.guide("other", title="Other", categories=("c",), tags=("Misc",), body="None.\n")
    content.import_()


def test_admin_search_finds_every_word_in_titles_slugs_tags_and_text(editor, searchable):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def titles(query):
        html = editor.get("/admin/catalog/guide/", {"q": query}).content.decode()
        return sorted(set(re.findall(r'<th class="field-title"><a [^>]*>([^<]+)</a>', html)))

    assert titles("hash") == ["Consistent hashing"]  # part of a title word
    assert titles("consistent-hashing-1") == ["Consistent hashing"]  # the slug's start
    assert titles("queues") == ["Kafka in five minutes"]  # a tag, on a draft
    assert titles("partitions") == ["Kafka in five minutes"]  # the body
    assert titles("keys caches") == ["Consistent hashing"]  # description and body
    assert titles("kafka partitions") == ["Kafka in five minutes"]
    assert titles("kafka caches") == []  # every word must match
    assert len(titles("")) == 3
    if connection.vendor == "postgresql":
        assert titles("caching") == ["Consistent hashing"]  # stemmed, as the site's search
    with CaptureQueriesContext(connection) as captured:
        editor.get("/admin/catalog/guide/", {"q": "partitions"})
    searched = [q["sql"] for q in captured.captured_queries if "partitions" in q["sql"]]
    assert searched
    for sql in searched:  # no join repeating guides, no DISTINCT over whole guide rows
        assert 'DISTINCT "catalog_guide"' not in sql and "OUTER JOIN" not in sql, sql
        if connection.vendor == "postgresql":  # conditions the indexes serve
            assert " ILIKE " in sql and "@@" in sql and "UPPER(" not in sql, sql
            assert 'slug"::text LIKE' in sql or '"slug" LIKE' in sql, sql


def test_revision_list_is_newest_first_and_searches_titles_and_slugs(editor, searchable):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from catalog.models import GuideRevision

    kafka = Guide.objects.get(slug="kafka-intro")
    GuideRevision.objects.create(guide=kafka, source="admin", title="Kafka, revised")

    def rows(query=""):
        html = editor.get("/admin/catalog/guiderevision/", {"q": query}).content.decode()
        return re.findall(r'<td class="field-title">([^<]*)</td>', html)

    assert rows()[0] == "Kafka, revised" and len(rows()) == 4
    assert rows("revis") == ["Kafka, revised"]  # part of a title
    assert rows("kafka-i") == ["Kafka, revised", "Kafka in five minutes"]  # a slug's start
    assert rows("hashing consistent-") == ["Consistent hashing"]  # every word, either place
    with CaptureQueriesContext(connection) as captured:
        editor.get("/admin/catalog/guiderevision/")
    listed = [q["sql"] for q in captured.captured_queries if "catalog_guiderevision" in q["sql"]]
    assert listed
    for sql in listed:  # a list page reads no revision text, and no guide's
        assert '"catalog_guiderevision"."body"' not in sql, sql
        assert '"catalog_guide"."body"' not in sql, sql
    revision = GuideRevision.objects.get(title="Consistent hashing")
    page = editor.get(f"/admin/catalog/guiderevision/{revision.pk}/change/").content.decode()
    assert "Rings of caches." in page  # one revision's page shows its text


def test_revision_search_for_a_slug_start_many_guides_share(editor, content):
    """A word many slugs begin with, alone or with another: the right revisions, newest
    first; on PostgreSQL their guides' keys go to the database as one array, not one
    parameter a guide, and no union reads every match."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    content.category("c")
    for n in range(120):
        content.guide(f"how-{n:03}", title=f"Step {n:03}", categories=("c",))
    content.guide("other", title="How it works", categories=("c",))
    content.guide("else", title="Else", categories=("c",))
    content.import_()

    def rows(query, page=None):
        params = {"q": query, **({"p": page} if page else {})}
        html = editor.get("/admin/catalog/guiderevision/", params).content.decode()
        return re.findall(r'<td class="field-title">([^<]*)</td>', html)

    found = rows("how") + rows("how", 2)  # two pages of 100, newest first
    assert sorted(found) == sorted(["How it works", *(f"Step {n:03}" for n in range(120))])
    assert found == [
        revision.title for revision in GuideRevision.objects.exclude(guide__slug="else")
    ]
    assert rows("how step-1") == []  # every word: no slug starts with "step-1"
    newest_first = [f"Step {n:03}" for n in range(119, 109, -1)] + ["Step 011"]
    assert rows("how 11") == newest_first  # "11" in the title, the slug begins "how"
    with CaptureQueriesContext(connection) as captured:
        editor.get("/admin/catalog/guiderevision/", {"q": "how"})
    listed = [q["sql"] for q in captured.captured_queries if "catalog_guiderevision" in q["sql"]]
    assert listed
    for sql in listed:
        if connection.vendor == "postgresql":
            assert "= ANY(" in sql and "UNION" not in sql and " IN (" not in sql, sql


def test_add_guide_keeps_category_order_and_never_splits_tags(editor, site):
    data = with_categories(guide_form(), "sec", "net")
    response = editor.post("/admin/catalog/guide/add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    guide = Guide.objects.get(slug="consistent-hashing")
    assert guide.draft is True
    assert [link.category.slug for link in guide.category_links.all()] == ["sec", "net"]
    assert [(i.label, i.tag.name) for i in guide.tagged_items.all()] == [
        ("Consistent Hashing", "Consistent Hashing"),
        ("networking", "Networking"),
    ]
    assert Tag.objects.filter(name__iexact="networking").count() == 1
    assert guide.body_html.startswith('<h1 id="ring">')
    assert guide.revisions.count() == 1


def test_body_is_kept_as_typed_with_unix_line_endings(editor, site):
    data = with_categories(guide_form(body="    indented code\r\n\r\ntext  \r\n"), "net")
    assert editor.post("/admin/catalog/guide/add/", data).status_code == 302
    guide = Guide.objects.get(slug="consistent-hashing")
    assert guide.body == "    indented code\n\ntext  \n"
    assert "<code>indented code\n</code></pre>" in guide.body_html


def test_new_guide_form_starts_as_a_draft_dated_today(editor):
    page = editor.get("/admin/catalog/guide/add/").content.decode()
    assert f'value="{dt.date.today().isoformat()}"' in page
    assert re.search(r'<input type="checkbox" name="draft"[^>]*checked', page)
    assert "markdownx" in page


@pytest.mark.parametrize(
    ("slug", "error"),
    [
        ("Bad Slug", "lower-case ASCII letters"),
        ("net", "is also the slug of a category"),
        ("tcp", "Guide with this Slug already exists"),
    ],
)
def test_slug_validation_errors(editor, site, slug, error):
    response = editor.post("/admin/catalog/guide/add/", guide_form(slug=slug))
    assert response.status_code == 200
    assert error in response.content.decode()


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("title", "\u200b\u200d", "shows nothing: it holds only invisible characters"),
        ("tag_labels", "kafka, \u200e", "shows nothing: it holds only invisible characters"),
    ],
)
def test_a_title_or_tag_that_shows_nothing_is_refused_as_in_files(
    editor, site, field, value, error
):
    response = editor.post("/admin/catalog/guide/add/", guide_form(**{field: value}))
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Guide.objects.filter(slug="consistent-hashing").exists()


@pytest.mark.parametrize("value", ["²", "١", "99999999999999999999", "1" * 500, "a", "\x00"])
def test_ids_posted_to_the_back_office_never_fail_a_lookup(admin_client, site, value):
    """Values ``isdigit`` takes but ``int`` refuses ("²") or that no column holds (twenty
    digits) answered 500: each is an id of nothing."""
    guide = Guide.objects.get(slug="tcp")
    response = admin_client.post(
        f"/admin/catalog/guide/{guide.pk}/review-links/", {"revoke": value}
    )
    assert response.status_code == 302
    response = admin_client.post("/admin/taggit/tag/near-duplicates/", {"tag": [value]})
    assert response.status_code == 302
    response = admin_client.get("/admin/taggit/tag/merge-tags/", follow=True)
    assert "Select the tags to merge first." in response.content.decode()
    response = admin_client.get(f"/admin/catalog/guide/1{value}/change/")
    assert response.status_code in (302, 404)  # the admin's "no such guide", not an error


def test_category_slug_may_not_equal_a_guide_slug(admin_client, site):
    response = admin_client.post(
        "/admin/catalog/category/add/",
        {
            "title": "TCP",
            "slug": "tcp",
            "description": "",
            "sort": "5",
            "icon": "",
            "image": "",
            "body": "",
        },
    )
    assert "is also the slug of a guide" in response.content.decode()


def test_publish_and_unpublish_actions_count_and_invalidate(editor, site, client):
    ids = [str(pk) for pk in Guide.objects.values_list("pk", flat=True)]
    assert b"TLS" not in client.get("/guides/sec").content
    response = editor.post(
        "/admin/catalog/guide/", {"action": "publish", "_selected_action": ids}, follow=True
    )
    assert "Published 1 guide." in response.content.decode()
    assert b"TLS" in client.get("/guides/sec").content
    response = editor.post(
        "/admin/catalog/guide/", {"action": "unpublish", "_selected_action": ids}, follow=True
    )
    assert "Unpublished 2 guides." in response.content.decode()
    assert client.get("/guides/tcp").status_code == 404
    assert GuideRevision.objects.filter(source="unpublish").count() == 2


def test_save_and_preview_opens_the_page_even_for_a_draft(editor, site):
    data = with_categories(guide_form(_preview="Save and preview"), "net")
    response = editor.post("/admin/catalog/guide/add/", data)
    assert response["Location"] == "/guides/consistent-hashing"
    page = editor.get("/guides/consistent-hashing").content.decode()
    assert "Draft — not published" in page


def test_save_and_preview_of_an_unchanged_guide_adds_no_revision(editor, site):
    editor.post("/admin/catalog/guide/add/", with_categories(guide_form(), "net"))
    guide = Guide.objects.get(slug="consistent-hashing")
    url = f"/admin/catalog/guide/{guide.pk}/change/"
    for _ in range(2):
        data = with_categories(guide_form(_preview="Save and preview"), guide=guide)
        assert editor.post(url, data)["Location"] == "/guides/consistent-hashing"
    assert guide.revisions.count() == 1
    data = with_categories(guide_form(description="Rings, again."), guide=guide)
    assert editor.post(url, data).status_code == 302
    assert guide.revisions.count() == 2 and guide.revisions.first().frontmatter["description"] == (
        "Rings, again."
    )


def test_category_admin_edits_sort_in_the_list_and_counts_guides(admin_client, site):
    page = admin_client.get("/admin/catalog/category/").content.decode()
    net_row = re.search(r"Networking</a>.*?</tr>", page, re.S).group(0)
    assert '<td class="field-published_guides">1</td>' in net_row
    assert '<td class="field-draft_guides">1</td>' in net_row
    assert 'name="form-0-sort"' in page


def test_revisions_list_diff_and_restore(editor, site):
    guide = Guide.objects.get(slug="tcp")
    url = f"/admin/catalog/guide/{guide.pk}/change/"
    data = with_categories(
        guide_form(title="TCP basics", slug="tcp", body="First text.\n"), guide=guide
    )
    assert editor.post(url, data).status_code == 302
    first = guide.revisions.order_by("created_at", "id").last()
    data["body"], data["title"] = "Second text.\n", "TCP, revised"
    assert editor.post(url, data).status_code == 302
    page = editor.get(url).content.decode()
    assert page.count("Compare with current / restore") == guide.revisions.count() == 3
    diff = editor.get(f"/admin/catalog/guide/{guide.pk}/revisions/{first.pk}/").content.decode()
    assert "-First text." in diff and "+Second text." in diff
    response = editor.post(f"/admin/catalog/guide/{guide.pk}/revisions/{first.pk}/")
    assert response.status_code == 302
    guide.refresh_from_db()
    assert (guide.title, guide.body) == ("TCP basics", "First text.\n")
    assert guide.revisions.first().source == "restore" and guide.revisions.count() == 4


def test_tag_suggestions_match_case_insensitively(editor, site, client):
    assert editor.get("/admin/catalog/guide/tag-suggestions/?q=PROTO").json() == {
        "tags": ["Protocols"]
    }
    assert client.get("/admin/catalog/guide/tag-suggestions/?q=p").status_code == 302


@pytest.mark.parametrize(
    ("fmt", "ext"), [("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp"), ("GIF", "gif")]
)
def test_diagram_upload_stores_a_generated_name_and_records_its_size(
    editor, site, fmt, ext, client
):
    upload = SimpleUploadedFile("../../evil name.exe", image_bytes(fmt, (300, 200)))
    data = with_categories(guide_form(diagram=upload), "net")
    data.pop("draft")
    response = editor.post("/admin/catalog/guide/add/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    guide = Guide.objects.get(slug="consistent-hashing")
    assert re.fullmatch(rf"diagrams/[0-9a-f]{{32}}\.{ext}", guide.diagram.name)
    assert (guide.image_width, guide.image_height) == (300, 200)
    page = client.get("/guides/consistent-hashing").content.decode()
    assert f'src="/media/{guide.diagram.name}"' in page and 'width="300" height="200"' in page
    media = client.get(f"/media/{guide.diagram.name}")
    assert media.status_code == 200 and media["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("name", "payload", "message"),
    [
        ("text.png", b"just text, renamed", "not a PNG, JPEG, GIF or WebP image"),
        (
            "d.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "not a PNG, JPEG, GIF or WebP image",
        ),
        ("page.html", b"<html><script>alert(1)</script></html>", "not a PNG, JPEG"),
        ("d.bmp", image_bytes("BMP"), "BMP images are not accepted"),
        (
            "huge.png",
            image_bytes("PNG", (8000, 6000), mode="1"),
            "the largest allowed is 40 megapixels",
        ),
        (
            "big.png",
            image_bytes("PNG") + b"\0" * (10 * 1024 * 1024),
            "the largest allowed is 10 MB",
        ),
        # a sound header, its data cut short: found only when the pixels are decoded (500)
        ("cut.jpg", noise_jpeg()[:-400], "This JPEG image cannot be read: its data is damaged"),
    ],
)
def test_bad_uploads_are_refused_in_the_form_and_the_editor(editor, site, name, payload, message):
    data = with_categories(guide_form(diagram=SimpleUploadedFile(name, payload)), "net")
    response = editor.post("/admin/catalog/guide/add/", data)
    assert response.status_code == 200 and message in response.content.decode()
    response = editor.post(
        "/markdownx/upload/",
        {"image": SimpleUploadedFile(name, payload)},
        headers={"x-requested-with": "XMLHttpRequest"},
    )
    assert response.status_code == 400 and message in response.content.decode()


def test_editor_drag_and_drop_upload_returns_markdown(editor, settings):
    response = editor.post(
        "/markdownx/upload/",
        {"image": SimpleUploadedFile("x.png", image_bytes())},
        headers={"x-requested-with": "XMLHttpRequest"},
    )
    code = response.json()["image_code"]
    assert re.fullmatch(r"!\[\]\(/media/diagrams/[0-9a-f]{32}\.png\)", code)


def test_editor_endpoints_refuse_everyone_but_editors(client, site):
    staff = User.objects.create_user("staff", password="pw", is_staff=True)
    plain = User.objects.create_user("plain", password="pw")
    png = image_bytes()
    for user in (None, plain, staff):
        c = Client()
        if user:
            c.force_login(user)
        assert c.post("/markdownx/markdownify/", {"content": "# x"}).status_code == 403
        assert (
            c.post("/markdownx/upload/", {"image": SimpleUploadedFile("a.png", png)}).status_code
            == 403
        )


def test_editor_endpoints_require_csrf(site):
    user = User.objects.create_user("e2", password="pw", is_staff=True)
    user.groups.add(ensure_editors_group())
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    assert strict.post("/markdownx/markdownify/", {"content": "# x"}).status_code == 403
    strict.get("/admin/catalog/guide/add/")
    token = strict.cookies["csrftoken"].value
    response = strict.post(
        "/markdownx/markdownify/", {"content": "# x"}, headers={"x-csrftoken": token}
    )
    assert response.status_code == 200 and b'<h1 id="x">' in response.content


def test_the_preview_refuses_a_text_longer_than_a_file_may_be(editor, site):
    response = editor.post("/markdownx/markdownify/", {"content": "&" * 1_000_001})
    assert response.status_code == 400 and b"at most 1,000,000 bytes" in response.content
    response = editor.post("/markdownx/markdownify/", {"content": "x" * 999_000})
    assert response.status_code == 200


@pytest.mark.parametrize(("fmt", "ext"), [("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp")])
def test_an_uploaded_diagram_gets_smaller_copies_in_a_srcset(editor, site, client, fmt, ext):
    upload = SimpleUploadedFile("big", image_bytes(fmt, (2000, 1000)))
    data = with_categories(guide_form(diagram=upload), "net")
    data.pop("draft")
    assert editor.post("/admin/catalog/guide/add/", data).status_code == 302
    guide = Guide.objects.get(slug="consistent-hashing")
    stem = guide.diagram.name.rsplit(".", 1)[0]
    assert guide.diagram_variants == {"name": guide.diagram.name, "widths": [480, 960, 1600]}
    for width in (480, 960, 1600):
        response = client.get(f"/media/{stem}-{width}w.{ext}")
        assert response.status_code == 200
        with Image.open(io.BytesIO(b"".join(response.streaming_content))) as copy:
            assert (copy.size, copy.format) == ((width, width // 2), fmt)
    page = client.get("/guides/consistent-hashing").content.decode()
    hero = re.search(r'<figure class="diagram">.*?</figure>', page, re.S).group(0)
    assert (
        f'srcset="/media/{stem}-480w.{ext} 480w, /media/{stem}-960w.{ext} 960w, '
        f'/media/{stem}-1600w.{ext} 1600w, /media/{guide.diagram.name} 2000w"' in hero
    )
    assert 'sizes="' in hero and 'width="2000" height="1000"' in hero
    srcset = re.search(r'srcset="([^"]+)"', hero).group(1)
    card = re.search(r'<img class="card-thumb"[^>]*>', client.get("/").content.decode()).group(0)
    result = client.get("/search", {"q": "consistent"}).content.decode()
    result = re.search(r'<img class="result-thumb"[^>]*>', result).group(0)
    for img, sizes in [(card, "(min-width: 40rem) 20rem, calc(100vw - 2rem)"), (result, "7rem")]:
        assert f'src="/media/{guide.diagram.name}" srcset="{srcset}" sizes="{sizes}"' in img
        assert 'width="2000" height="1000" alt="" loading="lazy" decoding="async"' in img


def test_a_small_upload_has_no_copies_and_an_image_url_no_srcset(editor, site, client):
    upload = SimpleUploadedFile("small", image_bytes("PNG", (400, 300)))
    data = with_categories(guide_form(diagram=upload), "net")
    data.pop("draft")
    assert editor.post("/admin/catalog/guide/add/", data).status_code == 302
    guide = Guide.objects.get(slug="consistent-hashing")
    assert guide.diagram_variants["widths"] == []
    assert "srcset" not in client.get("/guides/consistent-hashing").content.decode()


def test_the_lists_filters_cost_no_query_that_reads_every_row(editor, content):
    """The year filter lists the years that have guides (one index probe a year) and the
    revision list's source filter is the field's choices: a DISTINCT over every guide's
    date, or every revision's source, grew with the collection (30-60 ms at 100,000)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    content.category("c")
    for slug, created in {"a": "2019-05-01", "b": "2021-01-01", "c2": "2021-12-31"}.items():
        content.guide(slug, categories=("c",), created=created)
    content.guide("d", categories=("c",), created="2024-02-29", draft=True)
    content.import_()
    with CaptureQueriesContext(connection) as captured:
        page = editor.get("/admin/catalog/guide/").content.decode()
    years = re.findall(r'href="\?year=(\d+)"', page)
    assert years == ["2024", "2021", "2019"]  # drafts too; no year without a guide
    with CaptureQueriesContext(connection) as revisions:
        listed = editor.get("/admin/catalog/guiderevision/").content.decode()
    assert "?source__exact=import" in listed and "?source__exact=unpublish" in listed
    for sql in [q["sql"] for q in captured.captured_queries + revisions.captured_queries]:
        assert "DISTINCT" not in sql, sql


def test_a_search_counts_its_matches_only_as_far_as_a_cap(editor, content, monkeypatch):
    """Beyond the cap a search's list says "more than" the cap, numbers its pages up to it,
    and its count query stops there; below it, and without a search, counts are exact."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from catalog.admin import lists

    monkeypatch.setattr(lists.CappedCountPaginator, "cap", 3)
    content.category("c")
    for n in range(5):
        content.guide(f"cache-{n}", title=f"Cache {n}", categories=("c",))
    content.guide("other", title="Other", categories=("c",))
    content.import_()
    monkeypatch.setattr("catalog.admin.guides.GuideAdmin.list_per_page", 2)

    with CaptureQueriesContext(connection) as captured:
        page = editor.get("/admin/catalog/guide/", {"q": "cache"}).content.decode()
    assert "More than 3 results" in page and "more than 3 guides" in page
    assert "Select all matching guides (more than 3)" in page
    assert re.findall(r'href="\?p=(\d+)&amp;q=cache"', page) == ["2"]  # pages 1-2 of 3 rows
    counts = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"]]
    assert len(counts) == 1 and "LIMIT 4" in counts[0], counts

    # Selecting "all matching" acts on every match, not on the counted ones.
    response = editor.post(
        "/admin/catalog/guide/?q=cache",
        {"action": "unpublish", "select_across": "1", "index": "0", "_selected_action": ["1"]},
    )
    assert response.status_code == 302
    assert Guide.objects.filter(slug__startswith="cache-", draft=True).count() == 5

    exact = editor.get("/admin/catalog/guide/", {"q": "other"}).content.decode()
    assert "1 result" in exact and "more than" not in exact.lower()
    listed = editor.get("/admin/catalog/guide/").content.decode()
    assert "6 guides" in listed and "more than" not in listed.lower()
    revisions = editor.get("/admin/catalog/guiderevision/", {"q": "cache"}).content.decode()
    assert "more than 3 guide revisions" in revisions
