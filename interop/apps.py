from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "interop"
    verbose_name = "Interoperability"
    default_auto_field = "django.db.models.BigAutoField"
