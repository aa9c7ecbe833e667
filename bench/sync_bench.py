"""sync_content on a corpus: with nothing to do, and with N changes on both sides.

    python bench/sync_bench.py [--corpus DIR] [--repeat 3] [--changes 20]
    python bench/make_corpus.py 20000 /tmp/c20k && \
        python bench/sync_bench.py --corpus /tmp/c20k --changes 100

Builds, in a temporary folder, a bare repository holding the corpus (the remote), the site's
clone and a contributor's clone; imports through a first sync, then times (best of
``--repeat``, each figure printed with its ratio to the parse floor measured in the same
process):

- the parse floor (reading and validating the folder),
- ``sync_content`` with nothing to do (fetch, import and export plans, README, no commit),
- ``sync_content`` after ``--changes`` changes, half in the admin and half in contributors'
  commits: of each half, 60% edits, 20% renames and 20% deletions (merge, rename detection,
  import, export, README, one commit per editor, push).

The database is a temporary SQLite file unless DATABASE_URL is set. Nothing leaves 127.0.0.1:
every repository is a folder.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.servers import CORPUS  # noqa: E402

IDENTITY = {
    "GIT_AUTHOR_NAME": "Contributor",
    "GIT_AUTHOR_EMAIL": "contributor@example.org",
    "GIT_COMMITTER_NAME": "Contributor",
    "GIT_COMMITTER_EMAIL": "contributor@example.org",
}


def git(folder, *args):
    subprocess.run(
        ["git", "-C", str(folder), *args],
        check=True,
        capture_output=True,
        env={**os.environ, **IDENTITY},
    )


def repositories(corpus, work):
    seed = work / "seed"
    shutil.copytree(corpus, seed / "data", ignore=shutil.ignore_patterns("public"))
    (seed / "README.md").write_text("# Guides\n\n<!-- TOC -->\n<!-- /TOC -->\n")
    git(seed, "init", "-q", "-b", "main")
    git(seed, "add", ".")
    git(seed, "commit", "-qm", "corpus")
    subprocess.run(
        ["git", "clone", "-q", "--bare", str(seed), str(work / "origin.git")], check=True
    )
    for name in ("site", "contrib"):
        subprocess.run(
            ["git", "clone", "-q", str(work / "origin.git"), str(work / name)], check=True
        )
    return work / "site", work / "contrib"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=str(CORPUS))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--changes", type=int, default=20)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="guides-sync-"))
    site, contrib = repositories(Path(args.corpus), work)
    os.environ.update(
        DEBUG="0",
        SECRET_KEY="bench",
        ALLOWED_HOSTS="testserver",
        GUIDES_DATA_DIR=str(site / "data"),
        DJANGO_SETTINGS_MODULE="guides_site.settings",
    )
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{work / 'sync.sqlite3'}")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from bench.servers import empty_database
    from catalog.fileformat import read_folder
    from catalog.models import Guide
    from catalog.repository.sync import sync_content
    from catalog.write.changes import delete_many, save_guide

    call_command("migrate", verbosity=0)
    empty_database()
    editor = User.objects.get_or_create(username="bench-editor", defaults={"email": "e@x"})[0]
    sync_content(site)

    def floor():
        read_folder(site / "data")

    def nothing_to_do():
        sync_content(site)

    slugs = sorted(Guide.objects.values_list("slug", flat=True))
    rounds = {"floor": [], "nothing": [], "edits": []}
    for n in range(args.repeat):
        for name, fn in (("floor", floor), ("nothing", nothing_to_do)):
            started = time.perf_counter()
            fn()
            rounds[name].append(time.perf_counter() - started)
        half = args.changes // 2
        taken = slugs[n * args.changes : (n + 1) * args.changes]
        admin, incoming = taken[:half], taken[half:]
        for kind, group in (("admin", admin), ("git", incoming)):
            renames = group[: half // 5]
            deletions = group[half // 5 : 2 * (half // 5)]
            edits = group[2 * (half // 5) :]
            if kind == "admin":
                for slug in edits:
                    guide = Guide.objects.with_page().get(slug=slug)
                    guide.description = f"Edited in round {n}."
                    save_guide(guide, author=editor)
                for slug in renames:
                    guide = Guide.objects.with_page().get(slug=slug)
                    guide.slug = f"{slug}-renamed"
                    save_guide(guide, author=editor)
                delete_many(Guide.objects.filter(slug__in=deletions), author=editor)
                continue
            git(contrib, "pull", "-q", "--no-rebase", "origin", "main")
            folder = contrib / "data" / "guides"
            for slug in edits:
                path = folder / f"{slug}.md"
                path.write_text(path.read_text().replace("\n---\n", f"\nround: {n}\n---\n", 1))
            for slug in renames:
                git(contrib, "mv", f"data/guides/{slug}.md", f"data/guides/{slug}-moved.md")
            for slug in deletions:
                git(contrib, "rm", "-q", f"data/guides/{slug}.md")
            git(contrib, "commit", "-qam", f"contributor: round {n}")
        git(contrib, "push", "-q", "origin", "main")
        before = Guide.objects.count()
        started = time.perf_counter()
        sync_content(site)
        rounds["edits"].append(time.perf_counter() - started)
        # What the round did, checked: deletions gone, renames one guide each, no duplicate.
        expected = before - (half // 5)  # the admin's deletions were gone before
        assert Guide.objects.count() == expected, (Guide.objects.count(), expected)
        moved = Guide.objects.filter(slug__endswith="-moved").count()
        assert moved == (n + 1) * (half // 5), moved
    best = {name: min(times) for name, times in rounds.items()}
    print(f"corpus: {args.corpus} ({len(slugs)} guides); best of {args.repeat}")
    print(f"{'figure':<52}{'seconds':>9}{'x floor':>9}")
    for label, name in (
        ("parse floor (read + validate)", "floor"),
        ("sync_content, nothing to do", "nothing"),
        (f"sync_content, {args.changes} changes (both sides)", "edits"),
    ):
        print(f"{label:<52}{best[name]:>9.3f}{best[name] / best['floor']:>9.2f}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
