"""Uploaded images: one door for the guide form and the editor's drag-and-drop.

Only raster images Pillow can open and verify as PNG, JPEG, GIF or WebP are accepted, at most
10 MB and 40 megapixels in all: an animation's frames count together (frames × width ×
height), and it has at most 500 frames. The pixel count is read from the header before any
decoding, so a decompression bomb is refused without being expanded, with the same message as
any image that is too large; frames are counted only up to what the limit allows, so a small
file of many large frames costs at most the limit's worth of decoding. SVG, HTML and anything
else are refused: they could carry script. A PNG keeps its first frame only.

What is stored is not the uploaded file but the image re-encoded by Pillow from its pixels:
no EXIF (camera, the GPS position where a phone took the photo), no comments, no colour
profile block and no trailing bytes survive. The EXIF orientation is applied to the pixels
first, and a colour profile is converted into sRGB pixels, so the picture looks as it did.
Stored names are generated; nothing of the uploader's file name reaches the file system.
"""

import io
import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from PIL import Image, ImageCms, ImageOps, ImageSequence, UnidentifiedImageError

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # in all frames together
MAX_FRAMES = 500
ANIMATED = ("GIF", "WEBP")  # the formats whose frames are kept (a PNG keeps its first)
EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp"}
UPLOAD_DIR = "diagrams"
_NOT_AN_IMAGE = (
    "This is not a PNG, JPEG, GIF or WebP image (SVG, HTML and other files are not accepted)."
)
_READ_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, ValueError, IndexError, TypeError)


def _header(upload):
    """(format, (width, height)) from the file's header alone, or None.

    Pillow's ``Image.open`` refuses a header that declares a huge image before saying its
    size; here each accepted format's own reader (Pillow's registry, ``Image.OPEN``) reads
    just the header, so a bomb gets the size message like any other large image.
    """
    Image.init()
    upload.seek(0)
    prefix = upload.read(16)
    for fmt in EXTENSIONS:
        factory, accept = Image.OPEN[fmt]
        if accept is not None and accept(prefix) is not True:
            continue
        upload.seek(0)
        try:
            return fmt, factory(upload, "").size
        except _READ_ERRORS:
            continue
    return None


def _refuse_other_format(upload):
    """Name the format of an image of a kind that is not accepted (BMP, TIFF …)."""
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            fmt = image.format
    except (*_READ_ERRORS, Image.DecompressionBombError):
        return
    raise ValidationError(
        f"{fmt} images are not accepted: upload a PNG, JPEG, GIF or WebP image.", code="format"
    )


def validate_image_upload(upload):
    """Return (format, width, height) of an acceptable upload; raise ValidationError if not."""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            f"The file is {size / 1024 / 1024:.1f} MB; the largest allowed is 10 MB.",
            code="too_large",
        )
    position = upload.tell() if hasattr(upload, "tell") else 0
    try:
        header = _header(upload)
        if header is None:
            _refuse_other_format(upload)
            raise ValidationError(_NOT_AN_IMAGE, code="not_an_image")
        fmt, (width, height) = header
        if width * height > MAX_PIXELS:
            raise ValidationError(
                f"The image is {width}×{height} pixels ({width * height / 1e6:.0f} "
                "megapixels); the largest allowed is 40 megapixels.",
                code="too_many_pixels",
            )
        upload.seek(0)
        with Image.open(upload, formats=[fmt]) as image:
            if fmt in ANIMATED:
                _check_frames(image, width, height)
        upload.seek(0)
        with Image.open(upload, formats=[fmt]) as image:
            image.verify()
    except ValidationError:
        raise
    except (*_READ_ERRORS, Image.DecompressionBombError) as exc:
        raise ValidationError(_NOT_AN_IMAGE, code="not_an_image") from exc
    finally:
        upload.seek(position)
    return fmt, width, height


def _check_frames(image, width, height):
    """Refuse an animation whose frames together exceed ``MAX_PIXELS`` or number more than
    ``MAX_FRAMES``. Frames are counted by seeking, which decodes each frame before the next,
    and each counts with the size it has once reached (a GIF's frames may grow its canvas
    past what its header says); counting stops as soon as a limit is passed, before the
    frame that passed it is decoded, so the count costs at most the limit."""
    frames, total = 1, width * height
    while True:
        try:
            image.seek(frames)
        except EOFError:
            return
        frames += 1
        total += image.width * image.height
        if frames > MAX_FRAMES:
            raise ValidationError(
                f"The animation has more than {MAX_FRAMES} frames; the most allowed is "
                f"{MAX_FRAMES}.",
                code="too_many_pixels",
            )
        if total > MAX_PIXELS:
            raise ValidationError(
                f"The animation's first {frames} frames already hold {total / 1e6:.0f} "
                f"megapixels ({width}×{height} pixels each, or more); the largest allowed is "
                "40 megapixels in all frames together (frames × width × height).",
                code="too_many_pixels",
            )


def _to_srgb(image):
    """The pixels with any embedded colour profile applied (as sRGB), the profile dropped."""
    profile = image.info.get("icc_profile")
    if not profile or image.mode not in ("RGB", "RGBA", "L", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        mode = "RGBA" if image.mode == "RGBA" else "RGB"
        return ImageCms.profileToProfile(
            image, source, ImageCms.createProfile("sRGB"), outputMode=mode
        )
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image


def _pixels_only(image, fmt):
    """A copy holding pixels and what the format needs to draw them, no metadata."""
    image = _to_srgb(ImageOps.exif_transpose(image))
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    clean = image.copy()
    clean.info = {k: v for k, v in image.info.items() if k in ("transparency", "duration", "loop")}
    return clean


def reencode(upload, fmt):
    """The upload's image written anew by Pillow from its pixels (see the module docstring)."""
    upload.seek(0)
    out = io.BytesIO()
    with Image.open(upload, formats=[fmt]) as image:
        frames = getattr(image, "n_frames", 1)
        options = {"format": fmt}
        if fmt == "JPEG":
            options.update(quality=90, optimize=True)
        elif fmt == "WEBP":
            options.update(quality=90)
        elif fmt == "PNG":
            options.update(optimize=True)
        if frames > 1 and fmt in ("GIF", "WEBP"):
            sequence = [_pixels_only(frame.copy(), fmt) for frame in ImageSequence.Iterator(image)]
            first = sequence[0]
            first.save(
                out,
                save_all=True,
                append_images=sequence[1:],
                duration=image.info.get("duration", 100),
                loop=image.info.get("loop", 0),
                **options,
            )
            size = first.size
        else:
            clean = _pixels_only(image, fmt)
            clean.save(out, **options)
            size = clean.size
    upload.seek(0)
    return out.getvalue(), size


def clean_upload(upload):
    """Validate and re-encode an upload: (ContentFile under a generated name, format).

    Validation reads headers and checks structure without decoding every pixel (a JPEG's
    ``verify`` decodes nothing); an image whose data is damaged or cut short after a sound
    header fails only when re-encoding decodes it, and is refused then, as any unreadable
    file is."""
    fmt, _, _ = validate_image_upload(upload)
    try:
        data, _ = reencode(upload, fmt)
    except (*_READ_ERRORS, EOFError, Image.DecompressionBombError) as exc:
        raise ValidationError(
            f"This {fmt} image cannot be read: its data is damaged or cut short.",
            code="damaged",
        ) from exc
    return ContentFile(data, name=generated_name(fmt=fmt).rsplit("/", 1)[-1]), fmt


def generated_name(filename="", fmt=None):
    """``diagrams/<random>.<ext>``, the extension from the verified format when known."""
    ext = EXTENSIONS.get(fmt or "") or (
        filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    )
    if ext not in EXTENSIONS.values():
        ext = "bin"
    return f"{UPLOAD_DIR}/{uuid.uuid4().hex}.{ext}"


# Widths of the smaller copies of an uploaded diagram, for srcset (phones get the 480 one).
VARIANT_WIDTHS = (480, 960, 1600)


def variant_name(name, width):
    """Where the ``width``-pixel copy of the stored image ``name`` lives."""
    stem, dot, ext = name.rpartition(".")
    return f"{stem}-{width}w.{ext}" if dot else f"{name}-{width}w"


def make_variants(name):
    """Store smaller copies of the stored image ``name`` (Pillow, Lanczos) at each of
    ``VARIANT_WIDTHS`` below its own width; return ``{"name": name, "widths": [...]}``.
    Animated images keep only their original (a copy would be one frame)."""
    widths = []
    with default_storage.open(name, "rb") as handle, Image.open(handle) as image:
        fmt = image.format
        if getattr(image, "n_frames", 1) > 1 or fmt not in EXTENSIONS:
            return {"name": name, "widths": []}
        image.load()
        for width in VARIANT_WIDTHS:
            if width >= image.width:
                break
            height = max(1, round(image.height * width / image.width))
            copy = image.resize((width, height), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            options = {"format": fmt}
            if fmt in ("JPEG", "WEBP"):
                options["quality"] = 85
            elif fmt == "PNG":
                options["optimize"] = True
            copy.save(out, **options)
            target = variant_name(name, width)
            if default_storage.exists(target):
                default_storage.delete(target)
            default_storage.save(target, ContentFile(out.getvalue()))
            widths.append(width)
    return {"name": name, "widths": widths}


class DiagramInput(forms.ClearableFileInput):
    """The diagram's upload control: a thumbnail of the current diagram beside plainly named
    controls to replace or remove it (admin-guide.js shows a newly chosen file there too)."""

    initial_text = "Current diagram"
    input_text = "Replace it with"
    clear_checkbox_label = "Remove the diagram"

    def render(self, name, value, attrs=None, renderer=None):
        controls = super().render(name, value, attrs, renderer)
        if self.is_initial(value):
            thumb = format_html(
                '<img class="diagram-thumb" src="{}" alt="The current diagram">', value.url
            )
        else:
            thumb = mark_safe('<img class="diagram-thumb" alt="The chosen image" hidden>')
        return format_html(
            '<div class="diagram-input">{}<div class="diagram-controls">{}</div></div>',
            thumb,
            controls,
        )


class DiagramField(forms.ImageField):
    """The guide form's upload field, checked and re-encoded by the same door as drag-and-drop."""

    widget = DiagramInput

    def to_python(self, data):
        # FileField's checks only: ours replace ImageField's Pillow check and its message.
        upload = forms.FileField.to_python(self, data)
        if upload is None:
            return None
        return clean_upload(upload)[0]


class EditorImageForm(forms.Form):
    """markdownx's drag-and-drop upload: validate, re-encode, store under a generated name."""

    image = forms.FileField()

    def clean_image(self):
        return clean_upload(self.cleaned_data["image"])

    def save(self, commit=True):
        content, fmt = self.cleaned_data["image"]
        name = default_storage.save(generated_name(fmt=fmt), content)
        return default_storage.url(name)
