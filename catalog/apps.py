from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Guides catalog"

    def ready(self):
        from catalog.search import checks  # noqa: F401  (registers the system check)
        from catalog.write import signals  # noqa: F401  (connects the receivers)
