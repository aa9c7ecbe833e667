"""Writing files so that an interrupted run never leaves a truncated or empty one."""

import contextlib
import glob
import os
import tempfile
from pathlib import Path


def _remove_orphans(path: Path) -> None:
    """Remove temporary files of ``path`` whose writer is gone (killed before its rename).

    Their names carry the writer's process id; a live writer's file is left alone.
    """
    for orphan in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        pid = orphan.name[len(path.name) + 2 :].split(".", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            with contextlib.suppress(FileNotFoundError):
                orphan.unlink()
        except PermissionError:
            pass


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
