from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Domain-free pieces every app uses. It imports no other app of the project."""

    name = "core"
    verbose_name = "Core"
