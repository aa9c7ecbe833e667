"""The content repository's files are untrusted input: what a merged pull request can bring
(a folder git would take for a repository, symbolic links out of the clone, option-shaped
names) reaches nothing on the server. Real git, a bare remote and clones, as in
test_sync_content."""

import datetime as dt
import os
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from catalog.infra.git import last_commit_times
from catalog.models import Guide
from tests.factories import editor_client
from tests.gitrepos import GUIDE, git, sync

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return editor_client("alice", email="alice@example.org", first_name="Alice")


def plant_repository(folder, marker):
    """The files of a repository whose configuration runs ``touch marker`` on ``git status``."""
    (folder / "objects").mkdir(parents=True, exist_ok=True)
    (folder / "objects" / "keep").write_text("")
    (folder / "refs" / "heads").mkdir(parents=True, exist_ok=True)
    (folder / "refs" / "heads" / "keep").write_text("")
    (folder / "HEAD").write_text("ref: refs/heads/main\n")
    (folder / "config").write_text(
        "[core]\n\trepositoryformatversion = 0\n\tbare = false\n\tworktree = .\n"
        f'\tfsmonitor = "touch {marker}; false"\n'
    )


def contribute_files(repos, message, write):
    git(repos.contrib, "pull", "-q", "--no-rebase", "origin", "main")
    write(repos.contrib)
    git(repos.contrib, "add", "--all")
    git(repos.contrib, "commit", "-qm", message)
    git(repos.contrib, "push", "-q", "origin", "main")


def test_a_committed_repository_in_the_data_folder_runs_nothing_and_stops_the_sync(repos, tmp_path):
    sync(repos)
    marker = tmp_path / "ran"
    contribute_files(
        repos,
        "a folder git would take for a repository",
        lambda clone: plant_repository(clone / "data" / "guides" / "diagrams", marker),
    )
    with pytest.raises(CommandError, match=r"data/guides/diagrams:.*looks like a git repository"):
        sync(repos)
    assert not marker.exists()
    assert Guide.objects.count() == 2


def test_git_reads_no_configuration_from_a_data_folder_shaped_as_a_repository(repos, tmp_path):
    marker = tmp_path / "ran"
    data = repos.site / "data"
    plant_repository(data, marker)
    times = last_commit_times(data)
    assert not marker.exists()
    assert repos.site / "data" / "guides" / "g.md" in times


@pytest.mark.parametrize("date", ["@99999999999999 +0000", "@4102444800 +0000"])
def test_a_commit_dated_in_the_future_counts_as_made_now(repos, date):
    """A contributor dates their own commits: past year 9999 the import stopped with a
    traceback, and a date to come would stand as the guide's "updated" date."""
    sync(repos)
    git(repos.contrib, "pull", "-q", "--no-rebase", "origin", "main")
    path = repos.contrib / "data" / "guides" / "g.md"
    path.write_text(path.read_text().replace("Body", "Body, dated ahead"))
    git(repos.contrib, "commit", "-qam", "from the future", env={"GIT_COMMITTER_DATE": date})
    git(repos.contrib, "push", "-q", "origin", "main")
    before = timezone.now()
    sync(repos)
    guide = Guide.objects.get(slug="g")
    assert "dated ahead" in guide.body
    assert before - dt.timedelta(minutes=1) <= guide.updated_at <= timezone.now()


def test_import_check_refuses_a_data_folder_holding_a_git_directory(content, tmp_path):
    content.category("cat")
    (content.root / "guides" / ".git").mkdir()
    err = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_guides", "--check", "--data-dir", str(content.root), stdout=err, stderr=err
        )
    assert "guides/.git" in err.getvalue() and "looks like a git repository" in err.getvalue()


def test_a_data_folder_committed_as_a_link_out_of_the_clone_is_refused(repos, tmp_path):
    sync(repos)
    outside = tmp_path / "outside"
    (outside / "categories").mkdir(parents=True)
    (outside / "guides").mkdir()
    (outside / "categories" / "c.md").write_text("---\ntitle: 'Cat'\nsort: 1\n---\n\nIntro.\n")
    (outside / "guides" / "stolen.md").write_text(GUIDE.format(title="Stolen", body="x"))

    def link_data(clone):
        git(clone, "rm", "-rq", "data")
        os.symlink(outside, clone / "data")

    contribute_files(repos, "data is a link", link_data)
    with pytest.raises(CommandError, match=r"data: is a symbolic link to .*outside the clone"):
        sync(repos)
    assert not Guide.objects.filter(slug="stolen").exists()
    assert sorted(p.name for p in (outside / "guides").iterdir()) == ["stolen.md"]


def test_a_readme_committed_as_a_link_out_of_the_clone_is_refused(repos, tmp_path):
    sync(repos)
    secret = tmp_path / "secret.md"
    secret.write_text("# Secret\n\n<!-- TOC -->\n<!-- /TOC -->\n")

    def link_readme(clone):
        (clone / "README.md").unlink()
        os.symlink(secret, clone / "README.md")

    head = repos.remote_head()
    contribute_files(repos, "README is a link", link_readme)
    with pytest.raises(CommandError, match=r"README.md: is a symbolic link to .*outside the clone"):
        sync(repos)
    assert secret.read_text() == "# Secret\n\n<!-- TOC -->\n<!-- /TOC -->\n"
    assert git(repos.origin, "rev-list", "--count", f"{head}..main").strip() == "1"


@pytest.mark.parametrize("option", ["--branch", "--remote"])
def test_option_shaped_branch_and_remote_names_are_refused(repos, tmp_path, option):
    marker = tmp_path / "ran"
    with pytest.raises(CommandError, match="is not a valid git"):
        sync(repos, f"{option}=--upload-pack=touch {marker}")
    assert not marker.exists()
    assert not Guide.objects.exists()


def test_deciding_a_conflict_for_an_unknown_record_answers_404(repos, alice, settings):
    settings.GUIDES_CONTENT_REPO = str(repos.site)
    sync(repos)
    for slug in ("nobody", "../../etc/passwd"):
        response = alice.post(
            "/admin/catalog/guide/content-sync/", {"kind": "guides", "slug": slug, "side": "files"}
        )
        assert response.status_code == 404


def test_a_readme_committed_as_a_link_into_the_git_directory_is_refused(repos):
    sync(repos)

    def link_readme(clone):
        (clone / "README.md").unlink()
        os.symlink(".git/config", clone / "README.md")

    contribute_files(repos, "README is a link into .git", link_readme)
    config = (repos.site / ".git" / "config").read_text()
    with pytest.raises(CommandError, match=r"README.md: is a symbolic link to .*git directory"):
        sync(repos)
    assert (repos.site / ".git" / "config").read_text() == config


@pytest.mark.parametrize(
    ("write", "said"),
    [
        (lambda path: path.write_bytes(b"# Guides\n\xff\xfe not UTF-8\n"), "not valid UTF-8"),
        (lambda path: os.truncate(path, 10_000_001), "is 10,000,001 bytes; the largest"),
    ],
)
def test_a_readme_the_site_cannot_read_is_left_as_it_is_and_the_sync_goes_on(repos, write, said):
    """A contributor's README, not UTF-8 or larger than any README the site reads whole,
    stopped the sync with a traceback (and export_readme reads it the same way)."""
    sync(repos)
    contribute_files(repos, "an odd README", lambda clone: write(clone / "README.md"))
    repos.contribute("data/guides/g.md", 'title: "G"', 'title: "G, edited"')
    out = sync(repos)
    assert f"README.md: {said}" in out and "left as it is" in out
    assert Guide.objects.get(slug="g").title == "G, edited"
    with pytest.raises(CommandError, match=said):
        call_command("export_readme", "--readme", str(repos.site / "README.md"), stdout=StringIO())
