"""What git knows about the content folder, read with the ``git`` command.

We use the ``git`` command rather than a Python git library: it is on every machine that
holds a content repository (CI included), it is what contributors use, and its plumbing
output is stable. Everything here is read-only and degrades to "unknown" outside a work tree.
"""

import datetime as dt
import fcntl
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path


def _git(folder, *args):
    return subprocess.run(
        ["git", "-C", str(folder), *args], capture_output=True, check=True, timeout=120
    ).stdout


def last_commit_times(folder: Path) -> dict[Path, dt.datetime]:
    """The time of the last commit that changed each file under ``folder``; for a file changed
    in the work tree since, now (its content is newer than any commit).

    Keys are the work tree's real top folder joined with the paths git names (not resolved one
    by one: a symlinked file is known by the link's path, which is what git commits).

    Empty when ``folder`` is not in a git work tree or git is missing.
    """
    folder = Path(folder).resolve()
    try:
        top = Path(_git(folder, "rev-parse", "--show-toplevel").decode().strip())
        log = _git(
            folder,
            "-c",
            "core.quotePath=false",
            "log",
            "--format=@@%ct",
            "--name-only",
            "--no-renames",
            "--",
            ".",
        ).decode(errors="replace")
        dirty = _git(folder, "-c", "core.quotePath=false", "status", "--porcelain", "--", ".")
    except (OSError, subprocess.SubprocessError):
        return {}
    modified = {top / line[3:] for line in dirty.decode(errors="replace").splitlines()}
    times, when = {}, None
    for line in log.splitlines():
        if line.startswith("@@"):
            when = dt.datetime.fromtimestamp(int(line[2:]), dt.UTC)
        elif line:
            path = top / line
            if path not in times:
                times[path] = when
    now = dt.datetime.now(dt.UTC)
    times.update((path, now) for path in modified)
    return times


class GitError(Exception):
    """A git command failed; the message says which and why."""


class Repo:
    """A clone of the content repository, driven through the ``git`` command.

    Credentials come from the environment only: an SSH key (``GIT_SSH_COMMAND`` or the
    agent), a credential helper, or ``GUIDES_GIT_TOKEN`` sent as an HTTP authorization header.
    The site is the committer (``GUIDES_GIT_NAME``, ``GUIDES_GIT_EMAIL``); authors are editors.
    """

    def __init__(self, path, *, token="", committer=("Guides site", "guides@localhost")):
        self.path = Path(path)
        self.token, self.committer = token, committer

    def run(self, *args, check=True, env=None):
        import base64
        import os

        options = ["-c", "core.quotePath=false"]
        if self.token:
            basic = base64.b64encode(f"x-access-token:{self.token}".encode()).decode()
            options += ["-c", f"http.extraHeader=Authorization: Basic {basic}"]
        name, email = self.committer
        environment = {
            **os.environ,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
            "GIT_TERMINAL_PROMPT": "0",
            **(env or {}),
        }
        try:
            result = subprocess.run(
                ["git", "-C", str(self.path), *options, *args],
                capture_output=True,
                text=True,
                timeout=300,
                env=environment,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise GitError(f"git {args[0]}: {exc}") from None
        if check and result.returncode:
            message = (result.stderr or result.stdout).strip().splitlines()
            raise GitError(f"git {' '.join(args[:2])}: {message[-1] if message else 'failed'}")
        return result

    def is_work_tree(self):
        result = self.run("rev-parse", "--is-inside-work-tree", check=False)
        return result.returncode == 0 and result.stdout.strip() == "true"

    def top(self):
        return Path(self.run("rev-parse", "--show-toplevel").stdout.strip())

    def has_remote(self, remote):
        return self.run("remote", "get-url", remote, check=False).returncode == 0

    def merging(self):
        return self.run("rev-parse", "-q", "--verify", "MERGE_HEAD", check=False).returncode == 0

    def dirty(self, *paths):
        """Paths (relative to the top) with uncommitted changes, untracked files included."""
        out = self.run("status", "--porcelain", "--untracked-files=all", "--", *paths).stdout
        return sorted(line[3:].strip('"') for line in out.splitlines() if len(line) > 3)

    def rev(self, ref):
        result = self.run("rev-parse", "-q", "--verify", f"{ref}^{{commit}}", check=False)
        return result.stdout.strip() or None

    def count(self, revisions):
        return int(self.run("rev-list", "--count", revisions).stdout.strip() or 0)

    def fetch(self, remote, branch):
        self.run("fetch", "--quiet", remote, branch)

    @contextmanager
    def exclusive(self):
        """Hold the clone's sync lock while the block runs: a file lock in the git directory,
        which the system releases if the process dies, so a killed run never blocks the next.
        GitError if another run holds it."""
        path = self.path / self.run("rev-parse", "--git-path", "guides-sync.lock").stdout.strip()
        with open(path, "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise GitError(
                    f"{self.top()}: another sync is running; try again when it has finished"
                ) from None
            yield

    def _marker(self):
        return Path(self.run("rev-parse", "--git-path", "guides-sync-merge").stdout.strip())

    def finish_interrupted_merge(self):
        """Undo a merge that a killed sync started (its marker says so); True if there was.

        A sync merges only into a clean work tree (it commits or refuses anything else
        first), so whatever the killed merge left (a conflicted merge, or a fast-forward
        killed after it wrote files but before it moved the branch) is the merge's own and
        goes back to HEAD; the next fetch merges again.
        """
        marker = self.path / self._marker()
        if not marker.exists():
            return False
        if self.merging():
            self.run("merge", "--abort", check=False)
        self.run("reset", "--hard", "--quiet", "HEAD", check=False)
        marker.unlink(missing_ok=True)
        return True

    def clear_stale_index_lock(self, wait=5.0):
        """Remove git's index lock left by a git command killed with its sync. Called under
        the sync lock, so no other sync's git runs; a git still finishing (its parent was
        killed alone) gets ``wait`` seconds to remove the lock itself."""
        lock = self.path / self.run("rev-parse", "--git-path", "index.lock").stdout.strip()
        deadline = time.monotonic() + wait
        while lock.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        lock.unlink(missing_ok=True)

    def merge(self, ref):
        """Merge ``ref``; on a conflict, abort (the clone is left as it was) and raise it.

        A marker beside the merge state tells the next run that a merge left half-done was
        ours to abort, so a sync killed while merging does not block the next one.
        """
        marker = self.path / self._marker()
        marker.write_text(ref)
        result = self.run("merge", "--no-edit", "--quiet", ref, check=False)
        if result.returncode == 0:
            marker.unlink(missing_ok=True)
            return
        conflicted = self.run("diff", "--name-only", "--diff-filter=U", check=False).stdout
        if self.merging():
            self.run("merge", "--abort", check=False)
        marker.unlink(missing_ok=True)
        files = ", ".join(conflicted.split()) or (result.stderr.strip() or "unknown files")
        raise GitError(
            f"merging {ref} conflicts in git: {files}. Nothing was changed; resolve it in the "
            "content repository (or a pull request), then sync again."
        )

    def commit(self, paths, message, author=None):
        self.run("add", "--all", "--", *paths)
        args = ["commit", "--quiet", "-m", message]
        if author:
            args.append(f"--author={author[0]} <{author[1]}>")
        self.run(*args, "--", *paths)
        return self.rev("HEAD")

    def push(self, remote, source, target):
        """True if pushed; False if the remote refused because it moved on."""
        result = self.run("push", "--quiet", remote, f"{source}:refs/heads/{target}", check=False)
        if result.returncode == 0:
            return True
        if (
            "rejected" in result.stderr
            or "fetch first" in result.stderr
            or "non-fast-forward" in (result.stderr)
        ):
            return False
        message = result.stderr.strip().splitlines()
        raise GitError(f"git push: {message[-1] if message else 'failed'}")
