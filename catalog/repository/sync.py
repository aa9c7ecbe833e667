"""``sync_content``: one run brings the content repository and the database into step.

In a clone of the content repository: fetch and merge the remote branch (follow it, if its
history was rewritten), import (the sync rules of catalog.fileformat.merge: conflicts stop
the run before anything is written), export the admin's changes, regenerate the README's
table of contents, commit (one commit per editor, authored by them, committed by the site,
naming the guides), and push. A push the remote refuses
because it moved on is retried after a fresh fetch, merge and import. ``review`` pushes the
run's commits to a new branch ``guides/<date>-<editor>`` for a pull request instead, and keeps
the admin's edits pending (their sync base does not move) until that branch is merged.

Every step is all-or-nothing and the next run finishes what a killed run started: the import
is one transaction, files are replaced atomically, files the export wrote but did not commit
are recognised (they say what the database says) and committed, and commits not yet pushed
are pushed.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from catalog.fileformat import ContentError, parse_category, parse_guide
from catalog.fileformat.files import remove_if_orphaned, write_atomic
from catalog.infra.git import GitError, Repo, check_name
from catalog.models import Deletion, Guide, GuideRevision, SlugRedirect
from catalog.pipeline.exporter import build_export_plan
from catalog.pipeline.importer import plan_summary
from catalog.pipeline.media import is_copied_upload, media_prefix
from catalog.pipeline.readme import ReadmeError, TocMarkerError, readme_with_current_toc
from catalog.pipeline.steps import Stopped, import_folder, plan_export, write_export
from catalog.write.records import stored_categories, stored_guides

MAX_PUSH_ATTEMPTS = 3


EDITOR_SOURCES = ("admin", "restore", "publish", "unpublish", "merge")


class SyncError(Exception):
    """The run stopped; the message names what and why. What was written is complete."""


@dataclass
class SyncReport:
    """What a run did, line by line; ``progress`` hears each line as it happens, and each step
    (``step``) as it starts."""

    lines: list[str] = field(default_factory=list)
    commits: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    pushed_to: str | None = None
    progress: object = None

    def say(self, line):
        self.lines.append(line)
        self.step(line)

    def step(self, line):
        if self.progress is not None:
            self.progress(line)

    def extend(self, lines):
        for line in lines:
            self.say(line)


def clone_data_dir(top: Path) -> Path:
    configured = Path(settings.GUIDES_DATA_DIR).resolve()
    return configured if configured.is_relative_to(top.resolve()) else top / "data"


def inside_clone(top: Path, path: Path) -> Path:
    """``path`` if its real path, every link resolved, lies inside the clone's work tree at
    ``top`` (its git directory is not part of it); else SyncError naming it. The clone's files
    come from contributors: a committed symbolic link must not make the sync read or write
    outside it, or git's own files (the same rule as ``public/``)."""
    real, tree = Path(os.path.realpath(path)), Path(os.path.realpath(top))
    if not real.is_relative_to(tree) or real.is_relative_to(tree / ".git"):
        where = "the clone's git directory" if real.is_relative_to(tree) else "outside the clone"
        raise SyncError(
            f"{path}: is a symbolic link to {real}, {where} {top}; "
            "the sync reads and writes only its work tree. Nothing was changed."
        )
    return path


def _check_clone_paths(top, data_rel):
    """The data folder and the README, each time the clone's files may have changed."""
    inside_clone(top, top / data_rel)
    inside_clone(top, top / "README.md")


def sync_content(
    repo_dir,
    *,
    remote="origin",
    branch="main",
    review=False,
    dry_run=False,
    on_conflict="skip",
    progress=None,
) -> SyncReport:
    report = SyncReport(progress=progress)
    try:
        check_name("remote", remote), check_name("branch", branch)
    except GitError as exc:
        raise SyncError(str(exc)) from None
    repo = Repo(
        repo_dir,
        token=getattr(settings, "GUIDES_GIT_TOKEN", ""),
        committer=(settings.GUIDES_GIT_NAME, settings.GUIDES_GIT_EMAIL),
    )
    if not Path(repo_dir).is_dir() or not repo.is_work_tree():
        raise SyncError(
            f"{repo_dir}: not a git repository (GUIDES_CONTENT_REPO must name a clone of the "
            "content repository)"
        )
    top = repo.top()
    data = clone_data_dir(top)
    data_rel = data.relative_to(top).as_posix()
    _check_clone_paths(top, data_rel)
    if not repo.has_remote(remote):
        raise SyncError(f"{top}: has no remote {remote!r}")
    try:
        with repo.exclusive():
            return _sync(
                repo,
                top,
                data_rel,
                report,
                remote=remote,
                branch=branch,
                review=review,
                dry_run=dry_run,
                on_conflict=on_conflict,
            )
    except GitError as exc:
        raise SyncError(str(exc)) from None


def _sync(repo, top, data_rel, report, *, remote, branch, review, dry_run, on_conflict):
    """The run itself, under the clone's lock."""
    say = report.step
    data = top / data_rel
    repo.clear_stale_locks()  # git's, left by a git killed with an earlier run
    if repo.finish_interrupted_merge():
        report.say("aborted the merge an interrupted sync had left")
    if repo.merging():
        raise SyncError(
            f"{top}: is in the middle of a merge someone started by hand; it must be finished "
            "or aborted in the clone first"
        )
    _commit_leftovers(repo, top, data_rel, report)
    say("fetching")
    repo.fetch(remote, branch)
    upstream = f"{remote}/{branch}"
    rewritten = _rewritten(repo, remote, branch, report, dry_run=dry_run)
    incoming = repo.count(f"HEAD..{upstream}")
    report.say(f"{incoming} incoming commit(s) from {upstream}")
    if dry_run:
        return _dry_run(report, data, on_conflict)
    for attempt in range(1, MAX_PUSH_ATTEMPTS + 1):
        if rewritten:
            say(f"following {upstream}")
            repo.follow(upstream)
            _check_clone_paths(top, data_rel)
        elif repo.count(f"HEAD..{upstream}"):
            say(f"merging {upstream}")
            repo.merge(upstream)
            _check_clone_paths(top, data_rel)
        say("importing")
        _import(data, on_conflict, report)
        say("exporting")
        _export(data, on_conflict, report, move_bases=not review)
        _readme(top, report)
        _commit(repo, top, data_rel, report)
        outgoing = repo.count(f"{upstream}..HEAD")  # the run's commits, and a merge's
        if not outgoing:
            report.say("nothing to push: the repository and the database are in step")
            return report
        target = _review_branch(repo, remote, report) if review else branch
        say(f"pushing to {remote}/{target}")
        if repo.push(remote, "HEAD", target):
            report.pushed_to = f"{remote}/{target}"
            report.say(f"pushed {outgoing} commit(s) to {remote}/{target}")
            if review:
                _back_to_upstream(repo, upstream, branch)
            return report
        report.say(f"{remote}/{target} moved on; fetching again (attempt {attempt + 1})")
        repo.fetch(remote, branch)
        rewritten = _rewritten(repo, remote, branch, report)
    raise SyncError(f"the remote kept moving: gave up after {MAX_PUSH_ATTEMPTS} attempts")


def _rewritten(repo, remote, branch, report, *, dry_run=False):
    """Whether the remote branch's history was rewritten (a force-push) so that it no longer
    holds commits the clone holds. Merging it would bring back what the rewrite took out,
    and the next push would put it on the remote again; the clone follows it instead (its
    files then change as a contributor's commit would change them, and the import takes that
    change by the sync rules: a record the rewrite removed is deleted, kept under Deleted
    records). Unless the clone also holds commits of its own not yet pushed (a run killed
    before its push): following would drop them, so the run stops, naming them."""
    dropped, own = repo.beyond(remote, branch)
    if not dropped:
        return False
    upstream = f"{remote}/{branch}"
    if own:
        raise SyncError(
            f"{upstream} was rewritten (force-pushed): {len(dropped)} commit(s) the clone holds "
            f"are no longer on it, and the clone also holds {len(own)} commit(s) of its own not "
            f"yet pushed ({', '.join(sha[:10] for sha in own[:5])}). Nothing was changed: put "
            f"them on the rewritten branch (in {repo.top()}: git rebase --fork-point "
            f"{upstream}), then sync again."
        )
    report.say(
        f"{upstream} was rewritten (force-pushed): {len(dropped)} commit(s) the clone holds are "
        f"no longer on it ({', '.join(sha[:10] for sha in dropped[:5])}"
        f"{' …' if len(dropped) > 5 else ''}); "
        + ("a run would follow it" if dry_run else "following it")
        + ", not merging them back"
    )
    return True


def _import(data, on_conflict, report):
    try:
        _, plan = import_folder(data, on_conflict=on_conflict)
    except Stopped as exc:
        raise SyncError(str(exc)) from None
    report.extend(plan_summary(plan))


def _export(data, on_conflict, report, *, move_bases):
    # Drafts made in the admin stay out of the repository (GUIDES_SYNC_DRAFTS = hold), except
    # on a review branch (move_bases false), which is where a draft is meant to be read.
    hold = settings.GUIDES_SYNC_DRAFTS == "hold" and move_bases
    try:
        plan = plan_export(data, on_conflict=on_conflict, hold_drafts=hold)
        write_export(plan, data, move_bases=move_bases)
    except Stopped as exc:
        raise SyncError(str(exc)) from None
    report.say(
        f"exported {len(plan.write)} file(s), removed {len(plan.remove)}"
        + (f", copied {len(plan.copies)} upload(s) into public/" if plan.copies else "")
    )
    if plan.held:
        shown = ", ".join(plan.held[:10]) + (" …" if len(plan.held) > 10 else "")
        report.say(f"held {len(plan.held)} draft(s) out of the repository until published: {shown}")
    if plan.set_aside:
        report.say(
            f"{len(plan.set_aside)} conflict(s) set aside; everything else is synced. "
            "Decide each on the Content sync page:"
        )
        report.extend(f"  {conflict}" for conflict in plan.set_aside)


def _readme(top, report):
    path = top / "README.md"
    if not path.is_file():
        return
    try:
        current, updated = readme_with_current_toc(path, settings.GUIDES_BASE_URL)
    except TocMarkerError:
        report.say(f"{path}: no table of contents markers; left as it is")
        return
    except ReadmeError as exc:  # a contributor's README: too large, or not UTF-8
        report.say(f"{exc}; left as it is")
        return
    if updated != current:
        write_atomic(path, updated.encode("utf-8"))
        report.say(f"{path}: table of contents rewritten")


def _editor_of(slug):
    """(name, email) of the editor whose change a guide's file now holds (at its slug, or
    the slug it was renamed from), or who deleted it in the admin; None if none did."""
    guide = Guide.objects.filter(slug=slug).first() or getattr(
        SlugRedirect.objects.filter(old_slug=slug).select_related("guide").first(), "guide", None
    )
    revision = (
        GuideRevision.objects.filter(guide=guide, source__in=EDITOR_SOURCES)
        .select_related("author")
        .first()
        if guide is not None
        else None
    )
    user = revision.author if revision is not None else None
    if guide is None:
        deletion = Deletion.objects.filter(kind="guides", slug=slug, source="admin").first()
        user = deletion.deleted_by if deletion is not None else None
    if user is None:
        return None
    name = user.get_full_name() or user.get_username()
    return name, user.email or f"{user.get_username()}@users.guides.invalid"


def _commit(repo, top, data_rel, report):
    """Commit what changed: one commit per editor for their guides, the rest as the site."""
    changed = repo.dirty(data_rel, "README.md")
    if not changed:
        return
    by_author, rest = defaultdict(list), []
    for path in changed:
        parts = Path(path).parts
        if len(parts) >= 2 and parts[-2] == "guides" and path.endswith(".md"):
            editor = _editor_of(Path(path).stem)
            if editor:
                by_author[editor].append(path)
                continue
        rest.append(path)
    rest = _uploads_with_their_guides(top, data_rel, rest, by_author)
    for (name, email), paths in sorted(by_author.items()):
        slugs = ", ".join(Path(p).stem for p in paths if p.endswith(".md"))
        sha = repo.commit(paths, f"Guides: {slugs} (edited by {name} in the admin)", (name, email))
        report.commits.append(sha)
        report.authors.append(name)
        report.say(f"committed {len(paths)} file(s) by {name}: {sha[:10]}")
    if rest:
        names = ", ".join(Path(p).stem for p in rest[:10]) + (" …" if len(rest) > 10 else "")
        sha = repo.commit(rest, f"Guides: update {names}")
        report.commits.append(sha)
        report.say(f"committed {len(rest)} file(s) as the site: {sha[:10]}")


def _uploads_with_their_guides(top, data_rel, paths, by_author):
    """Uploads copied into ``public/media/`` go in the commit of the editor whose guide names
    them, so that no commit has a guide naming an image it lacks; the rest are returned."""
    prefix = media_prefix()
    folder = f"{data_rel}/public/{prefix.strip('/')}/" if prefix else None
    rest = []
    for path in paths:
        name = path.removeprefix(folder) if folder and path.startswith(folder) else None
        owner = None
        if name is not None:
            for editor, guides in by_author.items():
                if any(_names(top / guide, f"{prefix}{name}") for guide in guides):
                    owner = editor
                    break
        (by_author[owner] if owner else rest).append(path)
    return rest


def _names(path, url):
    try:
        return url in path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False


def _commit_leftovers(repo, top, data_rel, report):
    """Files a killed run wrote but did not commit are committed, and the temporary files of
    one killed mid-write removed; anyone else's are refused."""
    dirty = [
        path for path in repo.dirty(data_rel, "README.md") if not remove_if_orphaned(top / path)
    ]
    if not dirty:
        return
    records = {"guides": stored_guides(), "categories": stored_categories()}
    parse = {"guides": parse_guide, "categories": parse_category}
    foreign = []
    for relative in dirty:
        path = top / relative
        kind = path.parent.name
        if relative == "README.md":
            try:
                current, updated = readme_with_current_toc(path, settings.GUIDES_BASE_URL)
                ours = updated == current
            except ReadmeError:
                ours = False
        elif kind in records and path.suffix == ".md" and not os.path.lexists(path):
            ours = _removed_by_export(kind, path.stem, records[kind])
        elif kind in records and path.suffix == ".md" and path.is_file() and not path.is_symlink():
            record = records[kind].get(path.stem)
            try:
                ours = record is not None and parse[kind](path.stem, path.read_bytes()) == (
                    record.file
                )
            except ContentError:
                ours = False
        else:
            ours = is_copied_upload(path, top / data_rel)
        if not ours:
            foreign.append(relative)
    if foreign:
        raise SyncError(
            f"{top}: uncommitted changes to files sync would touch: {', '.join(foreign)}. "
            "Commit or discard them first; nothing was changed."
        )
    _commit(repo, top, data_rel, report)
    report.say("committed the files an interrupted sync had written")


def _removed_by_export(kind, slug, records):
    """Whether an export removes a file at ``slug``: its record was deleted in the admin, or
    renamed away from it."""
    if slug in records:
        return False
    model = {"guides": "guide", "categories": "category"}[kind]
    return (
        Deletion.objects.filter(kind=kind, slug=slug, source="admin").exists()
        or SlugRedirect.objects.filter(old_slug=slug, **{f"{model}__isnull": False}).exists()
    )


def _dry_run(report, data, on_conflict):
    try:
        _, plan = import_folder(data, on_conflict=on_conflict, dry_run=True)
        report.extend(plan_summary(plan))
    except Stopped as exc:
        report.say(f"an import would stop: {exc}")
    export = build_export_plan(data, on_conflict=on_conflict)
    report.say(
        f"an export would write {len(export.write)} file(s); {len(export.newer)} are newer "
        f"than the database; {len(export.conflicts)} conflict(s)"
    )
    report.say("dry run: nothing was changed")
    return report


def _review_branch(repo, remote, report):
    """``guides/<date>-<editor>``, a new branch per run (``-2``, ``-3`` … when taken)."""
    authors = sorted(set(report.authors))
    who = authors[0] if len(authors) == 1 else ("editors" if authors else "site")
    who = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in who.lower())
    base = f"guides/{dt.date.today().isoformat()}-{who}"
    name, n = base, 2
    while repo.run("ls-remote", "--heads", "--end-of-options", remote, f"refs/heads/{name}").stdout:
        name, n = f"{base}-{n}", n + 1
    return name


def _back_to_upstream(repo, upstream, branch):
    """After a review push the local branch returns to the remote's: the edits stay pending
    in the database (their sync base did not move) until the pull request is merged."""
    repo.run("checkout", "--quiet", "-B", branch, upstream)
