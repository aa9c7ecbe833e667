"""Nothing lost beyond in-place edits: deletions, renames, records new on both sides,
uploads and conflicts set aside, through the real admin and real git (a bare remote, the
site's clone and a contributor's clone: tests.gitrepos)."""

import io
import re
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from PIL import Image

from catalog.models import Deletion, Guide, GuideRevision, SlugRedirect
from tests.factories import editor_client
from tests.gitrepos import GUIDE, git, sync
from tests.pipeline.test_sync import _form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return editor_client("alice", email="alice@example.org", first_name="Alice")


@pytest.fixture
def synced(repos):
    sync(repos)
    return repos


def admin_edit(client, current, **changes):
    guide = Guide.objects.get(slug=current)
    response = client.post(
        f"/admin/catalog/guide/{guide.pk}/change/", _form_data(current, **changes)
    )
    assert response.status_code == 302, response.content.decode()[:3000]


def admin_delete(client, slug):
    guide = Guide.objects.get(slug=slug)
    response = client.post(f"/admin/catalog/guide/{guide.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Guide.objects.filter(slug=slug).exists()


def remote_files(repos):
    return sorted(git(repos.origin, "ls-tree", "-r", "--name-only", "main").split())


def contrib(repos, *commands, message="contributor's change"):
    """Run git commands (or callables) in the contributor's clone, commit and push."""
    git(repos.contrib, "pull", "-q", "--no-rebase", "origin", "main")
    for command in commands:
        command() if callable(command) else git(repos.contrib, *command)
    git(repos.contrib, "add", "--all")
    git(repos.contrib, "commit", "-qm", message)
    git(repos.contrib, "push", "-q", "origin", "main")


def edit(repos, path, old, new):
    def change():
        target = repos.contrib / path
        text = target.read_text()
        assert old in text
        target.write_text(text.replace(old, new, 1))

    return change


def page_status(client, slug):
    return client.get(f"/guides/{slug}").status_code


def content_sync_page(client):
    return client.get("/admin/catalog/guide/content-sync/").content.decode()


# --- deletions -------------------------------------------------------------------------------


def test_a_guide_deleted_in_the_admin_is_removed_from_the_repository_and_stays_deleted(
    synced, alice, client
):
    admin_delete(alice, "g")
    out = sync(synced)
    assert "data/guides/g.md" not in remote_files(synced)
    assert "removed 1" in out
    sync(synced)  # and the next sync does not bring it back
    assert not Guide.objects.filter(slug="g").exists() and page_status(client, "g") == 404
    deletion = Deletion.objects.get(slug="g")
    assert (deletion.source, deletion.pending, deletion.deleted_by.username) == (
        "admin",
        False,
        "alice",
    )
    log = git(synced.origin, "log", "-3", "--format=%an|%s", "--name-status", "main")
    assert "Alice|Guides: g (edited by Alice in the admin)\n\nD\tdata/guides/g.md" in log


def test_a_file_deleted_in_git_deletes_its_guide_kept_restorable(synced, alice, client):
    contrib(synced, ("rm", "-q", "data/guides/h.md"))
    sync(synced)
    assert not Guide.objects.filter(slug="h").exists() and page_status(client, "h") == 404
    assert Deletion.objects.get(slug="h").source == "files"
    assert "data/guides/h.md" not in remote_files(synced)
    # Restoring it is an admin change like any other: the next sync writes the file again.
    response = alice.post(
        "/admin/catalog/deletion/",
        {"action": "restore", "_selected_action": [Deletion.objects.get(slug="h").pk]},
    )
    assert response.status_code == 302
    sync(synced)
    assert "data/guides/h.md" in remote_files(synced)
    assert Guide.objects.get(slug="h").body.startswith("Body of h.")


def test_deleted_in_the_admin_and_changed_in_git_is_a_conflict_set_aside(synced, alice):
    admin_delete(alice, "g")
    admin_edit(alice, "h", title="H by Alice")
    contrib(synced, edit(synced, "data/guides/g.md", "Body of g.", "Body of g, improved."))
    out = sync(synced)
    assert "1 conflict(s) set aside" in out and "deleted in the admin, changed in the file" in out
    assert "--on-conflict" not in out
    # Everything else went through; the contributor's file is still there, not imported.
    assert 'title: "H by Alice"' in synced.remote_file("data/guides/h.md")
    assert "Body of g, improved." in synced.remote_file("data/guides/g.md")
    assert not Guide.objects.filter(slug="g").exists()
    page = content_sync_page(alice)
    assert "guides/g.md" in page and "deleted in the admin, changed in the file" in page
    # The contributor's version wins: the guide comes back with their text.
    alice.post(
        "/admin/catalog/guide/content-sync/", {"kind": "guides", "slug": "g", "side": "files"}
    )
    sync(synced)
    assert "Body of g, improved." in Guide.objects.get(slug="g").body
    assert "Everything is in step" in content_sync_page(alice)


def test_deleted_in_the_admin_and_changed_in_git_the_deletion_can_stand(synced, alice):
    admin_delete(alice, "g")
    contrib(synced, edit(synced, "data/guides/g.md", "Body of g.", "Body of g, improved."))
    sync(synced)
    alice.post(
        "/admin/catalog/guide/content-sync/", {"kind": "guides", "slug": "g", "side": "database"}
    )
    sync(synced)
    assert "data/guides/g.md" not in remote_files(synced)
    assert not Guide.objects.filter(slug="g").exists()
    kept = Deletion.objects.get(slug="g", source="conflict")  # the contributor's version
    assert "Body of g, improved." in kept.data["body"]


def test_deleted_in_git_and_changed_in_the_admin_is_a_conflict(synced, alice):
    admin_edit(alice, "g", title="G by Alice")
    contrib(synced, ("rm", "-q", "data/guides/g.md"))
    out = sync(synced)
    assert "deleted in the files, changed in the admin" in out
    assert Guide.objects.get(slug="g").title == "G by Alice"
    assert "data/guides/g.md" not in remote_files(synced)
    alice.post(
        "/admin/catalog/guide/content-sync/", {"kind": "guides", "slug": "g", "side": "database"}
    )
    sync(synced)
    assert 'title: "G by Alice"' in synced.remote_file("data/guides/g.md")


# --- renames ---------------------------------------------------------------------------------


def test_a_rename_in_the_admin_renames_the_file_and_leaves_one_guide(synced, alice, client):
    admin_edit(alice, "g", slug="g-renamed")
    sync(synced)
    files = remote_files(synced)
    assert "data/guides/g-renamed.md" in files and "data/guides/g.md" not in files
    assert list(Guide.objects.values_list("slug", flat=True).order_by("slug")) == [
        "g-renamed",
        "h",
    ]
    response = client.get("/guides/g")
    assert response.status_code == 301 and response["Location"].endswith("/guides/g-renamed")
    log = git(synced.origin, "log", "-2", "--format=%an", "-M", "--name-status", "main")
    # One commit by the editor, which git shows as a rename.
    assert re.search(r"Alice\n\nR\d+\tdata/guides/g.md\tdata/guides/g-renamed.md\n", log)


def test_a_rename_in_the_admin_and_an_edit_of_the_old_file_merge(synced, alice):
    admin_edit(alice, "g", slug="g-renamed")
    contrib(synced, edit(synced, "data/guides/g.md", "Second line.", "Second line, edited."))
    sync(synced)
    guide = Guide.objects.get(slug="g-renamed")
    assert "Second line, edited." in guide.body and Guide.objects.count() == 2
    files = remote_files(synced)
    assert "data/guides/g.md" not in files
    assert "Second line, edited." in synced.remote_file("data/guides/g-renamed.md")


@pytest.mark.parametrize("with_edit", [False, True])
def test_a_rename_in_git_renames_the_guide_and_keeps_the_admins_edit(
    synced, alice, client, with_edit
):
    guide_id = Guide.objects.get(slug="g").pk
    admin_edit(alice, "g", description="Alice's words.")
    steps = [("mv", "data/guides/g.md", "data/guides/g-moved.md")]
    if with_edit:
        steps.append(edit(synced, "data/guides/g-moved.md", "Second line.", "Second, edited."))
    contrib(synced, *steps)
    sync(synced)
    assert Guide.objects.count() == 2
    guide = Guide.objects.get(slug="g-moved")
    assert guide.pk == guide_id and guide.description == "Alice's words."
    assert ("Second, edited." in guide.body) is with_edit
    assert client.get("/guides/g").status_code == 301
    files = remote_files(synced)
    assert "data/guides/g.md" not in files and "data/guides/g-moved.md" in files
    assert 'description: "Alice\'s words."' in synced.remote_file("data/guides/g-moved.md")
    assert SlugRedirect.objects.get(old_slug="g").guide_id == guide_id


def test_renamed_on_both_sides_to_different_slugs_is_a_conflict(synced, alice):
    admin_edit(alice, "g", slug="g-admin")
    contrib(synced, ("mv", "data/guides/g.md", "data/guides/g-git.md"))
    out = sync(synced)
    assert "conflict(s) set aside" in out and "slug" in out
    assert Guide.objects.filter(slug="g-admin").exists()
    assert not Guide.objects.filter(slug="g-git").exists()


# --- new on both sides -------------------------------------------------------------------------


def test_a_guide_new_on_both_sides_under_one_slug_is_a_conflict_not_a_winner(synced, alice):
    response = alice.post(
        "/admin/catalog/guide/add/",
        {
            **_form_data("h"),
            "title": "New in the admin",
            "slug": "fresh",
            "body": "The editor's text.",
            "category_links-INITIAL_FORMS": "0",
            "category_links-0-id": "",
            "category_links-0-guide": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]

    def add():
        (synced.contrib / "data/guides/fresh.md").write_text(
            GUIDE.format(title="New in git", body="The contributor's text.")
        )

    contrib(synced, add)
    out = sync(synced)
    assert "made in the file and in the admin" in out
    assert Guide.objects.get(slug="fresh").body == "The editor's text."
    assert "The contributor's text." in synced.remote_file("data/guides/fresh.md")
    alice.post(
        "/admin/catalog/guide/content-sync/",
        {"kind": "guides", "slug": "fresh", "side": "database"},
    )
    sync(synced)
    assert "The editor's text." in synced.remote_file("data/guides/fresh.md")
    assert GuideRevision.objects.filter(
        guide__slug="fresh", source="conflict", body__contains="The contributor's text."
    ).exists()


# --- one conflict sets its record aside, not the run ---------------------------------------------


def test_a_conflict_holds_back_only_its_own_record(synced, alice):
    admin_edit(alice, "g", title="G by Alice")
    admin_edit(alice, "h", title="H by Alice")
    contrib(
        synced,
        edit(synced, "data/guides/g.md", 'title: "G"', 'title: "G by Bob"'),
        edit(synced, "data/guides/h.md", "Second line.", "Second line by Bob."),
    )
    out = sync(synced)
    assert "1 conflict(s) set aside" in out and "--on-conflict" not in out
    h = synced.remote_file("data/guides/h.md")
    assert 'title: "H by Alice"' in h and "Second line by Bob." in h
    assert Guide.objects.get(slug="g").title == "G by Alice"
    assert 'title: "G by Bob"' in synced.remote_file("data/guides/g.md")


# --- uploads -------------------------------------------------------------------------------


def _png():
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(buffer, "PNG")
    return buffer.getvalue()


def test_uploads_reach_the_repository_and_its_check_passes(synced, alice, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    pasted = alice.post(
        "/markdownx/upload/",
        {"image": SimpleUploadedFile("p.png", _png(), "image/png")},
        headers={"x-requested-with": "XMLHttpRequest"},
    )
    assert pasted.status_code == 200, pasted.content
    pasted_url = pasted.json()["image_code"].split("(")[1].rstrip(")")
    assert pasted_url.startswith("/media/")
    guide = Guide.objects.get(slug="g")
    data = _form_data("g", body=f"{guide.body}\n![A pasted diagram]({pasted_url})\n")
    data["diagram"] = SimpleUploadedFile("d.png", _png(), "image/png")
    response = alice.post(f"/admin/catalog/guide/{guide.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    sync(synced)
    files = remote_files(synced)
    diagram = Guide.objects.get(slug="g").diagram.name
    assert f"data/public/media/{diagram}" in files
    assert "data/public/media/" + pasted_url.removeprefix("/media/") in files
    text = synced.remote_file("data/guides/g.md")
    assert f"image: /media/{diagram}" in text or f'image: "/media/{diagram}"' in text
    # The uploads are in the editor's commit with the guide that names them.
    added_in = git(
        synced.origin, "log", "--format=%H", "main", "--", f"data/public/media/{diagram}"
    )
    shown = git(synced.origin, "show", "--format=%an", "--name-only", added_in.strip())
    assert shown.split()[0] == "Alice" and "data/guides/g.md" in shown.split()
    # The repository's own CI: the contributor's clone checks clean.
    git(synced.contrib, "pull", "-q", "--no-rebase", "origin", "main")
    out = StringIO()  # a failing check raises CommandError
    call_command("import_guides", "--check", "--data-dir", str(synced.contrib / "data"), stdout=out)
    assert "does not exist" not in out.getvalue()
    # Nothing more to do, and a second sync copies nothing again.
    assert "nothing to push" in sync(synced)


def test_a_site_built_from_the_repository_alone_serves_the_copies(
    synced, alice, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    guide = Guide.objects.get(slug="g")
    data = _form_data("g")
    data["diagram"] = SimpleUploadedFile("d.png", _png(), "image/png")
    assert alice.post(f"/admin/catalog/guide/{guide.pk}/change/", data).status_code == 302
    sync(synced)
    name = Guide.objects.get(slug="g").diagram.name
    settings.MEDIA_ROOT = tmp_path / "elsewhere"  # this site holds no uploads
    response = alice.get(f"/media/{name}")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"


def test_an_upload_copy_never_leaves_public_through_a_link(synced, alice, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    outside = tmp_path / "outside"
    outside.mkdir()

    def link():
        public = synced.contrib / "data" / "public"
        public.mkdir(exist_ok=True)
        (public / "media").symlink_to(outside)

    contrib(synced, link)
    guide = Guide.objects.get(slug="g")
    data = _form_data("g")
    data["diagram"] = SimpleUploadedFile("d.png", _png(), "image/png")
    assert alice.post(f"/admin/catalog/guide/{guide.pk}/change/", data).status_code == 302
    with pytest.raises(Exception, match="outside|leave"):
        sync(synced)
    assert list(outside.iterdir()) == []


# --- categories follow the same rules --------------------------------------------------------


def _category_form(category, **changes):
    return {
        "title": category.title,
        "slug": category.slug,
        "description": category.description,
        "sort": str(category.sort),
        "icon": category.icon,
        "image": category.image,
        "body": category.body,
        **changes,
    }


def test_a_category_renamed_in_the_admin_moves_its_file_and_every_guide_follows(synced, alice):
    from catalog.models import Category

    category = Category.objects.get(slug="c")
    response = alice.post(
        f"/admin/catalog/category/{category.pk}/change/", _category_form(category, slug="cats")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    sync(synced)
    files = remote_files(synced)
    assert "data/categories/cats.md" in files and "data/categories/c.md" not in files
    assert "  - cats\n" in synced.remote_file("data/guides/g.md")
    assert list(Category.objects.values_list("slug", flat=True)) == ["cats"]
    # The contributor's clone checks clean: no guide names the old slug.
    git(synced.contrib, "pull", "-q", "--no-rebase", "origin", "main")
    call_command("import_guides", "--check", "--data-dir", str(synced.contrib / "data"))


def test_a_category_deleted_in_the_admin_goes_from_the_repository_too(synced, alice):
    from catalog.models import Category

    Category.objects.create(slug="spare", title="Spare")
    sync(synced)
    assert "data/categories/spare.md" in remote_files(synced)
    spare = Category.objects.get(slug="spare")
    response = alice.post(f"/admin/catalog/category/{spare.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    sync(synced)
    assert "data/categories/spare.md" not in remote_files(synced)
    assert not Category.objects.filter(slug="spare").exists()
    assert Deletion.objects.get(slug="spare").kind == "categories"
