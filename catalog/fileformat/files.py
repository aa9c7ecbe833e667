"""Files of the content folder: written so that an interrupted run never leaves a truncated or
empty one, and a path a contributor names followed only as far as the folder (``file_inside``)."""

import contextlib
import glob
import os
import re
import tempfile
from pathlib import Path

# write_atomic's temporary file of a file: ".<its name>.<writer's pid>.<random>.tmp"
_TEMPORARY = re.compile(r"\..+\.(?P<pid>\d+)\.[^.]+\.tmp")


def file_inside(path: str | Path, root: str | Path) -> Path | None:
    """The real path of ``path`` if it names a regular file inside ``root``, else None.

    Paths named in the content come from contributors: every link is followed, and one that
    leaves ``root``, names nothing or is one of links in a loop (``a -> b -> a``, which
    ``Path.resolve`` raises for) is simply not a file inside; so is a name holding NUL.
    """
    try:
        real = Path(os.path.realpath(path))
        inside = real.is_relative_to(os.path.realpath(root)) and real.is_file()
    except (OSError, ValueError):
        return None
    return real if inside else None


def remove_if_orphaned(path: str | Path) -> bool:
    """Remove ``path`` if it is a temporary file of :func:`write_atomic` whose writer is gone
    (killed before its rename); whether it was one (a live writer's file is left alone)."""
    path = Path(path)
    match = _TEMPORARY.fullmatch(path.name)
    if match is None:
        return False
    try:
        os.kill(int(match["pid"]), 0)
    except ProcessLookupError:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return True
    except PermissionError:
        pass
    return False


def _remove_orphans(path: Path) -> None:
    """Remove the temporary files beside ``path`` whose writer is gone."""
    for candidate in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        remove_if_orphaned(candidate)


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, flush it to disk, then rename it.

    The rename is atomic on POSIX file systems, so readers see the old file or the new one.
    The file keeps its permission bits. On any error the temporary file is removed and the
    original is untouched; a temporary file left by a writer that was killed is removed by
    the next write.
    """
    path = Path(path)
    _remove_orphans(path)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
