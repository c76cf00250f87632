from django.apps import AppConfig
from django.db.backends.signals import connection_created


class CatalogueConfig(AppConfig):
    name = "catalogue"
    verbose_name = "Catalogue"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .search import register_sqlite_functions

        # The SQLite search fallback compares accent-free text (search.fold) in SQL.
        connection_created.connect(register_sqlite_functions, dispatch_uid="catalogue.sqlite_fold")
