from django.apps import AppConfig
from taggit.apps import TaggitAppConfig


class CatalogConfig(AppConfig):
    default = True  # the app's config (this module also holds TagsConfig)
    name = "catalog"
    verbose_name = "Guides catalog"

    def ready(self):
        from catalog.search import checks  # noqa: F401  (registers the system check)
        from catalog.search import tasks as search_tasks
        from catalog.search.index import index_behind
        from catalog.write import signals  # noqa: F401  (connects the receivers)
        from catalog.write.versions import content_changed

        # The host's search index is brought up by its task worker, when content changes
        # and when a search finds it behind.
        content_changed.connect(search_tasks.content_changed, dispatch_uid="search-index")
        index_behind.connect(search_tasks.index_behind, dispatch_uid="search-index")


class TagsConfig(TaggitAppConfig):
    """django-taggit, named for editors: the admin's section reads "Tags", not "Taggit"."""

    default = False
    verbose_name = "Tags"
