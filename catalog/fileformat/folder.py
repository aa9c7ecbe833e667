"""A content folder read whole: every file of ``categories/`` and ``guides/``, every problem,
and the rules that span files (categories named must exist; one slug names one page)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from catalog.fileformat.bodies import on_disk
from catalog.fileformat.characters import normalise_newlines
from catalog.fileformat.items import CategoryFile, GuideFile, read_category, read_guide
from catalog.fileformat.problems import FileReport, Problem
from catalog.fileformat.reading import BOUNDARY_RE, read_limited
from catalog.fileformat.rules import slug_clash_problem


@dataclass
class ContentFolder:
    """What a folder holds once read: the valid files, and every problem found."""

    root: Path
    categories: dict[str, CategoryFile] = field(default_factory=dict)
    guides: dict[str, GuideFile] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)  # dot-files and other non-content

    @property
    def errors(self):
        return [p for p in self.problems if p.severity == "error"]


def _markdown_files(folder_data: ContentFolder, kind: str):
    """The ``.md`` files of ``root/kind`` to read; what is refused goes to ``problems``.

    Dot-files and dot-folders (macOS ``._x.md`` copies, editors' ``.x.md.swp`` and ``.#x.md``
    lock files) are never content: they are skipped, and listed in ``skipped``, as are other
    files that are not ``.md`` (a ``.git`` was refused before: ``repository_lookalikes``).
    """
    root, problems = folder_data.root, folder_data.problems
    folder = root / kind
    resolved_root = Path(os.path.realpath(root))
    if link_out := folder_link_out(root, kind):
        problems.append(link_out)
        return []
    if not folder.is_dir():
        problems.append(Problem(str(folder), None, None, f"no {kind}/ folder in {root}"))
        return []
    files = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.suffix != ".md":
            folder_data.skipped.append(path)
            if unread := _not_read(path, kind):
                problems.append(Problem(str(path), None, None, unread, "warning", "not read"))
            continue
        if path.is_symlink():
            try:
                target = path.resolve(strict=True)
            except (OSError, RuntimeError):  # a link to nothing, or links in a loop
                problems.append(Problem(str(path), None, None, "is a symbolic link to nothing"))
                continue
            if not target.is_relative_to(resolved_root):
                problems.append(
                    Problem(
                        str(path),
                        None,
                        None,
                        "is a symbolic link to a file outside the data folder",
                    )
                )
                continue
        if not path.is_file():
            problems.append(Problem(str(path), None, None, "is not a regular file"))
            continue
        files.append(path)
    return files


# Endings of markdown files that are not read (only ``.md`` is): a contributor who writes one
# expects a page, so the import says it is left out.
_MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd", ".mkdn")


def _not_read(path: Path, kind: str) -> str | None:
    """Why a skipped entry of ``kind``/ looks like content that a contributor meant to be read
    (a markdown file under another ending, or a folder holding markdown files), or None for a
    dot-file, a folder of pictures or anything else that is not (no link is followed)."""
    if path.name.startswith(".") or path.is_symlink():
        return None
    if path.is_dir():
        for _, _, names in os.walk(path):
            if any(Path(name).suffix.lower() in _MARKDOWN_SUFFIXES for name in names):
                return f"is a folder; only the .md files directly in {kind}/ are read"
        return None
    if path.suffix.lower() in _MARKDOWN_SUFFIXES:
        renamed = f"{path.stem.lower()}.md"
        return f"is not read: only files ending in '.md' are content (rename it {renamed})"
    return None


def folder_link_out(root: Path, kind: str) -> Problem | None:
    """The problem with ``root/kind`` (``guides``, ``categories`` or ``public``) if it is a
    symbolic link to a folder outside the data folder (a contributor can commit one):
    nothing is read from it, written into it or served from it."""
    folder = Path(root) / kind
    # realpath, not resolve: it never raises, even for links in a loop
    if folder.is_symlink() and not Path(os.path.realpath(folder)).is_relative_to(
        os.path.realpath(root)
    ):
        return Problem(
            str(folder), None, None, "is a symbolic link to a folder outside the data folder"
        )
    return None


def read_folder(root: str | Path, progress=None, each=None, bodies_in_memory=None) -> ContentFolder:
    """Read and validate ``root/categories/*.md`` and ``root/guides/*.md``.

    Every file is read; the result holds each valid file and every problem, including the
    rules that span files: categories named by a guide must exist, and no slug may name both
    a category and a guide (both are served at ``/guides/<slug>``). ``progress``, if given,
    is called as ``progress(kind, done, total)`` after each file; ``each``, if given, as
    ``each(kind, item)`` with each file that parsed, as soon as it has (before the rules that
    span files, which may still drop it). ``bodies_in_memory``: the most guides whose
    bodies are held; a folder with more keeps each guide's body on disk (a FileBody, read
    again when it is written: catalog.fileformat.bodies), so that an import's memory does not
    grow with the bodies of the whole collection.
    """
    root = Path(root)
    folder = ContentFolder(root=root)
    if not root.is_dir():
        folder.problems.append(Problem(str(root), None, None, "data folder does not exist"))
        return folder
    folder.problems.extend(
        Problem(str(path), None, None, REPOSITORY_PROBLEM) for path in repository_lookalikes(root)
    )
    if public_out := folder_link_out(root, "public"):  # its images are served at the site root
        folder.problems.append(public_out)
    if folder.problems:
        return folder
    for kind, parse, target in (
        ("categories", read_category, folder.categories),
        ("guides", read_guide, folder.guides),
    ):
        paths = _markdown_files(folder, kind)
        lean = kind == "guides" and bodies_in_memory is not None and len(paths) > bodies_in_memory
        for done, path in enumerate(paths, 1):
            if progress:
                progress(kind, done, len(paths))
            report = FileReport(path, root=root)
            raw = read_limited(path, report)
            item = parse(path.stem, raw, report) if raw is not None else None
            folder.problems.extend(report.problems + report.warnings)
            if item is not None:
                if each:
                    each(kind, item)
                target[item.slug] = on_disk(item, path) if lean else item
    _check_references(folder)
    return folder


REPOSITORY_PROBLEM = (
    "looks like a git repository (.git, or HEAD with objects/ or refs/); git would take its "
    "configuration and hooks as its own, so a data folder may not hold one: remove it"
)


def repository_lookalikes(root: Path) -> list[Path]:
    """Everything under ``root`` (itself included, no link followed) that git would take for
    a repository of its own: a ``.git`` below the root, or a folder holding ``HEAD`` beside
    ``objects/`` or ``refs/``. Content comes from contributors; such a folder could name a
    command for git to run (``core.fsmonitor``), so the folder is refused whole. The root's
    own ``.git`` is the work tree's (a commit cannot carry one)."""
    found = []
    for folder, dirs, files in os.walk(root):
        names = set(dirs) | set(files)
        if ".git" in names and Path(folder) != Path(root):
            found.append(Path(folder) / ".git")
        if "HEAD" in names and ({"objects", "refs"} & names):
            found.append(Path(folder))
        dirs[:] = [name for name in dirs if name != ".git"]  # reported, or the root's own
    return sorted(found)


def _check_references(folder: ContentFolder):
    root = folder.root
    for slug, guide in list(folder.guides.items()):
        path = str(root / "guides" / f"{slug}.md")
        report = None
        if slug in folder.categories:
            report = report or FileReport(path)
            report.add(
                "slug",
                slug_clash_problem(slug, "category", root / "categories" / f"{slug}.md"),
                1,
            )
        missing = [c for c in guide.categories if c not in folder.categories]
        if missing:
            report = report or FileReport(path)
            report.frontmatter_text = _frontmatter_text_of(root / "guides" / f"{slug}.md")
            for name in missing:
                report.add(
                    "categories", f"names category {name!r}, which has no file categories/{name}.md"
                )
        if report:
            folder.problems.extend(report.problems)
            del folder.guides[slug]


def _frontmatter_text_of(path: Path) -> str:
    """Frontmatter text of a file that has already parsed, for locating a key's line."""
    text = normalise_newlines(path.read_bytes().decode("utf-8").lstrip("\ufeff"))
    closing = BOUNDARY_RE.search(text, text.index("\n") + 1)
    return text[text.index("\n") + 1 : closing.start()]
