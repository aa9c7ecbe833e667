"""What git knows about the content folder, and the clone the sync drives, through ``git``.

We use the ``git`` command rather than a Python git library: it is on every machine that
holds a content repository (CI included), it is what contributors use, and its plumbing
output is stable.

The files in the content repository come from contributors, so git never takes anything
from the tree as its own: every call names the clone's git directory and work tree (no
discovery, which would take a folder of the tree holding ``HEAD``, ``objects/`` and
``refs/`` for a repository and run its ``config``), bounds discovery above the clone
(``GIT_CEILING_DIRECTORIES``), inherits no ``GIT_*`` variable that would point it elsewhere,
and switches off everything git would run or follow on the tree's behalf (``SAFE_OPTIONS``).
Branch and remote names are checked as git names and passed after ``--end-of-options``.
"""

import base64
import datetime as dt
import fcntl
import os
import re
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

# What git would otherwise run or follow for the tree: a file-system monitor command, hooks,
# submodules named by the tree's .gitmodules, and the ext:: transport that runs a command.
SAFE_OPTIONS = (
    *("-c", "core.fsmonitor=false"),
    *("-c", "core.hooksPath=/dev/null"),
    *("-c", "core.quotePath=false"),
    *("-c", "submodule.recurse=false"),
    *("-c", "fetch.recurseSubmodules=false"),
    *("-c", "protocol.ext.allow=never"),
    *("-c", "protocol.file.allow=user"),
    "--literal-pathspecs",
)
# The only GIT_* variables a call inherits: how to reach the remote, and tracing.
_INHERITED = re.compile(r"GIT_(SSH|SSH_COMMAND|SSH_VARIANT|ASKPASS|TRACE\w*|CONFIG_GLOBAL)")


SYNC_LOCK = "guides-sync.lock"
# Where git keeps the files it locks by writing <file>.lock beside them.
_LOCKED_PLACES = ("refs", "logs", "objects/info", "worktrees")


def _reason(output):
    """What git said went wrong: its ``fatal:`` or ``error:`` line (the one naming the file
    or ref), else its last line."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    said = [line for line in lines if line.startswith(("fatal:", "error:"))]
    if said:
        return said[0]
    return lines[-1] if lines else "failed"


def _git_locks(git_dir):
    """The ``*.lock`` files git left in ``git_dir`` (never following a link), ours aside."""
    found = [p for p in git_dir.glob("*.lock") if p.name != SYNC_LOCK and not p.is_symlink()]
    for place in _LOCKED_PLACES:
        for folder, _, files in os.walk(git_dir / place, followlinks=False):
            found += [Path(folder) / name for name in files if name.endswith(".lock")]
    return found


class GitError(Exception):
    """A git command failed; the message says which and why."""


def work_tree_top(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` (its real path) that holds ``.git``: the top
    of the work tree it belongs to, as git would find it without taking a bare-looking
    folder for a repository; None outside any."""
    start = Path(os.path.realpath(start))
    for folder in (start, *start.parents):
        if os.path.lexists(folder / ".git"):
            return folder
    return None


def git_environment(top: Path, extra=None) -> dict:
    """The environment of every git call on the work tree at ``top``."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("GIT_") or _INHERITED.fullmatch(key)
    }
    environment.update(
        GIT_DIR=str(top / ".git"),
        GIT_WORK_TREE=str(top),
        GIT_CEILING_DIRECTORIES=str(top.parent),
        GIT_TERMINAL_PROMPT="0",
        GIT_ATTR_NOSYSTEM="1",
        **(extra or {}),
    )
    return environment


def _git(top, *args, env=None, timeout=120, text=False, input=None):
    return subprocess.run(
        ["git", *SAFE_OPTIONS, *args],
        cwd=top,
        env=git_environment(top, env),
        capture_output=True,
        timeout=timeout,
        text=text,
        input=input,
    )


def last_commit_times(folder: Path) -> dict[Path, dt.datetime]:
    """The time of the last commit that changed each file under ``folder``; for a file changed
    in the work tree since, now (its content is newer than any commit).

    Keys are the work tree's real top folder joined with the paths git names (not resolved one
    by one: a symlinked file is known by the link's path, which is what git commits).

    Empty when ``folder`` is not in a git work tree or git is missing.
    """
    top = work_tree_top(folder)
    if top is None:
        return {}
    relative = Path(os.path.realpath(folder)).relative_to(top).as_posix()
    try:
        log = _git(top, "log", "--format=@@%ct", "--name-only", "--no-renames", "--", relative)
        dirty = _git(top, "status", "--porcelain", "--", relative)
    except (OSError, subprocess.SubprocessError):
        return {}
    if log.returncode or dirty.returncode:
        return {}
    modified = {top / line[3:] for line in dirty.stdout.decode(errors="replace").splitlines()}
    now = dt.datetime.now(dt.UTC)
    times, when = {}, None
    for line in log.stdout.decode(errors="replace").splitlines():
        if line.startswith("@@"):
            when = _commit_time(line[2:], now)
        elif line:
            path = top / line
            if path not in times:
                times[path] = when
    times.update((path, now) for path in modified)
    return times


def _commit_time(seconds: str, now: dt.datetime) -> dt.datetime:
    """A commit's time from git's ``%ct``; ``now`` for one later than now. A contributor sets
    their commit's date (``GIT_COMMITTER_DATE="@99999999999999"``, year 3,170,843), and no
    change was made in the future: such a date would stand as a guide's "updated" date, or,
    past year 9999, stop every import."""
    try:
        when = dt.datetime.fromtimestamp(int(seconds), dt.UTC)
    except (ValueError, OverflowError, OSError):
        return now
    return min(when, now)


def check_name(kind: str, name: str) -> str:
    """``name`` if git takes it as a branch (``kind`` "branch") or remote name; else
    GitError. A name may not start with "-", so no git command reads it as an option."""
    ok = bool(name) and not name.startswith("-") and (kind == "branch" or "/" not in name)
    if ok:
        result = subprocess.run(
            ["git", "check-ref-format", f"refs/heads/{name}"], capture_output=True, timeout=30
        )
        ok = result.returncode == 0
    if not ok:
        raise GitError(f"{name!r} is not a valid git {kind} name")
    return name


class Repo:
    """A clone of the content repository, driven through the ``git`` command.

    Credentials come from the environment only: an SSH key (``GIT_SSH_COMMAND`` or the
    agent), a credential helper, or ``GUIDES_GIT_TOKEN`` sent as an HTTP authorization header.
    The site is the committer (``GUIDES_GIT_NAME``, ``GUIDES_GIT_EMAIL``); authors are editors.
    """

    def __init__(self, path, *, token="", committer=("Guides site", "guides@localhost")):
        self.path = Path(path)
        self._top = work_tree_top(self.path) if self.path.is_dir() else None
        self.token, self.committer = token, committer

    def run(self, *args, check=True, env=None, input=None):
        if self._top is None:
            raise GitError(f"{self.path}: not a git work tree")
        # Every value a fetch or push gives a remote-tracking branch is kept in its reflog,
        # whatever the clone's configuration: it tells a rewritten remote (:meth:`beyond`).
        options = ["-c", "core.logAllRefUpdates=true"]
        if self.token:
            basic = base64.b64encode(f"x-access-token:{self.token}".encode()).decode()
            options += ["-c", f"http.extraHeader=Authorization: Basic {basic}"]
        name, email = self.committer
        identity = {"GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email, **(env or {})}
        try:
            result = _git(
                self._top, *options, *args, env=identity, timeout=300, text=True, input=input
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise GitError(f"git {args[0]}: {exc}") from None
        if check and result.returncode:
            raise GitError(f"git {' '.join(args[:2])}: {_reason(result.stderr or result.stdout)}")
        return result

    def is_work_tree(self):
        if self._top is None:
            return False
        result = self.run("rev-parse", "--is-inside-work-tree", check=False)
        return result.returncode == 0 and result.stdout.strip() == "true"

    def top(self):
        """The clone's top folder (its real path)."""
        if self._top is None:
            raise GitError(f"{self.path}: not a git work tree")
        return self._top

    def has_remote(self, remote):
        check_name("remote", remote)
        return self.run("remote", "get-url", remote, check=False).returncode == 0

    def merging(self):
        return self.run("rev-parse", "-q", "--verify", "MERGE_HEAD", check=False).returncode == 0

    def dirty(self, *paths):
        """Paths (relative to the top) with uncommitted changes, untracked files included."""
        out = self.run("status", "--porcelain", "--untracked-files=all", "--", *paths).stdout
        return sorted(line[3:].strip('"') for line in out.splitlines() if len(line) > 3)

    def rev(self, ref):
        result = self.run(
            "rev-parse", "-q", "--verify", "--end-of-options", f"{ref}^{{commit}}", check=False
        )
        return result.stdout.strip() or None

    def count(self, revisions):
        return int(self.run("rev-list", "--count", "--end-of-options", revisions).stdout or 0)

    def fetch(self, remote, branch):
        check_name("remote", remote), check_name("branch", branch)
        self.run("fetch", "--quiet", "--end-of-options", remote, branch)

    def beyond(self, remote, branch):
        """``(dropped, own)``: the commits ``HEAD`` holds that ``remote``'s ``branch`` (as last
        fetched) does not, split into those the branch held once and holds no longer (its
        reflog keeps every value a fetch or push gave it: the remote's history was
        rewritten, a force-push) and the clone's own, merges left out (made here and not yet
        pushed), each newest first."""
        check_name("remote", remote), check_name("branch", branch)
        tracking = f"refs/remotes/{remote}/{branch}"
        tip = self.rev(tracking)
        if tip is None:
            return [], []
        ahead = self.run("rev-list", "HEAD", f"^{tip}").stdout.split()
        if not ahead:
            return [], []
        log = self.run("reflog", "show", "--format=%H", "--end-of-options", tracking, check=False)
        earlier = sorted(set(log.stdout.split()) - {tip})
        held = set()
        if earlier:
            revisions = "".join(f"{sha}\n" for sha in earlier) + f"^{tip}\n"
            held = set(self.run("rev-list", "--stdin", input=revisions).stdout.split())
        merges = set(self.run("rev-list", "--merges", "HEAD", f"^{tip}").stdout.split())
        dropped = [sha for sha in ahead if sha in held]
        own = [sha for sha in ahead if sha not in held and sha not in merges]
        return dropped, own

    def follow(self, ref):
        """Point the current branch and the work tree at ``ref``, keeping uncommitted changes
        (``reset --keep``: GitError, nothing changed, if one would be lost)."""
        commit = self.rev(ref)  # a commit id: reset takes no --end-of-options
        if commit is None:
            raise GitError(f"{ref}: no such commit")
        self.run("reset", "--keep", "--quiet", commit)

    @contextmanager
    def exclusive(self):
        """Hold the clone's sync lock while the block runs: a file lock in the git directory,
        which the system releases if the process dies, so a killed run never blocks the next.
        GitError if another run holds it."""
        path = self._top / self.run("rev-parse", "--git-path", SYNC_LOCK).stdout.strip()
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
        marker = self._top / self._marker()
        if not marker.exists():
            return False
        if self.merging():
            self.run("merge", "--abort", check=False)
        self.run("reset", "--hard", "--quiet", "HEAD", check=False)
        marker.unlink(missing_ok=True)
        return True

    def clear_stale_locks(self, wait=5.0):
        """Remove the lock files git leaves when it is killed mid-command: the index's, a
        ref's (a fetch updating ``refs/remotes/…``), ``packed-refs``, ``HEAD``, ``config``,
        ``shallow`` and the like (``<file>.lock`` beside the file it guards). Called under the
        sync lock, so no other sync's git runs; a git still finishing (its parent was killed
        alone) gets ``wait`` seconds to remove its own. Our own sync lock is not git's."""
        git_dir = self._top / self.run("rev-parse", "--git-common-dir").stdout.strip()
        deadline = time.monotonic() + wait
        while (locks := _git_locks(git_dir)) and time.monotonic() < deadline:
            time.sleep(0.1)
        for lock in locks:
            lock.unlink(missing_ok=True)

    def merge(self, ref):
        """Merge ``ref``; on a conflict, abort (the clone is left as it was) and raise it.

        A marker beside the merge state tells the next run that a merge left half-done was
        ours to abort, so a sync killed while merging does not block the next one.
        """
        marker = self._top / self._marker()
        marker.write_text(ref)
        result = self.run("merge", "--no-edit", "--quiet", "--end-of-options", ref, check=False)
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
        check_name("remote", remote), check_name("branch", target)
        refspec = f"{source}:refs/heads/{target}"
        result = self.run("push", "--quiet", "--end-of-options", remote, refspec, check=False)
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
