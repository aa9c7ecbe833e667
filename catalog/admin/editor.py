"""The markdown editor's endpoints (markdownx preview and image upload), for editors only.

markdownx's own views answer anyone; these subclasses answer only active staff users who
hold the right permission (403 otherwise) and keep Django's CSRF protection. They are
mounted at markdownx's URL names, so its widget finds them.
"""

from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_protect
from markdownx.views import ImageUploadView, MarkdownifyView

from catalog.fileformat.reading import MAX_FILE_BYTES
from catalog.infra import roles
from catalog.infra.publicfiles import public_folder, serve_image
from catalog.infra.uploads import EditorImageForm


class EditorsOnly:
    permission = roles.EDIT

    def dispatch(self, request, *args, **kwargs):
        if not roles.may(request.user, self.permission):
            return JsonResponse({"error": "Only editors may use this."}, status=403)
        return super().dispatch(request, *args, **kwargs)


@method_decorator(csrf_protect, name="dispatch")
class PreviewView(EditorsOnly, MarkdownifyView):
    def post(self, request, *args, **kwargs):
        if "content" not in request.POST:
            return HttpResponseBadRequest("No content to preview.")
        # No body a file may hold is longer; the renderer's time grows with the text (and a
        # text with more "&" and Latin-1 signs than a body may hold is shown as written:
        # catalog.fileformat.characters.MAX_HEAVY).
        if len(request.POST["content"].encode()) > MAX_FILE_BYTES:
            return HttpResponseBadRequest(
                f"Too long to preview: a guide's file holds at most {MAX_FILE_BYTES:,} bytes."
            )
        return super().post(request, *args, **kwargs)


@method_decorator(csrf_protect, name="dispatch")
class UploadView(EditorsOnly, ImageUploadView):
    permission = roles.UPLOAD
    form_class = EditorImageForm
    http_method_names = ["post"]

    def form_invalid(self, form):
        return JsonResponse(form.errors, status=400)


def serve_media(request, path):
    """Uploaded files, when no web server or object storage serves them.

    Uploads are verified images stored under generated names; they are served by the same
    rule as the content folder's ``public/`` (catalog.infra.publicfiles), so that no file could run
    as a page even if one got into the folder another way. An upload this site does not hold
    is served from the content folder's copy (``public/media/``, written by an export:
    catalog.pipeline.media), as on a site built from the content repository alone.
    """
    try:
        return serve_image(request, Path(settings.MEDIA_ROOT), path)
    except Http404:
        if not (public := public_folder()):
            raise
        return serve_image(request, public / settings.MEDIA_URL.strip("/"), path)
