from django.contrib.sitemaps import views as sitemap_views
from django.urls import path
from django.views.generic import RedirectView

from catalog.infra.origin import on_site_origin
from catalog.site import views
from catalog.site.caching import public_page
from catalog.site.feeds import CategoryFeed, LatestGuidesFeed, TagFeed
from catalog.site.health import healthz
from catalog.site.hooks import git_push
from catalog.site.sitemaps import SITEMAPS

app_name = "catalog"

urlpatterns = [
    path("", views.home, name="home"),
    path("guides", views.category_list, name="category_list"),
    path("guides/", RedirectView.as_view(url="/guides", permanent=True)),
    path("guides/<str:slug>", views.detail, name="detail"),
    path(
        "guides/<str:slug>/feed.xml",
        public_page(on_site_origin(CategoryFeed())),
        name="category_feed",
    ),
    path("guides/<str:slug>/", views.trailing_slash),
    path("tags", views.tag_list, name="tag_list"),
    path("tags/", RedirectView.as_view(url="/tags", permanent=True)),
    path("tags/<str:slug>", views.tag_detail, name="tag"),
    path("tags/<str:slug>/feed.xml", public_page(on_site_origin(TagFeed())), name="tag_feed"),
    path("search", views.search, name="search"),
    path("review/<str:token>", views.review, name="review"),
    path("feed.xml", public_page(on_site_origin(LatestGuidesFeed())), name="feed"),
]

site_urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("hooks/git", git_push, name="git_push_hook"),
    path(
        "sitemap.xml",
        public_page(on_site_origin(sitemap_views.index)),
        {
            "sitemaps": SITEMAPS,
            "sitemap_url_name": "sitemap_section",
            "template_name": "catalog/sitemap_index.xml",
        },
        name="sitemap",
    ),
    path(
        "sitemap-<str:section>.xml",
        public_page(on_site_origin(sitemap_views.sitemap)),
        {"sitemaps": SITEMAPS, "template_name": "catalog/sitemap.xml"},
        name="sitemap_section",
    ),
    path("robots.txt", views.robots_txt, name="robots"),
    path("favicon.ico", views.favicon, name="favicon"),
]
