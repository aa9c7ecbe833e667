"""Image files served from a folder: the content folder's ``public/`` and uploads.

The content repository's ``public/`` comes from contributors' pull requests, who are trusted
less than editors, so nothing there is served as it is. A file is served only when

- its URL ends in an image extension (``.png``, ``.jpg``/``.jpeg``, ``.gif``, ``.webp``),
- its real path, every symbolic link resolved, is a regular file inside the folder,
- Pillow reads its header as that format (a ``.png`` holding HTML or SVG is not an image),

and then with ``nosniff`` and a sandbox Content-Security-Policy, so that no file can run as a
same-origin page. Everything else answers 404. :func:`image_file` is the one rule, shared by
the serving code and by ``import_guides --check`` / ``check_links`` (catalog.pipeline.links), which
report what would not be served.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from PIL import Image, UnidentifiedImageError

from catalog.fileformat import folder_link_out

FORMATS = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG", "gif": "GIF", "webp": "WEBP"}
CONTENT_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
SANDBOX_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}
MAX_AGE = 86400


class NotServed(Exception):
    """Why a path under a served folder is not served (a message for reports)."""


def sniff_format(handle) -> str | None:
    """The image format Pillow reads from the file's header (no pixels are decoded)."""
    position = handle.tell()
    try:
        with Image.open(handle) as image:
            return image.format
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None
    finally:
        handle.seek(position)


def real_path(root: Path, relative: str) -> Path:
    """The real path of ``root/relative``; raise NotServed unless it lies inside ``root``."""
    real_root = Path(os.path.realpath(root))
    real = Path(os.path.realpath(real_root / relative.lstrip("/")))
    if not real.is_relative_to(real_root) or real == real_root:
        raise NotServed("is a symbolic link that leaves the folder")
    return real


def image_file(root: Path, relative: str):
    """Open ``root/relative`` for serving; return ``(handle, format, stat)`` or raise NotServed.

    The caller closes the handle (a FileResponse does).
    """
    if "\x00" in relative:
        raise NotServed("has a NUL character in its name")
    real = real_path(root, relative)
    extension = relative.rsplit(".", 1)[-1].lower() if "." in relative else ""
    expected = FORMATS.get(extension)
    if expected is None:
        raise NotServed("is not a .png, .jpg, .jpeg, .gif or .webp file")
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        raise NotServed("does not exist") from None
    except OSError as exc:
        raise NotServed(f"cannot be read ({exc.strerror})") from None
    handle = os.fdopen(fd, "rb")
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotServed("is not a regular file")
        found = sniff_format(handle)
        if found is None:
            raise NotServed("is not a PNG, JPEG, GIF or WebP image")
        if found != expected:
            raise NotServed(f"holds a {found} image, not the {expected} its name says")
    except BaseException:
        handle.close()
        raise
    return handle, found, info


def serve_image(request, root: Path, relative: str, *, max_age: int = MAX_AGE):
    """A response with the image at ``root/relative``, or Http404 if it is not served."""
    try:
        handle, fmt, info = image_file(root, relative)
    except NotServed:
        raise Http404("No such image") from None
    last_modified = int(info.st_mtime)
    etag = f'"{info.st_ino:x}-{info.st_size:x}-{info.st_mtime_ns:x}"'
    response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is not None:
        handle.close()
    else:
        response = FileResponse(handle, content_type=CONTENT_TYPES[fmt])
        response["Content-Length"] = str(info.st_size)
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified)
    response["Cache-Control"] = f"public, max-age={max_age}"
    for name, value in SANDBOX_HEADERS.items():
        response[name] = value
    return response


def public_folder() -> Path | None:
    """The data folder's ``public/``, whose images are served at the site root; None when it
    is a symbolic link out of the data folder (a contributor can commit one, and the files
    of a merge are on disk before any import refuses them): nothing outside is served."""
    if folder_link_out(settings.GUIDES_DATA_DIR, "public"):
        return None
    return Path(settings.GUIDES_DATA_DIR) / "public"


def site_image_exists(path: str) -> bool:
    """Whether a site path names an image this site holds: a file in ``public/`` (or an
    upload under ``MEDIA_URL``), or a static file. Pages show a placeholder for any other, so
    a missing icon is never a broken-image glyph. Looked up on disk (``stat``), never read."""
    if path.startswith(settings.STATIC_URL):
        return True
    public = public_folder()
    places = [(public, path)] if public else []
    if path.startswith(settings.MEDIA_URL):  # an upload, or the content folder's copy of it
        places.insert(0, (Path(settings.MEDIA_ROOT), path[len(settings.MEDIA_URL) :]))
    if path.rsplit(".", 1)[-1].lower() not in FORMATS or "\x00" in path:
        return False
    for root, relative in places:
        try:
            if real_path(root, relative).is_file():
                return True
        except (NotServed, OSError, ValueError):
            pass
    return False


class PublicFilesMiddleware:
    """Serve ``GUIDES_DATA_DIR/public/<path>`` at ``/<path>`` for image paths only.

    Requests for any other path never touch the folder; an image path that is not a served
    image goes on to URL routing and gets its 404 there.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.skip = (settings.STATIC_URL, settings.MEDIA_URL, "/admin/")

    def __call__(self, request):
        path = request.path_info
        if (
            request.method in ("GET", "HEAD")
            and path.rsplit(".", 1)[-1].lower() in FORMATS
            and not path.startswith(self.skip)
        ):
            try:
                if public := public_folder():
                    return serve_image(request, public, path)
            except Http404:
                pass
        return self.get_response(request)
