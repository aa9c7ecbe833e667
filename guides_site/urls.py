from django.contrib import admin
from django.urls import include, path

from catalog.urls import site_urlpatterns

urlpatterns = [
    path("admin/", admin.site.urls),
    path("markdownx/", include("markdownx.urls")),
    path("", include("catalog.urls")),
    *site_urlpatterns,
]
