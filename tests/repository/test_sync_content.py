"""sync_content against real git: a bare repository as the remote, clones as the site and a
contributor. No network: every repository is a folder of this test."""

import os
import re
import shutil
import subprocess
import sys
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError

from catalog.models import Guide
from tests.factories import editor_client
from tests.gitrepos import GUIDE, git, sync
from tests.pipeline.test_sync import _form_data

pytestmark = pytest.mark.django_db

HOLD_LOCK = """
import fcntl, sys, time
handle = open(sys.argv[1], "a")
fcntl.flock(handle, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(60)
"""


@pytest.fixture
def alice():
    return editor_client("alice", email="alice@example.org", first_name="Alice")


def admin_edit(client, slug, **changes):
    guide = Guide.objects.get(slug=slug)
    response = client.post(f"/admin/catalog/guide/{guide.pk}/change/", _form_data(slug, **changes))
    assert response.status_code == 302


def test_first_sync_imports_and_writes_the_readme_then_nothing_to_do(repos):
    out = sync(repos)
    assert Guide.objects.count() == 2
    assert "[G](https://guides.example.org/guides/g)" in repos.remote_file("README.md")
    head = repos.remote_head()
    log = git(repos.site, "log", "--oneline")
    out = sync(repos)
    assert "nothing to push" in out
    assert repos.remote_head() == head and git(repos.site, "log", "--oneline") == log


def test_an_admin_edit_is_committed_by_its_editor_and_pushed(repos, alice):
    sync(repos)
    admin_edit(alice, "g", description="Alice wrote this.")
    sync(repos)
    assert 'description: "Alice wrote this."' in repos.remote_file("data/guides/g.md")
    author, committer, subject = (
        git(repos.origin, "log", "-1", "--format=%an <%ae>|%cn|%s", "main").strip().split("|")
    )
    assert author == "Alice <alice@example.org>" and committer == "Guides site"
    assert subject == "Guides: g (edited by Alice in the admin)"


def test_incoming_commits_and_admin_edits_both_end_up_everywhere(repos, alice):
    sync(repos)
    admin_edit(alice, "g", description="From the admin.")
    repos.contribute("data/guides/h.md", "Body of h.", "Body of h, improved.")
    sync(repos)
    assert Guide.objects.get(slug="h").body.startswith("Body of h, improved.")
    assert "From the admin." in repos.remote_file("data/guides/g.md")
    assert "Body of h, improved." in repos.remote_file("data/guides/h.md")
    assert git(repos.site, "status", "--porcelain") == ""


def test_a_refused_push_is_retried_after_a_fresh_fetch(repos, alice):
    sync(repos)
    hook = repos.origin / "hooks" / "pre-receive"
    marker = repos.root / "refused-once"
    hook.write_text(f"#!/bin/sh\nif [ ! -e {marker} ]; then touch {marker}; exit 1; fi\nexit 0\n")
    hook.chmod(0o755)
    admin_edit(alice, "g", title="Retried")
    out = sync(repos)
    assert "moved on; fetching again" in out
    assert 'title: "Retried"' in repos.remote_file("data/guides/g.md")


def test_a_merge_conflict_in_git_names_the_files_and_leaves_the_clone_clean(repos):
    sync(repos)
    path = repos.site / "data" / "guides" / "h.md"
    path.write_text(path.read_text().replace("Second line.", "Site's second line."))
    git(repos.site, "commit", "-qam", "a local commit the remote does not have")
    repos.contribute("data/guides/h.md", "Second line.", "Contributor's second line.")
    head = git(repos.site, "rev-parse", "HEAD")
    with pytest.raises(CommandError, match=r"conflicts in git: data/guides/h\.md"):
        sync(repos)
    assert git(repos.site, "rev-parse", "HEAD") == head
    assert git(repos.site, "status", "--porcelain") == ""
    assert git(repos.site, "rev-parse", "-q", "--verify", "MERGE_HEAD", check=False) == ""


def rewrite_remote_back_to(repos, commit, path, old, new):
    """A maintainer takes the remote's commits after ``commit`` out of its history: reset and
    force-push, with another change in their place."""
    git(repos.contrib, "fetch", "-q", "origin")
    git(repos.contrib, "reset", "-q", "--hard", commit)
    target = repos.contrib / path
    target.write_text(target.read_text().replace(old, new, 1))
    git(repos.contrib, "commit", "-qam", "rewritten history")
    git(repos.contrib, "push", "-q", "--force", "origin", "main")


def test_a_rewritten_remote_history_is_followed_not_merged_back(repos):
    git(repos.site, "config", "core.logAllRefUpdates", "false")  # the sync keeps its reflog
    shutil.rmtree(repos.site / ".git" / "logs")
    sync(repos)
    before = repos.remote_head()
    (repos.contrib / "data" / "guides" / "k.md").write_text(
        GUIDE.format(title="K", body="A guide the maintainer takes out again.")
    )
    git(repos.contrib, "add", ".")
    repos.contribute("data/guides/h.md", "Body of h.", "Body of h, a slip.")
    sync(repos)
    assert Guide.objects.get(slug="h").body.startswith("Body of h, a slip.")
    removed = repos.remote_head()
    rewrite_remote_back_to(repos, before, "data/guides/g.md", "Body of g.", "Body of g!")
    head = git(repos.site, "rev-parse", "HEAD")
    assert "a run would follow it" in sync(repos, "--dry-run")
    assert git(repos.site, "rev-parse", "HEAD") == head
    out = sync(repos)
    assert "origin/main was rewritten (force-pushed)" in out and "following it" in out
    assert git(repos.origin, "merge-base", "--is-ancestor", removed, "main", check=False) == ""
    assert "k" not in {p.stem for p in (repos.site / "data" / "guides").glob("*.md")}
    assert "Body of h, a slip." not in repos.remote_file("data/guides/h.md")
    assert Guide.objects.get(slug="h").body.startswith("Body of h.\n")
    assert Guide.objects.get(slug="g").body.startswith("Body of g!")
    assert not Guide.objects.filter(slug="k").exists()
    assert "nothing to push" in sync(repos)


def test_a_rewritten_remote_is_not_followed_over_commits_not_yet_pushed(repos):
    sync(repos)
    before = repos.remote_head()
    repos.contribute("data/guides/h.md", "Body of h.", "Body of h, a slip.")
    sync(repos)
    path = repos.site / "data" / "guides" / "g.md"
    path.write_text(path.read_text().replace("Second line.", "A commit a killed run left."))
    git(repos.site, "commit", "-qam", "the site's own, not pushed")
    rewrite_remote_back_to(repos, before, "data/guides/g.md", "Body of g.", "Body of g!")
    head, remote = git(repos.site, "rev-parse", "HEAD"), repos.remote_head()
    with pytest.raises(CommandError, match=r"rewritten \(force-pushed\).*1 commit\(s\) of its own"):
        sync(repos)
    assert git(repos.site, "rev-parse", "HEAD") == head and repos.remote_head() == remote
    assert git(repos.site, "status", "--porcelain") == ""


def test_review_pushes_a_branch_and_keeps_the_edit_pending(repos, alice):
    sync(repos)
    main = repos.remote_head()
    admin_edit(alice, "g", description="For review.")
    out = sync(repos, "--review")
    branch = next(line for line in out.splitlines() if "pushed" in line).split("origin/")[1]
    assert branch.startswith("guides/") and branch.endswith("-alice")
    assert "For review." in repos.remote_file("data/guides/g.md", branch)
    assert repos.remote_head() == main
    assert Guide.objects.get(slug="g").description == "For review."
    out = sync(repos, "--review")  # still pending: a new branch for the next run
    assert f"{branch}-2" in out


def test_bad_repositories_are_refused_before_anything_is_written(repos, tmp_path):
    sync(repos)
    before = list(Guide.objects.values_list("slug", "title", "updated_at"))
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(CommandError, match="not a git repository"):
        call_command("sync_content", "--repo", str(plain), stdout=StringIO())
    with pytest.raises(CommandError, match="has no remote 'upstream'"):
        sync(repos, "--remote", "upstream")
    (repos.site / "data" / "guides" / "g.md").write_text(GUIDE.format(title="Hand", body="x"))
    with pytest.raises(CommandError, match="uncommitted changes to files sync would touch: "):
        sync(repos)
    git(repos.site, "checkout", "--", ".")
    (repos.site / ".git" / "MERGE_HEAD").write_text(git(repos.site, "rev-parse", "HEAD"))
    with pytest.raises(CommandError, match="in the middle of a merge"):
        sync(repos)
    (repos.site / ".git" / "MERGE_HEAD").unlink()
    assert list(Guide.objects.values_list("slug", "title", "updated_at")) == before


def test_a_run_killed_after_writing_files_is_finished_by_the_next(repos, alice):
    sync(repos)
    admin_edit(alice, "g", description="Written, not committed.")
    call_command("export_guides", "--data-dir", str(repos.site / "data"), stdout=StringIO())
    assert git(repos.site, "status", "--porcelain").strip() == "M data/guides/g.md"
    out = sync(repos)
    assert "committed the files an interrupted sync had written" in out
    assert "Written, not committed." in repos.remote_file("data/guides/g.md")


def test_a_run_killed_mid_write_leaves_a_temporary_file_the_next_removes(repos, alice):
    sync(repos)
    admin_edit(alice, "g", description="Written, not committed.")
    gone = subprocess.Popen(["true"])
    gone.wait()
    guides = repos.site / "data" / "guides"
    orphan = guides / f".g.md.{gone.pid}.k1ll3d_x.tmp"
    orphan.write_bytes(b"---\ntitle: half a fi")
    live = guides / f".h.md.{os.getpid()}.w0rk1ng.tmp"  # a writer still running: not ours
    live.write_bytes(b"---\n")
    with pytest.raises(CommandError, match=r"uncommitted changes.*\.h\.md\.\d+\.w0rk1ng\.tmp"):
        sync(repos)
    assert live.exists()
    live.unlink()
    out = sync(repos)
    assert not orphan.exists() and git(repos.site, "status", "--porcelain").strip() == ""
    assert "Written, not committed." in repos.remote_file("data/guides/g.md"), out


# --- the Content sync page ------------------------------------------------------------------


def test_the_content_sync_page_lists_and_decides(repos, alice, settings):
    """ "Sync now" runs in a process of its own: tests/repository/test_sync_runs.py drives it."""
    settings.GUIDES_CONTENT_REPO = str(repos.site)
    sync(repos)
    admin_edit(alice, "g", description="Alice's words.")
    admin_edit(alice, "h", title="Only in the admin")
    repos.contribute("data/guides/g.md", 'title: "G"', 'title: "G"\ndescription: "Bob\'s words."')
    git(repos.site, "pull", "-q", "--no-rebase", "origin", "main")
    page = alice.get("/admin/catalog/guide/content-sync/").content.decode()
    assert "guides/g.md" in page and "changed in the file and in the admin: description" in page
    assert "Alice&#x27;s words." in page and "Bob&#x27;s words." in page
    assert "guides/h.md" in page and "changed in the admin" in page
    response = alice.post(
        "/admin/catalog/guide/content-sync/", {"kind": "guides", "slug": "g", "side": "files"}
    )
    assert response.status_code == 302
    sync(repos)
    assert Guide.objects.get(slug="g").description == "Bob's words."
    assert 'title: "Only in the admin"' in repos.remote_file("data/guides/h.md")
    assert (
        "Everything is in step" in alice.get("/admin/catalog/guide/content-sync/").content.decode()
    )


def test_a_record_whose_file_cannot_be_read_is_not_offered_for_deletion(repos, alice, settings):
    """An invalid file is not a deleted one: the page says it cannot be read, offers no
    decision, and a decision posted anyway is refused with the file's problem."""
    settings.GUIDES_CONTENT_REPO = str(repos.site)
    sync(repos)
    admin_edit(alice, "g", description="Alice's words.")
    (repos.site / "data" / "guides" / "g.md").write_text('---\ntitle: "G\n---\nBody.\n')
    page = alice.get("/admin/catalog/guide/content-sync/").content.decode()
    row = re.search(r"<tr><td>guides/g\.md</td>.*?</tr>", page, re.S).group(0)
    assert "its file cannot be read" in row and "deleted" not in row
    assert "Take the file" not in page
    assert "Files that cannot be read" in page and "g.md" in page
    response = alice.post(
        "/admin/catalog/guide/content-sync/",
        {"kind": "guides", "slug": "g", "side": "files"},
        follow=True,
    )
    assert "g.md:" in response.content.decode()  # the file's problem, with its line
    assert Guide.objects.get(slug="g").description == "Alice's words."


@pytest.mark.parametrize("slug", ["\x00", "1" * 500, "../guides/g", "G", ""])
def test_a_decision_for_a_name_no_file_can_have_is_not_found(repos, alice, settings, slug):
    """A NUL or a name longer than the file system allows answered 500."""
    settings.GUIDES_CONTENT_REPO = str(repos.site)
    sync(repos)
    response = alice.post(
        "/admin/catalog/guide/content-sync/", {"kind": "guides", "slug": slug, "side": "files"}
    )
    assert response.status_code == 404


def test_the_content_sync_page_needs_the_permission(repos, client):
    staff = User.objects.create_user("viewer", password="pw", is_staff=True)
    client.force_login(staff)
    assert client.get("/admin/catalog/guide/content-sync/").status_code == 403


def test_a_sync_killed_while_merging_is_finished_by_the_next(repos):
    """The state a kill -9 leaves mid-merge: a conflicted merge and the sync's marker."""
    sync(repos)
    path = repos.site / "data" / "guides" / "h.md"
    path.write_text(path.read_text().replace("Second line.", "Site's line."))
    git(repos.site, "commit", "-qam", "local")
    repos.contribute("data/guides/h.md", "Second line.", "Contributor's line.")
    git(repos.site, "fetch", "-q", "origin")
    git(repos.site, "merge", "origin/main", check=False)  # stops with a conflict, as if killed
    marker = git(repos.site, "rev-parse", "--git-path", "guides-sync-merge").strip()
    (repos.site / marker).write_text("origin/main")
    with pytest.raises(CommandError, match=r"conflicts in git: data/guides/h\.md") as stopped:
        sync(repos)
    assert "middle of a merge" not in str(stopped.value)
    assert git(repos.site, "status", "--porcelain") == ""
    git(repos.site, "reset", "-q", "--hard", "origin/main")  # the maintainer resolves it
    assert "nothing to push" in sync(repos)


def test_two_runs_at_once_the_second_is_refused_with_nothing_changed(repos):
    sync(repos)
    lock = repos.site / git(repos.site, "rev-parse", "--git-path", "guides-sync.lock").strip()
    # The holder is one process that takes the lock itself: flock(1) forks its command, and
    # under load the child can still hold the inherited descriptor after the parent is killed.
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(lock)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline() == "held\n"
        head = repos.remote_head()
        with pytest.raises(CommandError, match="another sync is running"):
            sync(repos)
        assert repos.remote_head() == head
    finally:
        holder.kill()
        holder.wait()
    assert "nothing to push" in sync(repos)


def test_a_fast_forward_killed_after_writing_files_is_redone_by_the_next(repos):
    """The state SIGKILL can leave mid fast-forward: the incoming file written in the work
    tree, the branch not moved, our merge marker, and git's index lock."""
    sync(repos)
    repos.contribute("data/guides/h.md", "Second line.", "Contributor's line.")
    git(repos.site, "fetch", "-q", "origin")
    incoming = git(repos.site, "show", "origin/main:data/guides/h.md")
    (repos.site / "data" / "guides" / "h.md").write_text(incoming)
    for name, text in (("guides-sync-merge", "origin/main"), ("index.lock", "")):
        (repos.site / git(repos.site, "rev-parse", "--git-path", name).strip()).write_text(text)
    out = sync(repos)
    assert "aborted the merge an interrupted sync had left" in out
    assert "Contributor's line." in Guide.objects.get(slug="h").body
    assert git(repos.site, "status", "--porcelain") == ""


def test_the_locks_a_killed_git_leaves_do_not_stop_the_next_sync(repos):
    """A fetch killed while it updates a ref leaves ``<ref>.lock`` (and other commands
    ``packed-refs.lock``, ``HEAD.lock``, ``config.lock``): git refuses to run until someone
    removes them. The next sync, holding the sync lock, removes them and carries on."""
    sync(repos)
    repos.contribute("data/guides/h.md", "Second line.", "A line after the kill.")
    git_dir = repos.site / git(repos.site, "rev-parse", "--git-common-dir").strip()
    left = [
        git_dir / "refs" / "remotes" / "origin" / "main.lock",
        git_dir / "packed-refs.lock",
        git_dir / "HEAD.lock",
        git_dir / "config.lock",
        git_dir / "index.lock",
    ]
    for lock in left:
        lock.write_text("")
    sync(repos)
    assert "A line after the kill." in Guide.objects.get(slug="h").body
    assert [lock.name for lock in left if lock.exists()] == []
    assert git(repos.site, "status", "--porcelain") == ""
