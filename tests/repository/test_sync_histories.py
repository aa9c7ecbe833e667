"""Random histories against real git: contributors edit, add, rename and delete files, an
editor edits, adds, renames and deletes guides in the admin, a maintainer rewrites the
remote's history (resets it and force-pushes, sometimes with a new commit), and the site
syncs between. Whatever the order, a sync leaves the clone at the remote's head with nothing
uncommitted, the database holding the guides the remote holds (but for conflicts set
aside), and nothing a rewrite took out back on the remote."""

import random

import pytest

from catalog.models import Guide
from tests.factories import editor_client
from tests.gitrepos import GUIDE, git, sync
from tests.pipeline.test_sync import _form_data

pytestmark = pytest.mark.django_db

STEPS = 22
ACTIONS = [
    *("edit", "add", "rename", "delete"),  # a contributor's commits
    *("admin edit", "admin add", "admin rename", "admin delete"),
    *("rewrite", "sync", "sync", "sync"),
]


def remote_slugs(repos):
    listed = git(repos.origin, "ls-tree", "--name-only", "main", "data/guides/")
    return {line.rsplit("/", 1)[-1].removesuffix(".md") for line in listed.split()}


def push(repos, message, *, force=False):
    git(repos.contrib, "commit", "-qam", message)
    git(repos.contrib, "push", "-q", *(["--force"] if force else []), "origin", "main")


def contributor_files(repos):
    return sorted((repos.contrib / "data" / "guides").glob("*.md"))


def admin(client, action, slug, step):
    """The editor's change through the admin's own forms: ``slug``'s guide edited, renamed or
    deleted, or a published guide added with its fields."""
    guide = Guide.objects.get(slug=slug)
    change = f"/admin/catalog/guide/{guide.pk}/change/"
    if action == "admin edit":
        return client.post(change, _form_data(slug, description=f"Admin edit at step {step}."))
    if action == "admin rename":
        return client.post(change, _form_data(slug, slug=f"renamed-{step}"))
    if action == "admin delete":
        return client.post(f"/admin/catalog/guide/{guide.pk}/delete/", {"post": "yes"})
    form = _form_data(slug, slug=f"added-{step}", title=f"Added at step {step}", draft="")
    form.update({"category_links-INITIAL_FORMS": "0", "category_links-0-id": ""})
    form["category_links-0-guide"] = ""
    return client.post("/admin/catalog/guide/add/", form)


@pytest.mark.parametrize("seed", range(8))
def test_a_sync_after_any_history_leaves_clone_remote_and_database_in_step(repos, seed):
    rnd = random.Random(seed)
    alice = editor_client("alice", email="alice@example.org")
    sync(repos)
    taken_out = set()  # guides that only the commits a rewrite took out held
    done = []
    for step in range(STEPS):
        action = rnd.choice(ACTIONS)
        done.append(action)
        git(repos.contrib, "fetch", "-q", "origin")
        git(repos.contrib, "reset", "-q", "--hard", "origin/main")
        files = contributor_files(repos)
        slugs = list(Guide.objects.values_list("slug", flat=True))
        if action == "edit" and files:
            path = rnd.choice(files)
            path.write_text(path.read_text() + f"Edited at step {step}.\n")
            push(repos, f"edit {path.stem}")
        elif action == "add":
            slug = f"new-{step}"
            (path := repos.contrib / "data" / "guides" / f"{slug}.md").write_text(
                GUIDE.format(title=slug, body=f"Body of {slug}.")
            )
            git(repos.contrib, "add", str(path))
            push(repos, f"add {slug}")
        elif action == "rename" and files:
            path = rnd.choice(files)
            moved = path.with_name(f"moved-{step}.md")
            git(repos.contrib, "mv", str(path), str(moved))
            moved.write_text(moved.read_text() + "Moved.\n")
            push(repos, f"rename {path.stem}")
        elif action == "delete" and len(files) > 1:
            git(repos.contrib, "rm", "-q", str(rnd.choice(files)))
            push(repos, "delete a guide")
        elif action.startswith("admin") and len(slugs) > 1:
            assert admin(alice, action, rnd.choice(slugs), step).status_code == 302, action
        elif action == "rewrite":
            history = git(repos.contrib, "rev-list", "main").split()
            if len(history) > 1:
                before = remote_slugs(repos)
                back = rnd.randint(1, min(3, len(history) - 1))
                git(repos.contrib, "reset", "-q", "--hard", f"main~{back}")
                if rnd.random() < 0.5:
                    path = rnd.choice(contributor_files(repos))
                    path.write_text(path.read_text() + f"Rewritten at step {step}.\n")
                    git(repos.contrib, "commit", "-qam", "a commit in the rewritten history")
                git(repos.contrib, "push", "-q", "--force", "origin", "main")
                taken_out |= before - remote_slugs(repos)
        elif action == "sync":
            out = sync(repos)
            assert git(repos.site, "rev-parse", "HEAD") == git(repos.origin, "rev-parse", "main")
            assert git(repos.site, "status", "--porcelain") == "", done
            held = remote_slugs(repos)
            assert not taken_out & held, (done, out)
            if "conflict" not in out:
                assert set(Guide.objects.values_list("slug", flat=True)) == held, (done, out)
            taken_out.clear()
