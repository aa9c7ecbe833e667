"""Real git for the sync's tests: a bare repository as the remote, clones as the site and a
contributor. No network: every repository is a folder of the test's."""

import os
import shutil
import subprocess
from io import StringIO
from pathlib import Path

from django.core.management import call_command

IDENTITY = {
    "GIT_AUTHOR_NAME": "Contributor",
    "GIT_AUTHOR_EMAIL": "contributor@example.org",
    "GIT_COMMITTER_NAME": "Contributor",
    "GIT_COMMITTER_EMAIL": "contributor@example.org",
}
README = "# Content\n\n<!-- TOC -->\n<!-- /TOC -->\n"
GUIDE = (
    '---\ntitle: "{title}"\ncreatedAt: "2024-03-01"\ncategories:\n  - c\ntags:\n  - "T"\n'
    "---\n\n{body}\n"
)


def git(folder, *args, check=True, env=None):
    result = subprocess.run(
        ["git", "-C", str(folder), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **IDENTITY, **(env or {})},
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result.stdout


class Repos:
    """``data_from``: a content folder to start the repository with (a copy in the test's
    folder); else one category ``c`` and two guides ``g`` and ``h``."""

    def __init__(self, root: Path, data_from: Path | None = None):
        self.root = root
        seed = root / "seed"
        if data_from is not None:
            shutil.copytree(data_from, seed / "data")
        else:
            (seed / "data" / "categories").mkdir(parents=True)
            (seed / "data" / "guides").mkdir()
            (seed / "data" / "categories" / "c.md").write_text(
                "---\ntitle: 'Cat'\nsort: 1\n---\n\nIntro.\n"
            )
            for slug in ("g", "h"):
                (seed / "data" / "guides" / f"{slug}.md").write_text(
                    GUIDE.format(title=slug.upper(), body=f"Body of {slug}.\nSecond line.")
                )
        (seed / "README.md").write_text(README)
        git(seed, "init", "-q", "-b", "main")
        git(seed, "add", ".")
        git(seed, "commit", "-qm", "seed")
        self.origin = root / "origin.git"
        subprocess.run(["git", "clone", "-q", "--bare", str(seed), str(self.origin)], check=True)
        self.site = root / "site"
        self.contrib = root / "contrib"
        for clone in (self.site, self.contrib):
            subprocess.run(["git", "clone", "-q", str(self.origin), str(clone)], check=True)

    def remote_file(self, path, ref="main"):
        return git(self.origin, "show", f"{ref}:{path}")

    def remote_head(self, ref="main"):
        return git(self.origin, "rev-parse", ref).strip()

    def contribute(self, path, old, new):
        target = self.contrib / path
        git(self.contrib, "pull", "-q", "--no-rebase", "origin", "main")
        target.write_text(target.read_text().replace(old, new, 1))
        git(self.contrib, "commit", "-qam", f"contributor edits {path}")
        git(self.contrib, "push", "-q", "origin", "main")


def sync(repos, *args):
    out = StringIO()
    call_command("sync_content", "--repo", str(repos.site), *args, stdout=out, stderr=out)
    return out.getvalue()
