"""No edit is silently lost between the files and the admin (catalog.fileformat.merge).

Scenarios a user meets, through the real admin form and the real commands, then a
property test of random interleavings of admin edits, file edits, imports and exports.
"""

import html
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.fileformat import GuideFile, from_data, parse_guide
from catalog.models import Category, CategoryRevision, Guide, GuideRevision, Tag
from catalog.write.changes import save_guide
from tests.factories import editor_client as make_editor_client

pytestmark = pytest.mark.django_db


def command(name, root, *args):
    """(exit status, stdout + stderr) of a command on the folder."""
    out = StringIO()
    try:
        call_command(name, "--data-dir", str(root), *args, stdout=out, stderr=out)
        return 0, out.getvalue()
    except CommandError as exc:
        return 1, out.getvalue() + str(exc)


def import_(root, *args):
    return command("import_guides", root, *args)


def export(root, *args):
    return command("export_guides", root, *args)


@pytest.fixture
def site(content):
    content.category("c")
    content.guide("g", title="Original", description="First words.", categories=("c",))
    content.guide("h", title="Other", categories=("c",))
    assert import_(content.root)[0] == 0
    return content


@pytest.fixture
def editor_client():
    return make_editor_client("alice")


def admin_save(client, slug, **changes):
    """Save a guide through the real admin change form, changing some fields."""
    guide = Guide.objects.get(slug=slug)
    response = client.post(f"/admin/catalog/guide/{guide.pk}/change/", _form_data(slug, **changes))
    assert response.status_code == 302, response.content.decode()[:2000]


def _form_data(current, **changes):
    """What the admin's change form posts for a guide, with some fields changed."""
    guide = Guide.objects.with_page().get(slug=current)
    data = {
        "title": guide.title,
        "slug": guide.slug,
        "description": guide.description,
        "created_on": guide.created_on.isoformat(),
        "draft": "on" if guide.draft else "",
        "image": guide.image,
        "body": guide.body,
        "tag_labels": ", ".join(i.label for i in guide.tagged_items.all()),
        "category_links-TOTAL_FORMS": "1",
        "category_links-INITIAL_FORMS": "1",
        "category_links-MIN_NUM_FORMS": "0",
        "category_links-MAX_NUM_FORMS": "1000",
    }
    link = guide.category_links.all()[0]
    data.update(
        {
            "category_links-0-id": link.pk,
            "category_links-0-guide": guide.pk,
            "category_links-0-category": link.category_id,
            "category_links-0-position": "0",
        }
    )
    data.update(changes)
    return data


def edit_file(content, slug, old, new):
    path = content.root / "guides" / f"{slug}.md"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def file_of(content, slug):
    path = content.root / "guides" / f"{slug}.md"
    return parse_guide(slug, path.read_bytes(), path)


def test_an_import_keeps_an_admin_edit_the_files_do_not_have(site, editor_client):
    admin_save(editor_client, "g", description="Edited by Alice.")
    status, out = import_(site.root)
    assert status == 0
    assert "kept 1 admin edit(s) of guides not yet in the files (export them): g" in out
    assert Guide.objects.get(slug="g").description == "Edited by Alice."
    status, out = export(site.root)
    assert file_of(site, "g").description == "Edited by Alice."
    assert import_(site.root)[1].count("0 updated") == 2  # in step now


def test_an_export_leaves_a_contributors_newer_file_alone(site):
    edit_file(site, "g", "First words.", "A contributor's words.")
    before = (site.root / "guides" / "g.md").read_bytes()
    status, out = export(site.root)
    assert status == 0
    assert "1 file(s) are newer than the database; import them" in out
    assert (site.root / "guides" / "g.md").read_bytes() == before
    assert export(site.root, "--check")[0] == 1
    import_(site.root)
    assert Guide.objects.get(slug="g").description == "A contributor's words."
    assert export(site.root, "--check")[0] == 0


@pytest.mark.parametrize("kind", ["guides", "categories"])
def test_an_export_writes_nothing_through_a_folder_linked_out_of_the_data_folder(
    site, editor_client, tmp_path, kind
):
    """A contributor can commit guides/ as a link to anywhere: the import refuses it, and so
    does an export run on its own, before writing anything there."""
    admin_save(editor_client, "g", title="Changed in the admin")
    outside = tmp_path / "outside"
    (site.root / kind).rename(outside)
    (site.root / kind).symlink_to(outside, target_is_directory=True)
    before = {path.name: path.read_bytes() for path in outside.iterdir()}
    status, out = export(site.root)
    assert status == 1
    assert f"{site.root / kind}:1: is a symbolic link to a folder outside the data folder" in out
    assert "nothing was written" in out
    assert {path.name: path.read_bytes() for path in outside.iterdir()} == before
    assert import_(site.root)[0] == 1


def test_reading_stored_records_pauses_the_cycle_collector_only_meanwhile(site, monkeypatch):
    import gc

    from catalog.write import records

    import_(site.root)
    during = []
    base = records._base
    monkeypatch.setattr(records, "_base", lambda *row: during.append(gc.isenabled()) or base(*row))
    assert set(records.stored_guides()) == {"g", "h"} and gc.isenabled()
    assert during and not any(during)
    gc.disable()
    try:
        records.stored_categories()
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.enable()
    monkeypatch.setattr(records, "_base", lambda *row: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        records.stored_guides()
    assert gc.isenabled()


def test_the_same_field_changed_on_both_sides_stops_both_commands(site, editor_client):
    admin_save(editor_client, "g", description="Alice's words.")
    edit_file(site, "g", "First words.", "Bob's words.")
    file_before = (site.root / "guides" / "g.md").read_bytes()
    for run in (import_, export):
        status, out = run(site.root)
        assert status == 1
        line = next(x for x in out.splitlines() if "changed in the file and in the admin" in x)
        assert re.fullmatch(
            rf"{re.escape(str(site.root / 'guides' / 'g.md'))}: description: changed in the "
            r"file and in the admin \(by alice, \d{4}-\d\d-\d\d \d\d:\d\d UTC\)",
            line,
        ), line
        assert "--on-conflict" in out
        assert Guide.objects.get(slug="g").description == "Alice's words."
        assert (site.root / "guides" / "g.md").read_bytes() == file_before


def test_different_fields_changed_on_both_sides_are_merged(site, editor_client):
    admin_save(editor_client, "g", title="Alice's title")
    edit_file(site, "g", "First words.", "Bob's words.")
    status, out = import_(site.root)
    assert status == 0 and "merged the file's and the admin's changes to 1 guides: g" in out
    guide = Guide.objects.get(slug="g")
    assert (guide.title, guide.description) == ("Alice's title", "Bob's words.")
    export(site.root)
    item = file_of(site, "g")
    assert (item.title, item.description) == ("Alice's title", "Bob's words.")
    assert export(site.root, "--check")[0] == 0


def test_an_export_merges_too(site, editor_client):
    admin_save(editor_client, "g", title="Alice's title")
    edit_file(site, "g", "First words.", "Bob's words.")
    assert export(site.root)[0] == 0
    item = file_of(site, "g")
    assert (item.title, item.description) == ("Alice's title", "Bob's words.")
    import_(site.root)
    guide = Guide.objects.get(slug="g")
    assert (guide.title, guide.description) == ("Alice's title", "Bob's words.")
    assert export(site.root, "--check")[0] == 0


@pytest.mark.parametrize("side", ["files", "database"])
def test_choosing_a_side_keeps_the_other_as_a_revision(site, editor_client, side):
    admin_save(editor_client, "g", description="Alice's words.")
    edit_file(site, "g", "First words.", "Bob's words.")
    status, _ = import_(site.root, "--on-conflict", side)
    assert status == 0
    winner, loser = (
        ("Bob's words.", "Alice's words.")
        if side == "files"
        else ("Alice's words.", "Bob's words.")
    )
    assert Guide.objects.get(slug="g").description == winner
    kept = GuideRevision.objects.filter(guide__slug="g", source="conflict").get()
    assert kept.frontmatter["description"] == loser
    export(site.root)
    assert file_of(site, "g").description == winner
    assert export(site.root, "--check")[0] == 0


@pytest.mark.parametrize("side", ["files", "database"])
def test_an_export_can_choose_a_side_too(site, editor_client, side):
    admin_save(editor_client, "g", description="Alice's words.")
    edit_file(site, "g", "First words.", "Bob's words.")
    assert export(site.root, "--on-conflict", side)[0] == 0
    loser = "Alice's words." if side == "files" else "Bob's words."
    kept = GuideRevision.objects.filter(guide__slug="g", source="conflict").get()
    assert kept.frontmatter["description"] == loser
    if side == "database":
        assert file_of(site, "g").description == "Alice's words."
    else:
        import_(site.root)
        assert Guide.objects.get(slug="g").description == "Bob's words."
    assert export(site.root, "--check")[0] == 0


def test_categories_follow_the_same_rules(site):
    category = Category.objects.get(slug="c")
    category.description = "From the admin."
    category.save()
    path = site.root / "categories" / "c.md"
    path.write_text(path.read_text().replace("About it.", "From the file."))
    status, out = import_(site.root)
    assert status == 1 and f"{path}: description: changed in the file and in the admin" in out
    assert import_(site.root, "--on-conflict", "files")[0] == 0
    assert Category.objects.get(slug="c").description == "From the file."
    kept = CategoryRevision.objects.get(category__slug="c")
    assert kept.data["description"] == "From the admin."


def test_a_record_without_a_base_is_in_step_or_a_conflict_never_a_winner(site):
    """Made on both sides under one slug (or from before sync bases): the same content is
    in step from then on; different content is a conflict naming what differs."""
    Guide.objects.update(synced=None)
    Guide.objects.filter(slug="g").update(title="Admin")
    status, output = import_(site.root)
    assert status == 1 and "g.md: title: made in the file and in the admin" in output
    assert Guide.objects.get(slug="g").title == "Admin"
    assert Guide.objects.get(slug="h").synced is None  # nothing was written
    assert import_(site.root, "--on-conflict", "skip")[0] == 0
    g = Guide.objects.get(slug="g")
    assert g.title == "Admin" and g.synced is None
    assert Guide.objects.get(slug="h").synced is not None  # in step: its base is set
    assert import_(site.root, "--on-conflict", "files")[0] == 0
    assert Guide.objects.get(slug="g").title == "Original"
    assert GuideRevision.objects.filter(guide__slug="g", source="conflict", title="Admin").exists()


# --- random interleavings -------------------------------------------------------------------

FIELDS = ("title", "description", "body")
operations = st.lists(
    st.one_of(
        st.tuples(st.just("admin"), st.sampled_from(FIELDS)),
        st.tuples(st.just("file"), st.sampled_from(FIELDS)),
        st.tuples(st.just("import"), st.sampled_from(["stop", "stop", "files", "database"])),
        st.tuples(st.just("export"), st.sampled_from(["stop", "stop", "files", "database"])),
    ),
    min_size=1,
    max_size=10,
)


def _value_in_revisions(field, value):
    for revision in GuideRevision.objects.filter(source="conflict"):
        if revision.title == value or value in (revision.body, revision.frontmatter.get(field)):
            return True
    return False


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=operations)
def test_every_edit_ends_up_live_or_in_a_reported_conflict_with_both_sides_kept(
    content_factory, steps
):
    """After any interleaving, the latest edit of each field is in the database, in the file,
    or kept as a conflict revision: none vanishes."""
    root = content_factory()
    latest = {}
    for n, (action, arg) in enumerate(steps):
        if action == "admin":
            value = f"admin-{arg}-{n}"
            guide = Guide.objects.with_page().get(slug="g")
            setattr(guide, arg, value)
            save_guide(guide)
            latest[arg] = value
        elif action == "file":
            path = root / "guides" / "g.md"
            item = parse_guide("g", path.read_bytes(), path)
            value = f"file-{arg}-{n}"
            from catalog.fileformat import serialise_guide

            path.write_text(serialise_guide(_replace(item, arg, value)))
            latest[arg] = value
        else:
            (import_ if action == "import" else export)(root, "--on-conflict", arg)
        guide = Guide.objects.get(slug="g")
        path = root / "guides" / "g.md"
        item = parse_guide("g", path.read_bytes(), path)
        for field, value in latest.items():
            assert value in (getattr(guide, field), getattr(item, field)) or (
                _value_in_revisions(field, value)
            ), (steps[: n + 1], field, value)
    assert from_data(GuideFile, Guide.objects.get(slug="g").synced) is not None


def _replace(item, field, value):
    from dataclasses import replace

    return replace(item, **{field: value})


@pytest.fixture
def content_factory(tmp_path_factory):
    """A fresh one-guide folder and database for each Hypothesis example."""
    from tests.factories import ContentDir

    def make():
        from catalog.models import Deletion, SlugRedirect

        Guide.objects.all().delete()
        Category.objects.all().delete()
        Tag.objects.all().delete()
        Deletion.objects.all().delete()
        SlugRedirect.objects.all().delete()
        folder = ContentDir(tmp_path_factory.mktemp("sync") / "data")
        folder.category("c")
        folder.guide("g", title="T0", description="D0", body="B0\n", categories=("c",))
        assert import_(folder.root)[0] == 0
        return folder.root

    return make


# --- the admin never lets a stale form win -------------------------------------------------


def loaded_version(response):
    return re.search(r'name="loaded_version" value="([^"]+)"', response.content.decode()).group(1)


@pytest.fixture
def bob_client():
    return make_editor_client("bob")


def test_the_second_editor_to_save_sees_both_versions_and_chooses(site, editor_client, bob_client):
    guide = Guide.objects.get(slug="g")
    url = f"/admin/catalog/guide/{guide.pk}/change/"
    alice_opened = loaded_version(editor_client.get(url))
    bob_opened = loaded_version(bob_client.get(url))
    admin_save(editor_client, "g", description="Alice's words.", loaded_version=alice_opened)

    data = _form_data("g", description="Bob's words.", loaded_version=bob_opened)
    response = bob_client.post(url, data)
    page = response.content.decode()
    assert response.status_code == 200 and "Someone else saved this" in page
    assert "alice (admin)" in page
    assert "Alice&#x27;s words." in page and "Bob&#x27;s words." in page  # side by side
    assert Guide.objects.get(slug="g").description == "Alice's words."

    # Bob edits a merge in the form he got back, which now builds on Alice's version.
    merged = _form_data(
        "g", description="Alice's and Bob's words.", loaded_version=loaded_version(response)
    )
    assert bob_client.post(url, merged).status_code == 302
    assert Guide.objects.get(slug="g").description == "Alice's and Bob's words."

    # An import since Bob opened the form is a change too; "Save mine anyway" overrides it.
    opened = loaded_version(bob_client.get(url))
    edit_file(site, "g", "Original", "Renamed in git")
    import_(site.root)
    stale = _form_data("g", title="Bob's title", loaded_version=opened)
    assert bob_client.post(url, stale).status_code == 200
    assert bob_client.post(url, {**stale, "_overwrite": "1"}).status_code == 302
    assert Guide.objects.get(slug="g").title == "Bob's title"
    titles = set(GuideRevision.objects.filter(guide__slug="g").values_list("title", flat=True))
    assert {"Renamed in git", "Bob's title"} <= titles  # the overwritten version is kept


@pytest.mark.parametrize("copy", [None, "[" * 100_000, "{}", '{"title": 5}', "nonsense"])
def test_a_stale_category_form_is_refused_too(site, editor_client, copy):
    """Without a loaded copy, or with one that is nonsense (JSON nested 100,000 deep answered
    500), the editor is asked, as for a form from before loaded copies."""
    category = Category.objects.get(slug="c")
    url = f"/admin/catalog/category/{category.pk}/change/"
    opened = loaded_version(editor_client.get(url))
    category.title = "Changed meanwhile"
    category.save()
    data = {
        "title": "Mine",
        "slug": "c",
        "description": "",
        "sort": "1",
        "icon": "",
        "image": "",
        "body": "",
        "loaded_version": opened,
        **({} if copy is None else {"loaded_copy": copy}),
    }
    response = editor_client.post(url, data)
    assert response.status_code == 200 and "Someone else saved this" in response.content.decode()
    assert Category.objects.get(slug="c").title == "Changed meanwhile"


# --- dates that mean something --------------------------------------------------------------


def test_updated_dates_come_from_the_content_not_the_import(content, client):
    import subprocess

    content.category("c")
    content.guide("old", created="2021-03-04", categories=("c",))
    content.guide("edited", created="2021-03-04", categories=("c",))
    git = ["git", "-C", str(content.root), "-c", "user.name=t", "-c", "user.email=t@e"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    env = {"GIT_COMMITTER_DATE": "2023-05-06T07:08:09Z", "PATH": "/usr/bin:/bin"}
    subprocess.run([*git, "commit", "-qm", "guides"], check=True, env=env)
    edit_file(content, "edited", "Body text.", "New text.")
    import_(content.root)
    assert Guide.objects.get(slug="old").updated_at.isoformat() == "2023-05-06T07:08:09+00:00"
    page = client.get("/guides/old").content.decode()
    assert 'updated <time datetime="2023-05-06T07:08:09+00:00">6 May 2023</time>' in page
    # A file changed in the work tree but not committed has new content: dated now.
    assert Guide.objects.get(slug="edited").updated_at.year >= 2026


def test_without_git_a_new_guide_is_dated_by_its_created_at(content, client):
    content.category("c")
    content.guide("g", created="2021-03-04", categories=("c",))
    import_(content.root)
    assert Guide.objects.get(slug="g").updated_at.date().isoformat() == "2021-03-04"
    assert "updated" not in client.get("/guides/g").content.decode().split("min read")[0]


def test_the_stored_base_keeps_its_own_body_once_the_record_moves_on(site):
    from catalog.write.records import stored_categories, stored_guides

    import_(site.root)
    guide = Guide.objects.get(slug="g")
    file_body = guide.body
    guide.body = "Edited in the admin.\n"
    save_guide(guide)
    category = Category.objects.get(slug="c")
    category.body = "New intro.\n"
    category.save()
    stored, categories = stored_guides()["g"], stored_categories()["c"]
    assert (stored.file.body, stored.base.body) == ("Edited in the admin.\n", file_body)
    assert (categories.file.body, categories.base.body) == ("New intro.\n", "Intro.")
    assert stored_guides()["h"].base == stored_guides()["h"].file


# --- two editors: the admin merges a stale form three ways ------------------------------------


def opened(client, url):
    """What the change form carries of the version it was opened at."""
    page = client.get(url).content.decode()
    found = {
        name: html.unescape(
            re.search(rf'name="{name}" value="([^"]*)"', page).group(1)  # noqa: B023
        )
        for name in ("loaded_version", "loaded_copy")
    }
    return found


def test_two_editors_changing_different_fields_are_merged(site, editor_client, bob_client):
    guide = Guide.objects.get(slug="g")
    url = f"/admin/catalog/guide/{guide.pk}/change/"
    alice_opened, bob_opened = opened(editor_client, url), opened(bob_client, url)
    response = editor_client.post(url, _form_data("g", title="Alice's title", **alice_opened))
    assert response.status_code == 302
    # Bob's form still holds the title as he opened it: it is not his change.
    data = {**_form_data("g", description="Bob's words.", **bob_opened), "title": "Original"}
    response = bob_client.post(url, data, follow=True)
    assert response.redirect_chain, response.content.decode()[:3000]
    guide = Guide.objects.get(slug="g")
    assert (guide.title, guide.description) == ("Alice's title", "Bob's words.")
    assert "merged with the change made since you opened it" in response.content.decode()


def test_the_same_field_asks_showing_base_theirs_and_mine_then_takes_only_that_field(
    site, editor_client, bob_client
):
    guide = Guide.objects.get(slug="g")
    url = f"/admin/catalog/guide/{guide.pk}/change/"
    alice_opened, bob_opened = opened(editor_client, url), opened(bob_client, url)
    response = editor_client.post(
        url,
        _form_data("g", title="Alice's title", description="Alice's words.", **alice_opened),
    )
    assert response.status_code == 302
    data = {
        **_form_data("g", description="Bob's words.", **bob_opened),
        "title": "Original",
    }
    response = bob_client.post(url, data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "changed the same field (description)" in page
    assert "First words." in page  # the version both started from
    assert "Alice&#x27;s words." in page and "Bob&#x27;s words." in page
    assert Guide.objects.get(slug="g").description == "Alice's words."
    # The form Bob got back holds Alice's title (a field he did not touch) and his words.
    again = response.context["adminform"].form.data.copy()
    assert again["title"] == "Alice's title" and again["description"] == "Bob's words."
    again["_overwrite"] = "Save mine anyway"
    assert bob_client.post(url, again).status_code == 302
    guide = Guide.objects.get(slug="g")
    assert (guide.title, guide.description) == ("Alice's title", "Bob's words.")


def test_save_mine_anyway_writes_only_the_fields_the_editor_changed(
    site, editor_client, bob_client
):
    guide = Guide.objects.get(slug="g")
    url = f"/admin/catalog/guide/{guide.pk}/change/"
    alice_opened, bob_opened = opened(editor_client, url), opened(bob_client, url)
    editor_client.post(
        url, _form_data("g", title="Alice's title", description="Alice's.", **alice_opened)
    )
    stale = {
        **_form_data("g", description="Bob's.", **bob_opened),
        "title": "Original",
        "_overwrite": "1",
    }
    assert bob_client.post(url, stale).status_code == 302
    guide = Guide.objects.get(slug="g")
    assert (guide.title, guide.description) == ("Alice's title", "Bob's.")  # title not reverted


def test_the_same_editor_in_two_tabs_is_told_so(site, editor_client):
    guide = Guide.objects.get(slug="g")
    url = f"/admin/catalog/guide/{guide.pk}/change/"
    first, second = opened(editor_client, url), opened(editor_client, url)
    editor_client.post(url, _form_data("g", description="From tab one.", **first))
    response = editor_client.post(url, _form_data("g", description="From tab two.", **second))
    page = response.content.decode()
    assert "You saved this in another tab or window" in page and "someone else" not in page.lower()


# --- random interleavings with deletions, renames and uploads ---------------------------------

LIFECYCLE = st.lists(
    st.one_of(
        st.tuples(st.just("admin"), st.sampled_from(FIELDS)),
        st.tuples(st.just("file"), st.sampled_from(FIELDS)),
        st.tuples(st.just("admin-delete"), st.just(None)),
        st.tuples(st.just("file-delete"), st.just(None)),
        st.tuples(st.just("admin-rename"), st.integers(1, 3)),
        st.tuples(st.just("file-rename"), st.integers(1, 3)),
        st.tuples(st.just("admin-upload"), st.just(None)),
        st.tuples(st.just("import"), st.sampled_from(["stop", "skip", "files", "database"])),
        st.tuples(st.just("export"), st.sampled_from(["stop", "skip", "files", "database"])),
    ),
    min_size=1,
    max_size=12,
)


def _guide_files(root):
    return sorted((root / "guides").glob("*.md"))


def _kept_anywhere(field, value):
    """In the database, a file, a conflict revision or a deleted record's content."""
    from catalog.models import Deletion

    for guide in Guide.objects.all():
        if getattr(guide, field) == value:
            return True
    if _value_in_revisions(field, value):
        return True
    return any(
        version.get(field) == value
        for deletion in Deletion.objects.all()
        for version in [deletion.data, *deletion.lost_versions]
    )


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=LIFECYCLE)
def test_no_edit_is_lost_duplicated_or_resurrected_whatever_the_order(
    content_factory, steps, tmp_path_factory, settings_for_uploads
):
    """One guide, edited, renamed, deleted and given uploads on either side in any order,
    with imports and exports deciding conflicts any way: no slug has two guides, the folder
    never holds two files of it, every latest edit is live or kept (a conflict revision or a
    deleted record), every upload a file names is in the folder's public/, and after a
    decisive import and export the record and its file agree or are both gone."""
    from io import BytesIO

    from django.core.files.base import ContentFile
    from PIL import Image

    from catalog.fileformat import serialise_guide
    from catalog.write.changes import delete_many

    root = content_factory()
    latest = {}
    for n, (action, arg) in enumerate(steps):
        guide = Guide.objects.with_page().first()
        files = _guide_files(root)
        if action == "admin" and guide is not None:
            value = f"admin-{arg}-{n}"
            setattr(guide, arg, value)
            save_guide(guide)
            latest[arg] = value
        elif action == "file" and files:
            item = parse_guide(files[0].stem, files[0].read_bytes(), files[0])
            value = f"file-{arg}-{n}"
            files[0].write_text(serialise_guide(_replace(item, arg, value)))
            latest[arg] = value
        elif action == "admin-delete" and guide is not None:
            delete_many(Guide.objects.filter(pk=guide.pk))
        elif action == "file-delete" and files:
            files[0].unlink()
            # An edit only that file held is the contributor's own to delete (git keeps it).
            latest = {f: v for f, v in latest.items() if _kept_anywhere(f, v)}
        elif action == "admin-rename" and guide is not None:
            guide.slug = f"r{arg}-admin"
            save_guide(guide)
        elif action == "file-rename" and files:
            files[0].rename(files[0].with_name(f"r{arg}-file.md"))
        elif action == "admin-upload" and guide is not None:
            buffer = BytesIO()
            Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
            guide.diagram = ContentFile(buffer.getvalue(), name=f"d{n}.png")
            save_guide(guide)
        elif action in ("import", "export"):
            (import_ if action == "import" else export)(root, "--on-conflict", arg)
        assert Guide.objects.count() <= 1, steps[: n + 1]
        assert len(_guide_files(root)) <= 1, steps[: n + 1]
        for field, value in latest.items():
            in_file = any(
                getattr(parse_guide(p.stem, p.read_bytes(), p), field) == value
                for p in _guide_files(root)
            )
            assert in_file or _kept_anywhere(field, value), (steps[: n + 1], field, value)
        if action == "export":
            for path in _guide_files(root):
                image = parse_guide(path.stem, path.read_bytes(), path).image
                if image.startswith("/media/"):
                    assert (root / "public" / image.lstrip("/")).is_file(), steps[: n + 1]
    # Decisively in step: the admin's side wins what is left, then both agree.
    import_(root, "--on-conflict", "database")
    export(root, "--on-conflict", "database")
    import_(root)
    guide, files = Guide.objects.first(), _guide_files(root)
    assert (guide is None) == (not files), steps
    if guide is not None:
        item = parse_guide(files[0].stem, files[0].read_bytes(), files[0])
        assert (item.slug, item.title, item.body) == (guide.slug, guide.title, guide.body), steps


@pytest.fixture
def settings_for_uploads(settings, tmp_path_factory):
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")
    return settings
