from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from catalog.admin.editor import PreviewView, UploadView, serve_media
from catalog.site.urls import site_urlpatterns

urlpatterns = [
    path("admin/", admin.site.urls),
    path("markdownx/upload/", UploadView.as_view(), name="markdownx_upload"),
    path("markdownx/markdownify/", PreviewView.as_view(), name="markdownx_markdownify"),
    path("", include("catalog.site.urls")),
    *site_urlpatterns,
]

if settings.GUIDES_SERVE_MEDIA:
    urlpatterns.append(path(f"{settings.MEDIA_URL.strip('/')}/<path:path>", serve_media))
