"""Uploads in the content repository: an export copies every uploaded image a record names.

An editor's uploads (the Diagram field, images dropped or pasted into the body) are stored
through Django's storage and named in the record by their URL, ``/media/<name>``. A content
repository serves its ``public/`` folder at the site root, so an export copies each upload a
record names to ``public/media/<name>`` in the content folder: the file's text stays exactly
what the record says, ``import_guides --check`` on the repository finds every image, and a
site built from the repository alone serves them (``serve_media`` falls back to that copy).
With remote storage (S3) an upload's URL is absolute and already works everywhere: nothing is
copied.

A copy is written once, atomically, and never over an existing file; every path stays inside
the content folder's ``public/``, whatever links it holds.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage

from catalog.fileformat.files import write_atomic


def media_prefix() -> str | None:
    """The path uploads are served under (``/media/``), or None when their URLs are absolute
    (remote storage) and nothing need be copied."""
    url = settings.MEDIA_URL
    if "//" in url:
        return None
    return "/" + url.strip("/") + "/"


# A stored upload's name: generated (catalog.infra.uploads.generated_name), so plain.
_NAME = r"[A-Za-z0-9][A-Za-z0-9_-]*(?:/[A-Za-z0-9][A-Za-z0-9_.-]*)*\.(?:png|jpe?g|gif|webp)"


def upload_names(item, prefix: str) -> list[str]:
    """Storage names of the uploads a record's file form names, in its image and its body."""
    pattern = re.compile(r"(?<![\w/.-])" + re.escape(prefix) + f"({_NAME})", re.IGNORECASE)
    texts = [getattr(item, "image", "") or "", item.body]
    names = []
    for text in texts:
        if prefix in text:
            names += [m.group(1) for m in pattern.finditer(text) if ".." not in m.group(1)]
    return list(dict.fromkeys(names))


@dataclass(frozen=True)
class Copy:
    name: str  # in the storage
    path: Path  # in the content folder


def plan_copies(items, root: Path) -> list[Copy]:
    """The uploads ``items`` name that the content folder at ``root`` does not hold yet."""
    prefix = media_prefix()
    if prefix is None:
        return []
    public = Path(root) / "public"
    folder = public / prefix.strip("/")
    copies = {}
    for item in items:
        for name in upload_names(item, prefix):
            path = folder / name
            if name not in copies and not os.path.lexists(path) and default_storage.exists(name):
                copies[name] = Copy(name, path)
    return list(copies.values())


class OutsidePublic(OSError):
    """A copy's path leaves the content folder's public/ (a link committed there)."""


def write_copies(copies, root: Path) -> None:
    """Copy each upload into the content folder, atomically; a path whose real location
    leaves ``public/`` (a committed link) is refused, naming it."""
    top = Path(os.path.realpath(root))
    public = Path(os.path.realpath(Path(root) / "public"))
    for copy in copies:
        existing = copy.path.parent
        while not os.path.lexists(existing):
            existing = existing.parent
        # Checked before any folder is made: a link in the way must not make one elsewhere.
        real = Path(os.path.realpath(existing))
        allowed = public if os.path.lexists(Path(root) / "public") else top
        if not (public.is_relative_to(top) and real.is_relative_to(allowed)):
            raise OutsidePublic(
                f"{copy.path}: not written: {existing} leads outside the content folder's "
                "public/ (a symbolic link)"
            )
        copy.path.parent.mkdir(parents=True, exist_ok=True)
        real = Path(os.path.realpath(copy.path.parent)) / copy.path.name
        if not real.is_relative_to(public) or os.path.lexists(real):
            raise OutsidePublic(
                f"{copy.path}: not written: it would leave the content folder's public/ "
                "or replace a file there"
            )
        with default_storage.open(copy.name, "rb") as source:
            write_atomic(real, source.read())


def is_copied_upload(path: Path, root: Path) -> bool:
    """Whether ``path`` in the content folder is an export's copy of an upload: under
    ``public/media/`` with the very bytes the storage holds under that name."""
    prefix = media_prefix()
    if prefix is None:
        return False
    folder = Path(root) / "public" / prefix.strip("/")
    try:
        name = path.relative_to(folder).as_posix()
    except ValueError:
        return False
    if not re.fullmatch(_NAME, name, re.IGNORECASE) or path.is_symlink() or not path.is_file():
        return False
    try:
        with default_storage.open(name, "rb") as source:
            return source.read() == path.read_bytes()
    except (OSError, ValueError):
        return False
