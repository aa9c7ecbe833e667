"""Uploaded images: one validator for the guide form and the editor's drag-and-drop.

Only raster images Pillow can open and verify as PNG, JPEG, GIF or WebP are accepted, at most
10 MB and 40 megapixels. The pixel count is read from the header before any decoding, so a
decompression bomb is refused without being expanded. SVG, HTML and anything else are refused:
they could carry script. Stored names are generated; nothing of the uploader's file name
reaches the file system.
"""

import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from PIL import Image, UnidentifiedImageError

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp"}
UPLOAD_DIR = "diagrams"


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
        upload.seek(0)
        with Image.open(upload) as image:
            fmt, (width, height) = image.format, image.size
            if fmt not in EXTENSIONS:
                raise ValidationError(
                    f"{fmt} images are not accepted: upload a PNG, JPEG, GIF or WebP image.",
                    code="format",
                )
            if width * height > MAX_PIXELS:
                raise ValidationError(
                    f"The image is {width}×{height} pixels ({width * height / 1e6:.0f} "
                    "megapixels); the largest allowed is 40 megapixels.",
                    code="too_many_pixels",
                )
            image.verify()
    except ValidationError:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
    ) as exc:
        raise ValidationError(
            "This is not a PNG, JPEG, GIF or WebP image (SVG, HTML and other files are "
            "not accepted).",
            code="not_an_image",
        ) from exc
    finally:
        upload.seek(position)
    return fmt, width, height


def generated_name(filename="", fmt=None):
    """``diagrams/<random>.<ext>``, the extension from the verified format when known."""
    ext = EXTENSIONS.get(fmt or "") or (
        filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    )
    if ext not in EXTENSIONS.values():
        ext = "bin"
    return f"{UPLOAD_DIR}/{uuid.uuid4().hex}.{ext}"


class DiagramField(forms.ImageField):
    """The guide form's upload field, checked by the same validator as drag-and-drop."""

    def to_python(self, data):
        # FileField's checks only: ours replace ImageField's Pillow check and its message.
        upload = forms.FileField.to_python(self, data)
        if upload is not None:
            fmt, _, _ = validate_image_upload(upload)
            upload.name = generated_name(upload.name, fmt).rsplit("/", 1)[-1]
        return upload


class EditorImageForm(forms.Form):
    """markdownx's drag-and-drop upload: validate, store under a generated name, return URL."""

    image = forms.FileField()

    def clean_image(self):
        upload = self.cleaned_data["image"]
        self.format = validate_image_upload(upload)[0]
        return upload

    def save(self, commit=True):
        upload = self.cleaned_data["image"]
        name = default_storage.save(generated_name(upload.name, self.format), upload)
        return default_storage.url(name)
